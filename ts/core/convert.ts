/**
 * Sample-format and channel-layout conversion in the native core. Each
 * conversion has an allocating form and an `…Into(out)` form that writes into
 * a buffer you own.
 * @packageDocumentation
 */
import { native } from './native';
import { type Pcm, allocLike, checkFloat32, checkInt16, checkInteger, checkOptions, checkPcm, invalidRange, invalidType, isFloat32 } from './validate';

function checkOutLength(where: string, out: { length: number }, needed: number): void {
  if (out.length < needed) throw invalidRange(where, 'out', `at least ${needed} values long`, `${out.length} values`);
}

function checkSameType(where: string, input: Pcm, out: unknown): Pcm {
  const o = checkPcm(where, 'out', out);
  if (isFloat32(o) !== isFloat32(input)) {
    throw invalidType(where, 'out', `the same type as input (${isFloat32(input) ? 'Float32Array' : 'Int16Array'})`, out);
  }
  return o;
}

function checkFrames(where: string, input: Pcm, channels: number): void {
  if (input.length % channels !== 0) {
    throw invalidRange(where, 'input', `whole ${channels}-channel frames (a multiple of ${channels} values)`, `${input.length} values`);
  }
}

/** The input checks of (de)interleave: samples, a channel count of 1 to 64, and whole frames. */
function checkInterleaved(where: string, input: unknown, channels: number): Pcm {
  const samples = checkPcm(where, 'input', input);
  checkInteger(where, 'channels', channels, 1, 64);
  checkFrames(where, samples, channels);
  return samples;
}

/** s16 → f32: each sample divided by 32768. */
export function s16ToF32(input: Int16Array | Buffer): Float32Array {
  const samples = checkInt16('s16ToF32', 'input', input);
  const out = new Float32Array(samples.length);
  native().s16ToF32Into(samples, out);
  return out;
}

/** {@link s16ToF32} into `out` (at least as long as `input`). */
export function s16ToF32Into(input: Int16Array | Buffer, out: Float32Array): void {
  const where = 's16ToF32Into';
  const samples = checkInt16(where, 'input', input);
  checkOutLength(where, checkFloat32(where, 'out', out), samples.length);
  native().s16ToF32Into(samples, out);
}

/** f32 → s16: multiplied by 32768, rounded, clipped to -32768..32767; NaN becomes 0. */
export function f32ToS16(input: Float32Array): Int16Array {
  const samples = checkFloat32('f32ToS16', 'input', input);
  const out = new Int16Array(samples.length);
  native().f32ToS16Into(samples, out);
  return out;
}

/** {@link f32ToS16} into `out` (at least as long as `input`). */
export function f32ToS16Into(input: Float32Array, out: Int16Array): void {
  const where = 'f32ToS16Into';
  const samples = checkFloat32(where, 'input', input);
  checkOutLength(where, checkInt16(where, 'out', out), samples.length);
  native().f32ToS16Into(samples, out);
}

/** Interleaved (L R L R …) → planar (L L … R R …), same type. */
export function deinterleave<T extends Pcm>(input: T, channels: number): T {
  const where = 'deinterleave';
  const samples = checkInterleaved(where, input, channels);
  const out = allocLike(samples, samples.length);
  native().deinterleaveInto(samples, out, channels);
  return out as T;
}

/** {@link deinterleave} into `out` (same type, at least as long). */
export function deinterleaveInto(input: Pcm, out: Pcm, channels: number): void {
  const where = 'deinterleaveInto';
  const samples = checkInterleaved(where, input, channels);
  checkOutLength(where, checkSameType(where, samples, out), samples.length);
  native().deinterleaveInto(samples, out, channels);
}

/** Planar (L L … R R …) → interleaved (L R L R …), same type. */
export function interleave<T extends Pcm>(input: T, channels: number): T {
  const where = 'interleave';
  const samples = checkInterleaved(where, input, channels);
  const out = allocLike(samples, samples.length);
  native().interleaveInto(samples, out, channels);
  return out as T;
}

/** {@link interleave} into `out` (same type, at least as long). */
export function interleaveInto(input: Pcm, out: Pcm, channels: number): void {
  const where = 'interleaveInto';
  const samples = checkInterleaved(where, input, channels);
  checkOutLength(where, checkSameType(where, samples, out), samples.length);
  native().interleaveInto(samples, out, channels);
}

/** Options for {@link remix}. */
export interface RemixOptions {
  /** Channels in the (interleaved) input, 1 to 64. */
  from: number;
  /** Channels wanted in the (interleaved) output, 1 to 64. */
  to: number;
  /**
   * Optional gains, `to` rows of `from` values (row-major): output channel j is
   * the sum over i of `matrix[j * from + i] × input channel i`. Default:
   * {@link defaultRemixMatrix}.
   */
  matrix?: Float32Array | readonly number[];
}

const SQRT1_2 = Math.SQRT1_2;

/**
 * The mixing used when no matrix is given:
 * - 1 → M copies the channel to every output;
 * - N → 1 averages the channels;
 * - 5.1 (L R C LFE Ls Rs) → 2 is ITU-R BS.775 (centre and surrounds at -3 dB, LFE dropped), normalised so it cannot clip;
 * - N → M with M < N averages input channels i with i mod M = j into output j;
 * - N → M with M > N copies channel j for j < N and leaves the rest silent.
 */
export function defaultRemixMatrix(from: number, to: number): Float32Array {
  checkInteger('defaultRemixMatrix', 'from', from, 1, 64);
  checkInteger('defaultRemixMatrix', 'to', to, 1, 64);
  const m = new Float32Array(from * to);
  if (from === 1) {
    m.fill(1);
  } else if (to === 1) {
    m.fill(1 / from);
  } else if (from === 6 && to === 2) {
    const norm = 1 / (1 + SQRT1_2 + SQRT1_2);
    m.set([1, 0, SQRT1_2, 0, SQRT1_2, 0].map((g) => g * norm), 0);
    m.set([0, 1, SQRT1_2, 0, 0, SQRT1_2].map((g) => g * norm), 6);
  } else if (to < from) {
    for (let j = 0; j < to; j++) {
      const sources: number[] = [];
      for (let i = j; i < from; i += to) sources.push(i);
      for (const i of sources) m[j * from + i] = 1 / sources.length;
    }
  } else {
    for (let j = 0; j < from; j++) m[j * from + j] = 1;
  }
  return m;
}

function resolveRemix(where: string, options: RemixOptions): { from: number; to: number; matrix: Float32Array | null } {
  if (options === undefined) throw invalidType(where, 'options', 'an object with from and to', options);
  const o = checkOptions(where, options, ['from', 'to', 'matrix']);
  const from = checkInteger(where, 'options.from', o.from, 1, 64);
  const to = checkInteger(where, 'options.to', o.to, 1, 64);
  let matrix: Float32Array | null = null;
  if (o.matrix !== undefined) {
    if (!isFloat32(o.matrix) && !Array.isArray(o.matrix)) {
      throw invalidType(where, 'options.matrix', 'a Float32Array or an array of gains', o.matrix);
    }
    matrix = isFloat32(o.matrix) ? checkFloat32(where, 'options.matrix', o.matrix) : Float32Array.from(o.matrix as number[]);
    if (matrix.length !== from * to) {
      throw invalidRange(where, 'options.matrix', `to × from = ${to} × ${from} = ${from * to} gains`, `${matrix.length}`);
    }
    if (!matrix.every(Number.isFinite)) throw invalidRange(where, 'options.matrix', 'finite gains', 'NaN or Infinity');
  } else if (!(from === 1 || to === 1)) {
    matrix = defaultRemixMatrix(from, to);
  }
  return { from, to, matrix };
}

/**
 * Changes the number of interleaved channels: mono → stereo, stereo → mono
 * (average), or any N → M with a default or given mixing matrix. s16 output is
 * rounded and clipped.
 */
export function remix<T extends Pcm>(input: T, options: RemixOptions): T {
  const where = 'remix';
  const samples = checkPcm(where, 'input', input);
  const { from, to, matrix } = resolveRemix(where, options);
  checkFrames(where, samples, from);
  const length = (samples.length / from) * to;
  const out = allocLike(samples, length);
  native().remixInto(samples, from, out, to, matrix);
  return out as T;
}

/** {@link remix} into `out` (same type, at least frames × `to` values). */
export function remixInto(input: Pcm, out: Pcm, options: RemixOptions): void {
  const where = 'remixInto';
  const samples = checkPcm(where, 'input', input);
  const { from, to, matrix } = resolveRemix(where, options);
  checkFrames(where, samples, from);
  checkOutLength(where, checkSameType(where, samples, out), (samples.length / from) * to);
  native().remixInto(samples, from, out, to, matrix);
}
