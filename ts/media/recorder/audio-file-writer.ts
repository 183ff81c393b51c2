import type { Pcm } from '../../core/validate';
import type { WriteOp } from './write-queue';

/** Receives a writer's output, in order. */
export type OpSink = (op: WriteOp) => void;

/**
 * Turns interleaved samples in the file's format into the bytes of one file
 * format. Writers are synchronous and only queue operations; the write queue
 * does the I/O.
 */
export interface AudioFileWriter {
  /** The file's sample rate: what {@link write} takes. */
  readonly sampleRate: number;
  /** The file's channel count: what {@link write} takes. */
  readonly channels: number;
  /** The sample type {@link write} takes. */
  readonly sampleFormat: 's16' | 'f32';
  /** About how many bytes one second of audio takes once written (to size the write queue). */
  readonly bytesPerSecond: number;
  /** Queues the header(s). Called once, first. */
  start(): void;
  /** Queues interleaved samples; returns the samples per channel accepted (fewer only when the file is full). */
  write(pcm: Pcm): number;
  /** Queues `samplesPerChannel` of silence; returns the samples per channel accepted. */
  writeSilence(samplesPerChannel: number): number;
  /** Queues what is buffered and the final header/trailer. Called once, last. */
  finish(): void;
  /** Frees native resources (encoders). Safe to call twice. */
  close(): void;
}
