import { OGG_BOS, OGG_HEADER_SIZE, OggPageError, bodySize, oggHeaderSize, parseOggPage, type OggPage } from '../ogg/ogg-page';
import { OpusHeaderError, parseOpusHead, type OpusHead } from '../ogg/opus-headers';

/** What the start (and end) of an Ogg Opus file say. */
export interface OggOpusProbe {
  readonly head: OpusHead;
  /** Serial number of the Opus stream. */
  readonly serial: number;
  /** Seconds, from the last page's granule position; undefined when no valid last page was found. */
  readonly duration: number | undefined;
}

/** Why a file cannot be played; `unsupported` tells a valid-but-unplayable file from a damaged one. */
export class OggProbeError extends Error {
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.name = 'OggProbeError';
    this.unsupported = unsupported;
  }
}

/** Codecs recognised by their first packet, for a useful "not supported" message. */
const OTHER_CODECS: [prefix: string, name: string][] = [
  ['\x01vorbis', 'Ogg Vorbis'],
  ['\x7fFLAC', 'Ogg FLAC'],
  ['Speex   ', 'Ogg Speex'],
  ['\x80theora', 'Ogg Theora'],
];

/** Bytes searched at the end of the file for the last page (the largest page is 65307 bytes). */
const TAIL_BYTES = 65307 * 2;

/**
 * Checks that a file is Ogg Opus from its first page (CRC, BOS flag,
 * OpusHead) and finds its duration from its last page.
 * @throws OggProbeError naming what is wrong.
 */
export function probeOggOpus(readAt: (position: number, length: number) => Buffer, fileSize: number): OggOpusProbe {
  const first = pageAt(readAt, 0);
  if (!first) throw new OggProbeError('the first Ogg page is cut off');
  if ((first.flags & OGG_BOS) === 0) throw new OggProbeError('the first page is not marked as the beginning of a stream');
  const length = first.lacing.findIndex((n) => n < 255);
  if (length < 0) throw new OggProbeError('the first packet does not end on the first page (an Opus stream begins with a page holding only OpusHead)');
  const packet = first.body.subarray(0, first.lacing.subarray(0, length + 1).reduce((a, b) => a + b, 0));
  const other = OTHER_CODECS.find(([prefix]) => packet.toString('latin1', 0, prefix.length) === prefix);
  if (other) throw new OggProbeError(`${other[1]} is not supported (voxrtc plays Ogg Opus and WAV)`, true);
  let head: OpusHead;
  try {
    head = parseOpusHead(packet);
  } catch (error) {
    throw new OggProbeError((error as OpusHeaderError).message, true);
  }
  if (head.mappingFamily !== 0) {
    throw new OggProbeError(`channel mapping family ${head.mappingFamily} (${head.channels} channels, multistream) is not supported; only family 0 (mono, stereo)`, true);
  }
  return { head, serial: first.serial, duration: lastGranuleSeconds(readAt, fileSize, first.serial, head.preSkip) };
}

/** The page at `position`, undefined if the file ends inside it. */
function pageAt(readAt: (position: number, length: number) => Buffer, position: number): OggPage | undefined {
  const fixed = readAt(position, OGG_HEADER_SIZE);
  if (fixed.length < OGG_HEADER_SIZE) return undefined;
  const headerSize = oggHeaderSize(fixed);
  const header = readAt(position, headerSize);
  if (header.length < headerSize) return undefined;
  const size = bodySize(header.subarray(OGG_HEADER_SIZE));
  const body = readAt(position + headerSize, size);
  if (body.length < size) return undefined;
  return parseOggPage(header, body);
}

function lastGranuleSeconds(readAt: (position: number, length: number) => Buffer, fileSize: number, serial: number, preSkip: number): number | undefined {
  const start = Math.max(0, fileSize - TAIL_BYTES);
  const tail = readAt(start, fileSize - start);
  for (let i = tail.lastIndexOf('OggS'); i >= 0; i = i > 0 ? tail.lastIndexOf('OggS', i - 1) : -1) {
    let page: OggPage | undefined;
    try {
      page = pageAt((p, n) => tail.subarray(p - start, p - start + n), start + i);
    } catch (error) {
      if (error instanceof OggPageError) continue; // "OggS" inside packet data, or a damaged page
      throw error;
    }
    if (page && page.serial === serial && page.granule >= 0n) return Math.max(0, Number(page.granule) - preSkip) / 48000;
  }
  return undefined;
}
