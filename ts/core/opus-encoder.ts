import { native, type NativeOpusEncoder } from './native';
import {
  type Pcm,
  checkBoolean,
  checkBytes,
  checkInteger,
  checkOneOf,
  checkOptions,
  checkPcm,
  closedError,
  describe,
  invalidRange,
  invalidType,
} from './validate';

/** Sample rates Opus encodes and decodes at. */
export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;

/** The Opus encoder's tuning: speech (`'voip'`), music (`'audio'`) or lowest delay (`'lowdelay'`). */
export type OpusApplication = 'voip' | 'audio' | 'lowdelay';

/**
 * What the encoder is told about its input: `'auto'` (libopus guesses, or
 * goes by the application), `'voice'` or `'music'`. It moves the bitrate at
 * which libopus switches from its speech layer (SILK, hybrid) to its
 * transform layer (CELT).
 */
export type OpusSignal = 'auto' | 'voice' | 'music';

/** Options for {@link OpusEncoder}. Every setting but `sampleRate`, `channels` and `application` can be changed later. */
export interface OpusEncoderOptions {
  /** Input sample rate in Hz. Default 48000. */
  sampleRate?: OpusSampleRate;
  /** 1 (mono) or 2 (stereo, interleaved). Default 1. */
  channels?: 1 | 2;
  /** Default `'voip'`. At 32 kbit/s mono, `'voip'` codes speech with SILK (hybrid) and `'audio'` with CELT, about three times cheaper to encode. */
  application?: OpusApplication;
  /** Target bits per second (500 to 512000), `'auto'` (libopus chooses) or `'max'`. Default `'auto'`. */
  bitrate?: number | 'auto' | 'max';
  /** 0 (fastest) to 10 (best). Default: libopus's own default (9). */
  complexity?: number;
  /** In-band forward error correction, so a receiver can rebuild a lost packet from the next one. Default false. */
  fec?: boolean;
  /** Expected packet loss in percent (0 to 100); FEC spends bits in proportion. Default 0. */
  packetLossPercent?: number;
  /** Discontinuous transmission: tiny packets during silence. Default false. */
  dtx?: boolean;
  /** The kind of input. Default `'auto'`. */
  signal?: OpusSignal;
}

/** @internal */
export const OPUS_SAMPLE_RATES: readonly OpusSampleRate[] = [8000, 12000, 16000, 24000, 48000];
const APPLICATIONS: readonly OpusApplication[] = ['voip', 'audio', 'lowdelay'];
const APPLICATION_CODES: Record<OpusApplication, number> = { voip: 2048, audio: 2049, lowdelay: 2051 };
const OPUS_AUTO = -1000;
const OPUS_BITRATE_MAX = -1;
const FRAME_MS = [2.5, 5, 10, 20, 40, 60] as const;
const SIGNALS: readonly OpusSignal[] = ['auto', 'voice', 'music'];
const SIGNAL_CODES: Record<OpusSignal, number> = { auto: -1000, voice: 3001, music: 3002 };
const OPTION_KEYS = ['sampleRate', 'channels', 'application', 'bitrate', 'complexity', 'fec', 'packetLossPercent', 'dtx', 'signal'];

/**
 * Encodes PCM audio into Opus packets (RFC 6716).
 *
 * @example
 * ```ts
 * const encoder = new OpusEncoder({ sampleRate: 48000, channels: 1, fec: true, packetLossPercent: 10 });
 * const packet = encoder.encode(new Int16Array(960)); // one 20 ms frame
 * ```
 */
export class OpusEncoder {
  /** Input sample rate in Hz. */
  readonly sampleRate: OpusSampleRate;
  /** Number of interleaved channels in the input. */
  readonly channels: 1 | 2;
  /** The tuning chosen at creation. */
  readonly application: OpusApplication;
  /** The `pcm` lengths (in values: samples per channel × channels) one call accepts: 2.5, 5, 10, 20, 40 and 60 ms. */
  readonly frameLengths: readonly number[];
  private handle: NativeOpusEncoder | null;
  private readonly validLengths: Set<number>;

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options?: OpusEncoderOptions) {
    const where = 'OpusEncoder';
    const o = checkOptions(where, options, OPTION_KEYS);
    this.sampleRate = checkOneOf(where, 'options.sampleRate', o.sampleRate ?? 48000, OPUS_SAMPLE_RATES);
    this.channels = checkOneOf(where, 'options.channels', o.channels ?? 1, [1, 2] as const);
    this.application = checkOneOf(where, 'options.application', o.application ?? 'voip', APPLICATIONS);
    this.frameLengths = FRAME_MS.map((ms) => ((this.sampleRate * ms) / 1000) * this.channels);
    this.validLengths = new Set(this.frameLengths);
    const bitrate = o.bitrate === undefined ? undefined : bitrateCode(where, 'options.bitrate', o.bitrate);
    const complexity = o.complexity === undefined ? undefined : checkInteger(where, 'options.complexity', o.complexity, 0, 10);
    const fec = o.fec === undefined ? undefined : checkBoolean(where, 'options.fec', o.fec);
    const loss = o.packetLossPercent === undefined ? undefined : checkInteger(where, 'options.packetLossPercent', o.packetLossPercent, 0, 100);
    const dtx = o.dtx === undefined ? undefined : checkBoolean(where, 'options.dtx', o.dtx);
    const signal = o.signal === undefined ? undefined : checkOneOf(where, 'options.signal', o.signal, SIGNALS);

    const handle = new (native().OpusEncoder)(this.sampleRate, this.channels, APPLICATION_CODES[this.application]);
    if (bitrate !== undefined) handle.setBitrate(bitrate);
    if (complexity !== undefined) handle.setComplexity(complexity);
    if (fec !== undefined) handle.setInbandFec(fec);
    if (loss !== undefined) handle.setPacketLossPercent(loss);
    if (dtx !== undefined) handle.setDtx(dtx);
    if (signal !== undefined) handle.setSignal(SIGNAL_CODES[signal]);
    this.handle = handle;
  }

  /**
   * Encodes exactly one frame of interleaved samples and returns the packet.
   * @param pcm - 2.5 to 60 ms of audio: `Int16Array`, `Float32Array` (nominal range -1..1), or a `Buffer` of s16le samples.
   * @throws RangeError when `pcm` is not one frame long; the message lists the valid lengths.
   */
  encode(pcm: Pcm | Buffer): Uint8Array {
    const where = 'OpusEncoder.encode';
    const handle = this.open(where);
    return handle.encode(this.checkFrame(where, pcm));
  }

  /**
   * Encodes one frame into `out` without allocating and returns the packet's length in bytes.
   * @param out - Receives the packet; 4000 bytes always suffice (1275 per 20 ms at most). A smaller
   *   `out` caps the packet size (at least 3 bytes).
   */
  encodeInto(pcm: Pcm | Buffer, out: Uint8Array): number {
    const where = 'OpusEncoder.encodeInto';
    const handle = this.open(where);
    const frame = this.checkFrame(where, pcm);
    const target = checkBytes(where, 'out', out);
    // Below 3 bytes libopus can only write a header-only packet, which decoders take for a lost frame.
    if (target.length < 3) throw invalidRange(where, 'out', 'at least 3 bytes (4000 always suffice)', `${target.length} bytes`);
    return handle.encodeInto(frame, target);
  }

  /** Sets the target bitrate in bits per second (500 to 512000), `'auto'` or `'max'`. */
  setBitrate(bitrate: number | 'auto' | 'max'): void {
    const where = 'OpusEncoder.setBitrate';
    this.open(where).setBitrate(bitrateCode(where, 'bitrate', bitrate));
  }

  /** Sets the complexity, 0 (fastest) to 10 (best quality). */
  setComplexity(complexity: number): void {
    const where = 'OpusEncoder.setComplexity';
    this.open(where).setComplexity(checkInteger(where, 'complexity', complexity, 0, 10));
  }

  /** Turns in-band forward error correction on or off. */
  setFec(enabled: boolean): void {
    const where = 'OpusEncoder.setFec';
    this.open(where).setInbandFec(checkBoolean(where, 'enabled', enabled));
  }

  /** Sets the expected packet loss in percent (0 to 100). */
  setPacketLossPercent(percent: number): void {
    const where = 'OpusEncoder.setPacketLossPercent';
    this.open(where).setPacketLossPercent(checkInteger(where, 'percent', percent, 0, 100));
  }

  /** Turns discontinuous transmission on or off. */
  setDtx(enabled: boolean): void {
    const where = 'OpusEncoder.setDtx';
    this.open(where).setDtx(checkBoolean(where, 'enabled', enabled));
  }

  /** Tells the encoder what kind of input follows: `'auto'`, `'voice'` or `'music'`. */
  setSignal(signal: OpusSignal): void {
    const where = 'OpusEncoder.setSignal';
    this.open(where).setSignal(SIGNAL_CODES[checkOneOf(where, 'signal', signal, SIGNALS)]);
  }

  /** The bitrate libopus is using now, in bits per second. */
  get bitrate(): number {
    return this.open('OpusEncoder.bitrate').getBitrate();
  }

  /** The encoder's algorithmic delay in samples per channel at {@link sampleRate}. */
  get lookahead(): number {
    return this.open('OpusEncoder.lookahead').getLookahead();
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.handle === null;
  }

  /** Resets the codec state (as if new) and keeps the settings. */
  reset(): void {
    this.open('OpusEncoder.reset').reset();
  }

  /** Frees the native encoder now. Safe to call twice; any later call throws. Garbage collection frees it too. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }

  private open(where: string): NativeOpusEncoder {
    if (this.handle === null) throw closedError(where, 'encoder');
    return this.handle;
  }

  private checkFrame(where: string, value: unknown): Pcm {
    const pcm = checkPcm(where, 'pcm', value);
    if (!this.validLengths.has(pcm.length)) {
      throw invalidRange(
        where,
        'pcm',
        `one Opus frame: ${this.frameLengths.join(', ')} values for 2.5, 5, 10, 20, 40 or 60 ms at ${this.sampleRate} Hz × ${this.channels} channel${this.channels > 1 ? 's' : ''}`,
        `${pcm.length} values`,
      );
    }
    return pcm;
  }
}

function bitrateCode(where: string, name: string, value: unknown): number {
  if (value === 'auto') return OPUS_AUTO;
  if (value === 'max') return OPUS_BITRATE_MAX;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw invalidType(where, name, "a number of bits per second, 'auto' or 'max'", value);
  }
  if (typeof value === 'string' || !Number.isInteger(value) || value < 500 || value > 512000) {
    throw invalidRange(where, name, "an integer from 500 to 512000 bits per second, 'auto' or 'max'", describe(value));
  }
  return value;
}
