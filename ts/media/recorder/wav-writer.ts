import { endianness } from 'node:os';
import type { Pcm } from '../../core/validate';
import type { AudioFileWriter, OpSink } from './audio-file-writer';

const LITTLE_ENDIAN = endianness() === 'LE';
/** Size fields of a WAV written to a stream, whose length is unknown (the streaming convention). */
const UNKNOWN_SIZE = 0xffffffff;
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Speaker positions (dwChannelMask) for 1–8 channels, as WAVEFORMATEXTENSIBLE expects. */
const CHANNEL_MASKS = [0, 0x4, 0x3, 0x7, 0x33, 0x37, 0x3f, 0x13f, 0x63f];

/** Options for {@link WavWriter}. */
export interface WavWriterOptions {
  sampleRate: number;
  channels: number;
  /** Patch the sizes in place (a file) or write {@link UNKNOWN_SIZE} (a stream). */
  seekable: boolean;
  /** Buffered audio is queued once this much has accumulated. */
  flushSeconds: number;
  /** Queue an fdatasync after each flush. */
  fsync: boolean;
}

/**
 * Writes 16-bit PCM WAV. The header goes out first with provisional sizes;
 * about every `flushSeconds` of audio the buffered samples are queued and the
 * RIFF and data sizes patched, so the file on disk is always a readable WAV
 * that lacks at most the last flush interval. Written to a stream, the sizes
 * are 0xFFFFFFFF ("unknown length"), which sox, ffmpeg and most readers take
 * as "read to the end".
 *
 * More than 2 channels use WAVE_FORMAT_EXTENSIBLE with the standard speaker
 * mask. A file holds at most 4 GiB of data; audio beyond that is refused
 * ({@link write} returns fewer samples than given).
 */
export class WavWriter implements AudioFileWriter {
  readonly sampleRate: number;
  readonly channels: number;
  readonly sampleFormat = 's16' as const;
  readonly bytesPerSecond: number;
  private readonly push: OpSink;
  private readonly options: WavWriterOptions;
  private readonly blockAlign: number;
  private readonly headerSize: number;
  private readonly maxDataBytes: number;
  private staging: Buffer;
  private staged = 0;
  private dataBytes = 0;

  constructor(push: OpSink, options: WavWriterOptions) {
    this.push = push;
    this.options = options;
    this.sampleRate = options.sampleRate;
    this.channels = options.channels;
    this.blockAlign = 2 * options.channels;
    this.bytesPerSecond = options.sampleRate * this.blockAlign;
    this.headerSize = options.channels > 2 ? 68 : 44;
    const room = UNKNOWN_SIZE - (this.headerSize - 8);
    this.maxDataBytes = options.seekable ? room - (room % this.blockAlign) : Number.POSITIVE_INFINITY;
    this.staging = this.newStaging();
  }

  start(): void {
    this.push({ kind: 'append', data: this.header() });
  }

  write(pcm: Pcm): number {
    const frames = this.admit(pcm.length / this.channels);
    let bytes = Buffer.from(pcm.buffer, pcm.byteOffset, frames * this.blockAlign);
    while (bytes.length > 0) {
      const n = Math.min(bytes.length, this.staging.length - this.staged);
      bytes.copy(this.staging, this.staged, 0, n);
      this.staged += n;
      bytes = bytes.subarray(n);
      if (this.staged === this.staging.length) this.flush();
    }
    return frames;
  }

  writeSilence(samplesPerChannel: number): number {
    const frames = this.admit(samplesPerChannel);
    const bytes = frames * this.blockAlign;
    if (bytes < this.staging.length / 4 && this.staged + bytes <= this.staging.length) {
      this.staging.fill(0, this.staged, this.staged + bytes);
      this.staged += bytes;
      if (this.staged === this.staging.length) this.flush();
    } else {
      // Longer silence: a run of zeros, written without holding it in memory.
      this.flush();
      this.push({ kind: 'zeros', length: bytes });
      this.dataBytes += bytes;
      this.patchSizes();
    }
    return frames;
  }

  finish(): void {
    this.flush();
    this.patchSizes();
  }

  close(): void {}

  /** How many of `frames` still fit in the file. */
  private admit(frames: number): number {
    const room = Math.floor((this.maxDataBytes - this.dataBytes - this.staged) / this.blockAlign);
    return Math.max(0, Math.min(frames, room));
  }

  private flush(): void {
    if (this.staged === 0) return;
    const data = this.staging.subarray(0, this.staged);
    if (!LITTLE_ENDIAN) data.swap16();
    this.push({ kind: 'append', data });
    this.dataBytes += this.staged;
    this.staging = this.newStaging();
    this.staged = 0;
    this.patchSizes();
  }

  /** Rewrites the header with the sizes of the data queued so far (one small write). */
  private patchSizes(): void {
    if (!this.options.seekable) return;
    this.push({ kind: 'patch', position: 0, data: this.header() });
    if (this.options.fsync) this.push({ kind: 'sync' });
  }

  private newStaging(): Buffer {
    const frames = Math.max(1, Math.round(this.sampleRate * this.options.flushSeconds));
    return Buffer.allocUnsafe(frames * this.blockAlign);
  }

  /** The header for the data queued so far (sizes 0xFFFFFFFF on a stream). */
  private header(): Buffer {
    const { sampleRate, channels } = this;
    const extensible = this.headerSize === 68;
    const h = Buffer.alloc(this.headerSize);
    const unknown = !this.options.seekable;
    h.write('RIFF', 0, 'latin1');
    h.writeUInt32LE(unknown ? UNKNOWN_SIZE : this.headerSize - 8 + this.dataBytes, 4);
    h.write('WAVE', 8, 'latin1');
    h.write('fmt ', 12, 'latin1');
    h.writeUInt32LE(extensible ? 40 : 16, 16);
    h.writeUInt16LE(extensible ? WAVE_FORMAT_EXTENSIBLE : WAVE_FORMAT_PCM, 20);
    h.writeUInt16LE(channels, 22);
    h.writeUInt32LE(sampleRate, 24);
    h.writeUInt32LE(sampleRate * this.blockAlign, 28);
    h.writeUInt16LE(this.blockAlign, 32);
    h.writeUInt16LE(16, 34);
    let offset = 36;
    if (extensible) {
      h.writeUInt16LE(22, 36); // cbSize
      h.writeUInt16LE(16, 38); // valid bits per sample
      h.writeUInt32LE(CHANNEL_MASKS[channels] ?? 0, 40);
      // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71
      Buffer.from('0100000000001000800000aa00389b71', 'hex').copy(h, 44);
      offset = 60;
    }
    h.write('data', offset, 'latin1');
    h.writeUInt32LE(unknown ? UNKNOWN_SIZE : this.dataBytes, offset + 4);
    return h;
  }
}
