/**
 * Reading an Opus packet's table of contents (RFC 6716 §3) without decoding
 * it: its duration, and whether it carries in-band FEC (LBRR) data for the
 * packet before it — what a receiver needs before the packet reaches a decoder.
 * @packageDocumentation
 */

/** Samples per frame at 48 kHz for each TOC configuration (RFC 6716 Table 2). */
function frameSamples48k(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return (config & 1) === 0 ? 480 : 960; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3]; // CELT: 2.5, 5, 10, 20 ms
}

/**
 * Duration of an Opus packet in samples at 48 kHz (the RTP clock), or
 * `undefined` when the packet is malformed (empty, a code-3 packet without its
 * count byte, more than 120 ms).
 */
export function opusPacketSamples(packet: Uint8Array): number | undefined {
  if (packet.length === 0) return undefined;
  const toc = packet[0];
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (packet.length < 2) return undefined;
    frames = packet[1] & 0x3f;
  }
  const samples = frames * frameSamples48k(toc >> 3);
  return samples === 0 || samples > 5760 ? undefined : samples;
}

/** Reads a frame length (1 or 2 bytes, RFC 6716 §3.2.1) at `offset`: [length, bytes used] or undefined. */
function frameLength(packet: Uint8Array, offset: number): [number, number] | undefined {
  if (offset >= packet.length) return undefined;
  const b = packet[offset];
  if (b < 252) return [b, 1];
  if (offset + 1 >= packet.length) return undefined;
  return [4 * packet[offset + 1] + b, 2];
}

/** Offset and length of the first frame's data, or undefined for a malformed packet. */
function firstFrame(packet: Uint8Array): { offset: number; length: number } | undefined {
  const code = packet[0] & 3;
  const len = packet.length;
  if (code === 0) return { offset: 1, length: len - 1 };
  if (code === 1) return (len - 1) % 2 === 0 ? { offset: 1, length: (len - 1) / 2 } : undefined;
  if (code === 2) {
    const size = frameLength(packet, 1);
    return size && 1 + size[1] + size[0] <= len ? { offset: 1 + size[1], length: size[0] } : undefined;
  }
  if (len < 2) return undefined;
  const count = packet[1] & 0x3f;
  const vbr = (packet[1] & 0x80) !== 0;
  let offset = 2;
  let padding = 0;
  if ((packet[1] & 0x40) !== 0) {
    let p: number;
    do {
      if (offset >= len) return undefined;
      p = packet[offset++];
      padding += p === 255 ? 254 : p;
    } while (p === 255);
  }
  if (count === 0) return undefined;
  if (!vbr) {
    const data = len - offset - padding;
    return data >= 0 && data % count === 0 ? { offset, length: data / count } : undefined;
  }
  let first = -1;
  for (let i = 0; i < count - 1; i++) {
    const size = frameLength(packet, offset);
    if (!size) return undefined;
    if (i === 0) first = size[0];
    offset += size[1];
  }
  if (count === 1) first = len - offset - padding;
  return first >= 0 && offset + first <= len ? { offset, length: first } : undefined;
}

/**
 * True when the packet carries in-band FEC (LBRR) data, from which
 * `OpusDecoder.decodeFec` rebuilds the packet before it. Only SILK and hybrid
 * packets can; the flag is read where libopus's `opus_packet_has_lbrr` (1.5)
 * reads it: after the voice-activity bits of the first frame's SILK header.
 */
export function opusHasFec(packet: Uint8Array): boolean {
  if (packet.length < 2) return false;
  const config = packet[0] >> 3;
  if (config >= 16) return false; // CELT only: no LBRR
  const frame = firstFrame(packet);
  if (!frame || frame.length === 0) return false;
  const perFrame = frameSamples48k(config);
  const silkFrames = perFrame > 960 ? perFrame / 960 : 1;
  const first = packet[frame.offset];
  let lbrr = (first >> (7 - silkFrames)) & 1;
  if ((packet[0] & 0x04) !== 0) lbrr |= (first >> (6 - 2 * silkFrames)) & 1; // stereo: the side channel's flag
  return lbrr === 1;
}
