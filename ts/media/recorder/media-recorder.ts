import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import createDebug from 'debug';
import { describe, invalidType } from '../../core/validate';
import { MediaStreamError, MediaStreamTrack, kOwner } from '../media-stream-track';
import { reportError } from '../report-error';
import { FileSink } from './file-sink';
import { RecorderError, TimelineWarning, type MediaRecorderStats } from './recorder-events';
import { checkDestination, resolveOptions, type MediaRecorderOptions, type RecordingFormat, type ResolvedRecorderOptions } from './recorder-options';
import { Recording, zeroCounters } from './recording';
import { StreamSink } from './stream-sink';

const log = createDebug('voxrtc:recorder');

/** After a failed recv(), wait this long before the next one. */
const RETRY_MS = 20;
/** Yield to the event loop at least this often (in frames), for tracks that deliver without waiting. */
const FRAMES_PER_TURN = 50;
const ABORTED = Symbol('aborted');

/** `'inactive'` → `'recording'` (after {@link MediaRecorder.start}) → `'stopping'` → `'stopped'`. */
export type RecorderState = 'inactive' | 'recording' | 'stopping' | 'stopped';

/**
 * Records one audio track to a WAV (16-bit PCM) or Ogg Opus file, or streams
 * it into a Writable.
 *
 * ```ts
 * const recorder = new MediaRecorder('call.ogg');
 * recorder.on('error', (e) => log.error(e));          // write failures, bad frames: reported, recording goes on
 * recorder.on('warning', (w) => log.warn(w.message)); // timeline corrections
 * recorder.addTrack(remoteTrack);
 * await recorder.start();
 * // …
 * await recorder.stop(); // the file is complete
 * ```
 *
 * **Timeline.** The file follows the track's clock, not the count of frames:
 * the first frame's pts anchors the timeline; a frame whose pts lies after
 * the end of what was written leaves a gap that is filled with silence (so
 * the file lasts as long as the track's timeline); a frame whose pts lies
 * before that end overlaps, and its overlapping part is dropped; a jump of
 * more than `maxGapSeconds` (default 30) forward or backward is taken for a
 * timestamp reset or wrap: no silence is inserted, nothing is dropped, the
 * timeline re-anchors at that frame. Each correction emits `'warning'` (a
 * {@link TimelineWarning}) and is counted in {@link stats}. Pts differences
 * within 1 ms count as contiguous. Frames may change rate, channel count,
 * sample type or layout mid-stream; they are converted to the file's format
 * (set by the options or the first frame).
 *
 * **Crash safety.** Audio is handed to the OS about every second: a WAV
 * file's header sizes are patched in place each time, an Ogg page is
 * completed each time, so a killed process leaves a readable file missing at
 * most about the last second. With `fsync: true` each flush is also
 * fdatasync'ed (power failures).
 *
 * **Streams.** Given a Writable, the recording is written sequentially;
 * a WAV header then carries the sizes 0xFFFFFFFF ("unknown length", the
 * streaming convention), which sox, ffmpeg and most readers read to the end.
 * {@link stop} ends the stream.
 *
 * **Slow disks.** Writes go through a queue bounded to about
 * `maxQueueSeconds` (default 30) of audio; the recorder keeps reading a live
 * track meanwhile, so upstream never stalls. If the queue is full, incoming
 * audio is replaced by silence (the file keeps its timeline; the hole is
 * silent), counted in `stats.samplesDroppedQueueFull`, and one
 * `ERR_VOXRTC_RECORDER_OVERFLOW` error is emitted per episode (an episode
 * ends when the queue has drained to half). A track that is not live — its
 * frames run more than a second ahead of the wall clock (a file, offline
 * processing, a burst of TTS) — is instead made to wait until the queue has
 * room (`stats.diskWaits`); nothing is dropped.
 *
 * **Events.** `'error'` ({@link RecorderError}): a write failed, a frame was
 * unusable, recv() failed, the queue overflowed — reported, never stopping the
 * recording; without an `'error'` listener they go to `process.emitWarning`.
 * `'warning'` ({@link TimelineWarning}): a timeline correction. `'finish'`:
 * the file is complete (after {@link stop}, or after the track ended).
 */
export class MediaRecorder extends EventEmitter {
  /** The file format being written. */
  readonly format: RecordingFormat;
  private readonly destination: string | Writable;
  private readonly options: ResolvedRecorderOptions;
  private readonly abort = new AbortController();
  /** Settles the read in progress with ABORTED when the recorder stops. */
  private wake: ((value: typeof ABORTED) => void) | undefined;
  private track: MediaStreamTrack | undefined;
  private currentState: RecorderState = 'inactive';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private recording: Recording | undefined;
  private trackErrors = 0;

  /**
   * @param pathOrWritable - A file path (created or truncated) or a Writable stream.
   * @param options - See {@link MediaRecorderOptions}; `format` is required unless the path ends in .wav, .ogg or .opus.
   * @throws TypeError or RangeError naming the argument that is wrong.
   */
  constructor(pathOrWritable: string | Writable, options?: MediaRecorderOptions) {
    super();
    this.destination = checkDestination(pathOrWritable);
    this.options = resolveOptions(this.destination, options);
    this.format = this.options.format;
    this.abort.signal.addEventListener('abort', () => this.wake?.(ABORTED), { once: true });
  }

  /** Where the recording goes, for messages: the path, or "a stream". */
  get target(): string {
    return typeof this.destination === 'string' ? this.destination : 'a stream';
  }

  /** See {@link RecorderState}. */
  get state(): RecorderState {
    return this.currentState;
  }

  /** A snapshot of the counters. */
  get stats(): MediaRecorderStats {
    const recording = this.recording;
    if (!recording) return { ...zeroCounters(), trackErrors: this.trackErrors, queuedBytes: 0 };
    return { ...recording.counters, trackErrors: this.trackErrors, queuedBytes: recording.queue.queuedBytes };
  }

  /**
   * Sets the track to record (one audio track per recorder), before {@link start}.
   * @throws TypeError when `track` is not a MediaStreamTrack, a track was already added, or a relay owns it.
   */
  addTrack(track: MediaStreamTrack): void {
    const where = 'MediaRecorder.addTrack';
    if (!(track instanceof MediaStreamTrack)) throw invalidType(where, 'track', 'a MediaStreamTrack', track);
    if (this.track !== undefined) {
      if (this.track === track) return;
      throw new TypeError(`${where}: this recorder already records ${this.track.describe()}; a recorder takes one audio track (create another MediaRecorder for ${track.describe()})`);
    }
    if (this.currentState !== 'inactive') throw new TypeError(`${where}: the recorder is ${this.currentState}; add the track before start()`);
    const owner = (track as unknown as Record<symbol, string | undefined>)[kOwner];
    if (owner !== undefined) {
      throw new TypeError(`${where}: ${track.describe()} is read by ${owner}; recording it directly would steal its frames. Record relay.subscribe(track) instead`);
    }
    this.track = track;
  }

  /**
   * Opens the file and starts reading the track. Resolves once the file is
   * open (the recording runs in the background).
   * @throws Error when no track was added, the recorder was already started, or the file cannot be created.
   */
  async start(): Promise<void> {
    const where = 'MediaRecorder.start';
    const track = this.track;
    if (this.currentState !== 'inactive') throw new Error(`${where}: the recorder is ${this.currentState}; a recorder records once (create a new one)`);
    if (!track) throw new Error(`${where}: there is no track to record; call addTrack(track) first`);
    this.currentState = 'recording';
    this.starting = this.openSink();
    try {
      await this.starting;
    } catch (error) {
      this.currentState = 'stopped';
      const e = error as Error;
      e.message = `${where}: ${e.message}`;
      throw e;
    }
    if (this.abort.signal.aborted) return; // stop() was called while opening
    log('recording %s to %s (%s)', track.describe(), this.target, this.format);
    this.loop = this.pull(track, this.recording as Recording);
    // The track's end finishes the file too.
    this.loop
      .then(() => this.stop())
      .catch((error: Error) => this.report(new RecorderError(`MediaRecorder: finishing ${this.target} failed: ${error.message}`, 'ERR_VOXRTC_RECORDER_CLOSE', error)));
  }

  /**
   * Stops reading the track (a read in progress is abandoned; the track
   * itself is not stopped), writes what is buffered, finalizes the file and
   * closes it (or ends the stream). Idempotent: every call returns the same
   * promise. Before {@link start} it just marks the recorder stopped.
   */
  stop(): Promise<void> {
    this.stopping ??= this.finalize();
    return this.stopping;
  }

  override on(event: 'error', listener: (error: RecorderError) => void): this;
  override on(event: 'warning', listener: (warning: TimelineWarning) => void): this;
  override on(event: 'finish', listener: () => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once(event: 'error', listener: (error: RecorderError) => void): this;
  override once(event: 'warning', listener: (warning: TimelineWarning) => void): this;
  override once(event: 'finish', listener: () => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }

  private async openSink(): Promise<void> {
    const sink = typeof this.destination === 'string' ? await FileSink.create(this.destination) : new StreamSink(this.destination);
    this.recording = new Recording(sink, this.options, this.target, {
      error: (error) => this.report(error),
      warning: (kind, message, offsetSeconds, fileSeconds) => {
        if (this.listenerCount('warning') > 0) this.emit('warning', new TimelineWarning(kind, message, offsetSeconds, fileSeconds));
      },
    });
  }

  private async pull(track: MediaStreamTrack, recording: Recording): Promise<void> {
    let failing = false;
    let frames = 0;
    while (!this.abort.signal.aborted) {
      let value: unknown;
      try {
        value = await this.read(track);
      } catch (error) {
        if (error instanceof MediaStreamError && error.code === 'ERR_VOXRTC_TRACK_ENDED') break;
        this.trackErrors++;
        if (!failing) {
          failing = true;
          this.report(new RecorderError(`MediaRecorder: reading ${track.describe()} failed: ${(error as Error)?.message ?? describe(error)}`, 'ERR_VOXRTC_RECORDER_TRACK', error));
        }
        if (track.readyState === 'ended') break;
        await sleep(RETRY_MS, undefined, { signal: this.abort.signal }).catch(() => undefined);
        continue;
      }
      if (value === ABORTED) break;
      failing = false;
      await recording.add(track, value);
      // A track that delivers faster than real time (offline work) must not starve the writes:
      // let the I/O callbacks run every FRAMES_PER_TURN frames (about a second of audio).
      if (++frames % FRAMES_PER_TURN === 0) await nextTurn();
    }
    log('stopped reading %s', track.describe());
  }

  /**
   * The track's next frame, or ABORTED as soon as the recorder stops (the
   * read is then abandoned). Not Promise.race with a long-lived promise:
   * that would pile up one reaction per frame on it for the whole recording.
   */
  private read(track: MediaStreamTrack): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.wake = resolve;
      track.recv().then(resolve, reject);
    });
  }

  private report(error: RecorderError): void {
    reportError(this, error, log);
  }

  private async finalize(): Promise<void> {
    if (this.currentState === 'inactive') {
      this.currentState = 'stopped';
      return;
    }
    this.currentState = 'stopping';
    this.abort.abort();
    await this.starting?.catch(() => undefined);
    await this.loop;
    if (this.recording) await this.recording.finish(); // otherwise start() failed: there is no file
    this.currentState = 'stopped';
    log('%s finished: %o', this.target, this.stats);
    this.emit('finish');
  }
}
