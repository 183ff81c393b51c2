import { native, type NativeResampler } from './native';
import { type Pcm, checkInteger, checkOneOf, checkOptions, checkPcm, closedError, invalidRange, invalidType, isFloat32 } from './validate';

/** libsamplerate's sinc converters: `'fastest'` (97 dB SNR), `'medium'` (97 dB, narrower transition), `'best'` (144 dB). */
export type ResamplerQuality = 'fastest' | 'medium' | 'best';

/** Options for {@link Resampler}. */
export interface ResamplerOptions {
  /** Input rate in Hz, 8000 to 192000. */
  inputRate: number;
  /** Output rate in Hz, 8000 to 192000. */
  outputRate: number;
  /** Interleaved channels, 1 to 8. Default 1. */
  channels?: number;
  /** Default `'medium'`. */
  quality?: ResamplerQuality;
}

const QUALITY_CODES: Record<ResamplerQuality, number> = { best: 0, medium: 1, fastest: 2 };
const QUALITIES = Object.keys(QUALITY_CODES) as ResamplerQuality[];

/**
 * Streaming sample-rate converter (libsamplerate). Feed it chunks of any size:
 * the filter state carries over, so the chunked output equals the output of
 * one call on the whole signal. Call {@link flush} at the end for the tail.
 *
 * @example
 * ```ts
 * const down = new Resampler({ inputRate: 48000, outputRate: 16000 });
 * for (const chunk of chunks) send(down.process(chunk)); // Int16Array in, Int16Array out
 * send(down.flush());
 * ```
 */
export class Resampler {
  /** Input rate in Hz. */
  readonly inputRate: number;
  /** Output rate in Hz. */
  readonly outputRate: number;
  /** Interleaved channels. */
  readonly channels: number;
  /** The converter in use. */
  readonly quality: ResamplerQuality;
  /** outputRate / inputRate. */
  readonly ratio: number;
  private handle: NativeResampler | null;
  private lastFormat: 's16' | 'f32' = 'f32';

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options: ResamplerOptions) {
    const where = 'Resampler';
    if (options === undefined) throw invalidType(where, 'options', 'an object with inputRate and outputRate', options);
    const o = checkOptions(where, options, ['inputRate', 'outputRate', 'channels', 'quality']);
    this.inputRate = checkInteger(where, 'options.inputRate', o.inputRate, 8000, 192000);
    this.outputRate = checkInteger(where, 'options.outputRate', o.outputRate, 8000, 192000);
    this.channels = checkInteger(where, 'options.channels', o.channels ?? 1, 1, 8);
    this.quality = checkOneOf(where, 'options.quality', o.quality ?? 'medium', QUALITIES);
    this.ratio = this.outputRate / this.inputRate;
    this.handle = new (native().Resampler)(this.inputRate, this.outputRate, this.channels, QUALITY_CODES[this.quality]);
  }

  /**
   * Converts the next chunk. Returns the same type it is given (a `Buffer` of
   * s16le samples gives an `Int16Array`). The first calls return a little less
   * than `length × ratio`: the filter's delay, which {@link flush} returns.
   */
  process(chunk: Int16Array | Buffer): Int16Array;
  process(chunk: Float32Array): Float32Array;
  process(chunk: Pcm | Buffer): Pcm;
  process(chunk: Pcm | Buffer): Pcm {
    const where = 'Resampler.process';
    const handle = this.open(where);
    const input = this.checkInput(where, chunk);
    return handle.process(input, false);
  }

  /**
   * Converts the next chunk into `out` (same type as the chunk) without allocating.
   * @param out - At least {@link maxOutputLength}(chunk.length) values.
   * @returns Values written (frames × channels).
   */
  processInto(chunk: Pcm | Buffer, out: Pcm): number {
    const where = 'Resampler.processInto';
    const handle = this.open(where);
    const input = this.checkInput(where, chunk);
    return handle.processInto(input, this.checkOut(where, input, out), false);
  }

  /**
   * Ends the stream: returns the filter's remaining output (in the format of
   * the chunks processed so far, `Float32Array` if none) and resets, so the
   * next chunk starts a new stream.
   */
  flush(): Pcm {
    const handle = this.open('Resampler.flush');
    return handle.process(this.lastFormat === 's16' ? new Int16Array(0) : new Float32Array(0), true);
  }

  /** {@link flush} into `out`; returns values written. */
  flushInto(out: Pcm): number {
    const where = 'Resampler.flushInto';
    const handle = this.open(where);
    const empty = isFloat32(out) ? new Float32Array(0) : new Int16Array(0);
    return handle.processInto(empty, this.checkOut(where, empty, out), true, where);
  }

  /** The most values the next {@link processInto} (or {@link flushInto}) can write for an input of `inputLength` values. */
  maxOutputLength(inputLength: number): number {
    const where = 'Resampler.maxOutputLength';
    const handle = this.open(where);
    return handle.maxOutputSamples(checkInteger(where, 'inputLength', inputLength, 0, 2 ** 30));
  }

  /** Clears the filter state: the next chunk starts a new stream. */
  reset(): void {
    this.open('Resampler.reset').reset();
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.handle === null;
  }

  /** Frees the native converter now. Safe to call twice; any later call throws. Garbage collection frees it too. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }

  private open(where: string): NativeResampler {
    if (this.handle === null) throw closedError(where, 'resampler');
    return this.handle;
  }

  private checkInput(where: string, value: unknown): Pcm {
    const input = checkPcm(where, 'chunk', value);
    if (input.length % this.channels !== 0) {
      throw invalidRange(where, 'chunk', `whole ${this.channels}-channel frames (a multiple of ${this.channels} values)`, `${input.length} values`);
    }
    this.lastFormat = isFloat32(input) ? 'f32' : 's16';
    return input;
  }

  private checkOut(where: string, input: Pcm, value: unknown): Pcm {
    const out = checkPcm(where, 'out', value);
    if (isFloat32(out) !== isFloat32(input)) {
      throw invalidType(where, 'out', `the same type as the input (${isFloat32(input) ? 'Float32Array' : 'Int16Array'})`, value);
    }
    return out;
  }
}
