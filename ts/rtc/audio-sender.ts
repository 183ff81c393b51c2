/**
 * AudioSender: the network-free send path. It pulls frames from a track,
 * paces packets by an absolute clock, converts, encodes and numbers them, and
 * hands them to an {@link RtpSink} (the werift glue, or a test).
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { type AudioCodec, checkCodec } from './codec';
import { PacketEncoder, checkPtime, type OpusSendOptions, type ResolvedOpusSettings } from './audio-encoder';
import { RtpPacketizer, type OutgoingRtpPacket } from './rtp-packetizer';
import type { AudioFrame } from '../media/audio-frame';
import { PacingClock } from '../media/clock';
import { MediaStreamError, MediaStreamTrack, kOwner, kRead, type TrackInternals } from '../media/media-stream-track';
import { reportError } from '../media/report-error';
import type { ResamplerQuality } from '../core/resampler';
import { checkBoolean, checkInteger, checkOneOf, checkOptions, closedError, invalidType } from '../core/validate';

export type { OutgoingRtpPacket } from './rtp-packetizer';
export type { OpusSendOptions, ResolvedOpusSettings } from './audio-encoder';

const log = createDebug('voxrtc:rtc:sender');

/**
 * Where an {@link AudioSender} puts its packets: the network glue wraps them
 * in RTP for an `RTCRtpSender` (adding SSRC, extensions and SRTP). `send` is
 * called on the sender's clock, one packet per packet time; it must not
 * block. If it returns a promise (werift's `sendRtp` does), a rejection is
 * reported like a throw.
 */
export interface RtpSink {
  send(packet: OutgoingRtpPacket): void | Promise<unknown>;
}

/** Options for {@link AudioSender}. */
export interface AudioSenderOptions {
  /**
   * The negotiated codec. Its `parameters` should be the receiver's fmtp
   * parameters: Opus honours `stereo`, `useinbandfec`, `usedtx` and
   * `maxaveragebitrate` from them.
   */
  codec: AudioCodec;
  /** Receives every packet. */
  sink: RtpSink;
  /** The track to send; null or left out: silence until {@link AudioSender.replaceTrack}. */
  track?: MediaStreamTrack | null;
  /** Packet duration: 10, 20, 40 or 60 ms. Default 20. */
  ptimeMs?: number;
  /** Opus encoder settings (ignored for G.711; see {@link OpusSendOptions} for the defaults). */
  opus?: OpusSendOptions;
  /**
   * Most packets of audio read from the track ahead of their send time, 1 to
   * 50. Default 3 (60 ms at 20 ms packets): enough to ride out a track's
   * jitter, little enough that a replaced or cleared track is heard at once.
   */
  readAhead?: number;
  /**
   * The track is live audio that is played in real time (an echo, a relay of
   * a caller). Its audio is sent as it arrives, in the same turn of the event
   * loop, up to one packet time ahead of the sender's clock (never more, so
   * the packet rate stays real time), instead of waiting for the clock's next
   * tick: less delay, and no timer wake-up per packet. Audio that is late by
   * up to a packet time is also sent on arrival, and the clock follows the
   * far end: once the audio comes more than half a packet time before or
   * after its ticks three ticks in a row, the schedule moves to meet it
   * (counted in `stats().phaseShifts`), so a far end whose clock runs slow
   * or fast costs no silence and no drop, and jitter of up to a packet time
   * either way is sent on arrival. While audio stays
   * waiting beyond the packet being sent, tick after tick, one packet is
   * dropped every 200 ms (counted in `stats().catchUpDrops`), so a stall or
   * a burst leaves no lasting delay, while short jitter is still ridden out.
   * Default false: every frame of a track is sent on the clock
   * (text-to-speech, files). {@link PeerSession} sets it for a remote track
   * it sends back out.
   */
  live?: boolean;
  /** Converter for tracks at another rate than the codec's. Default `'fastest'` (97 dB SNR, far below any codec's noise). */
  resampleQuality?: ResamplerQuality;
  /** For tests only (to reach the wrap quickly): the first sequence number. Default random in 0 to 32767. */
  initialSequenceNumber?: number;
  /** For tests only: the first RTP timestamp. Default random in 0 to 2³² − 1. */
  initialTimestamp?: number;
}

/** Live tracks: how long a packet must have been left waiting at every tick before one is dropped. */
const CATCH_UP_AFTER_MS = 200;

/** `'new'` until {@link AudioSender.start}, `'running'`, then `'stopped'` for good. */
export type AudioSenderState = 'new' | 'running' | 'stopped';

/** Why a sender stopped: {@link AudioSender.stop} was called, its track ended, or its track failed. */
export type AudioSenderStopReason = 'stopped' | 'ended' | 'error';

/** Counters of an {@link AudioSender}. */
export interface AudioSenderStats {
  state: AudioSenderState;
  /** The id of the track being sent, or null. */
  trackId: string | null;
  /** e.g. `'opus/48000 mono'`, `'PCMU/8000'`. */
  codec: string;
  /** Frames read from tracks. */
  framesPulled: number;
  /** Packets handed to the sink (audio and silence). */
  packetsSent: number;
  /** Of those, packets of silence the sender made itself (no track, or the track was late). */
  silencePackets: number;
  /** Packet times with nothing sent because Opus DTX had nothing to say (the timestamp advanced). */
  dtxPackets: number;
  /** Packet times at which a track was attached but had no audio ready (silence was sent instead). */
  lateTicks: number;
  /** Frames that arrived while a packet was already waiting (a track ahead of real time, held in the read-ahead). */
  earlyFrames: number;
  /** Packets of audio read ahead and waiting now. */
  bufferedPackets: number;
  /** The most packets ever waiting (at most `readAhead`, plus one frame's worth for frames longer than a packet). */
  maxBufferedPackets: number;
  /** Payload bytes handed to the sink. */
  bytesSent: number;
  /** Mean time to encode one packet, in µs. */
  meanEncodeMicros: number;
  /**
   * The rate audio is handed to the encoder at. Opus takes a track at 8, 12,
   * 16, 24 or 48 kHz as it is (no resampling; libopus codes it at its 48 kHz
   * RTP clock), other rates converted to 48 kHz; G.711: 8000.
   */
  encodeSampleRate: number;
  /** Times the clock gave up on catching up after the event loop was blocked (over 200 ms); the timestamps skip the lost time. */
  clockSlips: number;
  /** Packets the sink failed to send (threw or rejected). */
  sendErrors: number;
  /** Live tracks: packets dropped because audio had stayed waiting for 200 ms (see {@link AudioSenderOptions.live}). */
  catchUpDrops: number;
  /** Live tracks: times the clock moved to follow the arrival of the audio (see {@link AudioSenderOptions.live}). */
  phaseShifts: number;
  /** Opus: the packet loss the encoder expects now, in percent (FEC follows it); 0 for G.711. */
  packetLossPercent: number;
  /** Loss reports received from the peer (RTCP), and the last one's fraction lost (0 to 1). */
  lossReports: number;
  lastReportedLoss: number;
}

/** Live tracks: ticks in a row whose audio comes over half a packet time off before the clock follows it. */
const FOLLOW_AFTER_TICKS = 3;

/** What a sender writes in a track's owner slot: reading the track elsewhere then fails loudly. */
const OWNER = 'an AudioSender';
const OPTION_KEYS = ['codec', 'sink', 'track', 'ptimeMs', 'opus', 'readAhead', 'live', 'resampleQuality', 'initialSequenceNumber', 'initialTimestamp'];

/**
 * Sends one track as RTP packets: the outgoing half of an audio transceiver,
 * without the network.
 *
 * Once {@link start}ed, it keeps its own absolute clock at the packet time and
 * sends exactly one packet per tick, whatever the track does:
 * - a track that returns frames early (an unpaced file, a TTS burst) is still
 *   sent in real time: the sender reads at most `readAhead` packets ahead and
 *   then stops reading until they are sent — it never builds a queue;
 * - a track that is late (no frame by the tick, plus a grace of half a packet
 *   time up to 10 ms, or a whole packet time for a live track) gets a packet
 *   of silence in its place (with Opus DTX: nothing, but the timestamp
 *   advances) — never a stall;
 * - a track that ends: what was read is sent, then the sender stops by itself
 *   (`'ended'`, and {@link done} resolves with `'ended'`), leaving no timer.
 *
 * Frames of any rate, channel count and format are converted to the codec's
 * (Opus mono, or stereo when the receiver asks with `stereo=1`; G.711 8 kHz
 * mono). Opus is fed 8, 12, 16, 24 or 48 kHz audio at its own rate (libopus
 * codes it at the 48 kHz RTP clock itself), other rates converted to 48 kHz.
 * RTP timestamps follow the sender's clock, not the track's pts, so gaps or
 * jumps in a track never move the receiver's timeline.
 *
 * The sender owns the track it sends (like a `MediaRelay`): reading it
 * anywhere else throws, because it would steal frames — send or record a
 * `relay.subscribe(track)` instead. {@link replaceTrack} and {@link stop}
 * give the track back.
 *
 * ```ts
 * const sender = new AudioSender({ codec: OPUS, sink: { send: (p) => rtpSender.sendRtp(toRtp(p)) }, track: source.track });
 * sender.start();
 * sender.replaceTrack(otherTrack); // at any time; null sends silence
 * const reason = await sender.done(); // 'ended' when the track ends
 * ```
 *
 * Events: `'ended'` (its track ended, the sender stopped), `'stopped'` (reason;
 * after any stop), `'error'` (a track's recv() failed — the sender then stops —
 * or the sink failed; without a listener these become process warnings).
 */
export class AudioSender extends EventEmitter {
  /** The codec packets are encoded with. */
  readonly codec: AudioCodec;
  /** Packet duration in ms. */
  readonly ptimeMs: number;
  /** RTP timestamp units per packet (samples per channel at the codec's clock rate). */
  readonly samplesPerPacket: number;
  /** Most packets read ahead of time. */
  readonly readAhead: number;
  private readonly sink: RtpSink;
  private readonly encoder: PacketEncoder;
  private readonly packetizer: RtpPacketizer;
  private readonly clock: PacingClock;
  private readonly graceMs: number;
  private readonly abort = new AbortController();
  private readonly finished: Promise<AudioSenderStopReason>;
  private resolveFinished!: (reason: AudioSenderStopReason) => void;
  private currentState: AudioSenderState = 'new';
  private current: MediaStreamTrack | null = null;
  private detachCurrent: (() => void) | undefined;
  private generation = 0; // +1 per track change: reads of an earlier track are stale
  private ending = false; // the current track ended: send what is buffered, then stop
  private failure: Error | undefined;
  private tickerWaiting: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private graceImmediate: NodeJS.Immediate | undefined;
  private readerWaiting: (() => void) | undefined;
  private abandonRead: (() => void) | undefined;
  private readonly pendingReads = new Map<MediaStreamTrack, Promise<AudioFrame>>(); // reads in flight, until they settle
  private arrivalMs = -Infinity; // when the oldest packet ready to send was read (live tracks)
  private offRun = 0; // live tracks: ticks in a row whose audio came more than half a packet time off, on one side
  private offRunMs = 0; // the smallest of their offsets (see followArrival)
  private silentRun = 0;
  private readonly live: boolean;
  private backlogTicks = 0; // consecutive ticks that left a packet waiting (live tracks)
  private counters = {
    framesPulled: 0,
    packetsSent: 0,
    silencePackets: 0,
    dtxPackets: 0,
    lateTicks: 0,
    earlyFrames: 0,
    maxBufferedPackets: 0,
    bytesSent: 0,
    clockSlips: 0,
    sendErrors: 0,
    catchUpDrops: 0,
    phaseShifts: 0,
    lossReports: 0,
    lastReportedLoss: 0,
  };

  /** @throws TypeError or RangeError naming the option that is wrong; MediaStreamError when the track has ended or another reader owns it. */
  constructor(options: AudioSenderOptions) {
    super();
    const where = 'AudioSender';
    if (options === undefined) throw invalidType(where, 'options', 'an object with codec and sink', options);
    const o = checkOptions(where, options, OPTION_KEYS);
    this.codec = checkCodec(where, 'options.codec', o.codec);
    const sink = o.sink as RtpSink | undefined;
    if (sink === null || typeof sink !== 'object' || typeof sink.send !== 'function') {
      throw invalidType(where, 'options.sink', 'an object with a send(packet) method', sink);
    }
    this.sink = sink;
    this.ptimeMs = checkPtime(where, o.ptimeMs);
    this.readAhead = checkInteger(where, 'options.readAhead', o.readAhead ?? 3, 1, 50);
    this.live = o.live === undefined ? false : checkBoolean(where, 'options.live', o.live);
    const resampleQuality = checkOneOf(where, 'options.resampleQuality', o.resampleQuality ?? 'fastest', ['fastest', 'medium', 'best'] as const);
    const track = checkTrack(where, 'options.track', o.track ?? null); // before the encoder exists: nothing to free on a throw
    this.packetizer = new RtpPacketizer({
      payloadType: this.codec.payloadType,
      initialSequenceNumber: o.initialSequenceNumber as number | undefined,
      initialTimestamp: o.initialTimestamp as number | undefined,
    });
    this.encoder = new PacketEncoder({ codec: this.codec, ptimeMs: this.ptimeMs, opus: o.opus as OpusSendOptions | undefined, resampleQuality });
    this.samplesPerPacket = this.encoder.samplesPerPacket;
    this.clock = new PacingClock(this.ptimeMs);
    this.graceMs = this.live ? this.ptimeMs : Math.min(this.ptimeMs / 2, 10);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.attach(track);
    log('%s: %s, %d ms packets, read-ahead %d', this.describe(), this.codecLabel(), this.ptimeMs, this.readAhead);
  }

  /** `'new'`, `'running'` or `'stopped'`. */
  get state(): AudioSenderState {
    return this.currentState;
  }

  /** The track being sent, or null (silence). */
  get track(): MediaStreamTrack | null {
    return this.current;
  }

  /** The Opus settings in force (undefined for G.711); a copy. */
  get opusSettings(): ResolvedOpusSettings | undefined {
    const opus = this.encoder.opus;
    return opus && { ...opus };
  }

  /**
   * What the receiver reported about our packets (its RTCP report block's
   * fraction lost ÷ 256, 0 to 1). With Opus's `packetLossPercent: 'auto'`
   * (the default) FEC follows it; PeerSession calls this for every report.
   * Returns the expected loss in force, in percent.
   */
  reportLoss(fraction: number): number {
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
      throw invalidType('AudioSender.reportLoss', 'fraction', 'a number from 0 to 1', fraction);
    }
    this.counters.lossReports++;
    this.counters.lastReportedLoss = fraction;
    if (this.currentState === 'stopped') return this.encoder.opus?.packetLossPercent ?? 0;
    return this.encoder.reportLoss(fraction);
  }

  /** Resolves once the sender has stopped, with the reason. Never rejects. */
  done(): Promise<AudioSenderStopReason> {
    return this.finished;
  }

  /**
   * Starts the clock and the reading: the first packet goes out at once.
   * Idempotent while running.
   * @throws TypeError (ERR_VOXRTC_CLOSED) once the sender has stopped.
   */
  start(): void {
    if (this.currentState === 'running') return;
    if (this.currentState === 'stopped') throw closedError('AudioSender.start', 'sender');
    this.currentState = 'running';
    log('%s: started with %s', this.describe(), this.current ? this.current.describe() : 'no track (silence)');
    this.tickLoop().catch((error: Error) => this.fail(error));
    this.readLoop().catch((error: Error) => this.fail(error));
  }

  /**
   * Sends another track from the next packet on (null: silence). Audio read
   * ahead from the previous track is dropped, and that track is given back
   * (it can be read elsewhere again); it is not stopped. A read of it still
   * in flight is abandoned: the frame it brings is dropped (unless the same
   * track comes back here first, which reuses that read).
   * @throws TypeError for a non-track or after the sender stopped; MediaStreamError when the track has ended or another reader owns it.
   */
  replaceTrack(track: MediaStreamTrack | null): void {
    const where = 'AudioSender.replaceTrack';
    if (this.currentState === 'stopped') throw closedError(where, 'sender');
    if (track === this.current) return;
    const previous = this.current;
    this.attach(checkTrack(where, 'track', track));
    this.encoder.clear();
    this.clock.wakeOnTime(); // (the next tick waits for the new track as for any)
    this.wakeReader();
    log('%s: %s → %s', this.describe(), previous ? previous.describe() : 'silence', track ? track.describe() : 'silence');
  }

  /**
   * Stops sending: no more reads, no more packets, every timer cleared, the
   * encoder freed, the track given back (not stopped). Idempotent.
   */
  stop(): void {
    this.finish('stopped');
  }

  /** Counters, for session stats and tests. */
  stats(): AudioSenderStats {
    return {
      state: this.currentState,
      trackId: this.current ? this.current.id : null,
      codec: this.codecLabel(),
      ...this.counters,
      bufferedPackets: this.currentState === 'stopped' ? 0 : this.encoder.readyPackets,
      meanEncodeMicros: this.encoder.meanEncodeMicros,
      encodeSampleRate: this.encoder.encodeRate,
      packetLossPercent: this.encoder.opus?.packetLossPercent ?? 0,
    };
  }

  /** e.g. `AudioSender(opus/48000 mono)` for logs and messages. */
  describe(): string {
    return `AudioSender(${this.codecLabel()})`;
  }

  // ------------------------------------------------------------ the clock --

  /** One packet per tick, on an absolute schedule. */
  private async tickLoop(): Promise<void> {
    const interval = this.ptimeMs;
    while (this.currentState === 'running') {
      const slips = this.clock.slips;
      const dueBefore = this.clock.dueMs(this.clock.ticks); // the next tick's time before a slip can move it
      const waitBegan = performance.now();
      let tick: number;
      try {
        // Live audio that is still to come ends the wait on its arrival (hurry): the
        // timer is only for when it does not come, so it is set at the grace's end.
        const lateMs = this.live && this.encoder.readyPackets === 0 && this.current !== null && !this.ending ? this.graceMs : 0;
        tick = await this.clock.next(this.abort.signal, lateMs);
      } catch {
        return; // aborted by stop()
      }
      if (this.currentState !== 'running') return;
      const now = performance.now();
      const dueMs = this.clock.dueMs(tick);
      if (this.clock.slips !== slips) {
        // The event loop was blocked for longer than the clock catches up on:
        // the ticks of that time are lost. Skip their timestamps, so the RTP
        // timeline stays in step with real time (the receiver sees a gap).
        const missed = Math.max(0, Math.round((dueMs - dueBefore) / interval));
        this.counters.clockSlips++;
        this.packetizer.skip(missed * this.samplesPerPacket);
        log('%s: the event loop stalled; %d packet times skipped', this.describe(), missed);
      }
      if (this.encoder.readyPackets === 0 && this.current !== null && !this.ending) {
        // Not there yet: a frame due now may be a few ms behind the tick.
        const wait = dueMs + this.graceMs - now;
        await this.waitForAudio(wait);
        if (this.currentState !== 'running') return;
      }
      if (this.encoder.readyPackets > 0) {
        if (this.live) this.followArrival(this.arrivalMs >= waitBegan ? this.arrivalMs - dueMs : undefined);
        const payload = this.encoder.encodeNext();
        if (this.live) this.catchUp();
        this.wakeReader();
        if (this.silentRun > 0) log('%s: audio again after %d packet(s) of silence', this.describe(), this.silentRun);
        this.silentRun = 0;
        this.send(payload, false);
      } else if (this.ending) {
        this.finish(this.failure ? 'error' : 'ended');
        return;
      } else {
        if (this.current !== null) {
          this.counters.lateTicks++;
          if (this.silentRun === 0) log('%s: %s is late; sending silence', this.describe(), this.current.describe());
        }
        this.silentRun++;
        this.offRun = 0;
        this.send(this.encoder.encodeSilence(), true);
      }
    }
  }

  /**
   * Live tracks: the far end paces the audio, so the clock follows it.
   * `offsetMs`: how far from its tick's due time the frame sent now came
   * (late when positive), when it came while its tick waited; undefined
   * otherwise (silence, or audio that was already waiting). Once frames have
   * come more than half a packet time off on the same side for
   * {@link FOLLOW_AFTER_TICKS} ticks in a row, the schedule moves by the
   * smallest of those offsets, so that frames come when their ticks are due:
   * then jitter of up to a packet time either way is sent on arrival,
   * neither waiting for a tick nor replaced by silence. A lone late or early
   * frame moves nothing; frames more than a packet time early are a
   * backlog (a burst), which {@link catchUp} handles.
   */
  private followArrival(offsetMs: number | undefined): void {
    const interval = this.ptimeMs;
    if (offsetMs === undefined || Math.abs(offsetMs) <= interval / 2 || offsetMs < -interval || offsetMs > this.graceMs) {
      this.offRun = 0;
      return;
    }
    if (this.offRun > 0 && Math.sign(offsetMs) !== Math.sign(this.offRunMs)) this.offRun = 0;
    if (this.offRun === 0 || Math.abs(offsetMs) < Math.abs(this.offRunMs)) this.offRunMs = offsetMs;
    if (++this.offRun < FOLLOW_AFTER_TICKS) return;
    const shiftMs = this.offRunMs;
    this.offRun = 0;
    this.clock.shift(shiftMs);
    this.counters.phaseShifts++;
    log('%s: the clock moves %s ms to follow the live audio', this.describe(), shiftMs.toFixed(1));
  }

  /** Live tracks: while a packet is left waiting at every tick, drop one every 200 ms. */
  private catchUp(): void {
    if (this.encoder.readyPackets === 0) {
      this.backlogTicks = 0;
      return;
    }
    if (++this.backlogTicks * this.ptimeMs < CATCH_UP_AFTER_MS) return;
    this.encoder.dropNext();
    this.backlogTicks = 0;
    this.counters.catchUpDrops++;
    log('%s: a packet waited for %d ms at every tick; dropped one to catch up', this.describe(), CATCH_UP_AFTER_MS);
  }

  private send(payload: Uint8Array, silence: boolean): void {
    if (this.encoder.isDtxPacket(payload)) {
      this.packetizer.skip(this.samplesPerPacket);
      this.counters.dtxPackets++;
      return;
    }
    const packet = this.packetizer.packetize(payload, this.samplesPerPacket);
    try {
      const result = this.sink.send(packet) as unknown;
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.sendFailed(error));
      }
    } catch (error) {
      this.sendFailed(error);
      return;
    }
    this.counters.packetsSent++;
    this.counters.bytesSent += payload.length;
    if (silence) this.counters.silencePackets++;
  }

  private sendFailed(error: unknown): void {
    this.counters.sendErrors++;
    const message = error instanceof Error ? error.message : String(error);
    if (this.counters.sendErrors === 1) {
      reportError(this, new Error(`${this.describe()}: the sink failed to send a packet: ${message} (later failures are only counted in stats().sendErrors)`), log);
    } else {
      log('%s: send failed: %s', this.describe(), message);
    }
  }

  /**
   * Resolves when audio is buffered, the track changes, the sender stops, or
   * after `ms` (0 or less: at once) and one more turn of the event loop's
   * I/O: audio that has reached the process by then (a packet waiting in a
   * socket while a busy loop ran its timers first) still counts as in time.
   */
  private waitForAudio(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.graceTimer);
        clearImmediate(this.graceImmediate);
        this.graceTimer = undefined;
        this.graceImmediate = undefined;
        this.tickerWaiting = undefined;
        resolve();
      };
      const afterIo = (): void => {
        this.graceTimer = undefined;
        this.graceImmediate = setImmediate(done); // (the check phase: after this turn's poll for I/O)
      };
      this.tickerWaiting = done;
      if (ms > 0) this.graceTimer = setTimeout(afterIo, ms);
      else afterIo();
    });
  }

  private wakeTicker(): void {
    this.tickerWaiting?.();
  }

  // ------------------------------------------------------------ the reader --

  /** Reads the current track while less than `readAhead` packets wait. */
  private async readLoop(): Promise<void> {
    let reads = 0;
    while (this.currentState === 'running') {
      const track = this.current;
      const generation = this.generation;
      if (track === null || this.ending || this.encoder.readyPackets >= this.readAhead) {
        await new Promise<void>((resolve) => (this.readerWaiting = resolve));
        continue;
      }
      if (isEnded(track)) {
        this.trackEnded(generation);
        continue;
      }
      let frame: AudioFrame | undefined;
      try {
        frame = await this.readUnlessAbandoned(track);
      } catch (error) {
        this.trackEnded(generation, error);
        continue;
      }
      if (frame === undefined || generation !== this.generation || this.currentState !== 'running') continue; // replaced or stopped meanwhile
      if (isEnded(track)) {
        this.trackEnded(generation); // (a frame after the end is dropped, as a relay does)
        continue;
      }
      this.counters.framesPulled++;
      if (this.encoder.readyPackets > 0) this.counters.earlyFrames++;
      if (this.live && this.encoder.readyPackets === 0) this.arrivalMs = performance.now();
      this.encoder.push(frame);
      this.counters.maxBufferedPackets = Math.max(this.counters.maxBufferedPackets, this.encoder.readyPackets);
      if (this.encoder.readyPackets > 0) {
        // Live audio goes out as it arrives (at most one packet time ahead of the clock), not at the clock's next wake-up.
        if (this.live && this.encoder.readyPackets === 1) this.clock.hurry(this.ptimeMs);
        this.wakeTicker();
      }
      // A track that answers at once with frames shorter than a packet must
      // not starve the event loop: give it a turn now and then.
      if (++reads % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The track's next frame through its own recv() (the sender owns the track,
   * so the guarded recv() would refuse), or undefined once the read is
   * abandoned (track replaced, sender stopped). A read still in flight when
   * the same track comes back is reused, never doubled.
   */
  private readUnlessAbandoned(track: MediaStreamTrack): Promise<AudioFrame | undefined> {
    let pending = this.pendingReads.get(track);
    if (pending === undefined) {
      pending = (track as unknown as TrackInternals)[kRead]();
      this.pendingReads.set(track, pending);
    }
    const read = pending;
    const forget = (): void => {
      if (this.pendingReads.get(track) === read) this.pendingReads.delete(track);
    };
    return new Promise((resolve, reject) => {
      this.abandonRead = () => resolve(undefined);
      read.then(
        (frame) => {
          forget();
          resolve(frame); // (after an abandon: a no-op)
        },
        (error: unknown) => {
          forget();
          reject(error);
        },
      );
    });
  }

  private wakeReader(): void {
    const wake = this.readerWaiting;
    this.readerWaiting = undefined;
    wake?.();
  }

  // ------------------------------------------------------- track handling --

  /** The current track ended (or failed): send what was read, then stop. */
  private trackEnded(generation: number, error?: unknown): void {
    if (generation !== this.generation || this.ending || this.currentState !== 'running') return;
    const track = this.current;
    this.ending = true;
    if (error !== undefined && !(error instanceof MediaStreamError && error.code === 'ERR_VOXRTC_TRACK_ENDED')) {
      const message = error instanceof Error ? error.message : String(error);
      this.failure = Object.assign(new Error(`${this.describe()}: ${track ? track.describe() : 'the track'} failed: ${message}; the sender stops`), { cause: error });
      reportError(this, this.failure, log);
    } else {
      log('%s: %s ended; sending what was read, then stopping', this.describe(), track ? track.describe() : 'the track');
    }
    this.abandonRead?.();
    this.abandonRead = undefined;
    this.encoder.finish();
    this.clock.wakeOnTime(); // (no audio to wait for beyond the tick)
    this.wakeTicker();
  }

  /** Takes `track` (or null; checked by {@link checkTrack}) as the current track; gives the previous one back. */
  private attach(track: MediaStreamTrack | null): void {
    this.release();
    this.generation++;
    this.ending = false;
    this.abandonRead?.();
    this.abandonRead = undefined;
    this.current = track;
    if (track === null) return;
    (track as unknown as TrackInternals)[kOwner] = OWNER;
    const generation = this.generation;
    const onEnded = (): void => this.trackEnded(generation);
    track.once('ended', onEnded);
    this.detachCurrent = () => {
      track.off('ended', onEnded);
      const internals = track as unknown as TrackInternals;
      if (internals[kOwner] === OWNER) internals[kOwner] = undefined;
    };
  }

  /** Gives the current track back. */
  private release(): void {
    this.detachCurrent?.();
    this.detachCurrent = undefined;
  }

  // ------------------------------------------------------------- stopping --

  private finish(reason: AudioSenderStopReason): void {
    if (this.currentState === 'stopped') return;
    const wasRunning = this.currentState === 'running';
    this.currentState = 'stopped';
    this.abort.abort(); // clears the clock's timer
    clearTimeout(this.graceTimer);
    clearImmediate(this.graceImmediate);
    this.graceTimer = undefined;
    this.graceImmediate = undefined;
    this.tickerWaiting = undefined;
    this.abandonRead?.();
    this.abandonRead = undefined;
    this.wakeReader();
    this.release();
    this.current = null;
    this.encoder.close();
    const c = this.counters;
    log('%s: stopped (%s): %d packets sent (%d silence, %d DTX), %d frames read, %d late ticks', this.describe(), reason, c.packetsSent, c.silencePackets, c.dtxPackets, c.framesPulled, c.lateTicks);
    this.resolveFinished(reason);
    if (reason === 'ended' && wasRunning) this.emit('ended');
    this.emit('stopped', reason);
  }

  /** An unexpected error in a loop (a bug, or a throwing listener): report it and stop. */
  private fail(error: Error): void {
    reportError(this, error, log);
    this.finish('error');
  }

  private codecLabel(): string {
    const opus = this.encoder.opus;
    return `${this.codec.name}/${this.codec.clockRate}${opus ? (opus.channels === 2 ? ' stereo' : ' mono') : ''}`;
  }
}

/** A track that can be sent: live, and read by nobody else. */
function checkTrack(where: string, name: string, track: unknown): MediaStreamTrack | null {
  if (track === null) return null;
  if (!(track instanceof MediaStreamTrack)) throw invalidType(where, name, 'a voxrtc MediaStreamTrack or null', track);
  if (track.readyState === 'ended') throw new MediaStreamError(`${where}: ${track.describe()} has ended; send a live track`);
  const owner = (track as unknown as TrackInternals)[kOwner];
  if (owner !== undefined) {
    throw new MediaStreamError(
      `${where}: ${track.describe()} is already read by ${owner}; sending it too would steal its frames. ` +
        'Send relay.subscribe(track) instead (one subscription per reader).',
      'ERR_VOXRTC_TRACK_OWNED',
    );
  }
  return track;
}

/** (A function, so TypeScript does not narrow `readyState` across awaits.) */
function isEnded(track: MediaStreamTrack): boolean {
  return track.readyState === 'ended';
}
