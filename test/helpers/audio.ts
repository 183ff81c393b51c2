/**
 * Signal generation and analysis for the audio tests: sine tones, frequency
 * measurement, levels (RMS and the level of one tone), channel picking and a
 * seeded PRNG. Plain TypeScript, no native code, so the tests can judge the
 * native core independently of it.
 */

import { types } from 'node:util';

export type Samples = Int16Array | Float32Array;

// Global lookups (Math.*) are slow inside jest's vm sandbox; hot loops use these locals.
const { sin, cos, round, imul, hypot } = Math;
const TWO_PI = 2 * Math.PI;

/**
 * Realm-independent type tests. Typed arrays made by the native addon come
 * from Node's main realm, not from the jest sandbox, so `x instanceof
 * Int16Array` is false for them inside a test; these tests are not fooled.
 */
export function isInt16(value: unknown): value is Int16Array {
  return types.isInt16Array(value);
}
export function isFloat32(value: unknown): value is Float32Array {
  return types.isFloat32Array(value);
}
/** 'Int16Array', 'Float32Array', 'Uint8Array', … whatever realm the array comes from. */
export function kindOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Full scale of a sample array: 32768 for s16, 1.0 for f32. */
export function fullScale(samples: Samples): number {
  return isInt16(samples) ? 32768 : 1;
}

export interface ToneOptions {
  /** Peak amplitude relative to full scale (0..1). Default 0.5 (-6 dBFS peak, -9 dBFS RMS). */
  amplitude?: number;
  /** Interleaved channels. Default 1. */
  channels?: number;
  /** Default 's16'. */
  format?: 's16' | 'f32';
  /** Start phase in radians. Default 0. */
  phase?: number;
}

/**
 * A sine tone, `seconds` long at `rate`, interleaved over `channels`. `freqHz`
 * may be one frequency for all channels or one per channel.
 */
export function tone(freqHz: number | readonly number[], rate: number, seconds: number, options: ToneOptions & { format: 'f32' }): Float32Array;
export function tone(freqHz: number | readonly number[], rate: number, seconds: number, options?: ToneOptions & { format?: 's16' }): Int16Array;
export function tone(freqHz: number | readonly number[], rate: number, seconds: number, options?: ToneOptions): Samples;
export function tone(freqHz: number | readonly number[], rate: number, seconds: number, options: ToneOptions = {}): Samples {
  const amplitude = options.amplitude ?? 0.5;
  const channels = options.channels ?? 1;
  const phase = options.phase ?? 0;
  const freqs = typeof freqHz === 'number' ? new Array<number>(channels).fill(freqHz) : [...freqHz];
  if (freqs.length !== channels) throw new Error(`tone: ${freqs.length} frequencies for ${channels} channels`);
  const frames = Math.round(rate * seconds);
  const f32 = options.format === 'f32';
  const out = f32 ? new Float32Array(frames * channels) : new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const v = amplitude * sin((TWO_PI * freqs[c] * i) / rate + phase);
      out[i * channels + c] = f32 ? v : round(v * 32767);
    }
  }
  return out;
}

/** The samples of channel `ch` of interleaved data, as a new array of the same type. */
export function channel<T extends Samples>(samples: T, ch: number, channels: number): T {
  const frames = Math.floor(samples.length / channels);
  const out = (isFloat32(samples) ? new Float32Array(frames) : new Int16Array(frames)) as T;
  for (let i = 0; i < frames; i++) out[i] = samples[i * channels + ch];
  return out;
}

/**
 * Chunks joined into one array of their type (made in the caller's realm, so
 * it can be passed on to the library even when the chunks came from the addon).
 */
export function concat<T extends Samples | Uint8Array>(chunks: readonly T[]): T {
  if (chunks.length === 0) throw new Error('concat: no chunks (the type of the result is unknown)');
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const first = chunks[0];
  const out = (isInt16(first) ? new Int16Array(total) : isFloat32(first) ? new Float32Array(total) : new Uint8Array(total)) as T;
  let offset = 0;
  for (const c of chunks) {
    if (kindOf(c) !== kindOf(first)) throw new Error(`concat: a ${kindOf(c)} among ${kindOf(first)} chunks`);
    (out as unknown as { set(a: ArrayLike<number>, o: number): void }).set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Values as doubles in -1..1 (s16 divided by 32768). */
export function toDouble(samples: Samples): Float64Array {
  const scale = 1 / fullScale(samples);
  const out = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] * scale;
  return out;
}

/** RMS level in dBFS (s16 full scale 32768, f32 full scale 1.0). -Infinity for silence. */
export function rmsDb(samples: Samples): number {
  if (samples.length === 0) throw new Error('rmsDb: no samples');
  const scale = 1 / fullScale(samples);
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] * scale;
    sum += v * v;
  }
  return 10 * Math.log10(sum / samples.length);
}

/** In-place iterative radix-2 FFT of (re, im); length must be a power of 2. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new Error(`fft: length ${n} is not a power of 2`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const ar = re[i + k + len / 2];
        const ai = im[i + k + len / 2];
        const xr = ar * cr - ai * ci;
        const xi = ar * ci + ai * cr;
        re[i + k + len / 2] = re[i + k] - xr;
        im[i + k + len / 2] = im[i + k] - xi;
        re[i + k] += xr;
        im[i + k] += xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * cos((TWO_PI * (i + 0.5)) / n);
  return w;
}

/** |Σ x[i]·w[i]·e^{-j2πfi/rate}| for one frequency (a windowed DTFT bin at any f). */
function dtftMagnitude(x: Float64Array, w: Float64Array, f: number, rate: number): number {
  // Rotating phasor, re-normalised now and then to keep the recursion exact enough.
  const step = (-2 * Math.PI * f) / rate;
  const sr = Math.cos(step);
  const si = Math.sin(step);
  let pr = 1;
  let pi = 0;
  let accR = 0;
  let accI = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * w[i];
    accR += v * pr;
    accI += v * pi;
    const npr = pr * sr - pi * si;
    pi = pr * si + pi * sr;
    pr = npr;
    if ((i & 1023) === 1023) {
      const m = hypot(pr, pi);
      pr /= m;
      pi /= m;
    }
  }
  return Math.hypot(accR, accI);
}

/**
 * Frequency (Hz) of the strongest tone in `samples` (one channel): the peak
 * of a Hann-windowed, zero-padded FFT, refined by a golden-section search of
 * the windowed DTFT magnitude around it. For a clean tone of ≥ 0.1 s it is
 * exact to a few mHz.
 */
export function measureFrequency(samples: Samples, rate: number): number {
  const x = toDouble(samples);
  const n = x.length;
  if (n < 64) throw new Error(`measureFrequency: ${n} samples is too short`);
  const w = hann(n);
  let size = 1;
  while (size < n * 2) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i] * w[i];
  fft(re, im);
  let peak = 1;
  let best = -1;
  for (let k = 1; k < size / 2; k++) {
    const p = re[k] * re[k] + im[k] * im[k];
    if (p > best) {
      best = p;
      peak = k;
    }
  }
  const bin = rate / size;
  let lo = Math.max(0, (peak - 1) * bin);
  let hi = Math.min(rate / 2, (peak + 1) * bin);
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = dtftMagnitude(x, w, a, rate);
  let fb = dtftMagnitude(x, w, b, rate);
  while (hi - lo > 1e-4) {
    if (fa > fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = dtftMagnitude(x, w, a, rate);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = dtftMagnitude(x, w, b, rate);
    }
  }
  return (lo + hi) / 2;
}

/**
 * Level in dBFS (RMS-equivalent: a full-scale sine reads -3.01 dB) of the
 * component of `samples` (one channel) at `freqHz`, from a Hann-windowed DTFT
 * at exactly that frequency. Other components ≥ a few bins away (4·rate/n Hz)
 * barely leak in (Hann sidelobes fall 18 dB/octave from -31 dB).
 */
export function toneLevelDb(samples: Samples, rate: number, freqHz: number): number {
  const x = toDouble(samples);
  const w = hann(x.length);
  let wsum = 0;
  for (let i = 0; i < w.length; i++) wsum += w[i];
  const amplitude = (2 * dtftMagnitude(x, w, freqHz, rate)) / wsum;
  return 20 * Math.log10(amplitude / Math.SQRT2);
}

/**
 * Energy (dBFS) in the band [loHz, hiHz] of one channel, from a Hann-windowed
 * FFT (Parseval-scaled so a full-band measurement matches {@link rmsDb}).
 */
export function bandEnergyDb(samples: Samples, rate: number, loHz: number, hiHz: number): number {
  const x = toDouble(samples);
  const n = x.length;
  let size = 1;
  while (size < n) size <<= 1;
  const w = hann(n);
  let wpow = 0;
  for (let i = 0; i < n; i++) wpow += w[i] * w[i];
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i] * w[i];
  fft(re, im);
  let sum = 0;
  for (let k = 0; k <= size / 2; k++) {
    const f = (k * rate) / size;
    if (f < loHz || f > hiHz) continue;
    const p = re[k] * re[k] + im[k] * im[k];
    sum += k === 0 || k === size / 2 ? p : 2 * p;
  }
  return 10 * Math.log10(sum / (wpow * size));
}

/** Pearson correlation of two equally long signals. */
export function correlation(a: Samples, b: Samples): number {
  if (a.length !== b.length) throw new Error(`correlation: lengths ${a.length} and ${b.length} differ`);
  const x = toDouble(a);
  const y = toDouble(b);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= x.length;
  my /= y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** SNR (dB) of `test` against `reference`: reference power over the power of their difference. */
export function snrDb(reference: Samples, test: Samples): number {
  if (reference.length !== test.length) throw new Error(`snrDb: lengths ${reference.length} and ${test.length} differ`);
  const x = toDouble(reference);
  const y = toDouble(test);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < x.length; i++) {
    signal += x[i] * x[i];
    noise += (x[i] - y[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/**
 * Segmental SNR (dB): the mean over `segment`-sample blocks of each block's
 * SNR clamped to [-10, 35] dB, counting only blocks whose reference level is
 * above `floorDb` dBFS (silence says nothing about a codec).
 */
export function segmentalSnrDb(reference: Samples, test: Samples, segment: number, floorDb = -50): number {
  if (reference.length !== test.length) throw new Error(`segmentalSnrDb: lengths ${reference.length} and ${test.length} differ`);
  const x = toDouble(reference);
  const y = toDouble(test);
  let total = 0;
  let count = 0;
  for (let start = 0; start + segment <= x.length; start += segment) {
    let signal = 0;
    let noise = 0;
    for (let i = start; i < start + segment; i++) {
      signal += x[i] * x[i];
      noise += (x[i] - y[i]) ** 2;
    }
    if (10 * Math.log10(signal / segment) < floorDb) continue;
    const snr = 10 * Math.log10(signal / Math.max(noise, 1e-20));
    total += Math.min(35, Math.max(-10, snr));
    count++;
  }
  if (count === 0) throw new Error('segmentalSnrDb: no segment above the floor');
  return total / count;
}

/** A seeded PRNG (mulberry32): each call returns 32 random bits as an unsigned integer. */
export function prngU32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A seeded PRNG (mulberry32): returns floats in [0, 1). */
export function prng(seed: number): () => number {
  const next = prngU32(seed);
  return () => next() / 4294967296;
}

/** `length` random bytes from a {@link prngU32} generator (4 bytes per call). */
export function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    let v = next();
    for (let j = i; j < i + 4 && j < length; j++) {
      out[j] = v & 0xff;
      v >>>= 8;
    }
  }
  return out;
}

/** Splits `samples` into consecutive chunks of `size` values (the last may be shorter). */
export function chunks<T extends Samples>(samples: T, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < samples.length; i += size) out.push(samples.subarray(i, Math.min(samples.length, i + size)) as T);
  return out;
}
