import type { Pcm } from '../../core/validate';

/** A decoder of one audio file, read incrementally. */
export interface AudioFileSource {
  /** Samples per second of what {@link read} returns. */
  readonly sampleRate: number;
  /** Interleaved channels of what {@link read} returns. */
  readonly channels: number;
  /**
   * The next `samplesPerChannel` samples (interleaved); fewer only at the end
   * of the file, `null` once it is exhausted.
   * @throws PlayerError when the file turns out to be damaged or cannot be read.
   */
  read(samplesPerChannel: number): Promise<Pcm | null>;
  /** Goes back to the first sample. */
  rewind(): Promise<void>;
  /** Releases the file handle (after any read in progress). Safe to call twice. */
  close(): Promise<void>;
}
