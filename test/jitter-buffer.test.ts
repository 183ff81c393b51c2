/**
 * JitterBuffer: the packet-driven reorder buffer of the receive path, driven
 * with synthetic arrival times (it reads no clock), so every timing rule is
 * checked exactly: in-order packets pass at once, gaps wait for an adaptive
 * deadline, duplicates and late packets are dropped, wrap-around, SSRC
 * changes, DTX gaps, jumps and the size bound.
 */
import { JitterBuffer, type JitterEvent } from '../ts/rtc/jitter-buffer';
import type { ReceivedRtpPacket } from '../ts/rtc/rtp-packet';
import { prng } from './helpers/audio';

const SSRC = 0x1234abcd;

interface PacketSpec {
  /** Index in the stream: sequence number seq0 + i, timestamp ts0 + 960 i (unless ts is given). */
  i: number;
  at: number;
  ssrc?: number;
  seq0?: number;
  ts0?: number;
  ts?: number;
}

function packet({ i, at, ssrc = SSRC, seq0 = 1000, ts0 = 50000, ts }: PacketSpec): ReceivedRtpPacket {
  return {
    payloadType: 111,
    sequenceNumber: (seq0 + i) % 65536,
    timestamp: ((ts ?? ts0 + 960 * i) % 2 ** 32 + 2 ** 32) % 2 ** 32,
    ssrc,
    marker: false,
    payload: new Uint8Array([i & 0xff]),
    arrivalMs: at,
  };
}

/** A compact view of events: 'p5' a packet with index byte 5, 'L1002' a loss of seq 1002 (+ '>next' when it has nextPacket), 'S19200' silence, 'R:ssrc'. */
function brief(events: JitterEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'packet':
        return `p${e.packet.payload[0]}`;
      case 'lost':
        return `L${e.sequenceNumber}${e.nextPacket ? `>${e.nextPacket.sequenceNumber}` : ''}`;
      case 'silence':
        return `S${e.samples}`;
      case 'reset':
        return `R:${e.reason}`;
    }
  });
}

/**
 * Feeds packets in arrival order and polls at every deadline in between,
 * as the track's timer does; returns all events.
 */
function simulate(jb: JitterBuffer, packets: ReceivedRtpPacket[], until = Infinity): JitterEvent[] {
  const events: JitterEvent[] = [];
  const sorted = [...packets].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const drain = (time: number): void => {
    for (let d = jb.nextDeadline; d !== undefined && d <= time; d = jb.nextDeadline) {
      const out = jb.poll(d);
      if (out.length === 0) throw new Error(`poll at its own deadline ${d} released nothing`);
      events.push(...out);
    }
  };
  for (const p of sorted) {
    drain(p.arrivalMs);
    events.push(...jb.push(p));
  }
  drain(until);
  return events;
}

describe('JitterBuffer: order, duplicates, loss', () => {
  test('a clean stream passes straight through: each push returns its own packet, nothing is held, no wait', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    for (let i = 0; i < 100; i++) {
      const events = jb.push(packet({ i, at: 20 * i }));
      expect(brief(events)).toEqual([`p${i}`]);
      expect(jb.size).toBe(0);
      expect(jb.nextDeadline).toBeUndefined();
    }
    const s = jb.stats();
    expect(s).toMatchObject({ received: 100, duplicates: 0, late: 0, reordered: 0, lost: 0, silences: 0, resets: 0, buffered: 0 });
    expect(s.jitterMs).toBe(0);
    expect(s.targetDelayMs).toBe(0);
  });

  test('a swapped pair is put back in order without loss; the gap is held only until the missing packet comes', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 10 });
    expect(brief(jb.push(packet({ i: 0, at: 0 })))).toEqual(['p0']);
    expect(brief(jb.push(packet({ i: 1, at: 20 })))).toEqual(['p1']);
    expect(brief(jb.push(packet({ i: 3, at: 60 })))).toEqual([]);
    expect(jb.size).toBe(1);
    expect(jb.nextDeadline).toBe(70); // 60 + minDelayMs (no jitter or reordering seen yet)
    expect(brief(jb.push(packet({ i: 2, at: 64 })))).toEqual(['p2', 'p3']);
    expect(jb.nextDeadline).toBeUndefined();
    expect(jb.stats()).toMatchObject({ reordered: 1, lost: 0, late: 0 });
    expect(jb.stats().reorderMs).toBeCloseTo(4, 5); // it came 4 ms after its gap was seen
  });

  test('duplicates of played and of held packets are dropped and counted', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 50 });
    const out = [
      ...jb.push(packet({ i: 0, at: 0 })),
      ...jb.push(packet({ i: 0, at: 1 })), // played already
      ...jb.push(packet({ i: 2, at: 40 })),
      ...jb.push(packet({ i: 2, at: 41 })), // held already
      ...jb.push(packet({ i: 1, at: 42 })),
      ...jb.push(packet({ i: 1, at: 43 })),
      ...jb.push(packet({ i: 3, at: 60 })),
    ];
    expect(brief(out)).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(jb.stats()).toMatchObject({ received: 7, duplicates: 3, lost: 0, late: 0, reordered: 1 });
  });

  test('a gap is declared lost exactly at its deadline; the packet behind it is handed with the loss (for FEC) and follows', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 30 });
    jb.push(packet({ i: 0, at: 0 }));
    jb.push(packet({ i: 1, at: 20 }));
    expect(jb.push(packet({ i: 3, at: 60 }))).toEqual([]);
    expect(jb.nextDeadline).toBe(90);
    expect(jb.poll(89.9)).toEqual([]);
    const events = jb.poll(90);
    expect(brief(events)).toEqual(['L1002>1003', 'p3']);
    const lost = events[0] as Extract<JitterEvent, { kind: 'lost' }>;
    expect(lost.timestamp).toBe(50000 + 2 * 960);
    expect(lost.samples).toBe(960);
    expect(lost.nextPacket?.payload[0]).toBe(3);
    expect(jb.stats()).toMatchObject({ lost: 1, late: 0, buffered: 0 });
  });

  test('a packet arriving after its slot was declared lost is dropped as late — and teaches the buffer to wait longer', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    jb.push(packet({ i: 0, at: 0 }));
    jb.push(packet({ i: 1, at: 20 }));
    // no jitter, no reordering seen: the wait is 0, the gap is lost at once
    expect(brief(jb.push(packet({ i: 3, at: 60 })))).toEqual(['L1002>1003', 'p3']);
    expect(brief(jb.push(packet({ i: 2, at: 75 })))).toEqual([]);
    expect(jb.stats()).toMatchObject({ late: 1, lost: 1 });
    expect(jb.stats().reorderMs).toBeCloseTo(15, 5);
    const target = jb.targetDelayMs;
    expect(target).toBeGreaterThanOrEqual(18.75 - 1); // 1.25 × 15 ms (the jitter term is smaller)
    // the same delay again is now waited for
    jb.push(packet({ i: 4, at: 80 }));
    expect(jb.push(packet({ i: 6, at: 120 }))).toEqual([]);
    expect(brief(jb.push(packet({ i: 5, at: 135 })))).toEqual(['p5', 'p6']);
    expect(jb.stats()).toMatchObject({ late: 1, lost: 1, reordered: 1 });
  });

  test('two packets missing: two losses in order, only the last carries nextPacket', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    jb.push(packet({ i: 0, at: 0 }));
    const events = jb.push(packet({ i: 3, at: 60 }));
    expect(brief(events)).toEqual(['L1001', 'L1002>1003', 'p3']);
    expect(events.slice(0, 2).map((e) => (e as { timestamp: number }).timestamp)).toEqual([50960, 51920]);
  });

  test('an outage longer than maxDelayMs is declared lost at once (no waiting on a lost cause)', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 100, maxDelayMs: 150 });
    jb.push(packet({ i: 0, at: 0 }));
    // 10 packets (200 ms) missing: more than maxDelayMs of audio
    expect(brief(jb.push(packet({ i: 11, at: 220 })))).toEqual([...Array.from({ length: 9 }, (_, k) => `L${1001 + k}`), 'L1010>1011', 'p11']);
    // 1 missing: waited for
    expect(jb.push(packet({ i: 13, at: 260 }))).toEqual([]);
    expect(jb.nextDeadline).toBe(360);
  });

  test('flush() declares every gap lost and hands on everything held', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 100 });
    jb.push(packet({ i: 0, at: 0 }));
    jb.push(packet({ i: 2, at: 40 }));
    jb.push(packet({ i: 5, at: 100 }));
    expect(brief(jb.flush())).toEqual(['L1001>1002', 'p2', 'L1003', 'L1004>1005', 'p5']);
    expect(jb.size).toBe(0);
  });

  test('random loss, reordering and duplicates: every sequence number comes out exactly once, as a packet or a loss, in timestamp order (seeded)', () => {
    const random = prng(7);
    const jb = new JitterBuffer({ clockRate: 48000 });
    const packets: ReceivedRtpPacket[] = [];
    const n = 3000;
    const dropped = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (i > 0 && i < n - 1 && random() < 0.1) {
        dropped.add(i);
        continue;
      }
      const at = 20 * i + random() * 50; // up to 50 ms of jitter: reorders
      packets.push(packet({ i, at, seq0: 65000, ts0: 2 ** 32 - 960 * 500 })); // both wrap on the way
      if (random() < 0.05) packets.push(packet({ i, at: at + random() * 30, seq0: 65000, ts0: 2 ** 32 - 960 * 500 }));
    }
    const events = simulate(jb, packets);
    const slots: number[] = [];
    let lastTs = -Infinity;
    let extTs = 0;
    let prevRaw: number | undefined;
    for (const e of events) {
      if (e.kind === 'reset' || e.kind === 'silence') throw new Error(`unexpected ${e.kind}`);
      const seq = e.kind === 'packet' ? e.packet.sequenceNumber : e.sequenceNumber;
      const ts = e.kind === 'packet' ? e.packet.timestamp : e.timestamp;
      extTs = prevRaw === undefined ? ts : extTs + ((((ts - prevRaw) % 2 ** 32) + 2 ** 32 + 2 ** 31) % 2 ** 32) - 2 ** 31;
      prevRaw = ts;
      expect(extTs).toBeGreaterThan(lastTs);
      lastTs = extTs;
      slots.push((seq - 65000 + 65536) % 65536);
      if (e.kind === 'lost') expect(e.samples).toBe(960);
    }
    expect(slots).toEqual(Array.from({ length: n }, (_, i) => i));
    const s = jb.stats();
    expect(s.lost).toBeGreaterThanOrEqual(dropped.size);
    expect(s.lost).toBeLessThanOrEqual(dropped.size + s.late); // a late packet's slot was declared lost
    expect(s.duplicates).toBeGreaterThan(0);
    expect(s.reordered).toBeGreaterThan(100);
    expect(s.late / n).toBeLessThan(0.03); // the adaptive wait catches nearly all reordering
  });
});

describe('JitterBuffer: wrap-around, SSRC, DTX, jumps, bounds', () => {
  test('sequence numbers and timestamps wrapping together, with a reorder and a loss right at the wrap', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 15 });
    const seq0 = 65533;
    const ts0 = 2 ** 32 - 3 * 960 + 17;
    const p = (i: number, at: number): ReceivedRtpPacket => packet({ i, at, seq0, ts0 });
    const events = simulate(jb, [p(0, 0), p(1, 20), p(3, 60), p(2, 62), p(4, 80), p(6, 120), p(7, 140), p(8, 160)]);
    expect(brief(events)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'L2>3', 'p6', 'p7', 'p8']);
    const lost = events[5] as Extract<JitterEvent, { kind: 'lost' }>;
    expect(lost.sequenceNumber).toBe(2); // 65533 + 5 − 65536
    expect(lost.timestamp).toBe((ts0 + 5 * 960) % 2 ** 32); // past the timestamp wrap too
    expect(lost.timestamp).toBeLessThan(960 * 3);
    expect(jb.stats()).toMatchObject({ lost: 1, late: 0, duplicates: 0, reordered: 1, resets: 0 });
  });

  test('an SSRC change flushes the old stream, signals a reset and starts a new timeline; stragglers of the old SSRC are late', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 100 });
    jb.push(packet({ i: 0, at: 0 }));
    jb.push(packet({ i: 2, at: 40 })); // held behind a gap
    const other = { ssrc: 0x0badf00d, seq0: 40000, ts0: 123456789 };
    const events = jb.push(packet({ i: 50, at: 60, ...other }));
    expect(brief(events)).toEqual(['L1001>1002', 'p2', 'R:ssrc', 'p50']);
    expect(events[2]).toEqual({ kind: 'reset', reason: 'ssrc', ssrc: 0x0badf00d });
    expect(jb.push(packet({ i: 3, at: 65 }))).toEqual([]); // the old stream, late
    expect(brief(jb.push(packet({ i: 51, at: 80, ...other })))).toEqual(['p51']);
    // a gap in the new stream is a gap, not another reset
    expect(brief(jb.push(packet({ i: 53, at: 120, ...other })))).toEqual([]);
    expect(brief(jb.poll(220))).toEqual(['L40052>40053', 'p53']);
    expect(jb.stats()).toMatchObject({ resets: 1, late: 1, lost: 2 });
  });

  test('DTX: consecutive packets with a timestamp gap give a silence of exactly the gap', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    const out: JitterEvent[] = [];
    for (let i = 0; i < 5; i++) out.push(...jb.push(packet({ i, at: 20 * i })));
    // the sender stopped for 400 ms (DTX) and went on with the next sequence number
    out.push(...jb.push(packet({ i: 5, at: 500, ts: 50000 + 5 * 960 + 19200 })));
    out.push(...jb.push(packet({ i: 6, at: 520, ts: 50000 + 6 * 960 + 19200 })));
    expect(brief(out)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'S19200', 'p5', 'p6']);
    expect((out[5] as Extract<JitterEvent, { kind: 'silence' }>).timestamp).toBe(50000 + 5 * 960);
    expect(jb.stats()).toMatchObject({ silences: 1, lost: 0 });
  });

  test('DTX with a loss inside the gap: the lost packet gets one packet of time, the rest is silence', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    const out: JitterEvent[] = [];
    for (let i = 0; i < 3; i++) out.push(...jb.push(packet({ i, at: 20 * i })));
    // seq 3 lost; seq 4 comes 400 ms of timestamps later
    out.push(...jb.push(packet({ i: 4, at: 480, ts: 50000 + 4 * 960 + 19200 })));
    expect(brief(out)).toEqual(['p0', 'p1', 'p2', 'L1003>1004', 'S19200', 'p4']);
    expect((out[3] as Extract<JitterEvent, { kind: 'lost' }>).samples).toBe(960);
  });

  test('packet durations come from packetSamples (10 ms packets, and a 0-length DTMF packet between)', () => {
    const durations = new Map<number, number>();
    const jb = new JitterBuffer({ clockRate: 48000, packetSamples: (p) => durations.get(p.payload[0]) });
    const p = (i: number, ts: number, samples: number): ReceivedRtpPacket => {
      durations.set(i, samples);
      return packet({ i, at: 10 * i, ts });
    };
    const out = simulate(jb, [
      p(0, 0, 480),
      p(1, 480, 480),
      p(2, 960, 0), // DTMF: no audio
      p(3, 960, 480),
      p(5, 1920, 480), // seq 4 lost: 480 samples (the last packet's length)
    ]);
    expect(brief(out)).toEqual(['p0', 'p1', 'p2', 'p3', 'L1004>1005', 'p5']);
    expect((out[4] as Extract<JitterEvent, { kind: 'lost' }>).samples).toBe(480);
  });

  test('jumps start a new timeline: sequence +5000, timestamp +2 min, and a sender restarting its numbering behind', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    jb.push(packet({ i: 0, at: 0 }));
    expect(brief(jb.push(packet({ i: 5000, at: 20 })))).toEqual(['R:jump', 'p136']); // (5000 & 0xff = 136)
    expect(brief(jb.push(packet({ i: 5001, at: 40, ts: 50000 + 5001 * 960 + 48000 * 120 })))).toEqual(['R:jump', 'p137']);
    const out: JitterEvent[] = [];
    for (let k = 0; k < 8; k++) out.push(...jb.push(packet({ i: 100 + k, at: 60 + 20 * k, ts: 960 * k })));
    expect(brief(out)).toEqual(['R:jump', 'p107']); // seven dropped as late first, then the eighth restarts
    expect(brief(jb.push(packet({ i: 108, at: 220, ts: 960 * 8 })))).toEqual(['p108']);
    expect(jb.stats()).toMatchObject({ resets: 3, late: 7, lost: 0, silences: 0 });
  });

  test('bounded: at most maxPackets are held; beyond, the oldest gap is declared lost early and nothing received is dropped', () => {
    const jb = new JitterBuffer({ clockRate: 48000, minDelayMs: 1000, maxDelayMs: 1000, maxPackets: 8 });
    const out: JitterEvent[] = [...jb.push(packet({ i: 0, at: 0 }))];
    for (let i = 2; i <= 30; i++) {
      if (i === 12) continue; // a second gap
      out.push(...jb.push(packet({ i, at: 1 })));
      expect(jb.size).toBeLessThanOrEqual(8);
    }
    expect(jb.stats().overflows).toBe(2);
    const played = out.filter((e) => e.kind === 'packet').length;
    expect(played + jb.size).toBe(29); // every packet pushed is played or still held
    expect(brief(out).filter((b) => b.startsWith('L'))).toEqual(['L1001>1002', 'L1012>1013']);
  });

  test('the wait adapts: it grows with injected jitter and shrinks back on a clean network (seeded)', () => {
    const random = prng(42);
    const jb = new JitterBuffer({ clockRate: 48000 });
    const clean1 = Array.from({ length: 200 }, (_, i) => packet({ i, at: 20 * i + 5 }));
    simulate(jb, clean1);
    const calm = jb.targetDelayMs;
    expect(calm).toBeLessThan(1);
    // 15 s with network delays spread uniformly over 0..60 ms: many reorders
    const noisy = Array.from({ length: 750 }, (_, k) => {
      const i = 200 + k;
      return packet({ i, at: 20 * i + 5 + random() * 60 });
    });
    const lateBefore = jb.stats().late;
    simulate(jb, noisy);
    const s = jb.stats();
    // RFC 3550 jitter of uniform 0..60 ms delays is about 60/3 = 20 ms
    expect(s.jitterMs).toBeGreaterThan(12);
    expect(s.jitterMs).toBeLessThan(30);
    expect(s.targetDelayMs).toBeGreaterThan(35);
    expect(s.targetDelayMs).toBeLessThanOrEqual(200);
    expect(s.reordered).toBeGreaterThan(100);
    expect((s.late - lateBefore) / noisy.length).toBeLessThan(0.03);
    expect(s.lost).toBe(s.late);
    // clean again for 20 s: back near zero
    const clean2 = Array.from({ length: 1000 }, (_, k) => packet({ i: 950 + k, at: 20 * (950 + k) + 80 }));
    simulate(jb, clean2);
    expect(jb.targetDelayMs).toBeLessThan(2);
    expect(jb.stats().jitterMs).toBeLessThan(0.5);
  });

  test('bad options give errors that name the option', () => {
    expect(() => new JitterBuffer(undefined as never)).toThrow(/^JitterBuffer: options must be an object with clockRate; got undefined$/);
    expect(() => new JitterBuffer({ clockRate: 0 })).toThrow(/^JitterBuffer: options.clockRate must be an integer from 1000 to 192000; got 0$/);
    expect(() => new JitterBuffer({ clockRate: 48000, maxDelayMs: 5000 })).toThrow(
      /^JitterBuffer: options.maxDelayMs must be a number of milliseconds from 0 to 1000; got 5000$/,
    );
    expect(() => new JitterBuffer({ clockRate: 48000, minDelayMs: 300 })).toThrow(/options.minDelayMs must be at most options.maxDelayMs \(200\); got 300/);
    expect(() => new JitterBuffer({ clockRate: 48000, maxPackets: 0 })).toThrow(/options.maxPackets must be an integer from 1 to 1000; got 0/);
    expect(() => new JitterBuffer({ clockRate: 48000, delay: 1 } as never)).toThrow(/options.delay is not an option/);
  });
});
