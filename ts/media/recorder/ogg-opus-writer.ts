import { randomInt } from 'node:crypto';
import { OpusEncoder, type OpusApplication } from '../../core/opus-encoder';
import type { Pcm } from '../../core/validate';
import { OGG_BOS, OGG_EOS, OGG_MAX_SEGMENTS, encodeOggPage, segmentsFor } from '../ogg/ogg-page';
import { encodeOpusHead, encodeOpusTags } from '../ogg/opus-headers';
import type { AudioFileWriter, OpSink } from './audio-file-writer';

/** Opus in Ogg always runs at 48 kHz. */
const RATE = 48000;
/** 20 ms packets. */
const PACKET_SAMPLES = 960;
/** Room for the largest packet libopus writes. */
const MAX_PACKET_BYTES = 4000;
/** Ogg page header plus a margin per page, for sizing the write queue. */
const PAGE_OVERHEAD = 27 + 255;

/** Options for {@link OggOpusWriter}. */
export interface OggOpusWriterOptions {
  /** 1 or 2. */
  channels: 1 | 2;
  /** The source's sample rate, stored in OpusHead (informational). */
  inputSampleRate: number;
  /** Encoder bitrate in bits per second, or `'auto'`. */
  bitrate: number | 'auto';
  /** Encoder tuning. */
  application: OpusApplication;
  /** A page is completed once it holds this much audio. */
  flushSeconds: number;
  /** Queue an fdatasync after each page. */
  fsync: boolean;
}

/**
 * Writes Ogg Opus (RFC 7845): an OpusHead page (version 1, mapping family 0,
 * pre-skip = the encoder's lookahead, gain 0), an OpusTags page (vendor
 * "voxrtc"), then 20 ms packets in pages of about `flushSeconds` each, with
 * granule positions counting 48 kHz samples including the pre-skip. On
 * {@link finish} the last partial packet is padded, enough extra samples are
 * encoded to flush the lookahead, and the EOS page's granule position is set
 * to pre-skip + the real number of samples, so decoders trim the padding
 * (end trimming, RFC 7845 §4.5).
 */
export class OggOpusWriter implements AudioFileWriter {
  readonly sampleRate = RATE;
  readonly channels: 1 | 2;
  readonly sampleFormat = 'f32' as const;
  readonly bytesPerSecond: number;
  private readonly push: OpSink;
  private readonly options: OggOpusWriterOptions;
  private readonly encoder: OpusEncoder;
  private readonly preSkip: number;
  private readonly serial = randomInt(0, 2 ** 32);
  private readonly frame: Float32Array;
  private readonly packetBuffer = new Uint8Array(MAX_PACKET_BYTES);
  private framed = 0;
  private sequence = 0;
  private pagePackets: Uint8Array[] = [];
  private pageSegments = 0;
  /** Samples per channel given to write()/writeSilence(): the real length. */
  private samplesIn = 0;
  /** Samples per channel encoded into packets (a multiple of 960). */
  private samplesEncoded = 0;
  private finished = false;

  constructor(push: OpSink, options: OggOpusWriterOptions) {
    this.push = push;
    this.options = options;
    this.channels = options.channels;
    this.encoder = new OpusEncoder({ sampleRate: RATE, channels: options.channels, application: options.application, bitrate: options.bitrate });
    this.preSkip = this.encoder.lookahead;
    this.frame = new Float32Array(PACKET_SAMPLES * options.channels);
    // The encoder's target (for 'auto' libopus picks a generous one) plus Ogg overhead.
    this.bytesPerSecond = Math.ceil(this.encoder.bitrate / 8) + PAGE_OVERHEAD;
  }

  start(): void {
    const head = encodeOpusHead({ channels: this.channels, preSkip: this.preSkip, inputSampleRate: this.options.inputSampleRate, outputGainDb: 0 });
    this.push({ kind: 'append', data: encodeOggPage({ flags: OGG_BOS, granule: 0n, serial: this.serial, sequence: this.sequence++ }, [head]) });
    const tags = encodeOpusTags('voxrtc', ['ENCODER=voxrtc']);
    this.push({ kind: 'append', data: encodeOggPage({ flags: 0, granule: 0n, serial: this.serial, sequence: this.sequence++ }, [tags]) });
  }

  write(pcm: Pcm): number {
    const samples = pcm as Float32Array;
    const frames = samples.length / this.channels;
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(samples.length - offset, this.frame.length - this.framed);
      this.frame.set(samples.subarray(offset, offset + n), this.framed);
      this.framed += n;
      offset += n;
      if (this.framed === this.frame.length) this.encodeFrame();
    }
    this.samplesIn += frames;
    return frames;
  }

  writeSilence(samplesPerChannel: number): number {
    let left = samplesPerChannel * this.channels;
    while (left > 0) {
      const n = Math.min(left, this.frame.length - this.framed);
      this.frame.fill(0, this.framed, this.framed + n);
      this.framed += n;
      left -= n;
      if (this.framed === this.frame.length) this.encodeFrame();
    }
    this.samplesIn += samplesPerChannel;
    return samplesPerChannel;
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    // Encode until the decoder's output covers pre-skip + every real sample.
    const needed = this.samplesIn + this.preSkip;
    while (this.samplesEncoded < needed) {
      this.frame.fill(0, this.framed);
      this.encodeFrame();
    }
    // The loop above encoded at least one packet (the lookahead is never 0), so the EOS page has audio.
    this.completePage(OGG_EOS, BigInt(this.samplesIn + this.preSkip));
  }

  close(): void {
    this.encoder.close();
  }

  private encodeFrame(): void {
    const length = this.encoder.encodeInto(this.frame, this.packetBuffer);
    const packet = this.packetBuffer.slice(0, length);
    this.framed = 0;
    const segments = segmentsFor(packet.length);
    if (this.pageSegments + segments > OGG_MAX_SEGMENTS) this.completePage(0, BigInt(this.samplesEncoded));
    this.pagePackets.push(packet);
    this.pageSegments += segments;
    this.samplesEncoded += PACKET_SAMPLES;
    if (this.pagePackets.length * PACKET_SAMPLES >= this.options.flushSeconds * RATE && !this.finished) {
      this.completePage(0, BigInt(this.samplesEncoded));
    }
  }

  private completePage(flags: number, granule: bigint): void {
    const page = encodeOggPage({ flags, granule, serial: this.serial, sequence: this.sequence++ }, this.pagePackets);
    this.push({ kind: 'append', data: page });
    if (this.options.fsync) this.push({ kind: 'sync' });
    this.pagePackets = [];
    this.pageSegments = 0;
  }
}
