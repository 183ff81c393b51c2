import createDebug from 'debug';
import { AudioFrame, type AudioFormat } from './audio-frame';
import { AudioResampler } from './audio-resampler';
import { PacingClock } from './clock';
import { MediaStreamError, MediaStreamTrack } from './media-stream-track';
import type { ResamplerQuality } from '../core/resampler';
import { type Pcm, checkInteger, checkOneOf, checkOptions, checkPcm, invalidRange } from '../core/validate';

const log = createDebug('voxrtc:source');

/** Options for {@link AudioSource}. */
export interface AudioSourceOptions {
  /** The track's sample rate. Default 48000. */
  sampleRate?: number;
  /** The track's channels. Default 1. */
  channels?: number;
  /** The track's sample format. Default `'s16'`. */
  format?: AudioFormat;
  /** Frame duration in ms (10 to 60). Default 20. */
  frameMs?: number;
  /** Most audio held waiting to be played, in seconds. Default 20. */
  maxQueueSeconds?: number;
  /**
   * What the track does while nothing is queued: `'silence'` (default) sends
   * silent frames in real time; `'wait'` sends nothing until audio arrives
   * (the pts then jump by the time that passed).
   */
  whenEmpty?: 'silence' | 'wait';
  /** Converter used for pushed audio at another rate. Default `'medium'`. */
  quality?: ResamplerQuality;
  /** Track id. */
  id?: string;
}

/** Describes raw samples given to {@link AudioSource.push}. */
export interface PushOptions {
  /** Default: the source's rate. */
  sampleRate?: number;
  /** Default: the source's channels. */
  channels?: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

/** The live track of an {@link AudioSource}. */
export class AudioSourceTrack extends MediaStreamTrack {
  /** @internal */
  constructor(
    private readonly source: AudioSource,
    id: string | undefined,
  ) {
    super({ id });
  }

  /** The next frame, when it is due: queued audio, or silence while nothing is queued. */
  recv(): Promise<AudioFrame> {
    return this.source.nextFrame(this);
  }

  protected override onStop(): void {
    this.source.close();
  }
}

/**
 * Push audio in, get a paced track out — the way to send text-to-speech.
 *
 * Push PCM or frames of any rate, format and channel count; they are
 * converted to the track's format. The track emits one frame every `frameMs`
 * on an absolute clock, with silence while nothing is queued.
 *
 * Backpressure: the queue holds at most `maxQueueSeconds`; `push()` returns a
 * promise that resolves once all of the pushed audio is queued, so
 * `await source.push(chunk)` paces a fast producer. {@link clear} drops
 * everything queued — and the audio of pushes still waiting — at once
 * (barge-in), and the track is silent from its next frame.
 *
 * ```ts
 * const source = new AudioSource({ sampleRate: 48000 });
 * session.addTrack(source.track);
 * await source.push(ttsPcm, { sampleRate: 24000 });
 * await source.drained(); // played out
 * ```
 */
export class AudioSource {
  /** The track to send (or record, or relay). */
  readonly track: AudioSourceTrack;
  /** The track's sample rate. */
  readonly sampleRate: number;
  /** The track's channels. */
  readonly channels: number;
  /** The track's sample format. */
  readonly format: AudioFormat;
  /** Samples per channel in each frame. */
  readonly samplesPerFrame: number;
  private readonly capacity: number; // samples per channel
  private readonly whenEmpty: 'silence' | 'wait';
  private readonly clock: PacingClock;
  private readonly abort = new AbortController();
  private readonly converter: AudioResampler;
  private readonly frameMs: number;
  private chunks: Pcm[] = [];
  private chunkOffset = 0; // in values, into chunks[0]
  private queued = 0; // samples per channel
  private requestedTotal = 0; // samples per channel pushed (after conversion)
  private settledTotal = 0; // samples per channel played out or dropped
  private inputPts = new Map<string, number>();
  private generation = 0;
  private pushChain: Promise<void> = Promise.resolve();
  private spaceWaiters: Array<() => void> = [];
  private drainWaiters: Waiter[] = [];
  private dataWaiter: (() => void) | undefined;
  private pts = 0;
  private ending = false;
  private isClosed = false;
  private lastRecvAt = performance.now(); // (not 0: a never-read track counts from its creation)
  private warnedUnread = false;
  private silentFrames = 0;
  private audioFrames = 0;
  private playedSamples = 0;

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options: AudioSourceOptions = {}) {
    const where = 'AudioSource';
    const o = checkOptions(where, options, ['sampleRate', 'channels', 'format', 'frameMs', 'maxQueueSeconds', 'whenEmpty', 'quality', 'id']);
    this.sampleRate = checkInteger(where, 'options.sampleRate', o.sampleRate ?? 48000, 8000, 192000);
    this.channels = checkInteger(where, 'options.channels', o.channels ?? 1, 1, 8);
    this.format = checkOneOf(where, 'options.format', o.format ?? 's16', ['s16', 'f32'] as const);
    this.frameMs = checkInteger(where, 'options.frameMs', o.frameMs ?? 20, 10, 60);
    if ((this.sampleRate * this.frameMs) % 1000 !== 0) {
      throw invalidRange(where, 'options.frameMs', `a whole number of samples at ${this.sampleRate} Hz`, `${this.frameMs}`);
    }
    const maxQueue = o.maxQueueSeconds ?? 20;
    if (typeof maxQueue !== 'number' || !(maxQueue >= this.frameMs / 1000 && maxQueue <= 3600)) {
      throw invalidRange(where, 'options.maxQueueSeconds', `a number of seconds from ${this.frameMs / 1000} to 3600`, String(maxQueue));
    }
    this.whenEmpty = checkOneOf(where, 'options.whenEmpty', o.whenEmpty ?? 'silence', ['silence', 'wait'] as const);
    const quality = checkOneOf(where, 'options.quality', o.quality ?? 'medium', ['fastest', 'medium', 'best'] as const);
    this.samplesPerFrame = (this.sampleRate * this.frameMs) / 1000;
    this.capacity = Math.round(maxQueue * this.sampleRate);
    this.clock = new PacingClock(this.frameMs);
    this.converter = new AudioResampler({ rate: this.sampleRate, channels: this.channels, format: this.format, quality });
    this.track = new AudioSourceTrack(this, o.id as string | undefined);
  }

  /** Seconds of audio queued and not yet played. */
  get queuedDuration(): number {
    return this.queued / this.sampleRate;
  }

  /** Counters: frames of audio and of silence emitted, seconds pushed and played. */
  stats(): { audioFrames: number; silentFrames: number; pushedSeconds: number; playedSeconds: number; queuedSeconds: number } {
    return {
      audioFrames: this.audioFrames,
      silentFrames: this.silentFrames,
      pushedSeconds: this.requestedTotal / this.sampleRate,
      playedSeconds: this.playedSamples / this.sampleRate,
      queuedSeconds: this.queuedDuration,
    };
  }

  /**
   * Queues audio for playout. Raw samples are taken to be at the source's rate
   * and channel count unless `options` say otherwise; an {@link AudioFrame}
   * describes itself (its pts are ignored: pushed audio plays back to back).
   * Resolves once all of it is queued — at once while there is room.
   * @throws (synchronously, never as a rejection) TypeError or RangeError for bad audio or options; an Error after {@link end} or {@link close}.
   */
  push(audio: Pcm | Buffer | AudioFrame, options: PushOptions = {}): Promise<void> {
    const where = 'AudioSource.push';
    if (this.isClosed || this.ending) {
      // Thrown, like every other push() error: a rejected promise here would be one more way to fail.
      throw Object.assign(new Error(`${where}: the source is ${this.isClosed ? 'closed' : 'ended'}; create a new AudioSource`), {
        code: this.isClosed ? 'ERR_VOXRTC_CLOSED' : 'ERR_VOXRTC_ENDED',
      });
    }
    const frame = this.toFrame(where, audio, options);
    return this.schedule(this.converter.resample(frame).map((f) => f.data));
  }

  /**
   * Drops everything queued and the audio of pushes still waiting for room
   * (their promises resolve). The track is silent from its next frame.
   * @returns Seconds of audio dropped from the queue.
   */
  clear(): number {
    const dropped = this.queued;
    this.generation++;
    this.chunks = [];
    this.chunkOffset = 0;
    this.queued = 0;
    this.settledTotal = this.requestedTotal;
    this.converter.flush(); // forget the converter's tail too
    this.wakeSpace();
    this.settleDrains();
    log('%s cleared %d ms', this.track.describe(), Math.round((dropped / this.sampleRate) * 1000));
    return dropped / this.sampleRate;
  }

  /** Resolves when everything pushed so far has been played out (or cleared). */
  drained(): Promise<void> {
    const target = this.requestedTotal;
    if (this.settledTotal >= target) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ target, resolve }));
  }

  /** No more audio: the track plays out what is queued, then ends. */
  async end(): Promise<void> {
    if (this.ending || this.isClosed) return;
    await this.pushChain;
    this.ending = true;
    this.flushConverter();
    this.dataWaiter?.();
  }

  /** Ends the track now; queued audio is dropped. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.abort.abort();
    this.generation++;
    this.chunks = [];
    this.queued = 0;
    this.converter.close();
    this.wakeSpace();
    this.settledTotal = this.requestedTotal;
    this.settleDrains();
    this.dataWaiter?.();
    this.track.stop();
  }

  /** @internal The track's recv(). */
  async nextFrame(track: AudioSourceTrack): Promise<AudioFrame> {
    this.lastRecvAt = performance.now();
    // Less than a frame left: move the converter's held-back tail into the queue
    // now, so this frame is not padded with silence and followed by the tail.
    if (this.queued < this.samplesPerFrame && !this.isClosed) this.flushConverter();
    if (this.queued === 0 && this.ending) {
      track.stop();
      throw new MediaStreamError(`${track.describe()} has ended`);
    }
    if (this.queued === 0 && this.whenEmpty === 'wait' && !this.isClosed) {
      const waitedFrom = performance.now();
      await new Promise<void>((resolve) => (this.dataWaiter = resolve));
      this.dataWaiter = undefined;
      const missed = Math.floor((performance.now() - waitedFrom) / this.frameMs);
      this.pts += missed * this.samplesPerFrame;
      this.clock.reset();
      if (this.queued === 0 && this.ending) track.stop();
    }
    try {
      await this.clock.next(this.abort.signal);
    } catch {
      // aborted by close()
    }
    if (this.isClosed || track.readyState === 'ended') throw new MediaStreamError(`${track.describe()} has ended`);
    const frame = this.takeFrame();
    this.lastRecvAt = performance.now();
    return frame;
  }

  private takeFrame(): AudioFrame {
    const n = this.samplesPerFrame;
    const length = n * this.channels;
    const data = this.format === 'f32' ? new Float32Array(length) : new Int16Array(length);
    let filled = 0; // values
    while (filled < length && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const take = Math.min(length - filled, chunk.length - this.chunkOffset);
      data.set(chunk.subarray(this.chunkOffset, this.chunkOffset + take), filled);
      filled += take;
      this.chunkOffset += take;
      if (this.chunkOffset >= chunk.length) {
        this.chunks.shift();
        this.chunkOffset = 0;
      }
    }
    const took = filled / this.channels;
    this.queued -= took;
    this.settledTotal += took;
    this.playedSamples += took;
    if (took > 0) this.audioFrames++;
    else this.silentFrames++;
    const frame = new AudioFrame({ data, sampleRate: this.sampleRate, channels: this.channels, samplesPerChannel: n, pts: this.pts });
    this.pts += n;
    this.wakeSpace();
    this.settleDrains();
    return frame;
  }

  private async enqueue(parts: Pcm[], generation: number): Promise<void> {
    for (const part of parts) {
      let offset = 0; // values
      while (offset < part.length) {
        if (generation !== this.generation || this.isClosed) return; // cleared or closed: discard
        const room = (this.capacity - this.queued) * this.channels;
        if (room <= 0) {
          await this.waitForSpace();
          continue;
        }
        const take = Math.min(room, part.length - offset);
        this.chunks.push(offset === 0 && take === part.length ? part : part.slice(offset, offset + take));
        offset += take;
        this.queued += take / this.channels;
        const wake = this.dataWaiter;
        this.dataWaiter = undefined;
        wake?.();
      }
    }
  }

  private waitForSpace(): Promise<void> {
    if (!this.warnedUnread && performance.now() - this.lastRecvAt > 5000) {
      this.warnedUnread = true;
      process.emitWarning(
        `${this.track.describe()}: the queue is full and nothing has read the track for 5 s. ` +
          'Send it on a peer connection, or consume it with a MediaRecorder or MediaBlackHole.',
        { code: 'VOXRTC_TRACK_UNREAD' },
      );
    }
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  private wakeSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private settleDrains(): void {
    if (this.drainWaiters.length === 0) return;
    const done = this.drainWaiters.filter((w) => this.settledTotal >= w.target || this.isClosed);
    this.drainWaiters = this.drainWaiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
  }

  /** Queues converted audio behind earlier pushes; resolves once it is all queued (or discarded). */
  private schedule(parts: Pcm[]): Promise<void> {
    for (const part of parts) this.requestedTotal += part.length / this.channels;
    const generation = this.generation;
    const job = this.pushChain.then(() => this.enqueue(parts, generation));
    this.pushChain = job.catch(() => undefined);
    return job;
  }

  /** Moves the converter's held-back tail into the queue (at an underrun or the end). */
  private flushConverter(): void {
    const tail = this.converter.flush();
    if (tail.length > 0) void this.schedule(tail.map((f) => f.data));
  }

  private toFrame(where: string, audio: unknown, options: PushOptions): AudioFrame {
    let frame: AudioFrame;
    if (audio instanceof AudioFrame) {
      frame = audio;
    } else {
      const data = checkPcm(where, 'audio', audio);
      const o = checkOptions(where, options, ['sampleRate', 'channels']);
      const sampleRate = checkInteger(where, 'options.sampleRate', o.sampleRate ?? this.sampleRate, 8000, 192000);
      const channels = checkInteger(where, 'options.channels', o.channels ?? this.channels, 1, 8);
      if (data.length % channels !== 0) {
        throw invalidRange(where, 'audio', `whole ${channels}-channel frames (a multiple of ${channels} values)`, `${data.length} values`);
      }
      frame = new AudioFrame({ data, sampleRate, channels });
    }
    if (frame.samplesPerChannel === 0) return frame;
    // Re-stamp: pushed audio plays back to back, whatever its own pts.
    const key = `${frame.sampleRate}/${frame.channels}`;
    const pts = this.inputPts.get(key) ?? 0;
    this.inputPts.clear();
    this.inputPts.set(key, pts + frame.samplesPerChannel);
    return new AudioFrame({ data: frame.data, sampleRate: frame.sampleRate, channels: frame.channels, layout: frame.layout, pts });
  }
}
