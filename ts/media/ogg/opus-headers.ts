/**
 * The two header packets of an Ogg Opus stream (RFC 7845 §5): the
 * identification header "OpusHead" and the comment header "OpusTags".
 * @packageDocumentation
 */

/** The identification header's fields. */
export interface OpusHead {
  /** Encapsulation version; 1 here. Readers accept 0–15 (same major version). */
  version: number;
  /** Output channels, 1–255 (1 or 2 for mapping family 0). */
  channels: number;
  /** Samples at 48 kHz to discard from the decoder's output at the start. */
  preSkip: number;
  /** The original input's sample rate (informational; 0 if unknown). */
  inputSampleRate: number;
  /** Gain to apply to the output, in dB (stored as Q7.8). */
  outputGainDb: number;
  /** 0: mono or stereo, one stream, no mapping table. Others need a multistream decoder. */
  mappingFamily: number;
}

/** Why a header packet is unusable. */
export class OpusHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpusHeaderError';
  }
}

/** Encodes an "OpusHead" packet for channel mapping family 0 (19 bytes). */
export function encodeOpusHead(head: Omit<OpusHead, 'version' | 'mappingFamily'>): Buffer {
  const out = Buffer.alloc(19);
  out.write('OpusHead', 0, 'latin1');
  out[8] = 1;
  out[9] = head.channels;
  out.writeUInt16LE(head.preSkip, 10);
  out.writeUInt32LE(head.inputSampleRate >>> 0, 12);
  out.writeInt16LE(Math.round(head.outputGainDb * 256), 16);
  out[18] = 0;
  return out;
}

/**
 * Parses an "OpusHead" packet.
 * @throws OpusHeaderError naming what is wrong.
 */
export function parseOpusHead(packet: Buffer): OpusHead {
  if (packet.length < 19 || packet.toString('latin1', 0, 8) !== 'OpusHead') {
    throw new OpusHeaderError('the first packet is not an OpusHead identification header (is this an Ogg Opus file? Ogg Vorbis and FLAC are not supported)');
  }
  const version = packet[8];
  if (version >> 4 !== 0) throw new OpusHeaderError(`OpusHead version ${version} is not supported (only 0–15)`);
  const channels = packet[9];
  if (channels === 0) throw new OpusHeaderError('OpusHead says 0 channels');
  const mappingFamily = packet[18];
  if (mappingFamily === 0 && channels > 2) {
    throw new OpusHeaderError(`OpusHead says ${channels} channels with mapping family 0, which allows only 1 or 2`);
  }
  return {
    version,
    channels,
    preSkip: packet.readUInt16LE(10),
    inputSampleRate: packet.readUInt32LE(12),
    outputGainDb: packet.readInt16LE(16) / 256,
    mappingFamily,
  };
}

/** Encodes an "OpusTags" packet: the vendor string and `NAME=value` comments. */
export function encodeOpusTags(vendor: string, comments: readonly string[] = []): Buffer {
  const vendorBytes = Buffer.from(vendor, 'utf8');
  const commentBytes = comments.map((c) => Buffer.from(c, 'utf8'));
  const size = 8 + 4 + vendorBytes.length + 4 + commentBytes.reduce((n, c) => n + 4 + c.length, 0);
  const out = Buffer.alloc(size);
  out.write('OpusTags', 0, 'latin1');
  let offset = out.writeUInt32LE(vendorBytes.length, 8);
  offset += vendorBytes.copy(out, offset);
  offset = out.writeUInt32LE(commentBytes.length, offset);
  for (const c of commentBytes) {
    offset = out.writeUInt32LE(c.length, offset);
    offset += c.copy(out, offset);
  }
  return out;
}

/**
 * Parses an "OpusTags" packet.
 * @throws OpusHeaderError when it is not one or its lengths run past its end.
 */
export function parseOpusTags(packet: Buffer): { vendor: string; comments: string[] } {
  if (packet.length < 16 || packet.toString('latin1', 0, 8) !== 'OpusTags') {
    throw new OpusHeaderError('the second packet is not an OpusTags comment header');
  }
  const fail = (): never => {
    throw new OpusHeaderError('the OpusTags header is cut short (a length runs past its end)');
  };
  let offset = 8;
  const vendorLength = packet.readUInt32LE(offset);
  offset += 4;
  if (offset + vendorLength + 4 > packet.length) fail();
  const vendor = packet.toString('utf8', offset, offset + vendorLength);
  offset += vendorLength;
  const count = packet.readUInt32LE(offset);
  offset += 4;
  const comments: string[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > packet.length) fail();
    const length = packet.readUInt32LE(offset);
    offset += 4;
    if (offset + length > packet.length) fail();
    comments.push(packet.toString('utf8', offset, offset + length));
    offset += length;
  }
  return { vendor, comments };
}
