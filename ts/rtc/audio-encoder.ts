/**
 * The send path's audio half: frames of any rate, channel count and format
 * in; the negotiated codec's packets out, one per packet time. It converts
 * (AudioResampler), keeps a small buffer of converted samples cut into
 * packets, and encodes (OpusEncoder, or G.711). No timing, no RTP numbering.
 *
 * Opus takes 8, 12, 16, 24 and 48 kHz input and codes it at its 48 kHz RTP
 * clock itself, so a track at one of those rates (a 16 kHz voice-agent
 * reply, 24 kHz text-to-speech) is encoded at its own rate, with no
 * resampling: the encoder is made for the rate of the first frame of a
 * track. Other rates (44.1 kHz) are converted to 48 kHz, and a track that
 * changes rate mid-stream is converted to the rate its encoder started with.
 * @packageDocumentation
 */
import createDebug from 'debug';
import { type AudioCodec, checkCodec } from './codec';
import type { AudioFrame } from '../media/audio-frame';
import { AudioResampler } from '../media/audio-resampler';
import { OPUS_SAMPLE_RATES, OpusEncoder, type OpusSampleRate } from '../core/opus-encoder';
import { alawEncode, ulawEncode } from '../core/g711';
import type { ResamplerQuality } from '../core/resampler';
import { checkBoolean, checkInteger, checkOneOf, closedError, invalidType } from '../core/validate';

const log = createDebug('voxrtc:rtc:sender');

/**
 * Opus settings of an {@link AudioSender}. The defaults are chosen for many
 * concurrent voice calls per core.
 */
export interface OpusSendOptions {
  /**
   * Target bits per second (500 to 512000), `'auto'` or `'max'`. Default
   * 32000 (what libwebrtc sends for mono voice). The receiver's
   * `maxaveragebitrate` fmtp parameter caps it.
   */
  bitrate?: number | 'auto' | 'max';
  /**
   * How libopus codes the audio. `'audio'` (default): on a clean network,
   * CELT, Opus's transform layer, which keeps the waveform (48 kHz mono
   * speech at 32 kbit/s: segmental SNR 12.3 dB) and costs about 50 µs per
   * 20 ms packet to encode at complexity 5; while FEC or DTX is in use
   * (the receiver reports loss, or DTX is on) the encoder is told the input
   * is voice, so it codes with SILK and hybrid, which carry both. `'voip'`:
   * always SILK and hybrid, the speech coder libopus prefers for voice at
   * this bitrate (segmental SNR 5.1 dB: it does not keep the waveform, it
   * shapes its noise for speech), at about 160 µs per packet: three times
   * the encode cost per call.
   */
  application?: 'audio' | 'voip';
  /**
   * Encoder complexity, 0 to 10. Default 5: with `'audio'` (CELT), 5 costs
   * about 50 µs per 20 ms packet, 1 about 30 µs and 10 about 290 µs (at 10
   * libopus runs its signal analysis, which then picks hybrid for speech).
   * With `'voip'`, 0 costs about 75 µs, 3 about 125 µs, 5 about 160 µs and 9
   * or 10 (libopus's and libwebrtc's desktop default) about 295 µs.
   */
  complexity?: number;
  /** In-band FEC, so the receiver rebuilds a lost packet from the next one. Default true, unless the receiver's fmtp says `useinbandfec=0`. */
  fec?: boolean;
  /**
   * Expected packet loss in percent (0 to 100): FEC spends bits in proportion
   * (at 10% a packet costs the encoder about half as much again), or
   * `'auto'` (default): start at 0 — no FEC bits and no FEC cost on a clean
   * network — and follow the loss the receiver reports in its RTCP receiver
   * reports (see {@link AudioSender.reportLoss}), as libwebrtc does: the
   * worst recent report raises it at once (to 1, 5, 10 or 20%), clean
   * reports lower it gradually.
   */
  packetLossPercent?: number | 'auto';
  /**
   * Discontinuous transmission: during silence the encoder makes packets of
   * 1–2 bytes, which are not sent (the RTP timestamp still advances, and the
   * next packet sent carries the marker bit). Default: the receiver's
   * `usedtx` fmtp parameter (off unless it says `usedtx=1`).
   */
  dtx?: boolean;
}

/** @internal Options for {@link PacketEncoder}. */
export interface PacketEncoderOptions {
  codec: AudioCodec;
  /** Packet duration in ms. */
  ptimeMs: number;
  opus?: OpusSendOptions;
  /** Sample-rate converter for tracks at another rate. */
  resampleQuality: ResamplerQuality;
}

/** The Opus settings in force, after defaults and the receiver's fmtp parameters. */
export interface ResolvedOpusSettings {
  application: 'audio' | 'voip';
  channels: 1 | 2;
  bitrate: number | 'auto' | 'max';
  complexity: number;
  fec: boolean;
  /** The expected loss in force now (it changes when {@link adaptiveLoss}). */
  packetLossPercent: number;
  /** True when packetLossPercent follows the receiver's reports (`'auto'`). */
  adaptiveLoss: boolean;
  dtx: boolean;
}

const OPUS_KEYS = ['application', 'bitrate', 'complexity', 'fec', 'packetLossPercent', 'dtx'];
/** Opus: with DTX on, a packet this small carries no audio and is not sent (libwebrtc's rule). */
const DTX_PACKET_BYTES = 2;

/**
 * Resolves the Opus settings: explicit options first, then what the receiver
 * asked for in its fmtp parameters, then the defaults.
 * @internal
 */
export function resolveOpusSettings(where: string, codec: AudioCodec, options: unknown): ResolvedOpusSettings {
  const o = checkOpusOptions(where, options);
  const p = codec.parameters ?? {};
  let bitrate: number | 'auto' | 'max' = 32000;
  if (o.bitrate !== undefined) {
    if (o.bitrate === 'auto' || o.bitrate === 'max') bitrate = o.bitrate;
    else if (typeof o.bitrate !== 'number') throw invalidType(where, 'options.opus.bitrate', "a number of bits per second, 'auto' or 'max'", o.bitrate);
    else bitrate = checkInteger(where, 'options.opus.bitrate', o.bitrate, 500, 512000);
  }
  const adaptiveLoss = o.packetLossPercent === undefined || o.packetLossPercent === 'auto';
  // RFC 7587 §6.1: maxaveragebitrate (6000 to 510000) caps what we send.
  const cap = Number(p.maxaveragebitrate);
  if (p.maxaveragebitrate !== undefined && Number.isInteger(cap) && cap >= 6000 && cap <= 510000) {
    if (bitrate === 'auto' || bitrate === 'max' || bitrate > cap) bitrate = cap;
  }
  return {
    application: o.application === undefined ? 'audio' : checkOneOf(where, 'options.opus.application', o.application, ['audio', 'voip'] as const),
    // RFC 7587: `stereo=1` says the receiver prefers stereo; without it, mono.
    channels: p.stereo === '1' ? 2 : 1,
    bitrate,
    complexity: o.complexity === undefined ? 5 : checkInteger(where, 'options.opus.complexity', o.complexity, 0, 10),
    fec: o.fec === undefined ? p.useinbandfec !== '0' : checkBoolean(where, 'options.opus.fec', o.fec),
    packetLossPercent: adaptiveLoss ? 0 : checkLossPercent(where, o.packetLossPercent), 
    adaptiveLoss,
    dtx: o.dtx === undefined ? p.usedtx === '1' : checkBoolean(where, 'options.opus.dtx', o.dtx),
  };
}

function checkLossPercent(where: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(where, 'options.opus.packetLossPercent', "an integer from 0 to 100, or 'auto'", value);
  return checkInteger(where, 'options.opus.packetLossPercent', value, 0, 100);
}

/**
 * What the encoder is told about its input. FEC and DTX live in Opus's
 * speech layer (SILK): while either is in use, 'voice' makes libopus code
 * with SILK or hybrid, as it does with application 'voip'; otherwise 'auto'
 * lets application 'audio' code with CELT.
 */
function opusSignal(opus: ResolvedOpusSettings): 'voice' | 'auto' {
  return opus.dtx || (opus.fec && opus.packetLossPercent > 0) ? 'voice' : 'auto';
}

/**
 * Expected-loss steps for `packetLossPercent: 'auto'` (libwebrtc's): the
 * highest step at or below the smoothed reported loss.
 */
const AUTO_LOSS_STEPS = [20, 10, 5, 1];

/** `options.opus` must be undefined or an object of known keys (none of them null). */
function checkOpusOptions(where: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType(where, 'options.opus', 'an object', value);
  for (const [key, v] of Object.entries(value)) {
    if (!OPUS_KEYS.includes(key)) {
      throw Object.assign(new TypeError(`${where}: options.opus.${key} is not an option; known options are ${OPUS_KEYS.join(', ')}`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    if (v === null) throw invalidType(where, `options.opus.${key}`, 'a value, or left out for the default', v);
  }
  return value as Record<string, unknown>;
}

/**
 * Converted samples waiting to be encoded: s16, interleaved, at the codec's
 * rate and channel count, in the chunks the converter made (no copy when a
 * chunk is exactly one packet, which is the usual case).
 */
class SampleFifo {
  private chunks: Int16Array[] = [];
  private offset = 0; // values into chunks[0]
  private values = 0;

  get length(): number {
    return this.values;
  }

  push(chunk: Int16Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.values += chunk.length;
  }

  /** Exactly `n` values (the caller checked that they are there). */
  take(n: number): Int16Array {
    const head = this.chunks[0];
    if (this.offset === 0 && head.length === n) {
      this.chunks.shift();
      this.values -= n;
      return head;
    }
    const out = new Int16Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const count = Math.min(n - filled, chunk.length - this.offset);
      out.set(chunk.subarray(this.offset, this.offset + count), filled);
      filled += count;
      this.offset += count;
      if (this.offset === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    this.values -= n;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.values = 0;
  }
}

/**
 * Turns frames into codec packets of a fixed duration. Frames are converted to
 * the codec's rate and channels as they come ({@link push}); each
 * {@link encodeNext} encodes one packet's worth of them. The track's pts are
 * ignored (timing is the sender's business): a frame whose pts do not follow
 * the previous one is treated as if they did, so a gap in a track never adds
 * silence here and never restarts the converter.
 * @internal
 */
export class PacketEncoder {
  /** The codec's clock rate: the RTP timestamps' (audio may be encoded at a lower rate: {@link encodeRate}). */
  readonly sampleRate: number;
  /** Channels encoded: 1 for G.711; 1 or 2 for Opus (see {@link ResolvedOpusSettings.channels}). */
  readonly channels: number;
  /** Samples per channel in one packet: the RTP timestamp step. */
  readonly samplesPerPacket: number;
  /** The Opus settings in force (undefined for G.711). */
  readonly opus: ResolvedOpusSettings | undefined;
  private readonly codec: AudioCodec;
  private readonly resampleQuality: ResamplerQuality;
  private readonly ptimeMs: number;
  private readonly fifo = new SampleFifo();
  private silence: Int16Array; // one packet of silence at the encode rate (its length: {@link packetValues})
  private rate: number; // the rate audio is handed to the encoder at
  private opusEncoder: OpusEncoder | undefined;
  private converter: AudioResampler | undefined;
  private nextInputPts = 0; // samples at inputRate
  private inputRate = 0;
  private encodeMicros = 0;
  private encodedPackets = 0;
  private smoothedLoss = 0; // % (packetLossPercent 'auto')
  private isClosed = false;

  constructor(options: PacketEncoderOptions) {
    const where = 'AudioSender';
    const codec = checkCodec(where, 'options.codec', options.codec);
    this.codec = codec;
    this.resampleQuality = options.resampleQuality;
    this.sampleRate = codec.clockRate;
    this.rate = codec.clockRate;
    this.ptimeMs = options.ptimeMs;
    this.samplesPerPacket = (codec.clockRate * options.ptimeMs) / 1000;
    if (codec.name === 'opus') {
      this.opus = resolveOpusSettings(where, codec, options.opus);
      this.channels = this.opus.channels;
      const { application, bitrate, complexity, fec, packetLossPercent, dtx } = this.opus;
      this.opusEncoder = this.newOpusEncoder(48000);
      log('Opus %s %s, %s bit/s, complexity %d, FEC %s at %d%% loss, DTX %s, signal %s', application, this.channels === 2 ? 'stereo' : 'mono', bitrate, complexity, fec ? 'on' : 'off', packetLossPercent, dtx ? 'on' : 'off', opusSignal(this.opus));
    } else {
      checkOpusOptions(where, options.opus); // a typo is still an error, though G.711 has no settings
      this.opus = undefined;
      this.channels = 1;
    }
    this.silence = new Int16Array(this.samplesPerPacket * this.channels);
  }

  /** The rate audio is handed to the encoder at: the codec's clock rate, or for Opus the rate of the track (8, 12, 16, 24 or 48 kHz). */
  get encodeRate(): number {
    return this.rate;
  }

  /** s16 values in one packet at the encode rate. */
  private get packetValues(): number {
    return this.silence.length;
  }

  /** Whole packets ready to encode. */
  get readyPackets(): number {
    return Math.floor(this.fifo.length / this.packetValues);
  }

  /** Mean time one packet took to encode, in µs (0 before the first). */
  get meanEncodeMicros(): number {
    return this.encodedPackets === 0 ? 0 : this.encodeMicros / this.encodedPackets;
  }

  /** True when a packet of this size carries nothing and is not to be sent (Opus DTX). */
  isDtxPacket(payload: Uint8Array): boolean {
    return this.opus !== undefined && this.opus.dtx && payload.length <= DTX_PACKET_BYTES;
  }

  /**
   * The receiver reported this fraction of our packets lost (0 to 1, RTCP's
   * fraction lost ÷ 256). With `packetLossPercent: 'auto'` the encoder's
   * expected loss follows: the worst recent report at once, clean reports
   * bring it down gradually (each keeps 3/4 of the smoothed value). Returns
   * the expected loss in force, in percent.
   */
  reportLoss(fraction: number): number {
    const opus = this.opus;
    if (!opus || !this.opusEncoder || !opus.adaptiveLoss) return opus?.packetLossPercent ?? 0;
    const observed = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0)) * 100;
    this.smoothedLoss = observed >= this.smoothedLoss ? observed : 0.75 * this.smoothedLoss + 0.25 * observed;
    const percent = AUTO_LOSS_STEPS.find((step) => this.smoothedLoss >= step) ?? 0;
    if (percent !== opus.packetLossPercent) {
      log('receiver reports %s%% loss (smoothed %s%%): expected loss %d%% → %d%%', observed.toFixed(1), this.smoothedLoss.toFixed(1), opus.packetLossPercent, percent);
      const signalBefore = opusSignal(opus);
      this.opusEncoder.setPacketLossPercent(percent);
      opus.packetLossPercent = percent;
      const signal = opusSignal(opus);
      if (signal !== signalBefore) this.opusEncoder.setSignal(signal);
    }
    return percent;
  }

  /** Converts a frame and buffers it. */
  push(frame: AudioFrame): void {
    if (this.isClosed) throw closedError('AudioSender', 'sender');
    // A track's first frame (nothing buffered, no converter yet) sets the rate Opus is fed at.
    if (this.converter === undefined && this.fifo.length === 0) this.encodeAt(frame.sampleRate);
    const converter = (this.converter ??= new AudioResampler({
      rate: this.rate,
      channels: this.channels,
      format: 's16',
      frameSize: this.packetValues / this.channels, // one packet at the encode rate
      quality: this.resampleQuality,
    }));
    // Contiguous pts for the converter: it would fill a gap with silence (or
    // restart on a jump), but here time is the sender's clock, not the track's.
    const pts = Math.round(frame.time * frame.sampleRate);
    if (frame.sampleRate !== this.inputRate) {
      this.inputRate = frame.sampleRate; // (the converter starts a new stream by itself)
      this.nextInputPts = pts;
    }
    const input =
      pts === this.nextInputPts ? frame : frame.derive({ pts: this.nextInputPts, timeBase: { num: 1, den: frame.sampleRate } });
    this.nextInputPts += frame.samplesPerChannel;
    for (const out of converter.resample(input)) this.fifo.push(out.data as Int16Array);
  }

  /**
   * No more input from this track: what the converter still holds is
   * buffered, and a last partial packet is padded with silence.
   */
  finish(): void {
    if (this.isClosed || !this.converter) return;
    for (const out of this.converter.flush()) this.fifo.push(out.data as Int16Array);
    const partial = this.fifo.length % this.packetValues;
    if (partial > 0) this.fifo.push(new Int16Array(this.packetValues - partial));
  }

  /** Drops everything buffered and the converter's state (a new track starts fresh). */
  clear(): void {
    this.fifo.clear();
    this.converter?.close();
    this.converter = undefined;
    this.inputRate = 0;
  }

  /** Encodes the next buffered packet; call only while {@link readyPackets} > 0. */
  encodeNext(): Uint8Array {
    return this.encode(this.fifo.take(this.packetValues));
  }

  /** Drops the next buffered packet without encoding it; call only while {@link readyPackets} > 0. */
  dropNext(): void {
    this.fifo.take(this.packetValues);
  }

  /** Encodes one packet of silence (through the encoder, so Opus keeps a continuous state). */
  encodeSilence(): Uint8Array {
    return this.encode(this.silence);
  }

  /** Opus: the encoder takes `inputRate` if Opus can (else 48 kHz); a new encoder when that changes. */
  private encodeAt(inputRate: number): void {
    if (!this.opus) return;
    const rate = (OPUS_SAMPLE_RATES as readonly number[]).includes(inputRate) ? (inputRate as OpusSampleRate) : 48000;
    if (rate === this.rate) return;
    this.opusEncoder?.close();
    this.opusEncoder = this.newOpusEncoder(rate);
    this.rate = rate;
    this.silence = new Int16Array(((rate * this.ptimeMs) / 1000) * this.channels);
    log('Opus now fed at %d Hz', rate);
  }

  /** An Opus encoder for `sampleRate` input with the settings in force (the expected loss included). */
  private newOpusEncoder(sampleRate: OpusSampleRate): OpusEncoder {
    const { application, channels, bitrate, complexity, fec, packetLossPercent, dtx } = this.opus!;
    return new OpusEncoder({ sampleRate, application, channels, bitrate, complexity, fec, packetLossPercent, dtx, signal: opusSignal(this.opus!) });
  }

  /** Frees the encoder and the converter. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.clear();
    this.opusEncoder?.close();
    this.opusEncoder = undefined;
  }

  private encode(pcm: Int16Array): Uint8Array {
    if (this.isClosed) throw closedError('AudioSender', 'sender');
    const started = performance.now();
    let payload: Uint8Array;
    if (this.opusEncoder) payload = this.opusEncoder.encode(pcm);
    else payload = this.codec.name === 'PCMU' ? ulawEncode(pcm) : alawEncode(pcm);
    this.encodeMicros += (performance.now() - started) * 1000;
    this.encodedPackets++;
    return payload;
  }
}

/** Packet durations the sender supports, in ms (Opus frame sizes; G.711 takes the same). */
export const PTIMES_MS: readonly number[] = [10, 20, 40, 60];

/** @internal Validates `ptimeMs` (default 20). */
export function checkPtime(where: string, value: unknown): number {
  return value === undefined ? 20 : checkOneOf(where, 'options.ptimeMs', value, PTIMES_MS);
}
