import { native, type NativeOpusDecoder } from './native';
import { OPUS_SAMPLE_RATES, type OpusSampleRate } from './opus-encoder';
import { type Pcm, checkBytes, checkInteger, checkOneOf, checkOptions, checkPcm, closedError, invalidRange } from './validate';

/** Options for {@link OpusDecoder}. */
export interface OpusDecoderOptions {
  /** Output sample rate in Hz; any Opus stream decodes at any of these. Default 48000. */
  sampleRate?: OpusSampleRate;
  /** Output channels, 1 or 2 (interleaved). Default 1. */
  channels?: 1 | 2;
}

/** Sample format of decoded audio: `'s16'` gives an `Int16Array`, `'f32'` a `Float32Array`. */
export type SampleFormat = 's16' | 'f32';

/**
 * Decodes Opus packets into PCM, and fills lost packets by concealment (PLC)
 * or from the next packet's in-band FEC.
 *
 * @example
 * ```ts
 * const decoder = new OpusDecoder({ sampleRate: 48000, channels: 1 });
 * const pcm = decoder.decode(packet);            // Int16Array
 * const lost = decoder.decodeFec(nextPacket, 960); // rebuilds the packet before `nextPacket`
 * const guess = decoder.conceal(960);            // when there is no FEC either
 * ```
 */
export class OpusDecoder {
  /** Output sample rate in Hz. */
  readonly sampleRate: OpusSampleRate;
  /** Output channels (interleaved). */
  readonly channels: 1 | 2;
  private handle: NativeOpusDecoder | null;

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options?: OpusDecoderOptions) {
    const where = 'OpusDecoder';
    const o = checkOptions(where, options, ['sampleRate', 'channels']);
    this.sampleRate = checkOneOf(where, 'options.sampleRate', o.sampleRate ?? 48000, OPUS_SAMPLE_RATES);
    this.channels = checkOneOf(where, 'options.channels', o.channels ?? 1, [1, 2] as const);
    this.handle = new (native().OpusDecoder)(this.sampleRate, this.channels);
  }

  /**
   * Decodes one packet to interleaved s16 samples.
   * @throws Error (code `ERR_VOXRTC_OPUS`) with libopus's reason when the packet is corrupt; the decoder stays usable.
   */
  decode(packet: Uint8Array): Int16Array {
    const where = 'OpusDecoder.decode';
    return this.open(where).decode(this.checkPacket(where, packet), false);
  }

  /** Decodes one packet to interleaved f32 samples (nominal range -1..1). */
  decodeFloat(packet: Uint8Array): Float32Array {
    const where = 'OpusDecoder.decodeFloat';
    return this.open(where).decode(this.checkPacket(where, packet), true, where);
  }

  /**
   * Decodes one packet into `out` without allocating.
   * @param out - At least as long as the packet's audio (120 ms always suffices).
   * @returns Samples per channel written.
   */
  decodeInto(packet: Uint8Array, out: Pcm): number {
    const where = 'OpusDecoder.decodeInto';
    const handle = this.open(where);
    return handle.decodeInto(this.checkPacket(where, packet), this.checkOut(where, out), false);
  }

  /**
   * Packet-loss concealment: synthesizes `samplesPerChannel` samples to stand in
   * for a lost packet, continuing the decoder's signal.
   * @param samplesPerChannel - The lost packet's duration: a multiple of 2.5 ms, at most 120 ms.
   */
  conceal(samplesPerChannel: number): Int16Array;
  conceal(samplesPerChannel: number, format: 's16'): Int16Array;
  conceal(samplesPerChannel: number, format: 'f32'): Float32Array;
  conceal(samplesPerChannel: number, format: SampleFormat = 's16'): Pcm {
    const where = 'OpusDecoder.conceal';
    const handle = this.open(where);
    const out = this.allocate(where, samplesPerChannel, format);
    handle.decodeInto(null, out, false, where);
    return out;
  }

  /** {@link conceal} into `out`; `out.length / channels` is the duration concealed. Returns samples per channel. */
  concealInto(out: Pcm): number {
    const where = 'OpusDecoder.concealInto';
    const handle = this.open(where);
    return handle.decodeInto(null, this.checkLossOut(where, out), false, where);
  }

  /**
   * Rebuilds a lost frame from the in-band FEC data carried by the packet that
   * follows it. Without FEC data in `nextPacket` this conceals instead (libopus
   * behaviour). Decode `nextPacket` itself normally afterwards.
   * @param samplesPerChannel - The lost frame's duration: a multiple of 2.5 ms, at most 120 ms.
   */
  decodeFec(nextPacket: Uint8Array, samplesPerChannel: number): Int16Array;
  decodeFec(nextPacket: Uint8Array, samplesPerChannel: number, format: 's16'): Int16Array;
  decodeFec(nextPacket: Uint8Array, samplesPerChannel: number, format: 'f32'): Float32Array;
  decodeFec(nextPacket: Uint8Array, samplesPerChannel: number, format: SampleFormat = 's16'): Pcm {
    const where = 'OpusDecoder.decodeFec';
    const handle = this.open(where);
    const packet = this.checkPacket(where, nextPacket, 'nextPacket');
    const out = this.allocate(where, samplesPerChannel, format);
    handle.decodeInto(packet, out, true, where, 'nextPacket');
    return out;
  }

  /** {@link decodeFec} into `out`; `out.length / channels` is the lost frame's duration. Returns samples per channel. */
  decodeFecInto(nextPacket: Uint8Array, out: Pcm): number {
    const where = 'OpusDecoder.decodeFecInto';
    const handle = this.open(where);
    const packet = this.checkPacket(where, nextPacket, 'nextPacket');
    return handle.decodeInto(packet, this.checkLossOut(where, out), true, where, 'nextPacket');
  }

  /** Samples per channel that `packet` decodes to at this decoder's rate. */
  packetSamples(packet: Uint8Array): number {
    const where = 'OpusDecoder.packetSamples';
    return this.open(where).packetSamples(this.checkPacket(where, packet));
  }

  /** Samples per channel of the last packet decoded or concealed. */
  get lastPacketDuration(): number {
    return this.open('OpusDecoder.lastPacketDuration').lastPacketDuration();
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.handle === null;
  }

  /** Resets the codec state (as at a new stream). */
  reset(): void {
    this.open('OpusDecoder.reset').reset();
  }

  /** Frees the native decoder now. Safe to call twice; any later call throws. Garbage collection frees it too. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }

  private open(where: string): NativeOpusDecoder {
    if (this.handle === null) throw closedError(where, 'decoder');
    return this.handle;
  }

  private checkPacket(where: string, value: unknown, name = 'packet'): Uint8Array {
    const packet = checkBytes(where, name, value);
    if (packet.length === 0) {
      throw invalidRange(where, name, 'a non-empty Opus packet (for a lost packet call conceal())', 'an empty array');
    }
    return packet;
  }

  private checkOut(where: string, value: unknown): Pcm {
    const out = checkPcm(where, 'out', value);
    if (out.length === 0 || out.length % this.channels !== 0) {
      throw invalidRange(where, 'out', `a non-empty whole number of ${this.channels}-channel frames`, `${out.length} values`);
    }
    return out;
  }

  private checkLossOut(where: string, value: unknown): Pcm {
    const out = this.checkOut(where, value);
    this.checkLossDuration(where, 'out.length / channels', out.length / this.channels);
    return out;
  }

  private checkLossDuration(where: string, name: string, samplesPerChannel: number): void {
    const unit = this.sampleRate / 400;
    if (samplesPerChannel % unit !== 0 || samplesPerChannel > unit * 48 || samplesPerChannel <= 0) {
      throw invalidRange(
        where,
        name,
        `a multiple of 2.5 ms (${unit} samples at ${this.sampleRate} Hz) up to 120 ms (${unit * 48})`,
        String(samplesPerChannel),
      );
    }
  }

  private allocate(where: string, samplesPerChannel: number, format: unknown): Pcm {
    const unit = this.sampleRate / 400;
    checkInteger(where, 'samplesPerChannel', samplesPerChannel, unit, unit * 48);
    this.checkLossDuration(where, 'samplesPerChannel', samplesPerChannel);
    const f = checkOneOf(where, 'format', format, ['s16', 'f32'] as const);
    const length = samplesPerChannel * this.channels;
    return f === 'f32' ? new Float32Array(length) : new Int16Array(length);
  }
}
