/**
 * A packet-driven jitter buffer for one incoming audio stream: it puts RTP
 * packets back in order, drops duplicates and late packets, and declares
 * missing packets lost after an adaptive wait. It owns no timer and reads no
 * clock: time comes in with the packets (`arrivalMs`) and with {@link JitterBuffer.poll}.
 * @packageDocumentation
 */
import createDebug from 'debug';
import type { ReceivedRtpPacket } from './rtp-packet';
import { Unwrapper } from './sequence';
import { checkInteger, checkOptions, describe, invalidRange, invalidType } from '../core/validate';

const log = createDebug('voxrtc:rtc:jitter');

/**
 * What the buffer hands on, in RTP timestamp order. Timestamps and sequence
 * numbers are the wrapping RTP values; `samples` are RTP clock units.
 */
export type JitterEvent =
  /** The next packet of the stream, to be decoded. */
  | { kind: 'packet'; packet: ReceivedRtpPacket }
  /**
   * A packet that never came (or came too late). `nextPacket` is the packet
   * right after it when that one is already here — Opus FEC rebuilds the
   * lost packet from it — and is only set on the last loss before it.
   */
  | { kind: 'lost'; sequenceNumber: number; timestamp: number; samples: number; nextPacket?: ReceivedRtpPacket }
  /** A timestamp gap between consecutive packets (DTX, or a sender that paused): `samples` of silence. */
  | { kind: 'silence'; timestamp: number; samples: number }
  /**
   * A new timeline starts with the next packet: the SSRC changed, or the
   * sequence number or timestamp jumped too far to be one stream. Decoders
   * should reset; no loss or silence is reported for the jump.
   */
  | { kind: 'reset'; reason: 'ssrc' | 'jump'; ssrc: number };

/** Options for {@link JitterBuffer}. */
export interface JitterBufferOptions {
  /** The RTP clock rate in Hz (48000 for Opus, 8000 for G.711). Required. */
  clockRate: number;
  /** Most packets held waiting for a missing one (1 to 1000). Default 64. */
  maxPackets?: number;
  /** Shortest wait for a missing packet, in ms (0 to 1000). Default 0. */
  minDelayMs?: number;
  /** Longest wait for a missing packet, in ms (0 to 1000). Default 200. */
  maxDelayMs?: number;
  /**
   * A packet's duration in RTP clock units (0 for a packet with no audio, such
   * as DTMF). Default: 20 ms for every packet.
   */
  packetSamples?: (packet: ReceivedRtpPacket) => number | undefined;
}

/** Counters and estimates of a {@link JitterBuffer}. */
export interface JitterBufferStats {
  /** Packets pushed. */
  received: number;
  /** Packets dropped because the same sequence number was already held or played. */
  duplicates: number;
  /** Packets dropped because their slot had been declared lost (or was long past). */
  late: number;
  /** Packets that arrived out of order but in time. */
  reordered: number;
  /** Packets declared lost. */
  lost: number;
  /** Silence events (timestamp gaps between consecutive packets). */
  silences: number;
  /** New timelines (SSRC changes and jumps). */
  resets: number;
  /** Times the buffer was full and declared its oldest gap lost early to make room. */
  overflows: number;
  /** Packets held now (waiting behind a gap). */
  buffered: number;
  /** How long a gap is waited for now, in ms (see {@link JitterBuffer.targetDelayMs}). */
  targetDelayMs: number;
  /** RFC 3550 interarrival jitter, in ms. */
  jitterMs: number;
  /** The decaying reordering-depth estimate, in ms. */
  reorderMs: number;
}

interface Held {
  packet: ReceivedRtpPacket;
  seq: number; // extended
  ts: number; // extended
}

const HISTORY = 1024; // slots remembered behind the play point (duplicate vs late)
const PLAYED = 1;
const LOST = 2;
const MAX_SEQ_JUMP = 1000; // a forward jump beyond this many packets is a new timeline
const MAX_TS_JUMP_S = 60; // a timestamp step beyond this is a new timeline
const MAX_TS_BACK_S = 1; // a timestamp going back further than this (with the sequence going on) is too
const STALE_RUN = 8; // this many consecutive packets from far behind: the sender restarted its numbering
const RETIRED_MS = 2000; // packets of a previous SSRC are stragglers for this long
const REORDER_DECAY = 0.99; // per packet: a half-life of 69 packets (1.4 s at 20 ms)

/**
 * Reorders one RTP audio stream with as little delay as possible.
 *
 * **Rule.** A packet that continues the stream (the next sequence number) is
 * handed on at once — on a clean network the buffer adds no delay. A packet
 * beyond a gap is held; the gap is waited for until `targetDelayMs` after
 * the first packet behind it arrived, then declared lost, and the held
 * packets follow at once. A gap is declared lost without waiting when it is
 * longer than `maxDelayMs` of audio (an outage, not reordering) or when the
 * buffer holds `maxPackets` packets.
 *
 * **Adaptive wait.** `targetDelayMs = clamp(max(3 × J, 1.25 × R), minDelayMs, maxDelayMs)`
 * where J is the RFC 3550 interarrival jitter (§6.4.1: J += (|D| − J)/16) and
 * R the reordering depth: the longest time, since its gap was seen, that a
 * reordered or late packet took to arrive (capped at `maxDelayMs`), decaying
 * by 1 % per packet received (half-life 69 packets, 1.4 s at 20 ms). For
 * uniformly spread network delays 3 × J is about the spread itself; R learns
 * from every packet that came after it was given up, so the wait grows while
 * packets are late and shrinks back once the network is clean.
 *
 * **Timestamps.** Consecutive packets whose timestamps leave a gap (DTX, a
 * paused sender) produce a `'silence'` event for the gap before the packet.
 * A sequence jump of more than 1000 packets, a timestamp step of more than
 * 60 s forward or 1 s back, 8 packets in a row from far behind, or a new SSRC
 * start a new timeline (`'reset'`). Packets of the previous SSRC arriving
 * within 2 s of the change are dropped as late.
 *
 * ```ts
 * const jb = new JitterBuffer({ clockRate: 48000 });
 * for (const e of jb.push(packet)) handle(e);
 * // and when jb.nextDeadline (ms) has passed:
 * for (const e of jb.poll(performance.now())) handle(e);
 * ```
 */
export class JitterBuffer {
  /** RTP clock rate in Hz. */
  readonly clockRate: number;
  /** Most packets held at once. */
  readonly maxPackets: number;
  /** Shortest wait for a gap, ms. */
  readonly minDelayMs: number;
  /** Longest wait for a gap, ms. */
  readonly maxDelayMs: number;
  private readonly packetSamples: (packet: ReceivedRtpPacket) => number | undefined;
  private readonly defaultSamples: number;

  private ssrc: number | undefined;
  private readonly seqUnwrap = new Unwrapper(16);
  private readonly tsUnwrap = new Unwrapper(32);
  private nextSeq = 0;
  private nextTs = 0;
  private highestSeq = 0;
  private readonly held = new Map<number, Held>();
  private readonly histSeq = new Float64Array(HISTORY).fill(-Infinity);
  private readonly histState = new Uint8Array(HISTORY);
  private readonly histNoticed = new Float64Array(HISTORY);
  private lastTransit: number | undefined;
  private jitter = 0; // clock units
  private reorder = 0; // ms
  private staleRun = 0;
  private lastDuration = 0; // clock units of the last packet played with audio
  private readonly retired = new Map<number, number>();
  private readonly counters = { received: 0, duplicates: 0, late: 0, reordered: 0, lost: 0, silences: 0, resets: 0, overflows: 0 };

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options: JitterBufferOptions) {
    const where = 'JitterBuffer';
    if (options === undefined) throw invalidType(where, 'options', 'an object with clockRate', options);
    const o = checkOptions(where, options, ['clockRate', 'maxPackets', 'minDelayMs', 'maxDelayMs', 'packetSamples']);
    this.clockRate = checkInteger(where, 'options.clockRate', o.clockRate, 1000, 192000);
    const limits = checkJitterLimits(where, 'options', o);
    this.maxPackets = limits.maxPackets ?? 64;
    this.minDelayMs = limits.minDelayMs ?? 0;
    this.maxDelayMs = limits.maxDelayMs ?? 200;
    if (this.minDelayMs > this.maxDelayMs) {
      throw invalidRange(where, 'options.minDelayMs', `at most options.maxDelayMs (${this.maxDelayMs})`, String(this.minDelayMs));
    }
    if (o.packetSamples !== undefined && typeof o.packetSamples !== 'function') {
      throw invalidType(where, 'options.packetSamples', 'a function (packet) => samples', o.packetSamples);
    }
    this.defaultSamples = Math.round(this.clockRate / 50);
    this.packetSamples = (o.packetSamples as JitterBufferOptions['packetSamples']) ?? (() => this.defaultSamples);
  }

  /**
   * How long a gap is waited for now, in ms:
   * `clamp(max(3 × jitter, 1.25 × reordering depth), minDelayMs, maxDelayMs)`.
   */
  get targetDelayMs(): number {
    const jitterMs = (this.jitter * 1000) / this.clockRate;
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, 3 * jitterMs, 1.25 * this.reorder));
  }

  /**
   * When the oldest gap will be declared lost (a time on the `arrivalMs`
   * clock), or `undefined` when nothing is held. Call {@link poll} then.
   */
  get nextDeadline(): number | undefined {
    if (this.held.size === 0) return undefined;
    return this.heldSince() + this.targetDelayMs;
  }

  /** Packets held now. */
  get size(): number {
    return this.held.size;
  }

  /** Counters and current estimates. */
  stats(): JitterBufferStats {
    return {
      ...this.counters,
      buffered: this.held.size,
      targetDelayMs: this.targetDelayMs,
      jitterMs: (this.jitter * 1000) / this.clockRate,
      reorderMs: this.reorder,
    };
  }

  /** Takes one packet; returns the events it makes ready (often just itself). */
  push(packet: ReceivedRtpPacket): JitterEvent[] {
    const events: JitterEvent[] = [];
    const now = packet.arrivalMs;
    this.counters.received++;
    if (this.ssrc === undefined) {
      this.start(packet, events);
      return events;
    }
    if (packet.ssrc !== this.ssrc) {
      const retiredAt = this.retired.get(packet.ssrc);
      if (retiredAt !== undefined && now - retiredAt < RETIRED_MS) {
        this.counters.late++;
        return events;
      }
      log('SSRC %d → %d: new timeline', this.ssrc, packet.ssrc);
      this.release(events, Infinity, true);
      this.retired.set(this.ssrc, now);
      if (this.retired.size > 4) this.retired.delete(this.retired.keys().next().value as number);
      this.restart(packet, 'ssrc', events);
      return events;
    }

    const seq = this.seqUnwrap.peek(packet.sequenceNumber);
    if (seq < this.nextSeq) {
      this.behind(packet, seq, now, events);
      return events;
    }
    this.staleRun = 0;
    if (this.held.has(seq)) {
      this.counters.duplicates++;
      return events;
    }
    const ts = this.tsUnwrap.peek(packet.timestamp);
    const step = ts - this.nextTs;
    if (seq - this.nextSeq > MAX_SEQ_JUMP || step > MAX_TS_JUMP_S * this.clockRate || (seq === this.nextSeq && step < -MAX_TS_BACK_S * this.clockRate)) {
      log('jump: sequence +%d, timestamp %+d: new timeline', seq - this.nextSeq, step);
      this.release(events, Infinity, true);
      this.restart(packet, 'jump', events);
      return events;
    }
    this.seqUnwrap.unwrap(packet.sequenceNumber);
    this.tsUnwrap.unwrap(packet.timestamp);
    this.observeTransit(packet, ts);
    this.reorder *= REORDER_DECAY;
    if (seq < this.highestSeq) {
      // It fills a gap in time: learn how long after the gap was seen it came.
      this.counters.reordered++;
      this.observeReorder(now - this.heldSince(seq));
    }
    if (seq > this.highestSeq) this.highestSeq = seq;
    this.held.set(seq, { packet, seq, ts });
    this.release(events, now, false);
    return events;
  }

  /** Declares the gaps whose deadline has passed at `nowMs` lost; returns the events that follow. */
  poll(nowMs: number): JitterEvent[] {
    const events: JitterEvent[] = [];
    if (this.held.size > 0) this.release(events, nowMs, false);
    return events;
  }

  /** The end of the stream: every gap is declared lost and every held packet handed on. */
  flush(): JitterEvent[] {
    const events: JitterEvent[] = [];
    this.release(events, Infinity, true);
    return events;
  }

  /** Forgets the stream (held packets are discarded); the next packet starts afresh. Counters are kept. */
  reset(): void {
    this.ssrc = undefined;
    this.held.clear();
    this.lastTransit = undefined;
  }

  // --- internals ---

  private start(packet: ReceivedRtpPacket, events: JitterEvent[]): void {
    this.ssrc = packet.ssrc;
    this.seqUnwrap.reset();
    this.tsUnwrap.reset();
    this.held.clear();
    this.histSeq.fill(-Infinity);
    this.staleRun = 0;
    this.lastTransit = undefined;
    const seq = this.seqUnwrap.unwrap(packet.sequenceNumber);
    const ts = this.tsUnwrap.unwrap(packet.timestamp);
    this.nextSeq = seq;
    this.nextTs = ts;
    this.highestSeq = seq;
    this.observeTransit(packet, ts);
    this.held.set(seq, { packet, seq, ts });
    this.release(events, packet.arrivalMs, false);
  }

  private restart(packet: ReceivedRtpPacket, reason: 'ssrc' | 'jump', events: JitterEvent[]): void {
    this.counters.resets++;
    events.push({ kind: 'reset', reason, ssrc: packet.ssrc });
    this.start(packet, events);
  }

  /** A packet behind the play point: a duplicate, a late packet, or (in a run) a restarted sender. */
  private behind(packet: ReceivedRtpPacket, seq: number, now: number, events: JitterEvent[]): void {
    const slot = seq & (HISTORY - 1);
    if (this.histSeq[slot] === seq) {
      this.staleRun = 0;
      if (this.histState[slot] === PLAYED) {
        this.counters.duplicates++;
      } else {
        this.counters.late++;
        this.observeReorder(now - this.histNoticed[slot]);
        log('late packet %d (%d ms after its gap was seen)', packet.sequenceNumber, Math.round(now - this.histNoticed[slot]));
      }
      return;
    }
    if (this.nextSeq - seq > MAX_SEQ_JUMP && ++this.staleRun >= STALE_RUN) {
      log('%d packets in a row from far behind: the sender restarted its numbering', this.staleRun);
      this.release(events, Infinity, true);
      this.restart(packet, 'jump', events);
      return;
    }
    this.counters.late++;
  }

  /**
   * Hands on everything ready at `now`: the in-order run at the play point,
   * and gaps whose wait is over (all of them when `force`).
   */
  private release(events: JitterEvent[], now: number, force: boolean): void {
    while (this.held.size > 0) {
      const next = this.held.get(this.nextSeq);
      if (next) {
        this.held.delete(this.nextSeq);
        this.play(next, events);
        continue;
      }
      // A gap at the play point: the first packet held after it.
      let first: Held | undefined;
      for (const h of this.held.values()) if (!first || h.seq < first.seq) first = h;
      const since = this.heldSince();
      const missing = first!.seq - this.nextSeq;
      const spanMs = ((first!.ts - this.nextTs) * 1000) / this.clockRate;
      const full = this.held.size > this.maxPackets;
      if (force || full || missing > this.maxPackets || spanMs > this.maxDelayMs || now >= since + this.targetDelayMs) {
        if (full && !force) this.counters.overflows++;
        this.declareLost(first!, since, events);
        continue;
      }
      break;
    }
  }

  private play(h: Held, events: JitterEvent[]): void {
    if (h.ts > this.nextTs) {
      const samples = h.ts - this.nextTs;
      this.counters.silences++;
      events.push({ kind: 'silence', timestamp: wrapTs(this.nextTs), samples });
    }
    events.push({ kind: 'packet', packet: h.packet });
    this.remember(h.seq, PLAYED, 0);
    this.nextSeq = h.seq + 1;
    this.nextTs = h.ts + this.durationOf(h.packet);
  }

  /**
   * The packets from the play point up to `first` never came: one `'lost'`
   * event each. Each lost packet is taken to last as long as the last one
   * played; a longer timestamp gap (DTX inside the gap) becomes a `'silence'`
   * before `first` when it plays, a shorter one is shared out among them.
   */
  private declareLost(first: Held, noticedAt: number, events: JitterEvent[]): void {
    const missing = first.seq - this.nextSeq;
    const span = Math.max(0, first.ts - this.nextTs);
    const nominal = this.defaultLostSamples();
    const shared = span < missing * nominal;
    const each = shared ? Math.floor(span / missing) : nominal;
    for (let i = 0; i < missing; i++) {
      const seq = this.nextSeq + i;
      const last = i === missing - 1;
      const samples = last && shared ? span - each * (missing - 1) : each;
      events.push({
        kind: 'lost',
        sequenceNumber: seq & 0xffff,
        timestamp: wrapTs(this.nextTs),
        samples,
        ...(last ? { nextPacket: first.packet } : {}),
      });
      this.remember(seq, LOST, noticedAt);
      this.nextTs += samples;
    }
    this.counters.lost += missing;
    if (missing > 0) log('lost %d packet(s) from %d', missing, (first.seq - missing) & 0xffff);
    this.nextSeq = first.seq;
  }

  /** The duration assumed for a lost packet: the last played packet's, else 20 ms. */
  private defaultLostSamples(): number {
    return this.lastDuration > 0 ? this.lastDuration : this.defaultSamples;
  }

  private durationOf(packet: ReceivedRtpPacket): number {
    const samples = this.packetSamples(packet);
    if (samples === undefined || !(samples >= 0)) return this.defaultLostSamples();
    if (samples > 0) this.lastDuration = samples;
    return samples;
  }

  private remember(seq: number, state: number, noticedAt: number): void {
    const slot = seq & (HISTORY - 1);
    this.histSeq[slot] = seq;
    this.histState[slot] = state;
    this.histNoticed[slot] = noticedAt;
  }

  /** When the gap before the held packets (after `seq`, if given) was first seen: the earliest arrival among them. */
  private heldSince(seq = -Infinity): number {
    let since = Infinity;
    for (const h of this.held.values()) if (h.seq > seq && h.packet.arrivalMs < since) since = h.packet.arrivalMs;
    return since;
  }

  /** RFC 3550 §A.8 interarrival jitter, in clock units. */
  private observeTransit(packet: ReceivedRtpPacket, ts: number): void {
    const transit = (packet.arrivalMs * this.clockRate) / 1000 - ts;
    if (this.lastTransit !== undefined) {
      const d = Math.abs(transit - this.lastTransit);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  private observeReorder(waitedMs: number): void {
    if (!(waitedMs > 0)) return;
    this.reorder = Math.max(this.reorder, Math.min(waitedMs, this.maxDelayMs));
  }
}

function wrapTs(extended: number): number {
  return ((extended % 0x100000000) + 0x100000000) % 0x100000000;
}

/** @internal Validates the limits part of {@link JitterBufferOptions} found in `o` (`name` is how the caller calls `o`). */
export function checkJitterLimits(where: string, name: string, o: Record<string, unknown>): Pick<JitterBufferOptions, 'minDelayMs' | 'maxDelayMs' | 'maxPackets'> {
  const out: Pick<JitterBufferOptions, 'minDelayMs' | 'maxDelayMs' | 'maxPackets'> = {};
  if (o.maxPackets !== undefined) out.maxPackets = checkInteger(where, `${name}.maxPackets`, o.maxPackets, 1, 1000);
  if (o.minDelayMs !== undefined) out.minDelayMs = checkMs(where, `${name}.minDelayMs`, o.minDelayMs);
  if (o.maxDelayMs !== undefined) out.maxDelayMs = checkMs(where, `${name}.maxDelayMs`, o.maxDelayMs);
  return out;
}

function checkMs(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(where, name, 'a number of milliseconds from 0 to 1000', value);
  if (!(value >= 0 && value <= 1000)) throw invalidRange(where, name, 'a number of milliseconds from 0 to 1000', describe(value));
  return value;
}
