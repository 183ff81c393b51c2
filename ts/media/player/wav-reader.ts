import { promises as fsp } from 'node:fs';
import type { Pcm } from '../../core/validate';
import type { AudioFileSource } from './audio-file-source';
import { ReadAhead } from './read-ahead';
import { decodeWavSamples, type WavInfo } from './wav-format';

/** Read-ahead block: about this many seconds of the file's audio. */
const BLOCK_SECONDS = 0.5;

/**
 * Plays the samples of a WAV file whose header {@link parseWavHeader} has
 * parsed: reads them in blocks of about half a second (one block read ahead)
 * and decodes them to s16 (8 and 16-bit files) or f32 (24, 32-bit, float).
 */
export class WavReader implements AudioFileSource {
  readonly sampleRate: number;
  readonly channels: number;
  private readonly info: WavInfo;
  private readonly handle: fsp.FileHandle;
  private readonly bytes: ReadAhead;
  private closing: Promise<void> | undefined;

  private constructor(handle: fsp.FileHandle, info: WavInfo) {
    this.handle = handle;
    this.info = info;
    this.sampleRate = info.sampleRate;
    this.channels = info.channels;
    const block = Math.max(1, Math.round(info.sampleRate * BLOCK_SECONDS)) * info.blockAlign;
    this.bytes = new ReadAhead(handle, info.dataOffset, info.dataOffset + info.dataBytes, block);
  }

  /** Opens `path` (whose header is `info`) for reading. */
  static async open(path: string, info: WavInfo): Promise<WavReader> {
    return new WavReader(await fsp.open(path, 'r'), info);
  }

  async read(samplesPerChannel: number): Promise<Pcm | null> {
    const bytes = await this.bytes.read(samplesPerChannel * this.info.blockAlign);
    const whole = bytes.length - (bytes.length % this.info.blockAlign);
    if (whole === 0) return null;
    return decodeWavSamples(bytes.subarray(0, whole), this.info.sampleType);
  }

  rewind(): Promise<void> {
    return this.bytes.seek(this.info.dataOffset);
  }

  close(): Promise<void> {
    this.closing ??= this.bytes.settle().then(() => this.handle.close());
    return this.closing;
  }
}
