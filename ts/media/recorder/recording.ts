import { setImmediate as nextTurn } from 'node:timers/promises';
import createDebug from 'debug';
import { describe, type Pcm } from '../../core/validate';
import { AudioFrame } from '../audio-frame';
import type { MediaStreamTrack } from '../media-stream-track';
import type { AudioFileWriter } from './audio-file-writer';
import type { ByteSink } from './byte-sink';
import { FrameConformer } from './frame-conformer';
import { OggOpusWriter } from './ogg-opus-writer';
import { RecorderError, type MediaRecorderStats } from './recorder-events';
import type { ResolvedRecorderOptions } from './recorder-options';
import { Timeline, type Placement } from './timeline';
import { WavWriter } from './wav-writer';
import { WriteQueue, type WriteOp } from './write-queue';

const log = createDebug('voxrtc:recorder');

/** Audio is handed to the disk (and a WAV header patched, an Ogg page completed) about this often. */
const FLUSH_SECONDS = 1;
/** Silence is written in pieces this long, yielding to the event loop in between. */
const SILENCE_CHUNK_SECONDS = 1;
/**
 * A track whose frames add up to more than this many seconds beyond the wall
 * clock since its first frame is not live (a file, offline work, a burst of
 * synthesized speech); such a track waits for a full write queue instead of
 * losing audio. A live track cannot run ahead of real time.
 */
const AHEAD_SECONDS = 1;

/** What a {@link Recording} tells its owner. */
export interface RecordingEvents {
  /** A problem to report as `'error'`; the recording goes on. */
  error(error: RecorderError): void;
  /** A timeline correction to report as `'warning'`. */
  warning(kind: 'gap' | 'overlap' | 'discontinuity', message: string, offsetSeconds: number, fileSeconds: number): void;
}

/** The stats a recording keeps (the recorder adds its track's read errors and the queue's size). */
export type Counters = Omit<MediaRecorderStats, 'queuedBytes' | 'trackErrors'>;

/** Counters with nothing counted yet. */
export function zeroCounters(): Counters {
  return {
    framesReceived: 0,
    framesWritten: 0,
    badFrames: 0,
    samplesWritten: 0,
    silenceSamplesInserted: 0,
    samplesDroppedOverlap: 0,
    samplesDroppedQueueFull: 0,
    samplesDroppedFileFull: 0,
    diskWaits: 0,
    discontinuities: 0,
    writeErrors: 0,
    bytesWritten: 0,
  };
}

/**
 * One recording in progress: frames in, file out. It places each frame on
 * the {@link Timeline}, converts it to the file's format
 * ({@link FrameConformer}), hands it to the format's writer, and keeps the
 * {@link WriteQueue} bounded — owing silence instead of audio while the disk
 * is behind a live track, waiting for it when the track runs ahead of real
 * time. The file's format comes from the options, else from the first frame.
 */
export class Recording {
  /** The counters, updated as frames arrive and writes complete. */
  readonly counters: Counters = zeroCounters();
  /** Operations waiting to be written (including the one in progress). */
  readonly queue: WriteQueue;
  private readonly sink: ByteSink;
  private readonly options: ResolvedRecorderOptions;
  private readonly target: string;
  private readonly events: RecordingEvents;
  private output: { writer: AudioFileWriter; conformer: FrameConformer; timeline: Timeline } | undefined;
  /** Samples of silence owed to the file (gaps, audio dropped while the disk was behind), written when there is room. */
  private silenceDebt = 0;
  private overflowing = false;
  private writeFailing = false;
  private fileFull = false;
  private firstFrameAt: number | undefined;
  private receivedSeconds = 0;

  /** @param target - The path or "a stream", for messages. */
  constructor(sink: ByteSink, options: ResolvedRecorderOptions, target: string, events: RecordingEvents) {
    this.sink = sink;
    this.options = options;
    this.target = target;
    this.events = events;
    this.queue = new WriteQueue(sink, (error, op) => this.onWritten(error, op));
  }

  /** Records what the track's recv() gave; anything but an AudioFrame is reported and skipped. */
  async add(track: MediaStreamTrack, value: unknown): Promise<void> {
    const c = this.counters;
    c.framesReceived++;
    if (!(value instanceof AudioFrame)) {
      c.badFrames++;
      this.events.error(new RecorderError(`MediaRecorder: ${track.describe()} gave ${describe(value)} from recv(); expected an AudioFrame. It was skipped`, 'ERR_VOXRTC_RECORDER_FRAME'));
      return;
    }
    try {
      await this.record(track, value);
    } catch (error) {
      c.badFrames++;
      this.events.error(
        new RecorderError(`MediaRecorder: could not record ${value.toString()} from ${track.describe()}: ${(error as Error).message}. It was skipped`, 'ERR_VOXRTC_RECORDER_FRAME', error),
      );
    }
  }

  /**
   * Writes what is buffered and owed, the final header or page, waits for the
   * queue to drain and closes the sink. A recording without a single frame
   * still becomes a valid (empty) file.
   */
  async finish(): Promise<void> {
    const output = this.output ?? this.openOutput(undefined);
    try {
      this.writeAudio(output.conformer.flush());
      while (this.silenceDebt > 0) {
        await this.payDebt();
        if (this.silenceDebt > 0) await this.queue.idle();
      }
      output.writer.finish();
    } finally {
      output.writer.close();
      output.conformer.close();
    }
    await this.queue.idle();
    try {
      await this.sink.close();
    } catch (error) {
      this.events.error(new RecorderError(`MediaRecorder: finishing ${this.sink.description} failed: ${(error as Error).message}`, 'ERR_VOXRTC_RECORDER_CLOSE', error));
    }
  }

  private async record(track: MediaStreamTrack, input: AudioFrame): Promise<void> {
    const c = this.counters;
    const { writer, conformer, timeline } = this.output ?? this.openOutput(input);
    const queue = this.queue;
    const rate = writer.sampleRate;
    this.firstFrameAt ??= performance.now();
    this.receivedSeconds += input.duration;
    if (queue.full && this.silenceDebt === 0 && this.receivedSeconds - (performance.now() - this.firstFrameAt) / 1000 > AHEAD_SECONDS) {
      // Faster than real time: nothing live is waiting, so wait for the disk rather than drop audio.
      c.diskWaits++;
      log('%s runs ahead of real time; waiting for the disk', track.describe());
      await queue.room();
    }
    await this.payDebt();
    if (this.overflowing && this.silenceDebt === 0 && queue.queuedBytes <= queue.limitBytes / 2) {
      this.overflowing = false;
      log('write queue drained; recording audio again');
    }

    let frame = input;
    const writtenEnd = timeline.end / rate;
    const placement = timeline.place(frame.pts, frame.timeBase, (frame.samplesPerChannel * rate) / frame.sampleRate);
    if (placement.kind === 'discontinuity') {
      c.discontinuities++;
      this.writeAudio(conformer.flush());
      this.warn(track, placement, writtenEnd);
    } else if (placement.kind === 'gap') {
      this.writeAudio(conformer.flush());
      c.silenceSamplesInserted += placement.silence;
      this.warn(track, placement, writtenEnd);
      this.silenceDebt += placement.silence;
      await this.payDebt();
    } else if (placement.kind === 'overlap') {
      c.samplesDroppedOverlap += Math.round(placement.drop);
      this.warn(track, placement, writtenEnd);
      const drop = Math.round((placement.drop * frame.sampleRate) / rate);
      if (drop >= frame.samplesPerChannel) return;
      frame = withoutStart(frame, drop);
    }

    if (this.silenceDebt > 0 || queue.full) {
      // The disk is behind a live track: keep the timeline with silence instead of holding more audio.
      this.writeAudio(conformer.flush());
      const samples = Math.round((frame.samplesPerChannel * rate) / frame.sampleRate);
      c.samplesDroppedQueueFull += samples;
      this.silenceDebt += samples;
      if (!this.overflowing) {
        this.overflowing = true;
        this.events.error(
          new RecorderError(
            `MediaRecorder: writing ${this.target} is slower than the audio arrives; the write queue holds more than ` +
              `${this.options.maxQueueSeconds} s of audio, so incoming audio is replaced by silence until it drains`,
            'ERR_VOXRTC_RECORDER_OVERFLOW',
          ),
        );
      }
      return;
    }
    this.writeAudio(conformer.convert(frame));
    c.framesWritten++;
  }

  /** Creates the writer for the file's format (from the options, else the first frame, else defaults). */
  private openOutput(first: AudioFrame | undefined): NonNullable<Recording['output']> {
    const o = this.options;
    const push = (op: WriteOp): void => this.queue.push(op);
    const writer: AudioFileWriter =
      o.format === 'wav'
        ? new WavWriter(push, {
            sampleRate: o.sampleRate ?? first?.sampleRate ?? 48000,
            channels: o.channels ?? first?.channels ?? 1,
            seekable: this.sink.seekable,
            flushSeconds: FLUSH_SECONDS,
            fsync: o.fsync,
          })
        : new OggOpusWriter(push, {
            channels: (o.channels ?? Math.min(2, first?.channels ?? 1)) as 1 | 2,
            inputSampleRate: first?.sampleRate ?? 48000,
            bitrate: o.bitrate,
            application: o.application,
            flushSeconds: FLUSH_SECONDS,
            fsync: o.fsync,
          });
    this.queue.limitBytes = o.maxQueueSeconds * writer.bytesPerSecond;
    writer.start();
    log('%s: %s, %d Hz × %d', this.target, o.format, writer.sampleRate, writer.channels);
    this.output = {
      writer,
      conformer: new FrameConformer({ sampleRate: writer.sampleRate, channels: writer.channels, format: writer.sampleFormat }),
      timeline: new Timeline(writer.sampleRate, o.maxGapSeconds),
    };
    return this.output;
  }

  private writeAudio(chunks: Pcm[]): void {
    const writer = (this.output as NonNullable<Recording['output']>).writer;
    for (const pcm of chunks) {
      const frames = pcm.length / writer.channels;
      const accepted = writer.write(pcm);
      this.counters.samplesWritten += accepted;
      if (accepted < frames) this.refused(frames - accepted);
    }
  }

  /** Writes owed silence while the queue has room, in pieces, yielding in between. */
  private async payDebt(): Promise<void> {
    const output = this.output;
    if (!output) return;
    const chunk = output.writer.sampleRate * SILENCE_CHUNK_SECONDS;
    while (this.silenceDebt > 0 && !this.queue.full) {
      const n = Math.min(this.silenceDebt, chunk);
      this.silenceDebt -= n;
      const accepted = output.writer.writeSilence(n);
      this.counters.samplesWritten += accepted;
      if (accepted < n) this.refused(n - accepted);
      if (this.silenceDebt > 0) await nextTurn();
    }
  }

  private refused(samples: number): void {
    this.counters.samplesDroppedFileFull += samples;
    if (this.fileFull) return;
    this.fileFull = true;
    this.events.error(
      new RecorderError(
        `MediaRecorder: ${this.target} reached the WAV size limit (4 GiB of data); later audio is not written. Record long sessions as 'ogg', or in several files`,
        'ERR_VOXRTC_RECORDER_FILE_FULL',
      ),
    );
  }

  private onWritten(error: Error | undefined, op: WriteOp): void {
    const c = this.counters;
    if (!error) {
      if (op.kind === 'append') c.bytesWritten += op.data.length;
      else if (op.kind === 'zeros') c.bytesWritten += op.length;
      if (this.writeFailing) {
        this.writeFailing = false;
        log('writing %s works again', this.target);
      }
      return;
    }
    c.writeErrors++;
    if (this.writeFailing) {
      log('write failed again: %s', error.message);
      return;
    }
    this.writeFailing = true;
    this.events.error(
      new RecorderError(
        `MediaRecorder: writing ${this.sink.description} failed: ${error.message}. The recording goes on; what failed to be written is missing from the file`,
        'ERR_VOXRTC_RECORDER_WRITE',
        error,
      ),
    );
  }

  /** Reports a timeline correction made where the written audio ended (`fileSeconds` into the file). */
  private warn(track: MediaStreamTrack, placement: Placement, fileSeconds: number): void {
    const at = fileSeconds.toFixed(3);
    const by = Math.abs(placement.offsetSeconds).toFixed(3);
    const prefix = `MediaRecorder: ${track.describe()}:`;
    let message: string;
    if (placement.kind === 'gap') message = `${prefix} pts skip ahead ${by} s at ${at} s into the file; the gap is filled with silence`;
    else if (placement.kind === 'overlap') message = `${prefix} a frame starts ${by} s before the end of what is written (${at} s); its overlapping part was dropped`;
    else {
      message =
        `${prefix} pts jump ${placement.offsetSeconds > 0 ? `ahead ${by} s, more than maxGapSeconds (${this.options.maxGapSeconds})` : `back ${by} s, more than ${Math.min(1, this.options.maxGapSeconds)} s`}; ` +
        `taken for a timestamp reset: nothing filled or dropped, the timeline re-anchors at ${at} s into the file`;
    }
    log(message);
    this.events.warning(placement.kind as 'gap' | 'overlap' | 'discontinuity', message, placement.offsetSeconds, fileSeconds);
  }
}

/** The frame without its first `samples` samples per channel (interleaved). */
function withoutStart(frame: AudioFrame, samples: number): AudioFrame {
  const interleaved = frame.to({ layout: 'interleaved' });
  return new AudioFrame({
    data: interleaved.data.subarray(samples * frame.channels),
    sampleRate: frame.sampleRate,
    channels: frame.channels,
    pts: frame.pts,
    timeBase: frame.timeBase,
  });
}
