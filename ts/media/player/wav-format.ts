/**
 * Parsing a WAV file's header: the RIFF/WAVE chunks up to the start of the
 * samples. Handles PCM (8-bit unsigned, 16, 24 and 32-bit signed), IEEE
 * float (32 and 64-bit), WAVE_FORMAT_EXTENSIBLE of either, unknown chunks
 * (skipped, odd sizes padded) and streamed files whose data size is
 * 0xFFFFFFFF or 0 (read to the end of the file).
 * @packageDocumentation
 */

/** The sample encodings the player decodes. */
export type WavSampleType = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64';

/** What the header says. */
export interface WavInfo {
  readonly sampleType: WavSampleType;
  readonly sampleRate: number;
  readonly channels: number;
  /** Bytes per sample frame (all channels). */
  readonly blockAlign: number;
  /** File offset of the first sample. */
  readonly dataOffset: number;
  /** Bytes of samples (whole frames) that are actually in the file. */
  readonly dataBytes: number;
}

/** Why a file cannot be played; `unsupported` tells a valid-but-unplayable file from a damaged one. */
export class WavFormatError extends Error {
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.name = 'WavFormatError';
    this.unsupported = unsupported;
  }
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = { 0x0002: 'MS ADPCM', 0x0006: 'A-law', 0x0007: 'µ-law', 0x0011: 'IMA ADPCM', 0x0055: 'MP3' };
/** Chunk walking stops after this many chunks without finding the samples. */
const MAX_CHUNKS = 1024;

/**
 * Parses the header of a WAV file of `fileSize` bytes; `readAt(position, length)`
 * returns the bytes there (fewer at the end of the file).
 * @throws WavFormatError naming what is wrong.
 */
export function parseWavHeader(readAt: (position: number, length: number) => Buffer, fileSize: number): WavInfo {
  const riff = readAt(0, 12);
  if (riff.length < 12) throw new WavFormatError(`the file is ${fileSize} bytes, too short for a WAV header`);
  const id = riff.toString('latin1', 0, 4);
  if (id === 'RF64' || id === 'BW64') throw new WavFormatError(`${id} (WAV over 4 GiB) is not supported`, true);
  if (id !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');

  let format: Omit<WavInfo, 'dataOffset' | 'dataBytes'> | undefined;
  let position = 12;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = readAt(position, 8);
    if (header.length < 8) break;
    const chunkId = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    const body = position + 8;
    if (chunkId === 'fmt ') {
      if (size < 16) throw new WavFormatError(`the fmt chunk is ${size} bytes; it needs at least 16`);
      const fmt = readAt(body, Math.min(size, 40));
      if (fmt.length < Math.min(size, 40)) throw new WavFormatError('the file ends inside the fmt chunk');
      format = parseFmt(fmt);
    } else if (chunkId === 'data') {
      if (!format) throw new WavFormatError('the data chunk comes before the fmt chunk');
      const available = fileSize - body;
      const announced = size === 0xffffffff || size === 0 ? available : Math.min(size, available);
      const dataBytes = Math.max(0, announced - (announced % format.blockAlign));
      return { ...format, dataOffset: body, dataBytes };
    }
    position = body + size + (size % 2);
  }
  throw new WavFormatError(format ? 'there is no data chunk' : 'there is no fmt chunk');
}

function parseFmt(fmt: Buffer): Omit<WavInfo, 'dataOffset' | 'dataBytes'> {
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bits = fmt.readUInt16LE(14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) throw new WavFormatError(`a WAVE_FORMAT_EXTENSIBLE fmt chunk is 40 bytes; this one is ${fmt.length}`);
    tag = fmt.readUInt16LE(24); // the sub-format GUID starts with the format code
  }
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) {
    const name = FORMAT_NAMES[tag] ?? `format code 0x${tag.toString(16).padStart(4, '0')}`;
    throw new WavFormatError(`${name} WAV is not supported (PCM and IEEE float are)`, true);
  }
  if (channels < 1 || channels > 8) throw new WavFormatError(`${channels} channels; voxrtc plays 1 to 8`, channels > 8);
  if (sampleRate < 8000 || sampleRate > 192000) throw new WavFormatError(`a sample rate of ${sampleRate} Hz; voxrtc plays 8000 to 192000 Hz`, true);
  if (blockAlign === 0 || blockAlign % channels !== 0) throw new WavFormatError(`block align ${blockAlign} does not fit ${channels} channels`);
  const container = (blockAlign / channels) * 8; // bits each sample occupies
  if (container < bits) throw new WavFormatError(`${bits}-bit samples do not fit the block align of ${blockAlign} bytes`);
  const sampleType = sampleTypeOf(tag === WAVE_FORMAT_IEEE_FLOAT, container);
  if (!sampleType) {
    throw new WavFormatError(`${tag === WAVE_FORMAT_IEEE_FLOAT ? 'float' : 'PCM'} samples of ${container} bits are not supported (PCM 8, 16, 24, 32; float 32, 64)`, true);
  }
  return { sampleType, sampleRate, channels, blockAlign };
}

function sampleTypeOf(float: boolean, bits: number): WavSampleType | undefined {
  if (float) return bits === 32 ? 'f32' : bits === 64 ? 'f64' : undefined;
  return ({ 8: 'u8', 16: 's16', 24: 's24', 32: 's32' } as Record<number, WavSampleType>)[bits];
}

/**
 * Decodes whole sample frames of `type` to interleaved s16 (for u8 and s16)
 * or f32 (for the wider types, which s16 would truncate).
 */
export function decodeWavSamples(bytes: Buffer, type: WavSampleType): Int16Array | Float32Array {
  switch (type) {
    case 'u8': {
      const out = new Int16Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] - 128) << 8;
      return out;
    }
    case 's16': {
      const out = new Int16Array(bytes.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
      return out;
    }
    case 's24': {
      const out = new Float32Array(bytes.length / 3);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readIntLE(i * 3, 3) / 8388608;
      return out;
    }
    case 's32': {
      const out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4) / 2147483648;
      return out;
    }
    case 'f32': {
      const out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
      return out;
    }
    case 'f64': {
      const out = new Float32Array(bytes.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
      return out;
    }
  }
}

/** Bytes per sample of each type. */
export const WAV_SAMPLE_BYTES: Record<WavSampleType, number> = { u8: 1, s16: 2, s24: 3, s32: 4, f32: 4, f64: 8 };
