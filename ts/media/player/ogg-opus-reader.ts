import { promises as fsp } from 'node:fs';
import createDebug from 'debug';
import { OpusDecoder } from '../../core/opus-decoder';
import { localPcm } from '../../core/validate';
import { OGG_BOS, OGG_EOS, OggPageError, bodySize, oggHeaderSize, parseOggPage, OGG_HEADER_SIZE, type OggPage } from '../ogg/ogg-page';
import { OggPacketAssembler } from '../ogg/ogg-packets';
import { OpusHeaderError, parseOpusTags, type OpusHead } from '../ogg/opus-headers';
import type { AudioFileSource } from './audio-file-source';
import { PlayerError } from './player-error';
import { ReadAhead } from './read-ahead';

const log = createDebug('voxrtc:player');

/** Ogg Opus decodes at 48 kHz. */
const RATE = 48000;
/** Bytes read ahead at a time (about 2 s of 128 kbit/s Opus). */
const BLOCK_BYTES = 32 * 1024;

/**
 * Plays an Ogg Opus file (RFC 7845) whose first page {@link probeOggOpus}
 * has checked: reads pages in order with their CRCs checked, reassembles
 * packets, skips OpusTags, decodes at 48 kHz with {@link OpusDecoder},
 * discards the pre-skip, trims the end to the EOS page's granule position,
 * and applies the header's output gain. Pages of other logical streams are
 * ignored; a chained stream after the first one's end is not played.
 */
export class OggOpusReader implements AudioFileSource {
  readonly sampleRate = RATE;
  readonly channels: number;
  private readonly path: string;
  private readonly head: OpusHead;
  private readonly serial: number;
  private readonly handle: fsp.FileHandle;
  private readonly bytes: ReadAhead;
  private readonly decoder: OpusDecoder;
  private readonly assembler = new OggPacketAssembler();
  private readonly gain: number;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private headersSeen = 0;
  private granuleDecoded = 0;
  private skip: number;
  private ended = false;
  private closing: Promise<void> | undefined;

  private constructor(path: string, handle: fsp.FileHandle, fileSize: number, head: OpusHead, serial: number) {
    this.path = path;
    this.handle = handle;
    this.head = head;
    this.serial = serial;
    this.channels = head.channels;
    this.skip = head.preSkip;
    this.gain = Math.pow(10, head.outputGainDb / 20);
    this.bytes = new ReadAhead(handle, 0, fileSize, BLOCK_BYTES);
    this.decoder = new OpusDecoder({ sampleRate: RATE, channels: head.channels as 1 | 2 });
  }

  /** Opens `path`, whose first page carries `head` for stream `serial`. */
  static async open(path: string, fileSize: number, head: OpusHead, serial: number): Promise<OggOpusReader> {
    return new OggOpusReader(path, await fsp.open(path, 'r'), fileSize, head, serial);
  }

  async read(samplesPerChannel: number): Promise<Int16Array | null> {
    while (this.pendingSamples < samplesPerChannel && !this.ended) await this.readPage();
    if (this.pendingSamples === 0) return null;
    return this.take(Math.min(samplesPerChannel, this.pendingSamples));
  }

  async rewind(): Promise<void> {
    await this.bytes.seek(0);
    this.assembler.reset();
    this.decoder.reset();
    this.pending = [];
    this.pendingSamples = 0;
    this.headersSeen = 0;
    this.granuleDecoded = 0;
    this.skip = this.head.preSkip;
    this.ended = false;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.decoder.close();
      await this.bytes.settle();
      await this.handle.close();
    })();
    return this.closing;
  }

  private async readPage(): Promise<void> {
    const page = await this.nextPage();
    if (!page) {
      if (this.headersSeen < 2) throw this.corrupt('the file ends before its OpusTags header');
      log('%s: no EOS page; playing to the last complete page', this.path);
      this.ended = true;
      return;
    }
    if (page.serial !== this.serial) {
      if (page.flags & OGG_BOS && this.headersSeen >= 2) log('%s: another logical stream starts; ignored', this.path);
      return;
    }
    let packets: Buffer[];
    try {
      packets = this.assembler.push(page);
    } catch (error) {
      throw this.corrupt((error as Error).message, error);
    }
    const eos = (page.flags & OGG_EOS) !== 0;
    for (const packet of packets) {
      if (this.headersSeen === 0) {
        this.headersSeen++; // OpusHead, checked by the probe
        continue;
      }
      if (this.headersSeen === 1) {
        this.headersSeen++;
        try {
          parseOpusTags(packet);
        } catch (error) {
          throw this.corrupt((error as OpusHeaderError).message, error);
        }
        continue;
      }
      this.decodePacket(packet, eos ? Number(page.granule) : undefined, page.sequence);
    }
    if (eos) this.ended = true;
  }

  /** Decodes one audio packet; `endGranule` (on the EOS page) trims what lies past the stream's end. */
  private decodePacket(packet: Buffer, endGranule: number | undefined, sequence: number): void {
    let pcm: Int16Array;
    try {
      pcm = localPcm(packet.length === 0 ? this.decoder.conceal(this.lastDuration()) : this.decoder.decode(packet)) as Int16Array;
    } catch (error) {
      throw this.corrupt(`an Opus packet on page ${sequence} does not decode: ${(error as Error).message}`, error);
    }
    const channels = this.channels;
    let start = 0;
    let end = pcm.length / channels;
    const before = this.granuleDecoded;
    this.granuleDecoded += end;
    if (endGranule !== undefined && this.granuleDecoded > endGranule) end = Math.max(0, end - (this.granuleDecoded - endGranule));
    if (this.skip > 0) {
      const n = Math.min(this.skip, end);
      this.skip -= n;
      start = n;
    }
    if (endGranule !== undefined && endGranule < before) log('%s: EOS granule %d is before the audio decoded so far', this.path, endGranule);
    if (end <= start) return;
    let out = pcm.subarray(start * channels, end * channels);
    if (this.gain !== 1) out = applyGain(out, this.gain);
    this.pending.push(out);
    this.pendingSamples += end - start;
  }

  private lastDuration(): number {
    try {
      return this.decoder.lastPacketDuration || 960;
    } catch {
      return 960;
    }
  }

  private take(samplesPerChannel: number): Int16Array {
    const channels = this.channels;
    const out = new Int16Array(samplesPerChannel * channels);
    let filled = 0;
    while (filled < out.length) {
      const chunk = this.pending[0];
      const n = Math.min(chunk.length, out.length - filled);
      out.set(chunk.subarray(0, n), filled);
      filled += n;
      if (n === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(n);
    }
    this.pendingSamples -= samplesPerChannel;
    return out;
  }

  /** The next page, or undefined at the end of the file. A page cut off by the end of the file counts as the end. */
  private async nextPage(): Promise<OggPage | undefined> {
    const fixed = await this.bytes.read(OGG_HEADER_SIZE);
    if (fixed.length === 0) return undefined;
    try {
      if (fixed.length < OGG_HEADER_SIZE) throw new OggPageError('cut off');
      const headerSize = oggHeaderSize(fixed);
      const lacing = await this.bytes.read(headerSize - OGG_HEADER_SIZE);
      const header = Buffer.concat([fixed, lacing]);
      if (header.length < headerSize) throw new OggPageError('cut off');
      const size = bodySize(lacing);
      const body = Buffer.from(await this.bytes.read(size));
      if (body.length < size) throw new OggPageError('cut off');
      return parseOggPage(header, body);
    } catch (error) {
      if ((error as Error).message === 'cut off') {
        log('%s: the last page is cut off (an interrupted recording?); playing what came before', this.path);
        return undefined;
      }
      throw this.corrupt((error as Error).message, error);
    }
  }

  private corrupt(message: string, cause?: unknown): PlayerError {
    return new PlayerError(this.path, `damaged Ogg Opus data: ${message}`, 'ERR_VOXRTC_PLAYER_CORRUPT', cause);
  }
}

function applyGain(pcm: Int16Array, gain: number): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(pcm[i] * gain)));
  return out;
}
