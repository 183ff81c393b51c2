/**
 * The receive path of one incoming audio stream, without the network: RTP
 * packets in (from the WebRTC glue), a {@link MediaStreamTrack} of
 * contiguous {@link AudioFrame}s out.
 * @packageDocumentation
 */
import createDebug from 'debug';
import { type AudioFrame, type AudioFormat, checkedFrame } from '../media/audio-frame';
import { AudioResampler } from '../media/audio-resampler';
import { FrameQueue } from '../media/frame-queue';
import { MediaStreamTrack } from '../media/media-stream-track';
import { reportError } from '../media/report-error';
import type { ResamplerQuality } from '../core/resampler';
import { checkBoolean, checkBytes, checkInteger, checkOneOf, checkOptions, invalidRange, invalidType } from '../core/validate';
import { checkCodec, type AudioCodec } from './codec';
import { JitterBuffer, checkJitterLimits, type JitterBufferOptions, type JitterEvent } from './jitter-buffer';
import { LatencyWindow, type LatencySummary } from './latency-window';
import { PairQueue } from './pair-queue';
import { createRtpAudioDecoder, type FillKind, type RtpAudioDecoder } from './rtp-audio-decoder';
import type { ReceivedRtpPacket } from './rtp-packet';

const log = createDebug('voxrtc:rtc:remote');

/** The format of a {@link RemoteAudioTrack}'s frames. */
export interface RemoteAudioOutput {
  /** Sample rate, 8000 to 192000, a multiple of 50 (20 ms frames). Default 48000. */
  sampleRate?: number;
  /** Channels, 1 to 8. Default: the codec's (2 for Opus, 1 for G.711). */
  channels?: number;
  /** Sample format. Default `'s16'`. */
  format?: AudioFormat;
}

/** Options for {@link RemoteAudioTrack}. */
export interface RemoteAudioTrackOptions {
  /** The negotiated codec of the stream. Required. */
  codec: AudioCodec;
  /** The frames' format; for speech-to-text for example `{ sampleRate: 16000, channels: 1 }`. */
  output?: RemoteAudioOutput;
  /** Most frames waiting to be read (1 to 3000); the oldest are dropped beyond. Default 50 (1 s). */
  maxQueueFrames?: number;
  /**
   * libsamplerate converter used when the output rate is not one the codec
   * decodes at (G.711 to anything but 8 kHz; Opus to 44.1 kHz). Default
   * `'fastest'` (band-limited sinc, 97 dB SNR, 80 % bandwidth: ample for
   * voice, and several times cheaper than `'medium'`).
   */
  quality?: ResamplerQuality;
  /** Jitter-buffer limits (see {@link JitterBuffer}). */
  jitterBuffer?: Pick<JitterBufferOptions, 'minDelayMs' | 'maxDelayMs' | 'maxPackets'>;
  /** Track id. Default: a UUID. */
  id?: string;
}

/** Counters of a {@link RemoteAudioTrack}. Frame counts of fills are per lost packet or per 20 ms of stall. */
export interface RemoteAudioTrackStats {
  /** RTP packets pushed. */
  packetsReceived: number;
  /** Packets declared lost by the jitter buffer. */
  packetsLost: number;
  /** Packets dropped because they came after their slot was filled. */
  packetsLate: number;
  /** Packets dropped as duplicates. */
  packetsDuplicate: number;
  /** Packets that arrived out of order but in time. */
  packetsReordered: number;
  /** Packets of another payload type (DTMF, comfort noise), skipped. */
  packetsIgnored: number;
  /** Packets the decoder rejected as corrupt (concealed instead). */
  decodeErrors: number;
  /** Packets decoded. */
  framesDecoded: number;
  /** Lost packets rebuilt from the next packet's in-band FEC. */
  fecFrames: number;
  /** Lost packets, and 20 ms stretches of a stall, filled by Opus packet-loss concealment. */
  plcFrames: number;
  /** Silences inserted: DTX gaps, lost G.711 packets, losses and stalls past 100 ms. */
  silenceFrames: number;
  /** Frames queued for reading. */
  framesQueued: number;
  /** Frames dropped because nothing read them in time. */
  queueDrops: number;
  /** Frames dropped in live mode to keep a real-time reader from falling behind (see {@link RemoteAudioTrack.setLiveLatency}). */
  latencyDrops: number;
  /** Frames waiting to be read now. */
  queueSize: number;
  /** New timelines (SSRC changes, sequence or timestamp jumps). */
  resets: number;
  /** RFC 3550 interarrival jitter, ms. */
  jitterMs: number;
  /** How long the jitter buffer now waits for a missing packet, ms. */
  targetDelayMs: number;
  /** Mean time recent packets spent in the jitter buffer, ms. */
  bufferDelayMs: number;
  /** From a packet's arrival until a frame holding all of its audio was queued (recent 500 packets). */
  latencyMs: LatencySummary;
  /**
   * From the arrival of the packet that completed a frame until that frame
   * was handed to the reader (its recv() resolved): the queue's wait
   * included (recent 500 frames).
   */
  deliveryLatencyMs: LatencySummary;
}

const PLC_LIMIT_MS = 100; // conceal this much of one loss or stall, then silence
const MAX_CATCH_UP_MS = 1000; // most stall audio filled at once after the process was blocked
const STALL_GRACE_MS = 60; // plus the jitter buffer's wait: how long past its due time audio may be late before filling starts
const REFRESH_SLACK_MS = 10; // a timer restarted for its own length may wake this much before it is needed

/**
 * An incoming audio track: the WebRTC glue pushes the stream's RTP packets
 * in with {@link pushPacket}; the application reads {@link AudioFrame}s with
 * `recv()` or `for await (const frame of track)`.
 *
 * Inside: {@link JitterBuffer} → decoder (Opus, PCMU, PCMA through the native
 * core) → {@link AudioResampler} to the output format in 20 ms frames → a
 * bounded queue.
 *
 * - **Frames.** Every frame is 20 ms (`sampleRate / 50` samples), and pts are
 *   contiguous from 0 in samples (time base 1/sampleRate): the timeline
 *   never has a gap. Opus is decoded directly at the output rate when Opus
 *   supports it (8, 12, 16, 24 or 48 kHz), else at 48 kHz and resampled;
 *   G.711 is decoded at 8 kHz and resampled.
 * - **Loss.** A lost Opus packet is rebuilt from the next packet's in-band
 *   FEC when that packet is already here and carries FEC, else concealed
 *   (PLC); a lost G.711 packet becomes silence. Past 100 ms of one loss,
 *   silence follows.
 * - **DTX.** A timestamp gap between consecutive packets (discontinuous
 *   transmission, a paused sender) becomes silence of that length.
 * - **Stalls.** When no audio has come for `60 ms + the jitter buffer's wait`
 *   past the time the audio so far runs out, the track fills in real time:
 *   PLC for up to 100 ms, then 20 ms frames of silence paced by the wall
 *   clock — the reader never waits forever, and nothing bursts later. When
 *   packets resume, the loss or silence the jitter buffer reports for the
 *   stall is counted against what was already filled, so the timeline goes
 *   on without a gap and without doubling the stall. Before the first
 *   packet, nothing is produced.
 * - **Unread track.** The queue holds `maxQueueFrames`; beyond, the oldest
 *   frames are dropped (`stats().queueDrops`) and one warning
 *   (`VOXRTC_TRACK_UNREAD`) names the track and the fix.
 * - **End.** {@link endOfStream}: the rest is decoded, queued frames can still
 *   be read, then the track ends. {@link stop}: ends now, frees the decoder,
 *   resampler, queue and every timer.
 *
 * ```ts
 * const track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 16000, channels: 1 } });
 * rtpSource.on('packet', (p) => track.pushPacket(p));
 * for await (const frame of track) stt.write(frame.data);
 * ```
 */
export class RemoteAudioTrack extends MediaStreamTrack {
  /** The stream's codec. */
  readonly codec: AudioCodec;
  /** Output sample rate. */
  readonly sampleRate: number;
  /** Output channels. */
  readonly channels: number;
  /** Output sample format. */
  readonly format: AudioFormat;
  /** Samples per channel in every frame (20 ms). */
  readonly samplesPerFrame: number;

  private readonly decoder: RtpAudioDecoder;
  private readonly jitterBuffer: JitterBuffer;
  private readonly resampler: AudioResampler;
  private readonly queue: FrameQueue;
  private liveMaxQueued: number | undefined;
  private latencyDrops = 0;
  private readonly chunk: number; // 20 ms at the decoder's rate
  private readonly plcLimit: number; // PLC_LIMIT_MS at the decoder's rate
  private readonly ratio: number; // output rate / decoder rate

  private started = false;
  private ending = false;
  private inputPts = 0; // decoder-rate samples handed to the resampler
  private dueAt = 0; // performance.now() ms when the audio produced so far runs out, played from its arrival
  private filledAhead = 0; // decoder-rate samples filled during a stall that the jitter buffer has not yet accounted for
  private concealRun = 0; // decoder-rate samples concealed since the last real audio
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity; // when it fires (Infinity: it has fired, or there is none)
  private timerLength = 0; // ms it was made with (what refresh() restarts it for)
  private warnedUnread = false;
  private readonly marks = new PairQueue(); // (output sample end, arrivalMs) of packets not yet fully queued
  private readonly latency = new LatencyWindow(500);
  private readonly deliveryLatency = new LatencyWindow(500);
  private readonly completions = new PairQueue(); // (frame pts, arrival of the packet that completed it) of queued frames
  private readonly holding = new LatencyWindow(500);
  private readonly counters = {
    packetsIgnored: 0,
    decodeErrors: 0,
    framesDecoded: 0,
    fecFrames: 0,
    plcFrames: 0,
    silenceFrames: 0,
    framesQueued: 0,
    resets: 0,
  };

  /** @throws TypeError or RangeError naming the option that is wrong, what it must be and what it was. */
  constructor(options: RemoteAudioTrackOptions) {
    const where = 'RemoteAudioTrack';
    if (options === undefined) throw invalidType(where, 'options', 'an object with a codec', options);
    const o = checkOptions(where, options, ['codec', 'output', 'maxQueueFrames', 'quality', 'jitterBuffer', 'id']);
    const codec = checkCodec(where, 'options.codec', o.codec);
    const out = checkNested(where, 'options.output', o.output, ['sampleRate', 'channels', 'format']);
    const sampleRate = checkInteger(where, 'options.output.sampleRate', out.sampleRate ?? 48000, 8000, 192000);
    if (sampleRate % 50 !== 0) {
      throw invalidRange(where, 'options.output.sampleRate', 'a multiple of 50 Hz (a whole number of samples in 20 ms)', String(sampleRate));
    }
    const channels = checkInteger(where, 'options.output.channels', out.channels ?? codec.channels, 1, 8);
    const format = checkOneOf(where, 'options.output.format', out.format ?? 's16', ['s16', 'f32'] as const);
    const quality = checkOneOf(where, 'options.quality', o.quality ?? 'fastest', ['fastest', 'medium', 'best'] as const);
    const maxQueueFrames = checkInteger(where, 'options.maxQueueFrames', o.maxQueueFrames ?? 50, 1, 3000);
    if (o.id !== undefined && typeof o.id !== 'string') throw invalidType(where, 'options.id', 'a string', o.id);
    const jb = checkJitterLimits(where, 'options.jitterBuffer', checkNested(where, 'options.jitterBuffer', o.jitterBuffer, ['minDelayMs', 'maxDelayMs', 'maxPackets']));
    if ((jb.minDelayMs ?? 0) > (jb.maxDelayMs ?? 200)) {
      throw invalidRange(where, 'options.jitterBuffer.minDelayMs', `at most maxDelayMs (${jb.maxDelayMs ?? 200})`, String(jb.minDelayMs));
    }
    super({ id: o.id as string | undefined });

    this.codec = codec;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.format = format;
    this.samplesPerFrame = sampleRate / 50;
    const clock = codec.clockRate;
    this.jitterBuffer = new JitterBuffer({
      clockRate: clock,
      ...jb,
      packetSamples: (packet) => (packet.payloadType === codec.payloadType ? this.decoder.packetSamples(packet.payload) : 0),
    });
    this.resampler = new AudioResampler({ rate: sampleRate, channels, format, frameSize: this.samplesPerFrame, quality });
    this.queue = new FrameQueue(maxQueueFrames);
    this.decoder = createRtpAudioDecoder(codec, sampleRate, channels); // last: nothing can throw after the native object exists
    this.chunk = this.decoder.sampleRate / 50;
    this.plcLimit = (this.decoder.sampleRate * PLC_LIMIT_MS) / 1000;
    this.ratio = sampleRate / this.decoder.sampleRate;
    log(
      '%s: %s/%d pt %d → %d Hz × %d %s (decoding at %d Hz × %d)',
      this.describe(), codec.name, clock, codec.payloadType, sampleRate, channels, format, this.decoder.sampleRate, this.decoder.channels,
    );
  }

  /**
   * Takes one RTP packet of this stream (any order, duplicates allowed).
   * Ignored once the track has ended or {@link endOfStream} was called.
   * @throws TypeError or RangeError when `packet` is not a valid {@link ReceivedRtpPacket}.
   */
  pushPacket(packet: ReceivedRtpPacket): void {
    checkPacket('RemoteAudioTrack.pushPacket', packet);
    if (this.ending || this.readyState === 'ended') return;
    const now = performance.now();
    if (!this.started) {
      this.started = true;
      this.dueAt = now;
    }
    try {
      this.handle(this.jitterBuffer.push(packet), now);
    } catch (error) {
      this.fail(error);
    }
    this.schedule(now);
  }

  /**
   * The remote side ended the stream: what the jitter buffer holds is decoded
   * (gaps concealed), the frames already queued can still be read, then
   * `recv()` ends the track. No more filling in of stalls. Idempotent.
   */
  endOfStream(): void {
    if (this.ending || this.readyState === 'ended') return;
    const now = performance.now();
    this.ending = true;
    this.clearTimer();
    try {
      this.handle(this.jitterBuffer.flush(), now);
      for (const frame of this.resampler.flush()) this.enqueue(this.padded(frame), now);
    } catch (error) {
      this.fail(error);
    }
    this.release();
    this.queue.end();
    log('%s: end of stream; %d frames left to read', this.describe(), this.queue.size);
  }

  /**
   * Live mode, for a reader that plays the audio in real time (a sender
   * echoing or relaying the track): each read first drops the oldest queued
   * frames beyond `maxQueuedFrames`, so a stall anywhere cannot leave the
   * reader permanently behind. Dropped frames are counted in
   * `stats().latencyDrops`, and the pts of the next frame read jumps over
   * them. `undefined` turns it off (the default: a speech-to-text reader
   * wants every frame). {@link PeerSession} turns it on (3 frames) for a
   * remote track it sends back out.
   */
  setLiveLatency(maxQueuedFrames: number | undefined): void {
    this.liveMaxQueued = maxQueuedFrames === undefined ? undefined : checkInteger('RemoteAudioTrack.setLiveLatency', 'maxQueuedFrames', maxQueuedFrames, 0, 3000);
  }

  /** The next 20 ms frame; waits for one. Rejects with `MediaStreamError` once the track has ended. */
  async recv(): Promise<AudioFrame> {
    if (this.liveMaxQueued !== undefined) {
      while (this.queue.size > this.liveMaxQueued) {
        void this.queue.shift();
        this.latencyDrops++;
      }
    }
    const frame = await this.queue.shift();
    if (frame === undefined) {
      this.stop();
      throw this.endedError();
    }
    this.delivered(frame.pts);
    return frame;
  }

  /** Counters, jitter and latency. */
  stats(): RemoteAudioTrackStats {
    const jb = this.jitterBuffer.stats();
    return {
      packetsReceived: jb.received,
      packetsLost: jb.lost,
      packetsLate: jb.late,
      packetsDuplicate: jb.duplicates,
      packetsReordered: jb.reordered,
      ...this.counters,
      queueDrops: this.queue.dropped,
      latencyDrops: this.latencyDrops,
      queueSize: this.queue.size,
      jitterMs: jb.jitterMs,
      targetDelayMs: jb.targetDelayMs,
      bufferDelayMs: this.holding.mean(),
      latencyMs: this.latency.summary(),
      deliveryLatencyMs: this.deliveryLatency.summary(),
    };
  }

  protected override onStop(): void {
    this.ending = true;
    this.clearTimer();
    this.release();
    this.queue.close();
    this.jitterBuffer.reset();
  }

  // --- the pipeline ---

  private handle(events: JitterEvent[], now: number): void {
    for (const event of events) {
      switch (event.kind) {
        case 'packet':
          this.onPacket(event.packet, now);
          break;
        case 'lost':
          this.onLost(event.samples, event.nextPacket, now);
          break;
        case 'silence':
          this.onSilence(event.samples, now);
          break;
        case 'reset':
          this.counters.resets++;
          log('%s: new timeline (%s, SSRC %d)', this.describe(), event.reason, event.ssrc);
          this.decoder.reset();
          this.filledAhead = 0;
          this.concealRun = 0;
          break;
      }
    }
  }

  private onPacket(packet: ReceivedRtpPacket, now: number): void {
    if (packet.payloadType !== this.codec.payloadType) {
      this.counters.packetsIgnored++;
      return;
    }
    this.holding.add(now - packet.arrivalMs);
    this.filledAhead = 0; // audio again: anything filled beyond its timestamp stays in the timeline
    let pcm: Int16Array;
    try {
      pcm = this.decoder.decode(packet.payload);
      this.counters.framesDecoded++;
      this.concealRun = 0;
    } catch (error) {
      this.counters.decodeErrors++;
      log('%s: packet %d not decodable (%s); concealed', this.describe(), packet.sequenceNumber, (error as Error).message);
      const samples = this.toDecoderSamples(this.decoder.packetSamples(packet.payload) ?? this.codec.clockRate / 50);
      pcm = this.fill(samples, undefined);
    }
    this.produce(pcm, now, packet.arrivalMs);
  }

  private onLost(clockSamples: number, next: ReceivedRtpPacket | undefined, now: number): void {
    const samples = this.absorb(this.toDecoderSamples(clockSamples));
    if (samples === 0) return;
    const payload = next && next.payloadType === this.codec.payloadType ? next.payload : undefined;
    this.produce(this.fill(samples, payload), now, undefined);
  }

  private onSilence(clockSamples: number, now: number): void {
    const samples = this.absorb(this.toDecoderSamples(clockSamples));
    if (samples === 0) return;
    this.counters.silenceFrames++;
    this.produce(new Int16Array(samples * this.decoder.channels), now, undefined);
  }

  /** Audio for `samples` lost (FEC, PLC, or silence past the PLC limit), counted. */
  private fill(samples: number, next: Uint8Array | undefined): Int16Array {
    const { pcm, kind } = this.decoder.fill(samples, next, this.concealRun < this.plcLimit);
    this.count(kind);
    this.concealRun = kind === 'fec' ? 0 : this.concealRun + samples;
    return pcm;
  }

  private count(kind: FillKind): void {
    if (kind === 'fec') this.counters.fecFrames++;
    else if (kind === 'plc') this.counters.plcFrames++;
    else this.counters.silenceFrames++;
  }

  /** Takes what a stall already filled off a loss or silence the jitter buffer reports; returns what remains. */
  private absorb(samples: number): number {
    const taken = Math.min(this.filledAhead, samples);
    this.filledAhead -= taken;
    return samples - taken;
  }

  /** Decoded PCM → resampler → 20 ms frames → queue. */
  private produce(pcm: Int16Array, now: number, arrivalMs: number | undefined, paced = false): void {
    const samples = pcm.length / this.decoder.channels;
    if (samples === 0) return;
    const frame = checkedFrame(pcm, this.decoder.sampleRate, this.decoder.channels, this.inputPts);
    this.inputPts += samples;
    const ms = (samples * 1000) / this.decoder.sampleRate;
    this.dueAt = paced ? this.dueAt + ms : Math.max(this.dueAt, now) + ms;
    if (arrivalMs !== undefined) this.marks.push(Math.round(this.inputPts * this.ratio), arrivalMs);
    for (const out of this.resampler.resample(frame)) this.enqueue(out, now);
  }

  private enqueue(frame: AudioFrame, now: number): void {
    this.counters.framesQueued++;
    if (!this.queue.push(frame)) this.warnUnread();
    const end = frame.pts + frame.samplesPerChannel;
    const marks = this.marks;
    let completedBy: number | undefined;
    while (marks.size > 0 && marks.firstKey! <= end) {
      completedBy = marks.firstValue!;
      this.latency.add(now - completedBy);
      marks.shift();
    }
    if (completedBy !== undefined) {
      this.completions.push(frame.pts, completedBy);
      // (no more than the queue can hold: the marks of frames dropped unread go too)
      if (this.completions.size > this.queue.capacity) this.completions.shift();
    }
  }

  /** A frame was handed to the reader: the delivery latency of the packet that completed it, if one did. */
  private delivered(pts: number): void {
    const completions = this.completions;
    while (completions.size > 0 && completions.firstKey! < pts) completions.shift(); // (frames dropped unread)
    if (completions.firstKey === pts) {
      this.deliveryLatency.add(performance.now() - completions.firstValue!);
      completions.shift();
    }
  }

  private warnUnread(): void {
    if (this.warnedUnread) return;
    this.warnedUnread = true;
    const message =
      `${this.describe()} is not being read (or not fast enough): its queue of ${this.queue.capacity} frames ` +
      `(${this.queue.capacity * 20} ms) is full and its oldest frames are being dropped. ` +
      'Read it (for await (const frame of track), or track.recv()), record it with a MediaRecorder, ' +
      'or consume it with a MediaBlackHole if you do not need its audio.';
    log('%s', message);
    process.emitWarning(message, { code: 'VOXRTC_TRACK_UNREAD' });
  }

  /** A last, shorter frame padded with silence to 20 ms. */
  private padded(frame: AudioFrame): AudioFrame {
    if (frame.samplesPerChannel >= this.samplesPerFrame) return frame;
    const data = this.format === 'f32' ? new Float32Array(this.samplesPerFrame * this.channels) : new Int16Array(this.samplesPerFrame * this.channels);
    data.set(frame.data);
    return frame.derive({ data, samplesPerChannel: this.samplesPerFrame });
  }

  private toDecoderSamples(clockSamples: number): number {
    return Math.round((clockSamples * this.decoder.sampleRate) / this.codec.clockRate);
  }

  // --- time: the jitter buffer's deadlines and stall filling, on one timer ---

  /** How late audio may be past its due time before the track fills in. */
  private graceMs(): number {
    return STALL_GRACE_MS + this.jitterBuffer.targetDelayMs;
  }

  private schedule(now: number): void {
    if (this.ending) return;
    const deadline = this.jitterBuffer.nextDeadline ?? Infinity;
    const stall = this.started ? this.dueAt + this.graceMs() + 1 : Infinity;
    const wake = Math.min(deadline, stall);
    if (wake === Infinity) return;
    const needed = wake - now;
    const timer = this.timer;
    if (timer !== undefined && this.timerLength <= needed && needed - this.timerLength < REFRESH_SLACK_MS) {
      // Its length still wakes in time, from now: restart it. While packets keep coming the stall deadline
      // moves on with each of them, and a timer restarted this way never fires (a new one would, each time).
      timer.refresh();
      this.timerDue = now + this.timerLength;
      return;
    }
    // An earlier timer is kept: it wakes, finds nothing due, and sets the next one.
    if (timer !== undefined && this.timerDue <= wake) return;
    this.clearTimer();
    this.timerLength = Math.max(1, Math.floor(needed));
    this.timerDue = now + this.timerLength;
    this.timer = setTimeout(this.onTimer, this.timerLength);
  }

  private readonly onTimer = (): void => {
    this.timerDue = Infinity; // (the timer object is kept: schedule() may restart it)
    if (this.ending) return;
    const now = performance.now();
    try {
      this.tick(now);
    } catch (error) {
      this.fail(error);
    }
    this.schedule(now);
  };

  /** The timer's work: deadlines passed in the jitter buffer, then stall filling. */
  private tick(now: number): void {
    this.handle(this.jitterBuffer.poll(now), now);
    // A stall: fill 20 ms at a time, paced by the wall clock. After a long
    // block of the event loop (or a suspended machine) skip instead of bursting.
    const behind = now - this.dueAt - this.graceMs();
    if (behind > MAX_CATCH_UP_MS) this.dueAt += behind - MAX_CATCH_UP_MS;
    let filled = 0;
    while (now - this.dueAt > this.graceMs()) {
      const pcm = this.fill(this.chunk, undefined);
      this.filledAhead += this.chunk;
      this.produce(pcm, now, undefined, true);
      filled++;
    }
    if (filled > 0) log('%s: stalled, filled %d × 20 ms', this.describe(), filled);
  }

  /**
   * An unexpected failure inside the pipeline (not a bad argument): reported
   * (to `'error'` listeners, else as a process warning) instead of thrown
   * into the network code or a timer; the track goes on with the next packet.
   */
  private fail(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    reportError(this, new Error(`${this.describe()}: ${e.message}`, { cause: e }), log);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** Frees the decoder and the resampler (once). */
  private release(): void {
    this.decoder.close();
    this.resampler.close();
  }
}

function checkPacket(where: string, value: unknown): void {
  if (value === null || typeof value !== 'object') throw invalidType(where, 'packet', 'a ReceivedRtpPacket object', value);
  const p = value as Record<string, unknown>;
  checkInteger(where, 'packet.payloadType', p.payloadType, 0, 127);
  checkInteger(where, 'packet.sequenceNumber', p.sequenceNumber, 0, 0xffff);
  checkInteger(where, 'packet.timestamp', p.timestamp, 0, 0xffffffff);
  checkInteger(where, 'packet.ssrc', p.ssrc, 0, 0xffffffff);
  checkBoolean(where, 'packet.marker', p.marker);
  checkBytes(where, 'packet.payload', p.payload);
  if (typeof p.arrivalMs !== 'number' || !Number.isFinite(p.arrivalMs)) {
    throw invalidType(where, 'packet.arrivalMs', 'a finite number (performance.now() when the packet arrived)', p.arrivalMs);
  }
}

/** A nested options object (`options.output`): undefined or a plain object of known keys, no nulls. */
function checkNested(where: string, name: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType(where, name, 'an object', value);
  for (const [key, v] of Object.entries(value)) {
    if (!known.includes(key)) {
      throw Object.assign(new TypeError(`${where}: ${name}.${key} is not an option; known options are ${known.join(', ')}`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    if (v === null) throw invalidType(where, `${name}.${key}`, 'a value, or left out for the default', v);
  }
  return value as Record<string, unknown>;
}
