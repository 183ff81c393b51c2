/**
 * Ogg page framing (RFC 3533): building a page from whole packets, and
 * parsing one from bytes with its CRC checked.
 * @packageDocumentation
 */
import { oggCrc32 } from './ogg-crc';

/** Header-type flag: the page's first packet continues one from the previous page. */
export const OGG_CONTINUED = 0x01;
/** Header-type flag: first page of a logical stream. */
export const OGG_BOS = 0x02;
/** Header-type flag: last page of a logical stream. */
export const OGG_EOS = 0x04;

/** Bytes before the segment table: "OggS", version, flags, granule, serial, sequence, CRC, segment count. */
export const OGG_HEADER_SIZE = 27;
/** The largest number of lacing values (segments) one page can hold. */
export const OGG_MAX_SEGMENTS = 255;

/** What a page carries. */
export interface OggPageInit {
  /** OR of {@link OGG_CONTINUED}, {@link OGG_BOS}, {@link OGG_EOS}. */
  flags: number;
  /** Codec-defined position after the last packet completed on the page; -1n when none completes. */
  granule: bigint;
  /** Logical stream serial number. */
  serial: number;
  /** Page sequence number within the stream. */
  sequence: number;
}

/** Lacing values a packet of `length` bytes needs (a multiple of 255 needs a closing 0). */
export function segmentsFor(length: number): number {
  return Math.floor(length / 255) + 1;
}

/**
 * One page holding whole `packets` (each must end on this page), CRC set.
 * @throws RangeError when the packets need more than 255 lacing values.
 */
export function encodeOggPage(init: OggPageInit, packets: readonly Uint8Array[]): Buffer {
  const lacing: number[] = [];
  let bodySize = 0;
  for (const packet of packets) {
    let left = packet.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    lacing.push(left);
    bodySize += packet.length;
  }
  if (lacing.length > OGG_MAX_SEGMENTS) {
    throw new RangeError(`encodeOggPage: the packets need ${lacing.length} lacing values; a page holds at most ${OGG_MAX_SEGMENTS}`);
  }
  const page = Buffer.alloc(OGG_HEADER_SIZE + lacing.length + bodySize);
  page.write('OggS', 0, 'latin1');
  page[4] = 0; // stream structure version
  page[5] = init.flags;
  page.writeBigInt64LE(init.granule, 6);
  page.writeUInt32LE(init.serial >>> 0, 14);
  page.writeUInt32LE(init.sequence >>> 0, 18);
  // bytes 22..25: CRC, zero while it is computed
  page[26] = lacing.length;
  for (let i = 0; i < lacing.length; i++) page[OGG_HEADER_SIZE + i] = lacing[i];
  let offset = OGG_HEADER_SIZE + lacing.length;
  for (const packet of packets) {
    page.set(packet, offset);
    offset += packet.length;
  }
  page.writeUInt32LE(oggCrc32(page), 22);
  return page;
}

/** A parsed page. */
export interface OggPage extends OggPageInit {
  /** The lacing values. */
  readonly lacing: Uint8Array;
  /** The page's data (the packet pieces, back to back). */
  readonly body: Buffer;
  /** Size of the whole page in bytes. */
  readonly size: number;
}

/** Why bytes are not a valid page. */
export class OggPageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OggPageError';
  }
}

/** Total page size from its first 27 bytes and its segment table, or why the header is not a page. */
export function oggHeaderSize(header: Uint8Array): number {
  if (header.length < OGG_HEADER_SIZE) throw new OggPageError(`a page header is ${OGG_HEADER_SIZE} bytes; only ${header.length} are left`);
  if (header[0] !== 0x4f || header[1] !== 0x67 || header[2] !== 0x67 || header[3] !== 0x53) {
    throw new OggPageError(`no "OggS" capture pattern (found ${hex(header.subarray(0, 4))})`);
  }
  if (header[4] !== 0) throw new OggPageError(`stream structure version ${header[4]} (only 0 exists)`);
  return OGG_HEADER_SIZE + header[26];
}

/**
 * Parses a complete page: `header` holds the 27 fixed bytes and the segment
 * table, `body` the data the table announces.
 * @throws OggPageError on a bad capture pattern, version or CRC.
 */
export function parseOggPage(header: Buffer, body: Buffer): OggPage {
  oggHeaderSize(header);
  const lacing = header.subarray(OGG_HEADER_SIZE, OGG_HEADER_SIZE + header[26]);
  const stored = header.readUInt32LE(22);
  const zeroed = Buffer.from(header);
  zeroed.writeUInt32LE(0, 22);
  const crc = oggCrc32(body, oggCrc32(zeroed));
  if (crc !== stored) {
    throw new OggPageError(`CRC mismatch (stored ${stored.toString(16).padStart(8, '0')}, computed ${crc.toString(16).padStart(8, '0')})`);
  }
  return {
    flags: header[5],
    granule: header.readBigInt64LE(6),
    serial: header.readUInt32LE(14),
    sequence: header.readUInt32LE(18),
    lacing,
    body,
    size: header.length + body.length,
  };
}

/** Body size announced by a segment table. */
export function bodySize(lacing: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < lacing.length; i++) n += lacing[i];
  return n;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
