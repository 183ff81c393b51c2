/**
 * AudioSender, the network-free send path: a collecting sink records every
 * packet with its send time and decodes what was sent (OpusDecoder, G.711),
 * so the tests judge real audio (tone frequency and level), the RTP numbering
 * (contiguous sequence numbers, timestamps per packet, wrap-around, marker),
 * and the pacing (real time for paced, unpaced, stalling and ending tracks).
 * Timing bounds are loose: this runs on a shared, noisy machine.
 */
import {
  AudioFrame,
  AudioSource,
  AudioStreamTrack,
  MediaRelay,
  MediaStreamError,
  MediaStreamTrack,
  OpusDecoder,
  alawDecode,
  ulawDecode,
} from '../ts/index';
import { AudioSender, type AudioSenderOptions, type OutgoingRtpPacket } from '../ts/rtc/audio-sender';
import { OPUS, PCMA, PCMU, type AudioCodec } from '../ts/rtc/codec';
import { RtpPacketizer } from '../ts/rtc/rtp-packetizer';
import { opusHasFec } from '../ts/rtc/opus-toc';
import { opusBandwidthHz, opusModes } from './helpers/opus';
import { channel, concat, measureFrequency, rmsDb, toneLevelDb } from './helpers/audio';
import { setTimeout as delay } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { activeTimeouts, expectMediaStreamError, NeverTrack, rejection, sleep } from './helpers/media';

// ----------------------------------------------------------------- helpers --

/**
 * How late this process's event loop ran during each test: a shared machine
 * can pause the whole process for 100 ms and more, which no sender can help.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
beforeEach(() => {
  loopDelay.reset();
  loopDelay.enable();
});
afterEach(() => loopDelay.disable());

interface Sent extends OutgoingRtpPacket {
  /** performance.now() when the sink got it. */
  at: number;
}

/** A sink that keeps every packet and when it came. */
class CollectingSink {
  readonly packets: Sent[] = [];
  send(packet: OutgoingRtpPacket): void {
    this.packets.push({ ...packet, at: performance.now() });
  }
}

/** Level of a sine of peak `amplitude` (re full scale) in dBFS RMS. */
function sineDb(amplitude: number): number {
  return 20 * Math.log10(amplitude / Math.SQRT2);
}

/** The decoded audio of `packets` (channel 0, or all channels interleaved), at the codec's rate. */
function decode(codec: AudioCodec, packets: readonly Sent[], channels = 1): Int16Array {
  if (codec.name === 'PCMU') return concat(packets.map((p) => ulawDecode(p.payload)));
  if (codec.name === 'PCMA') return concat(packets.map((p) => alawDecode(p.payload)));
  const decoder = new OpusDecoder({ sampleRate: 48000, channels: channels as 1 | 2 });
  const pcm = concat(packets.map((p) => decoder.decode(p.payload)));
  decoder.close();
  return pcm;
}

/** Checks the numbering: contiguous sequence numbers, timestamps `step` apart (mod 2³²), marker on the first only. */
function expectContiguous(packets: readonly Sent[], step: number, payloadType: number): void {
  expect(packets.length).toBeGreaterThan(1);
  expect(packets[0].marker).toBe(true);
  for (let i = 1; i < packets.length; i++) {
    const [a, b] = [packets[i - 1], packets[i]];
    if (b.sequenceNumber !== ((a.sequenceNumber + 1) & 0xffff)) throw new Error(`packet ${i}: sequence ${a.sequenceNumber} → ${b.sequenceNumber}`);
    if ((b.timestamp - a.timestamp + 2 ** 32) % 2 ** 32 !== step) throw new Error(`packet ${i}: timestamp ${a.timestamp} → ${b.timestamp}`);
    if (b.marker) throw new Error(`packet ${i} has the marker bit`);
  }
  for (const p of packets) {
    expect(p.payloadType).toBe(payloadType);
    expect(p.sequenceNumber).toBeGreaterThanOrEqual(0);
    expect(p.sequenceNumber).toBeLessThan(65536);
    expect(p.timestamp).toBeGreaterThanOrEqual(0);
    expect(p.timestamp).toBeLessThan(2 ** 32);
  }
}

/**
 * How far send times stray from the ideal schedule anchor + i × interval (the
 * anchor is the median offset, so one late first packet does not skew it):
 * the 95th percentile and the largest distance, in ms. A sender that stalls
 * or bursts for 200 ms shows it in `max`; a busy machine's odd late timer
 * barely moves `p95`.
 */
function scheduleError(packets: readonly Sent[], intervalMs: number): { p95: number; max: number } {
  const offsets = packets.map((p, i) => p.at - i * intervalMs).sort((a, b) => a - b);
  const anchor = offsets[Math.floor(offsets.length / 2)];
  const errors = offsets.map((o) => Math.abs(o - anchor)).sort((a, b) => a - b);
  return { p95: errors[Math.floor(errors.length * 0.95)], max: errors[errors.length - 1] };
}

/**
 * Real-time pacing: most packets within `p95Ms` of the schedule (loose: the
 * machine is shared), none more than 100 ms off (a 200 ms stall or burst
 * would be), unless the machine paused the whole process for longer during
 * the test (then no more off than that pause and 30 ms). Drift is checked
 * separately, by the mean interval.
 */
function expectPaced(packets: readonly Sent[], intervalMs = 20, p95Ms = 25): void {
  const { p95, max } = scheduleError(packets, intervalMs);
  const pausedMs = loopDelay.max / 1e6;
  expect(p95).toBeLessThan(p95Ms);
  expect(max).toBeLessThan(Math.max(100, pausedMs + 30));
}

/** A 20 ms 48 kHz s16 mono frame of a sine at `frequency`, phase-continuous by pts. */
function toneFrame(pts: number, frequency: number, amplitude = 0.5, rate = 48000, samples = 960): AudioFrame {
  const data = new Int16Array(samples);
  const w = (2 * Math.PI * frequency) / rate;
  for (let i = 0; i < samples; i++) data[i] = Math.round(amplitude * 32767 * Math.sin(w * (pts + i)));
  return new AudioFrame({ data, sampleRate: rate, pts });
}

/** An unpaced track (an in-memory file, a TTS burst): every recv() resolves at once; ends after `limit` frames. */
class UnpacedToneTrack extends MediaStreamTrack {
  calls = 0;
  private produced = 0;
  constructor(
    private readonly frequency: number,
    private readonly limit = Infinity,
  ) {
    super();
  }
  async recv(): Promise<AudioFrame> {
    this.calls++;
    if (this.readyState === 'ended') throw this.endedError();
    if (this.produced >= this.limit) {
      this.stop();
      throw this.endedError();
    }
    return toneFrame(960 * this.produced++, this.frequency);
  }
}

/**
 * A paced tone that goes quiet: frames due in [stallFrom, stallTo) never come
 * (recv() waits for the first frame after the hole), like a remote microphone
 * whose packets stop for a moment. The frames' pts jump over the hole.
 */
class StallingToneTrack extends MediaStreamTrack {
  private startMs: number | undefined;
  private next = 0;
  constructor(
    private readonly frequency: number,
    private readonly stallFrom: number,
    private readonly stallTo: number,
  ) {
    super();
  }
  async recv(): Promise<AudioFrame> {
    this.startMs ??= performance.now();
    let k = this.next;
    if (k >= this.stallFrom && k < this.stallTo) k = this.stallTo;
    this.next = k + 1;
    const wait = this.startMs + k * 20 - performance.now();
    if (wait > 0) await sleep(wait); // an absolute schedule, like a real source
    if (this.readyState === 'ended') throw this.endedError();
    return toneFrame(960 * k, this.frequency);
  }
}

/** Runs `sender` for `ms` (started here), then stops it. */
async function runFor(sender: AudioSender, ms: number): Promise<void> {
  sender.start();
  await sleep(ms);
  sender.stop();
}

/** How many of the sent packets each Opus mode coded. */
const modes = (packets: readonly Sent[]): Record<string, number> => opusModes(packets.map((p) => p.payload));

function newSender(options: Partial<AudioSenderOptions> & { sink: CollectingSink }): AudioSender {
  const sender = new AudioSender({ codec: OPUS, ...options });
  sender.on('error', (error: Error) => {
    throw error;
  });
  return sender;
}

const TONE_DB = sineDb(0.5); // AudioStreamTrack's default amplitude: -9.03 dBFS

// ------------------------------------------------------------------- tests --

describe('AudioSender: Opus from a paced track', () => {
  test('a 1 kHz tone arrives at the right frequency and level; numbering contiguous; 20 ms pacing without drift over 3 s', async () => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.5 } });
    const sender = newSender({ sink, track });
    expect(sender.opusSettings).toEqual({ application: 'audio', channels: 1, bitrate: 32000, complexity: 5, fec: true, packetLossPercent: 0, adaptiveLoss: true, dtx: false });
    await runFor(sender, 3000);
    track.stop();
    const packets = sink.packets;

    // ~150 packets in 3 s, one per 20 ms
    expect(packets.length).toBeGreaterThanOrEqual(140);
    expect(packets.length).toBeLessThanOrEqual(152);
    expectContiguous(packets, 960, OPUS.payloadType);

    // pacing: the mean interval is 20 ms (no drift), and no packet strays far from the schedule
    const n = packets.length;
    const meanInterval = (packets[n - 1].at - packets[0].at) / (n - 1);
    expect(Math.abs(meanInterval - 20)).toBeLessThan(0.25);
    expectPaced(packets);

    // the audio: 1 kHz within 2 Hz, level within 1 dB, and no hole (every 20 ms block after the warm-up carries the tone)
    const pcm = decode(OPUS, packets).subarray(960 * 5);
    expect(Math.abs(measureFrequency(pcm, 48000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(pcm, 48000, 1000) - TONE_DB)).toBeLessThan(1);
    let quietBlocks = 0;
    for (let i = 0; i + 960 <= pcm.length; i += 960) if (rmsDb(pcm.subarray(i, i + 960)) < TONE_DB - 6) quietBlocks++;
    const stats = sender.stats();
    expect(quietBlocks).toBeLessThanOrEqual(stats.silencePackets + 1);
    expect(stats.silencePackets).toBeLessThanOrEqual(3); // a paced track is (almost) never late

    expect(stats).toMatchObject({ state: 'stopped', codec: 'opus/48000 mono', packetsSent: n, clockSlips: 0, sendErrors: 0, dtxPackets: 0 });
    expect(stats.framesPulled).toBeGreaterThanOrEqual(n - stats.silencePackets);
    expect(stats.bytesSent).toBe(packets.reduce((s, p) => s + p.payload.length, 0));
    // 32 kbit/s ± what FEC and the encoder's rate control do
    expect((stats.bytesSent * 8) / (n * 0.02)).toBeGreaterThan(20000);
    expect((stats.bytesSent * 8) / (n * 0.02)).toBeLessThan(45000);
    expect(stats.meanEncodeMicros).toBeGreaterThan(0);
    expect(stats.meanEncodeMicros).toBeLessThan(5000);
  });
});

/** A track whose frames come when the test pushes them (20 ms of a 1 kHz tone each, contiguous pts). */
class PushedTrack extends MediaStreamTrack {
  private readonly ready: AudioFrame[] = [];
  private waiting: ((frame: AudioFrame) => void) | undefined;
  private pts = 0;
  push(count: number): void {
    for (let i = 0; i < count; i++) {
      const data = new Int16Array(960);
      for (let j = 0; j < 960; j++) data[j] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * (this.pts + j)) / 48000));
      const frame = new AudioFrame({ data, sampleRate: 48000, channels: 1, pts: this.pts });
      this.pts += 960;
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(frame);
      else this.ready.push(frame);
    }
  }
  recv(): Promise<AudioFrame> {
    const frame = this.ready.shift();
    return frame ? Promise.resolve(frame) : new Promise((resolve) => (this.waiting = resolve));
  }
}

describe('AudioSender: live tracks catch up', () => {
  /** Feeds one frame per 20 ms, plus a burst of 3 extra frames after 200 ms; returns the sender's stats after `ms`. */
  async function burst(live: boolean, ms: number): Promise<ReturnType<AudioSender['stats']>> {
    const sink = new CollectingSink();
    const track = new PushedTrack();
    const sender = newSender({ sink, track, live });
    track.push(1);
    sender.start();
    const started = performance.now();
    let fed = 1;
    let burstDone = false;
    while (performance.now() - started < ms) {
      await sleep(5);
      const due = Math.floor((performance.now() - started) / 20) + 1;
      if (due > fed) {
        track.push(due - fed);
        fed = due;
      }
      if (!burstDone && fed >= 10) {
        track.push(3); // the burst: 60 ms of audio more than real time, on top of the real-time feed
        burstDone = true;
      }
    }
    const stats = sender.stats();
    sender.stop();
    track.stop();
    return stats;
  }

  /**
   * Pushes one frame at each time `at(k)` (performance.now(), ms) for k from
   * `from` to `to`; returns how many of them the sink had in the same turn
   * of the event loop (before a setImmediate), and when each was pushed (a
   * loaded machine pushes some later than asked).
   */
  async function pushAt(
    track: PushedTrack,
    sink: CollectingSink,
    from: number,
    to: number,
    at: (k: number) => number,
  ): Promise<{ sameTurn: number; pushed: number[] }> {
    let sameTurn = 0;
    const pushed: number[] = [];
    for (let k = from; k <= to; k++) {
      const wait = at(k) - performance.now();
      if (wait > 0) await delay(wait);
      const before = sink.packets.length;
      pushed.push(performance.now());
      track.push(1);
      await new Promise((resolve) => setImmediate(resolve));
      if (sink.packets.length > before) sameTurn++;
    }
    return { sameTurn, pushed };
  }

  /**
   * Feeds 20 frames, each 12 ms before the clock's next tick (8 ms after the
   * previous one); returns how many the sink had in the same turn of the
   * event loop (before a setImmediate), the packets, and a time at or just
   * before the clock's start.
   */
  async function sentOnArrival(live: boolean): Promise<{ sameTurn: number; packets: Sent[]; started: number }> {
    const sink = new CollectingSink();
    const track = new PushedTrack();
    const sender = newSender({ sink, track, live });
    track.push(1);
    const started = performance.now();
    sender.start();
    while (sink.packets.length === 0) await sleep(1);
    const t0 = sink.packets[0].at; // tick 0
    const { sameTurn } = await pushAt(track, sink, 1, 20, (k) => t0 + 20 * k - 12);
    await sleep(30);
    sender.stop();
    track.stop();
    return { sameTurn, packets: sink.packets, started };
  }

  test('live: audio is sent as it arrives, never more than one packet time ahead of the clock; not live: it waits for the clock', async () => {
    const live = await sentOnArrival(true);
    expect(live.sameTurn).toBeGreaterThanOrEqual(15);
    // packet i (tick i) goes at the earliest when tick i - 1 is due
    for (let i = 1; i < live.packets.length; i++) expect(live.packets[i].at).toBeGreaterThanOrEqual(live.started + 20 * (i - 1) - 1);
    // real audio, in order: the 1 kHz tone of the pushed frames
    expect(Math.abs(measureFrequency(decode(OPUS, live.packets).subarray(960), 48000) - 1000)).toBeLessThan(2);
    const paced = await sentOnArrival(false);
    expect(paced.sameTurn).toBeLessThanOrEqual(3);
  });

  /**
   * Counts the callbacks of global setTimeout timers that fire while `run`
   * runs (the sender's and its clock's; the test paces itself with
   * timers/promises, which does not go through the global).
   */
  async function firedTimers(run: () => Promise<void>): Promise<number> {
    const original = global.setTimeout;
    let fired = 0;
    global.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      original((...a: unknown[]) => {
        fired++;
        callback(...a);
      }, ms, ...args)) as typeof setTimeout;
    try {
      await run();
    } finally {
      global.setTimeout = original;
    }
    return fired;
  }

  test('live: audio up to one packet time late is sent on arrival, and no timer wakes the sender for it', async () => {
    const sink = new CollectingSink();
    const track = new PushedTrack();
    const sender = newSender({ sink, track, live: true });
    let sameTurn = 0;
    const fired = await firedTimers(async () => {
      track.push(1);
      sender.start();
      while (sink.packets.length === 0) await delay(1);
      const t0 = sink.packets[0].at; // tick 0
      ({ sameTurn } = await pushAt(track, sink, 1, 25, (k) => t0 + 20 * k + 7)); // 7 ms after tick k was due
    });
    const stats = sender.stats();
    sender.stop();
    track.stop();
    expect(sameTurn).toBeGreaterThanOrEqual(20);
    expect(stats.silencePackets).toBeLessThanOrEqual(2); // (a test process stalled past the grace)
    expect(stats.packetsSent).toBeGreaterThanOrEqual(25);
    // Before the arrival: a timer woke the sender at each tick (25), then the audio came.
    expect(fired).toBeLessThanOrEqual(5);
    expect(Math.abs(measureFrequency(decode(OPUS, sink.packets).subarray(960), 48000) - 1000)).toBeLessThan(2);
  });

  /**
   * Feeds 60 frames, one every `periodMs` (a far end whose clock runs slow or
   * fast); returns the stats, how many went out on arrival, the packets and
   * when each frame was pushed.
   */
  async function farEndClock(
    periodMs: number,
  ): Promise<{ stats: ReturnType<AudioSender['stats']>; sameTurn: number; packets: Sent[]; pushed: number[] }> {
    const sink = new CollectingSink();
    const track = new PushedTrack();
    const sender = newSender({ sink, track, live: true });
    sender.start(); // (tick 0: silence, or the first frame if it comes within the grace)
    const t0 = performance.now() + 5;
    const { sameTurn, pushed } = await pushAt(track, sink, 0, 59, (k) => t0 + periodMs * k);
    const stats = sender.stats();
    sender.stop();
    track.stop();
    return { stats, sameTurn, packets: sink.packets, pushed };
  }

  test('live: the clock follows a far end whose clock runs slow or fast: every frame goes out on arrival, no silence, no drop', async () => {
    for (const periodMs of [20.6, 19.4]) {
      // 60 frames drift 36 ms against a 20 ms clock: without following, more than a packet time
      const { stats, sameTurn, packets, pushed } = await farEndClock(periodMs);
      expect(stats.phaseShifts).toBeGreaterThanOrEqual(2);
      expect(stats.phaseShifts).toBeLessThanOrEqual(12);
      expect(stats.catchUpDrops).toBe(0);
      expect(stats.framesPulled).toBe(60);
      expect(sameTurn).toBeGreaterThanOrEqual(55);
      expect(stats.silencePackets).toBeLessThanOrEqual(2); // (tick 0 before the first frame, and a stalled test process)
      // the packet rate is the far end's: the 60 frames go out over the span in which they came
      // (59 periods, or more where the loaded machine pushed late), not over 59 ticks of 20 ms
      const last = packets.slice(-60);
      const span = last[59].at - last[0].at;
      expect(Math.abs(span - (pushed[59] - pushed[0]))).toBeLessThan(8);
      expect(Math.abs(measureFrequency(decode(OPUS, packets).subarray(960 * 2), 48000) - 1000)).toBeLessThan(2);
    }
  });

  test('live: a frame too early to go at once is sent when its tick is due, not a grace later', async () => {
    const sink = new CollectingSink();
    const track = new PushedTrack();
    const sender = newSender({ sink, track, live: true });
    track.push(1);
    sender.start();
    while (sink.packets.length === 0) await delay(1);
    const t0 = sink.packets[0].at;
    for (let k = 1; k <= 10; k++) {
      const wait = t0 + 20 * k - 6 - performance.now(); // a few ms before tick k: sent on arrival
      if (wait > 0) await delay(wait);
      track.push(k === 10 ? 3 : 1); // at 10: two frames more, at most one of them within a packet time of its tick
    }
    // Timers of our own, due with ticks 11 and 12 (a hair after them: t0 is when tick 0's packet was
    // sent): they fire as late as the machine makes the sender's own timers.
    const probes = [11, 12].map((k) => new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), t0 + 20 * k - performance.now())));
    const due = await Promise.all(probes);
    await delay(30);
    sender.stop();
    track.stop();
    expect(sender.stats()).toMatchObject({ catchUpDrops: 0, silencePackets: 0, phaseShifts: 0 });
    const first = sink.packets[10]; // tick 10's packet, sent on arrival
    const later = sink.packets.slice(11, 13); // the two frames more: each goes when its tick is due, never a grace later
    expect(later).toHaveLength(2);
    later.forEach((p, i) => expect(p.at - due[i]).toBeLessThan(5)); // a grace later would be 20 ms later
    expect(later[1].at - first.at).toBeGreaterThan(20); // the second waited for its tick
  });

  test('live: a standing backlog after a burst is dropped within about a second; not live: every frame is kept', async () => {
    const live = await burst(true, 1600);
    expect(live.catchUpDrops).toBeGreaterThanOrEqual(2); // (the read-ahead holds 3: 2 beyond the packet being sent)
    expect(live.catchUpDrops).toBeLessThanOrEqual(4);
    expect(live.bufferedPackets).toBeLessThanOrEqual(1);
    const kept = await burst(false, 1600);
    expect(kept.catchUpDrops).toBe(0);
    expect(kept.bufferedPackets).toBeGreaterThanOrEqual(2); // the burst is still waiting: 40+ ms of lasting delay
    expect(() => new AudioSender({ codec: OPUS, sink: new CollectingSink(), live: 'yes' as unknown as boolean })).toThrow(/AudioSender: options\.live must be a boolean/);
  });
});

describe('AudioSender: pacing whatever the track does', () => {
  test('an unpaced track is still sent in real time, and at most 3 packets are read ahead', async () => {
    const sink = new CollectingSink();
    const track = new UnpacedToneTrack(440);
    const sender = newSender({ sink, track });
    sender.start();
    await sleep(500);
    const half = sink.packets.length;
    await sleep(500);
    const atOneSecond = sink.packets.length;
    const calls = track.calls;
    const stats = sender.stats();
    sender.stop();

    // ≈ 50 packets per second, not thousands
    expect(atOneSecond).toBeGreaterThanOrEqual(45);
    expect(atOneSecond).toBeLessThanOrEqual(53);
    expect(atOneSecond - half).toBeGreaterThanOrEqual(21);
    expect(atOneSecond - half).toBeLessThanOrEqual(28);
    expectPaced(sink.packets);
    // the read-ahead is bounded: the track was asked for at most 3 frames (+ the read in flight) beyond what was sent
    expect(stats.maxBufferedPackets).toBeLessThanOrEqual(3);
    expect(stats.bufferedPackets).toBeLessThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(atOneSecond + 4);
    expect(stats.framesPulled).toBeGreaterThanOrEqual(atOneSecond);
    expect(stats.earlyFrames).toBeGreaterThan(atOneSecond / 2);
    expect(stats.silencePackets).toBe(0);
    expect(stats.lateTicks).toBe(0);

    // every frame sent in order: a continuous 440 Hz tone
    expectContiguous(sink.packets, 960, OPUS.payloadType);
    const pcm = decode(OPUS, sink.packets).subarray(960 * 3);
    expect(Math.abs(measureFrequency(pcm, 48000) - 440)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(pcm, 48000, 440) - TONE_DB)).toBeLessThan(1);
  });

  test('a track that stalls for 200 ms yields silence in that window, timestamps keep advancing, no burst afterwards', async () => {
    const sink = new CollectingSink();
    // frames 25..34 (500 to 700 ms) never come
    const track = new StallingToneTrack(1000, 25, 35);
    const sender = newSender({ sink, track });
    await runFor(sender, 1200);
    track.stop();
    const packets = sink.packets;
    const stats = sender.stats();

    expect(packets.length).toBeGreaterThanOrEqual(55);
    expect(packets.length).toBeLessThanOrEqual(62);
    expectContiguous(packets, 960, OPUS.payloadType); // no pause in the numbering, no jump
    // real time throughout: no stall during the hole, no burst after it (a silence
    // packet leaves up to 10 ms after its tick: the grace a late frame gets)
    expectPaced(packets, 20, 16);
    // the hole became about 10 packets of silence; nothing piled up behind it
    expect(stats.silencePackets).toBeGreaterThanOrEqual(8);
    expect(stats.silencePackets).toBeLessThanOrEqual(13);
    expect(stats.lateTicks).toBe(stats.silencePackets);
    expect(stats.maxBufferedPackets).toBeLessThanOrEqual(3); // the read-ahead bound: nothing piles up behind the hole

    // decoded: tone before and after, silence in the window (packets ≈ 26 to 34)
    const pcm = decode(OPUS, packets);
    const block = (from: number, to: number): Int16Array => pcm.subarray(from * 960, to * 960);
    expect(rmsDb(block(28, 33))).toBeLessThan(-50);
    expect(Math.abs(toneLevelDb(block(5, 22), 48000, 1000) - TONE_DB)).toBeLessThan(1);
    expect(Math.abs(toneLevelDb(block(40, 55), 48000, 1000) - TONE_DB)).toBeLessThan(1);
  });

  test('a track that ends stops the sender: what was read is sent, then done() resolves, no timer is left', async () => {
    const sink = new CollectingSink();
    const track = new UnpacedToneTrack(600, 10);
    await sleep(50); // let the earlier tests' tracks finish their timers
    const timersBefore = activeTimeouts();
    const sender = newSender({ sink, track });
    let ended = 0;
    const stopped: string[] = [];
    sender.on('ended', () => ended++);
    sender.on('stopped', (reason: string) => stopped.push(reason));
    sender.start();
    const reason = await sender.done();
    expect(activeTimeouts()).toBe(timersBefore);
    expect(reason).toBe('ended');
    expect(ended).toBe(1);
    expect(stopped).toEqual(['ended']);
    expect(sender.state).toBe('stopped');
    // all 10 frames went out, in real time (≈ 180 ms from the first to the last), and nothing else
    expect(sink.packets).toHaveLength(10);
    expectContiguous(sink.packets, 960, OPUS.payloadType);
    expect(sink.packets[9].at - sink.packets[0].at).toBeGreaterThan(150);
    expect(sender.stats()).toMatchObject({ framesPulled: 10, packetsSent: 10, silencePackets: 0, trackId: null });
    const pcm = decode(OPUS, sink.packets).subarray(960 * 2);
    expect(Math.abs(measureFrequency(pcm, 48000) - 600)).toBeLessThan(2);
    // a stopped sender stays stopped
    expect(() => sender.start()).toThrow(/AudioSender.start: the sender is closed/);
    sender.stop(); // idempotent
    expect(stopped).toEqual(['ended']);
  });

  test('an AudioSource that ends after its audio stops the sender once the audio is out', async () => {
    const sink = new CollectingSink();
    const source = new AudioSource({ sampleRate: 24000 });
    const sender = newSender({ sink, track: source.track });
    sender.start();
    void source.push(toneFrame(0, 500, 0.5, 24000, 24000 * 0.3)); // 300 ms of TTS-like audio at 24 kHz
    void source.end();
    expect(await sender.done()).toBe('ended');
    // 300 ms of audio (+ at most a packet of converter tail), then the sender stopped by itself
    expect(sink.packets.length).toBeGreaterThanOrEqual(15);
    expect(sink.packets.length).toBeLessThanOrEqual(18);
    const pcm = decode(OPUS, sink.packets).subarray(960 * 2, 960 * 14);
    expect(Math.abs(measureFrequency(pcm, 48000) - 500)).toBeLessThan(2);
  });

  test('stop() clears every timer at once, gives the track back and resolves done() with "stopped"', async () => {
    const sink = new CollectingSink();
    const track = new NeverTrack();
    await sleep(50);
    const timersBefore = activeTimeouts();
    const sender = newSender({ sink, track });
    sender.start();
    await sleep(200);
    // a track that never answers: silence in real time, counted as late
    expect(sink.packets.length).toBeGreaterThanOrEqual(8);
    expect(sender.stats().lateTicks).toBe(sink.packets.length);
    expect(sender.stats().silencePackets).toBe(sink.packets.length);
    // (other timers of the process may end meanwhile: compare across stop(), which no timer can interleave with)
    const running = activeTimeouts();
    sender.stop();
    expect(activeTimeouts()).toBeLessThan(running); // the clock's timer, gone at once
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore);
    expect(await sender.done()).toBe('stopped');
    const count = sink.packets.length;
    await sleep(60);
    expect(sink.packets.length).toBe(count);
    expect(track.readyState).toBe('live'); // not stopped: given back
  });

  test('an event loop blocked for 400 ms: the clock slips, the timestamps skip the lost time, the next packet is marked', async () => {
    const sink = new CollectingSink();
    const sender = newSender({ sink, track: new AudioStreamTrack({ tone: { frequency: 1000 } }) });
    sender.start();
    await sleep(200);
    const blockedFrom = performance.now();
    while (performance.now() - blockedFrom < 400) {
      // busy: nothing else runs
    }
    await sleep(200);
    sender.stop();
    sender.track?.stop();
    const stats = sender.stats();
    expect(stats.clockSlips).toBe(1);
    const packets = sink.packets;
    const jumps = packets.map((p, i) => (i === 0 ? 960 : (p.timestamp - packets[i - 1].timestamp + 2 ** 32) % 2 ** 32));
    const big = jumps.findIndex((j) => j > 960);
    expect(big).toBeGreaterThan(0);
    expect(packets[big].marker).toBe(true);
    // the jump matches the blocked time (400 ms ≈ 20 packets; the clock catches up on up to 200 ms of it first)
    const skippedMs = (jumps[big] - 960) / 48;
    expect(skippedMs).toBeGreaterThan(150);
    expect(skippedMs).toBeLessThan(450);
    // sequence numbers stay contiguous
    for (let i = 1; i < packets.length; i++) expect(packets[i].sequenceNumber).toBe((packets[i - 1].sequenceNumber + 1) & 0xffff);
    // RTP time matches real time from the first packet to the last (within a packet or two)
    const rtpMs = ((packets[packets.length - 1].timestamp - packets[0].timestamp + 2 ** 32) % 2 ** 32) / 48;
    expect(Math.abs(rtpMs - (packets[packets.length - 1].at - packets[0].at))).toBeLessThan(45);
  });
});

describe('AudioSender: tracks', () => {
  test('replaceTrack switches the tone mid-stream, then null sends silence; the old track is given back', async () => {
    const sink = new CollectingSink();
    const low = new AudioStreamTrack({ tone: { frequency: 440 } });
    const high = new AudioStreamTrack({ tone: { frequency: 800 } });
    const sender = newSender({ sink, track: low });
    sender.start();
    await sleep(600);
    const switchedAt = sink.packets.length;
    sender.replaceTrack(high);
    expect(sender.track).toBe(high);
    // the previous track can be read again (it is not stopped, and no longer owned)
    expect((await low.recv()).samplesPerChannel).toBe(960);
    await sleep(600);
    const nulledAt = sink.packets.length;
    sender.replaceTrack(null);
    expect(sender.stats().trackId).toBeNull();
    await sleep(300);
    sender.stop();
    low.stop();
    high.stop();

    expectContiguous(sink.packets, 960, OPUS.payloadType); // one stream throughout
    const pcm = decode(OPUS, sink.packets);
    const part = (from: number, to: number): Int16Array => pcm.subarray(from * 960, to * 960);
    expect(Math.abs(measureFrequency(part(3, switchedAt - 1), 48000) - 440)).toBeLessThan(2);
    expect(Math.abs(measureFrequency(part(switchedAt + 3, nulledAt - 1), 48000) - 800)).toBeLessThan(2);
    expect(toneLevelDb(part(switchedAt + 3, nulledAt - 1), 48000, 440)).toBeLessThan(TONE_DB - 30); // the old tone is gone
    expect(rmsDb(part(nulledAt + 3, sink.packets.length))).toBeLessThan(-60);
    const stats = sender.stats();
    expect(stats.lateTicks).toBeLessThanOrEqual(4); // silence after replaceTrack(null) is not "late"
    expect(stats.silencePackets).toBeGreaterThanOrEqual(sink.packets.length - nulledAt - 1);
  });

  test('the sent track is owned: reading it elsewhere throws, a relay subscription can be sent instead', async () => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ tone: { frequency: 300 } });
    const sender = newSender({ sink, track });
    expectMediaStreamError(await rejection(track.recv()), 'ERR_VOXRTC_TRACK_OWNED');
    // a second sender cannot take it either
    expect(() => new AudioSender({ codec: OPUS, sink, track })).toThrow(/is already read by an AudioSender; sending it too would steal its frames/);
    // a track a relay owns: send a subscription
    const relay = new MediaRelay({ stopSourceWhenIdle: true });
    const source = new AudioStreamTrack({ tone: { frequency: 700 } });
    const subscription = relay.subscribe(source);
    let error: unknown;
    try {
      new AudioSender({ codec: OPUS, sink, track: source });
    } catch (e) {
      error = e;
    }
    expect(expectMediaStreamError(error, 'ERR_VOXRTC_TRACK_OWNED').message).toMatch(/Send relay.subscribe\(track\) instead/);
    const relayed = newSender({ sink: new CollectingSink(), track: subscription });
    relayed.start();
    await sleep(200);
    relayed.stop();
    expect(relayed.stats().framesPulled).toBeGreaterThanOrEqual(5);
    subscription.stop();
    expect(source.readyState).toBe('ended');
    // stopping the sender gives the track back
    sender.stop();
    expect((await track.recv()).samplesPerChannel).toBe(960);
    track.stop();
    // an ended track cannot be sent
    expect(() => new AudioSender({ codec: OPUS, sink, track })).toThrow(MediaStreamError);
    expect(() => new AudioSender({ codec: OPUS, sink, track })).toThrow(/has ended; send a live track/);
  });

  test('a track whose recv() fails: an error event, then the sender stops with "error"', async () => {
    class Broken extends MediaStreamTrack {
      n = 0;
      async recv(): Promise<AudioFrame> {
        if (++this.n > 3) throw new Error('decoder exploded');
        return toneFrame(960 * (this.n - 1), 440);
      }
    }
    const sink = new CollectingSink();
    const sender = new AudioSender({ codec: OPUS, sink, track: new Broken() });
    const errors: Error[] = [];
    sender.on('error', (e: Error) => errors.push(e));
    sender.start();
    expect(await sender.done()).toBe('error');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/AudioSender\(opus\/48000 mono\): Broken track .* failed: decoder exploded; the sender stops/);
    expect(sink.packets).toHaveLength(3); // what was read is still sent
  });
});

describe('AudioSender: codecs and formats', () => {
  test.each([
    ['PCMU', PCMU],
    ['PCMA', PCMA],
  ] as const)('%s: 8 kHz, 160-sample packets, the tone preserved', async (_name, codec) => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.5 } }); // 48 kHz in
    const sender = newSender({ codec, sink, track });
    expect(sender.opusSettings).toBeUndefined();
    expect(sender.samplesPerPacket).toBe(160);
    await runFor(sender, 700);
    track.stop();
    expect(sink.packets.length).toBeGreaterThanOrEqual(30);
    expectContiguous(sink.packets, 160, codec.payloadType);
    for (const p of sink.packets) expect(p.payload.length).toBe(160);
    const pcm = decode(codec, sink.packets).subarray(160 * 2);
    expect(Math.abs(measureFrequency(pcm, 8000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(pcm, 8000, 1000) - TONE_DB)).toBeLessThan(1);
    expect(sender.stats().codec).toBe(`${codec.name}/8000`);
  });

  test('16 kHz stereo f32 input is encoded at 16 kHz, not resampled, as mono Opus (and stereo when the receiver asks with stereo=1)', async () => {
    for (const stereo of [false, true]) {
      const sink = new CollectingSink();
      const track = new AudioStreamTrack({ sampleRate: 16000, channels: 2, format: 'f32', tone: { frequency: 1000, amplitude: 0.5 } });
      const codec: AudioCodec = stereo ? { ...OPUS, parameters: { ...OPUS.parameters, stereo: '1' } } : OPUS;
      const sender = newSender({ codec, sink, track });
      expect(sender.opusSettings?.channels).toBe(stereo ? 2 : 1);
      await runFor(sender, 700);
      track.stop();
      expectContiguous(sink.packets, 960, OPUS.payloadType);
      const channels = stereo ? 2 : 1;
      const pcm = decode(OPUS, sink.packets, channels).subarray(960 * 3 * channels);
      for (let c = 0; c < channels; c++) {
        const one = channels === 1 ? pcm : channel(pcm, c, 2);
        expect(Math.abs(measureFrequency(one, 48000) - 1000)).toBeLessThan(2);
        expect(Math.abs(toneLevelDb(one, 48000, 1000) - TONE_DB)).toBeLessThan(1);
      }
      // the Opus packets themselves say mono or stereo (TOC bit s), and wideband at most: the encoder took 16 kHz audio
      expect(sink.packets.every((p) => ((p.payload[0] >> 2) & 1) === (stereo ? 1 : 0))).toBe(true);
      expect(sender.stats().encodeSampleRate).toBe(16000);
      expect(sink.packets.every((p) => opusBandwidthHz(p.payload) <= 8000)).toBe(true);
    }
  });

  test('the encoder follows the track: 48 kHz audio is coded fullband, a 16 kHz track that replaces it wideband, each tone intact', async () => {
    const sink = new CollectingSink();
    const full = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.5 } });
    const voice = new AudioStreamTrack({ sampleRate: 16000, tone: { frequency: 600, amplitude: 0.5 } });
    const sender = newSender({ sink, track: full });
    try {
      sender.start();
      await sleep(600);
      expect(sender.stats().encodeSampleRate).toBe(48000);
      const first = sink.packets.length;
      sender.replaceTrack(voice);
      await sleep(700);
      expect(sender.stats().encodeSampleRate).toBe(16000);
      const before = sink.packets.slice(5, first);
      const after = sink.packets.slice(first + 5);
      expect(before.every((p) => opusBandwidthHz(p.payload) === 20000)).toBe(true);
      expect(after.every((p) => opusBandwidthHz(p.payload) <= 8000)).toBe(true);
      expectContiguous(sink.packets, 960, OPUS.payloadType); // one stream: numbering goes on across the switch
      expect(Math.abs(measureFrequency(decode(OPUS, before), 48000) - 1000)).toBeLessThan(2);
      expect(Math.abs(measureFrequency(decode(OPUS, after), 48000) - 600)).toBeLessThan(2);
      expect(Math.abs(toneLevelDb(decode(OPUS, after), 48000, 600) - TONE_DB)).toBeLessThan(1);
    } finally {
      sender.stop();
      full.stop();
      voice.stop();
    }
  });

  test('44.1 kHz frames of 10 ms (shorter than a packet) are gathered into 20 ms packets without gaps', async () => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ sampleRate: 44100, frameMs: 10, tone: { frequency: 1000, amplitude: 0.5 } });
    const sender = newSender({ sink, track });
    await runFor(sender, 1000);
    track.stop();
    const stats = sender.stats();
    expectContiguous(sink.packets, 960, OPUS.payloadType);
    expectPaced(sink.packets);
    expect(stats.framesPulled).toBeGreaterThanOrEqual(2 * (sink.packets.length - stats.silencePackets) - 2);
    // at most the start (the first packet needs two frames) and a rare late timer are silence
    expect(stats.silencePackets).toBeLessThanOrEqual(3);
    const pcm = decode(OPUS, sink.packets).subarray(960 * (stats.silencePackets + 3));
    expect(Math.abs(measureFrequency(pcm, 48000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(pcm, 48000, 1000) - TONE_DB)).toBeLessThan(1);
    expect(stats.encodeSampleRate).toBe(48000); // (not an Opus rate: converted to 48 kHz)
  });

  test('sequence numbers wrap at 2^16 and timestamps at 2^32 (initial values injected for the test)', async () => {
    const sink = new CollectingSink();
    const track = new UnpacedToneTrack(440, 12);
    const sender = newSender({ sink, track, initialSequenceNumber: 65530, initialTimestamp: 2 ** 32 - 960 * 3 });
    sender.start();
    await sender.done();
    const seq = sink.packets.map((p) => p.sequenceNumber);
    const ts = sink.packets.map((p) => p.timestamp);
    expect(seq).toEqual([65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5]);
    expect(ts.slice(0, 5)).toEqual([2 ** 32 - 2880, 2 ** 32 - 1920, 2 ** 32 - 960, 0, 960]);
    expectContiguous(sink.packets, 960, OPUS.payloadType);
  });

  test('random initial sequence numbers (below 2^15) and timestamps', async () => {
    const made = Array.from({ length: 8 }, () => new RtpPacketizer({ payloadType: 0 }));
    for (const p of made) expect(p.nextSequenceNumber).toBeLessThan(2 ** 15);
    expect(new Set(made.map((p) => p.nextTimestamp)).size).toBeGreaterThan(1);
    expect(new Set(made.map((p) => p.nextSequenceNumber)).size).toBeGreaterThan(1);
    // and a sender starts where its packetizer does, with the marker bit
    const sink = new CollectingSink();
    const sender = new AudioSender({ codec: PCMU, sink });
    sender.start();
    await sleep(30);
    sender.stop();
    expect(sink.packets[0].sequenceNumber).toBeLessThan(2 ** 15);
    expect(sink.packets[0].marker).toBe(true);
    expectContiguous(sink.packets, 160, 0);
  });

  test('Opus DTX: no packets during silence, the timestamp keeps advancing, the next talkspurt is marked', async () => {
    const sink = new CollectingSink();
    const tone = new UnpacedToneTrack(1000);
    const sender = newSender({ sink, track: tone, opus: { dtx: true } });
    sender.start();
    await sleep(300);
    sender.replaceTrack(null);
    await sleep(800);
    sender.replaceTrack(new UnpacedToneTrack(1000));
    await sleep(300);
    sender.stop();
    const stats = sender.stats();
    const packets = sink.packets;
    expect(stats.dtxPackets).toBeGreaterThan(20);
    expect(packets.length + stats.dtxPackets).toBeGreaterThanOrEqual(65);
    // sequence numbers contiguous; timestamps jump over the DTX time, and the packet after a jump is marked
    let jumps = 0;
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i].sequenceNumber).toBe((packets[i - 1].sequenceNumber + 1) & 0xffff);
      const step = (packets[i].timestamp - packets[i - 1].timestamp + 2 ** 32) % 2 ** 32;
      expect(step % 960).toBe(0);
      if (step > 960) {
        jumps++;
        expect(packets[i].marker).toBe(true);
        // the jump is the time that passed, in real time
        expect(Math.abs(step / 48 - (packets[i].at - packets[i - 1].at))).toBeLessThan(25);
      } else {
        expect(packets[i].marker).toBe(false);
      }
    }
    expect(jumps).toBeGreaterThanOrEqual(1);
    // RTP time = real time over the whole stream
    const last = packets[packets.length - 1];
    expect(Math.abs(((last.timestamp - packets[0].timestamp + 2 ** 32) % 2 ** 32) / 48 - (last.at - packets[0].at))).toBeLessThan(25);
  });

  test('the receiver’s fmtp parameters steer the Opus settings; explicit options win', () => {
    const sink = new CollectingSink();
    const codec: AudioCodec = { ...OPUS, parameters: { useinbandfec: '0', stereo: '1', usedtx: '1', maxaveragebitrate: '20000' } };
    expect(new AudioSender({ codec, sink }).opusSettings).toEqual({ application: 'audio', channels: 2, bitrate: 20000, complexity: 5, fec: false, packetLossPercent: 0, adaptiveLoss: true, dtx: true });
    expect(new AudioSender({ codec, sink, opus: { application: 'voip', fec: true, dtx: false, bitrate: 'auto', complexity: 9, packetLossPercent: 5 } }).opusSettings).toEqual({
      application: 'voip',
      channels: 2,
      bitrate: 20000, // still capped
      complexity: 9,
      fec: true,
      packetLossPercent: 5,
      adaptiveLoss: false,
      dtx: false,
    });
  });

  test("packetLossPercent 'auto' (default): no FEC data on a clean network; reported loss turns FEC on at once, clean reports turn it off gradually; CELT without FEC, SILK/hybrid with it", async () => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.5 } }); // (a signal SILK codes FEC data for in every packet)
    const sender = newSender({ sink, track });
    const withFec = (packets: readonly Sent[]): number => packets.filter((p) => opusHasFec(p.payload)).length;
    sender.start();
    await sleep(600);
    const clean = sink.packets.splice(0);
    expect(clean.length).toBeGreaterThan(15);
    expect(withFec(clean)).toBe(0);
    expect(modes(clean)).toEqual({ celt: clean.length }); // application 'audio' on a clean network
    expect(sender.opusSettings?.packetLossPercent).toBe(0);

    expect(sender.reportLoss(0.12)).toBe(10); // 12% reported: the 10% step at once
    await sleep(20); // (packets already encoded before the report)
    sink.packets.splice(0);
    await sleep(600);
    const lossy = sink.packets.splice(0);
    expect(lossy.length).toBeGreaterThan(15);
    expect(withFec(lossy)).toBeGreaterThanOrEqual(lossy.length - 1);
    expect(modes(lossy).celt ?? 0).toBeLessThanOrEqual(1); // FEC lives in SILK: told 'voice', libopus codes hybrid
    expect(sender.opusSettings?.packetLossPercent).toBe(10);
    expect(sender.reportLoss(0.02)).toBe(5); // smoothed 9.5%: the 5% step

    const steps: number[] = [];
    for (let i = 0; i < 12; i++) steps.push(sender.reportLoss(0));
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeLessThanOrEqual(steps[i - 1]);
    expect(steps[0]).toBeGreaterThan(0); // gradual: one clean report is not enough
    expect(steps[steps.length - 1]).toBe(0);
    await sleep(80);
    sink.packets.splice(0);
    await sleep(400);
    const cleanAgain = sink.packets.splice(0);
    expect(cleanAgain.length).toBeGreaterThan(10);
    expect(withFec(cleanAgain)).toBe(0);
    expect(modes(cleanAgain)).toEqual({ celt: cleanAgain.length });
    sender.stop();
    track.stop();
  });

  test("application 'voip' codes with SILK/hybrid on a clean network too; a bad application is refused", async () => {
    const sink = new CollectingSink();
    const track = new AudioStreamTrack({ tone: { frequency: 1000, amplitude: 0.5 } });
    const sender = newSender({ sink, track, opus: { application: 'voip' } });
    sender.start();
    await sleep(500);
    sender.stop();
    track.stop();
    expect(sink.packets.length).toBeGreaterThan(15);
    expect(modes(sink.packets)).toEqual({ hybrid: sink.packets.length });
    expect(() => new AudioSender({ codec: OPUS, sink, opus: { application: 'music' as 'audio' } })).toThrow(
      'AudioSender: options.opus.application must be one of \'audio\' or \'voip\'; got "music"',
    );
  });

  test('an explicit packetLossPercent stays as given whatever the receiver reports; reportLoss checks its argument', () => {
    const sink = new CollectingSink();
    const fixed = new AudioSender({ codec: OPUS, sink, opus: { packetLossPercent: 5 } });
    expect(fixed.reportLoss(0.3)).toBe(5);
    expect(fixed.opusSettings).toMatchObject({ packetLossPercent: 5, adaptiveLoss: false });
    for (const bad of [-0.1, 1.5, Number.NaN, '0.1']) {
      expect(() => fixed.reportLoss(bad as number)).toThrow(/AudioSender\.reportLoss: fraction must be a number from 0 to 1/);
    }
    expect(() => new AudioSender({ codec: OPUS, sink, opus: { packetLossPercent: 'high' as 'auto' } })).toThrow(
      /options\.opus\.packetLossPercent must be an integer from 0 to 100, or 'auto'/,
    );
    const g711 = new AudioSender({ codec: PCMU, sink });
    expect(g711.reportLoss(0.5)).toBe(0);
    fixed.stop();
    g711.stop();
  });
});

describe('AudioSender: errors and the sink', () => {
  test('bad options are refused with messages that name them', () => {
    const sink = new CollectingSink();
    expect(() => new AudioSender(undefined as unknown as AudioSenderOptions)).toThrow('AudioSender: options must be an object with codec and sink; got undefined');
    expect(() => new AudioSender({ codec: OPUS } as AudioSenderOptions)).toThrow('AudioSender: options.sink must be an object with a send(packet) method; got undefined');
    expect(() => new AudioSender({ codec: { ...OPUS, clockRate: 16000 }, sink })).toThrow(/options.codec.clockRate must be 48000 for Opus/);
    expect(() => new AudioSender({ codec: { ...OPUS, name: 'G722' as 'opus' }, sink })).toThrow(/options.codec.name must be one of/);
    expect(() => new AudioSender({ codec: OPUS, sink, ptimeMs: 30 })).toThrow("AudioSender: options.ptimeMs must be one of 10, 20, 40 or 60; got 30");
    expect(() => new AudioSender({ codec: OPUS, sink, readAhead: 0 })).toThrow('AudioSender: options.readAhead must be an integer from 1 to 50; got 0');
    expect(() => new AudioSender({ codec: OPUS, sink, opus: { complexity: 11 } })).toThrow('AudioSender: options.opus.complexity must be an integer from 0 to 10; got 11');
    expect(() => new AudioSender({ codec: PCMU, sink, opus: { complexty: 3 } as never })).toThrow(/options.opus.complexty is not an option/);
    expect(() => new AudioSender({ codec: OPUS, sink, track: {} as MediaStreamTrack })).toThrow('AudioSender: options.track must be a voxrtc MediaStreamTrack or null; got an object');
    expect(() => new AudioSender({ codec: OPUS, sink }).replaceTrack('mic' as never)).toThrow('AudioSender.replaceTrack: track must be a voxrtc MediaStreamTrack or null; got "mic"');
    expect(() => new AudioSender({ codec: OPUS, sink, initialSequenceNumber: 65536 })).toThrow(/options.initialSequenceNumber must be an integer from 0 to 65535/);
    expect(() => new AudioSender({ codec: OPUS, sink, speed: 2 } as never)).toThrow(/options.speed is not an option/);
    // a failed construction leaves the track free
    const track = new AudioStreamTrack();
    expect(() => new AudioSender({ codec: OPUS, sink, track, opus: { bitrate: 100 } })).toThrow('AudioSender: options.opus.bitrate must be an integer from 500 to 512000; got 100');
    expect(() => new AudioSender({ codec: OPUS, sink, track, opus: { bitrate: '32k' as never } })).toThrow(/options.opus.bitrate must be a number of bits per second, 'auto' or 'max'; got "32k"/);
    const free = new AudioSender({ codec: PCMU, sink, track }); // would throw if the failures above had kept it
    free.stop();
    track.stop();
    const stopped = new AudioSender({ codec: OPUS, sink });
    stopped.stop();
    expect(() => stopped.replaceTrack(null)).toThrow('AudioSender.replaceTrack: the sender is closed; create a new one');
  });

  test('a sink that throws: one error event, failures counted, sending goes on; ptime 10 and 60 ms', async () => {
    let calls = 0;
    const sender = new AudioSender({
      codec: PCMA,
      ptimeMs: 10,
      sink: {
        send() {
          calls++;
          if (calls % 2 === 0) throw new Error('socket closed');
        },
      },
    });
    const errors: Error[] = [];
    sender.on('error', (e: Error) => errors.push(e));
    await runFor(sender, 300);
    expect(calls).toBeGreaterThanOrEqual(25); // 10 ms packets
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/the sink failed to send a packet: socket closed/);
    expect(sender.stats().sendErrors).toBe(Math.floor(calls / 2));
    expect(sender.stats().packetsSent).toBe(calls - Math.floor(calls / 2));

    const sink = new CollectingSink();
    const slow = newSender({ sink, ptimeMs: 60, track: new UnpacedToneTrack(440, 9) });
    slow.start();
    await slow.done();
    expect(sink.packets).toHaveLength(3);
    expectContiguous(sink.packets, 2880, OPUS.payloadType);
    expect(sink.packets[2].at - sink.packets[0].at).toBeGreaterThan(100);
  });
});
