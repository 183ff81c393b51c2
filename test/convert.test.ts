/**
 * Sample-format and channel-layout conversion and G.711, checked exhaustively
 * where the domain is small (all 65536 s16 values, all 256 G.711 codes),
 * against plain JavaScript reference implementations on random data, and on
 * real signals (tones, espeak-ng speech).
 */
import {
  alawDecode,
  alawDecodeInto,
  alawEncode,
  alawEncodeInto,
  defaultRemixMatrix,
  deinterleave,
  deinterleaveInto,
  f32ToS16,
  f32ToS16Into,
  interleave,
  interleaveInto,
  remix,
  remixInto,
  s16ToF32,
  s16ToF32Into,
  ulawDecode,
  ulawDecodeInto,
  ulawEncode,
  ulawEncodeInto,
} from '../ts/index';
import { kindOf, measureFrequency, prng, snrDb, tone, type Samples } from './helpers/audio';
import { speech } from './helpers/speech';

const ALL_S16 = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

function sameSamples(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Index and values of the first difference, for readable failures. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `[${i}]: ${a[i]} vs ${b[i]}`;
  return null;
}

function randomS16(n: number, seed: number): Int16Array {
  const r = prng(seed);
  return Int16Array.from({ length: n }, () => Math.floor(r() * 65536) - 32768);
}

function randomF32(n: number, seed: number, range = 1): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * range);
}

describe('s16 ↔ f32', () => {
  test('s16ToF32 is v / 32768 exactly for all 65536 values, and f32ToS16 brings every one back', () => {
    const f = s16ToF32(ALL_S16);
    expect(kindOf(f)).toBe('Float32Array');
    for (let i = 0; i < 65536; i++) {
      if (f[i] !== ALL_S16[i] / 32768) throw new Error(`s16ToF32(${ALL_S16[i]}) = ${f[i]}`);
    }
    expect(f[0]).toBe(-1);
    expect(f[65535]).toBe(32767 / 32768);
    expect(firstDifference(f32ToS16(f), ALL_S16)).toBeNull();
  });

  test('f32ToS16 clips (±1.5, ±1, ±Infinity), maps NaN and -0 to 0', () => {
    const input = new Float32Array([1.5, -1.5, 1, -1, Infinity, -Infinity, NaN, -0, 0, 32767 / 32768, -32767 / 32768]);
    const expected = [32767, -32768, 32767, -32768, 32767, -32768, 0, 0, 0, 32767, -32767];
    expect(Array.from(f32ToS16(input))).toEqual(expected);
  });

  test('f32ToS16 rounds to the nearest integer (checked on 200,000 random values in -1.2..1.2 and on k ± 0.4, k ± 0.6)', () => {
    const input = randomF32(200000, 1, 1.2);
    const out = f32ToS16(input);
    for (let i = 0; i < input.length; i++) {
      const scaled = input[i] * 32768;
      const clipped = Math.min(32767, Math.max(-32768, scaled));
      const ok = Number.isInteger(scaled + 0.5)
        ? out[i] === Math.floor(clipped) || out[i] === Math.ceil(clipped) // a tie: either neighbour
        : out[i] === Math.min(32767, Math.max(-32768, Math.round(scaled)));
      if (!ok) throw new Error(`f32ToS16(${input[i]}) = ${out[i]}, ${scaled} scaled`);
    }
    const ks = [-32767, -1000, -1, 0, 1, 1000, 32766];
    const near = new Float32Array(ks.flatMap((k) => [(k + 0.4) / 32768, (k + 0.6) / 32768, (k - 0.4) / 32768, (k - 0.6) / 32768]));
    expect(Array.from(f32ToS16(near))).toEqual(ks.flatMap((k) => [k, k + 1, k, k - 1]));
  });

  test('the …Into forms write the same values and leave the rest of out alone', () => {
    const s = randomS16(1000, 2);
    const f = new Float32Array(1002).fill(7);
    s16ToF32Into(s, f);
    expect(sameSamples(f.subarray(0, 1000), s16ToF32(s))).toBe(true);
    expect(Array.from(f.subarray(1000))).toEqual([7, 7]);
    const x = randomF32(1000, 3, 1.1);
    const o = new Int16Array(1001).fill(-5);
    f32ToS16Into(x, o);
    expect(sameSamples(o.subarray(0, 1000), f32ToS16(x))).toBe(true);
    expect(o[1000]).toBe(-5);
    // A Buffer of s16le samples is read as samples.
    const buf = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    expect(sameSamples(s16ToF32(buf), s16ToF32(s))).toBe(true);
  });
});

describe('interleave / deinterleave', () => {
  function jsDeinterleave(input: ArrayLike<number>, channels: number): number[] {
    const frames = input.length / channels;
    const out = new Array<number>(input.length);
    for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c * frames + i] = input[i * channels + c];
    return out;
  }
  function jsInterleave(input: ArrayLike<number>, channels: number): number[] {
    const frames = input.length / channels;
    const out = new Array<number>(input.length);
    for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = input[c * frames + i];
    return out;
  }

  test.each([1, 2, 3, 6, 8, 64])('%i channel(s): match a plain JS implementation on random s16 and f32 data, and invert each other', (channels) => {
    const frames = 997;
    for (const data of [randomS16(frames * channels, channels), randomF32(frames * channels, 100 + channels)] as Samples[]) {
      const planar = deinterleave(data, channels);
      expect(kindOf(planar)).toBe(kindOf(data));
      expect(firstDifference(planar, jsDeinterleave(data, channels))).toBeNull();
      const inter = interleave(data, channels);
      expect(firstDifference(inter, jsInterleave(data, channels))).toBeNull();
      expect(firstDifference(interleave(planar, channels), data)).toBeNull();
      expect(firstDifference(deinterleave(inter, channels), data)).toBeNull();
      if (channels > 1) expect(sameSamples(planar, data)).toBe(false);

      const out = kindOf(data) === 'Float32Array' ? new Float32Array(data.length) : new Int16Array(data.length);
      deinterleaveInto(data, out, channels);
      expect(firstDifference(out, planar)).toBeNull();
      interleaveInto(data, out, channels);
      expect(firstDifference(out, inter)).toBeNull();
    }
  });

  test('a stereo tone: deinterleave puts each channel\'s tone in its half', () => {
    const stereo = tone([440, 1000], 48000, 0.5, { channels: 2, format: 'f32' });
    const planar = deinterleave(stereo, 2);
    expect(Math.abs(measureFrequency(planar.subarray(0, 24000), 48000) - 440)).toBeLessThan(0.01);
    expect(Math.abs(measureFrequency(planar.subarray(24000), 48000) - 1000)).toBeLessThan(0.01);
  });
});

describe('remix', () => {
  test('mono → stereo duplicates (s16 and f32, exact)', () => {
    for (const mono of [randomS16(1000, 4), randomF32(1000, 5)] as Samples[]) {
      const stereo = remix(mono, { from: 1, to: 2 });
      expect(kindOf(stereo)).toBe(kindOf(mono));
      expect(stereo).toHaveLength(2000);
      for (let i = 0; i < 1000; i++) {
        if (stereo[2 * i] !== mono[i] || stereo[2 * i + 1] !== mono[i]) throw new Error(`frame ${i}`);
      }
    }
  });

  test('stereo → mono averages: f32 exactly (a + b) / 2; s16 exactly when a + b is even, else one of the two nearest', () => {
    const f = randomF32(20000, 6);
    const fm = remix(f, { from: 2, to: 1 });
    for (let i = 0; i < 10000; i++) {
      const expected = Math.fround((f[2 * i] + f[2 * i + 1]) / 2);
      if (fm[i] !== expected) throw new Error(`f32 frame ${i}: ${fm[i]} vs ${expected}`);
    }
    const s = randomS16(20000, 7);
    s.set([32767, 32767, -32768, -32768, 1, 3, -7, -9, 5, -5], 0);
    const sm = remix(s, { from: 2, to: 1 });
    expect(Array.from(sm.subarray(0, 5))).toEqual([32767, -32768, 2, -8, 0]);
    for (let i = 0; i < 10000; i++) {
      const sum = s[2 * i] + s[2 * i + 1];
      const ok = sum % 2 === 0 ? sm[i] === sum / 2 : sm[i] === Math.floor(sum / 2) || sm[i] === Math.ceil(sum / 2);
      if (!ok) throw new Error(`s16 frame ${i}: (${s[2 * i]} + ${s[2 * i + 1]}) / 2 gave ${sm[i]}`);
    }
  });

  test('5.1 → stereo default matrix: ITU-R BS.775 gains normalised by 1 / (1 + √2)', () => {
    const norm = 1 / (1 + Math.SQRT2);
    const expected = [1, 0, Math.SQRT1_2, 0, Math.SQRT1_2, 0, 0, 1, Math.SQRT1_2, 0, 0, Math.SQRT1_2].map((g) => g * norm);
    const m = defaultRemixMatrix(6, 2);
    expect(m).toHaveLength(12);
    m.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 7));
  });

  test('5.1 → stereo: centre only gives equal L and R at -10.7 dB (√½ / (1 + √2)); LFE is dropped; L, Ls stay left; full scale everywhere does not clip', () => {
    const gain = Math.SQRT1_2 / (1 + Math.SQRT2); // 0.29289
    const c = tone(1000, 48000, 0.1, { format: 'f32', amplitude: 0.9 });
    const six = new Float32Array(c.length * 6);
    c.forEach((v, i) => (six[i * 6 + 2] = v));
    const st = remix(six, { from: 6, to: 2 });
    let maxErr = 0;
    for (let i = 0; i < c.length; i++) {
      if (st[2 * i] !== st[2 * i + 1]) throw new Error(`frame ${i}: L ${st[2 * i]} ≠ R ${st[2 * i + 1]}`);
      maxErr = Math.max(maxErr, Math.abs(st[2 * i] - c[i] * gain));
    }
    expect(maxErr).toBeLessThan(1e-6);

    // s16: the same, rounded.
    const s6 = new Int16Array([0, 0, 10000, 0, 0, 0, 0, 0, -20000, 0, 0, 0]);
    expect(Array.from(remix(s6, { from: 6, to: 2 }))).toEqual([2929, 2929, -5858, -5858]); // 10000 × 0.29289 = 2928.9

    const one = (ch: number, v: number): Float32Array => {
      const x = new Float32Array(6);
      x[ch] = v;
      return x;
    };
    expect(Array.from(remix(one(3, 1), { from: 6, to: 2 }))).toEqual([0, 0]); // LFE
    const left = remix(one(0, 1), { from: 6, to: 2 });
    expect(left[0]).toBeCloseTo(1 / (1 + Math.SQRT2), 6);
    expect(left[1]).toBe(0);
    const ls = remix(one(4, 1), { from: 6, to: 2 });
    expect(ls[0]).toBeCloseTo(gain, 6);
    expect(ls[1]).toBe(0);
    const rs = remix(one(5, 1), { from: 6, to: 2 });
    expect(rs[0]).toBe(0);
    expect(rs[1]).toBeCloseTo(gain, 6);
    const full = remix(new Float32Array(6).fill(1), { from: 6, to: 2 });
    expect(Math.max(Math.abs(full[0]), Math.abs(full[1]))).toBeLessThanOrEqual(1 + 1e-6);
    expect(full[0]).toBeGreaterThan(0.999);
    expect(Array.from(remix(new Int16Array(6).fill(-32768), { from: 6, to: 2 }))).toEqual([-32768, -32768]);
  });

  test('a user matrix swapping L and R swaps them exactly; a summing matrix clips s16', () => {
    const s = randomS16(2000, 8);
    const swapped = remix(s, { from: 2, to: 2, matrix: [0, 1, 1, 0] });
    for (let i = 0; i < 1000; i++) {
      if (swapped[2 * i] !== s[2 * i + 1] || swapped[2 * i + 1] !== s[2 * i]) throw new Error(`frame ${i}`);
    }
    const f = tone([440, 1000], 48000, 0.25, { channels: 2, format: 'f32' });
    const fs = remix(f, { from: 2, to: 2, matrix: new Float32Array([0, 1, 1, 0]) });
    expect(Math.abs(measureFrequency(fs.filter((_, i) => i % 2 === 0), 48000) - 1000)).toBeLessThan(0.01);
    expect(Math.abs(measureFrequency(fs.filter((_, i) => i % 2 === 1), 48000) - 440)).toBeLessThan(0.01);
    expect(Array.from(remix(new Int16Array([30000, 30000, -30000, -30000, 100, 23]), { from: 2, to: 1, matrix: [1, 1] }))).toEqual([32767, -32768, 123]);
  });

  test('other default layouts: 4 → 2 averages channels i mod 2, 2 → 4 copies and leaves the rest silent', () => {
    expect(Array.from(defaultRemixMatrix(4, 2))).toEqual([0.5, 0, 0.5, 0, 0, 0.5, 0, 0.5]);
    expect(Array.from(remix(new Int16Array([100, -200, 300, 400]), { from: 4, to: 2 }))).toEqual([200, 100]);
    expect(Array.from(remix(new Float32Array([0.5, -0.25]), { from: 2, to: 4 }))).toEqual([0.5, -0.25, 0, 0]);
  });

  test('remixInto writes what remix returns (s16 and f32; default and user matrices)', () => {
    const cases: Array<[Samples, { from: number; to: number; matrix?: number[] }]> = [
      [randomS16(600, 9), { from: 1, to: 2 }],
      [randomF32(600, 10), { from: 2, to: 1 }],
      [randomS16(600, 11), { from: 6, to: 2 }],
      [randomF32(600, 12), { from: 6, to: 2 }],
      [randomF32(600, 13), { from: 2, to: 3, matrix: [1, 0, 0, 1, 0.5, 0.5] }],
    ];
    for (const [input, options] of cases) {
      const expected = remix(input, options);
      const out = kindOf(input) === 'Float32Array' ? new Float32Array(expected.length) : new Int16Array(expected.length);
      remixInto(input, out, options);
      expect(firstDifference(out, expected)).toBeNull();
    }
  });
});

describe('G.711 µ-law and A-law', () => {
  const CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

  /** G.711 §2 (Table 2a), µ-law: y = ±((2m + 33)·2^e − 33) in 14-bit units, × 4 for 16-bit. */
  function ulawReference(code: number): number {
    const v = ~code & 0xff;
    const e = (v >> 4) & 7;
    const m = v & 0x0f;
    const magnitude = ((2 * m + 33) * 2 ** e - 33) * 4;
    return v & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0: the Int16Array has no -0
  }
  /** G.711 §2 (Table 1a), A-law: even bits inverted; y = 2m + 1 (e = 0) or (2m + 33)·2^(e−1), in 13-bit units, × 8. */
  function alawReference(code: number): number {
    const v = code ^ 0x55;
    const e = (v >> 4) & 7;
    const m = v & 0x0f;
    const magnitude = (e === 0 ? 2 * m + 1 : (2 * m + 33) * 2 ** (e - 1)) * 8;
    return v & 0x80 ? magnitude : -magnitude;
  }

  test('silence encodes to 0xFF (µ-law) and 0xD5 (A-law)', () => {
    expect(Array.from(ulawEncode(new Int16Array([0, 0])))).toEqual([0xff, 0xff]);
    expect(Array.from(alawEncode(new Int16Array([0, 0])))).toEqual([0xd5, 0xd5]);
  });

  test('decoding all 256 codes matches the G.711 tables: µ-law ±32124 with two zeros (0x7F, 0xFF), A-law ±8 … ±32256 with none', () => {
    const u = ulawDecode(CODES);
    const a = alawDecode(CODES);
    expect(firstDifference(u, Array.from(CODES, ulawReference))).toBeNull();
    expect(firstDifference(a, Array.from(CODES, alawReference))).toBeNull();
    expect(new Set(u).size).toBe(255);
    expect(CODES.filter((c) => u[c] === 0).length).toBe(2);
    expect(u[0x7f]).toBe(0);
    expect(u[0xff]).toBe(0);
    expect(new Set(a).size).toBe(256);
    for (const values of [u, a]) {
      // Sign-symmetric: flipping the sign bit negates the value, so 128 distinct magnitudes.
      for (let c = 0; c < 128; c++) expect(values[c | 0x80]).toBe(-values[c] || 0);
      expect(new Set(Array.from(values, Math.abs)).size).toBe(128);
    }
    expect(Math.max(...u)).toBe(32124);
    expect(Math.min(...u)).toBe(-32124);
    expect(Math.max(...a)).toBe(32256);
    expect(Math.min(...Array.from(a, Math.abs))).toBe(8);
  });

  test('encode(decode(code)) gives the code back (µ-law 0x7F, the second zero, becomes 0xFF)', () => {
    const u = ulawEncode(ulawDecode(CODES));
    const a = alawEncode(alawDecode(CODES));
    expect(firstDifference(a, CODES)).toBeNull();
    const expectedU = Uint8Array.from(CODES, (c) => (c === 0x7f ? 0xff : c));
    expect(firstDifference(u, expectedU)).toBeNull();
  });

  test.each([
    ['µ-law', ulawEncode, ulawDecode],
    ['A-law', alawEncode, alawDecode],
  ] as const)('%s over all 65536 s16 values: decode(encode(x)) is non-decreasing and within half a step of x', (_name, encode, decode) => {
    const d = decode(encode(ALL_S16));
    for (let i = 1; i < d.length; i++) if (d[i] < d[i - 1]) throw new Error(`not monotonic at ${ALL_S16[i]}: ${d[i - 1]} then ${d[i]}`);
    const levels = [...new Set(decode(CODES))].sort((x, y) => x - y);
    const index = new Map(levels.map((v, i) => [v, i]));
    const top = levels[levels.length - 1];
    for (let i = 0; i < d.length; i++) {
      const x = ALL_S16[i];
      if (x >= top) {
        if (d[i] !== top) throw new Error(`${x} beyond the top level gave ${d[i]}`);
        continue;
      }
      if (x <= -top) {
        if (d[i] !== -top) throw new Error(`${x} beyond the bottom level gave ${d[i]}`);
        continue;
      }
      const k = index.get(d[i])!;
      const step = Math.max(k > 0 ? d[i] - levels[k - 1] : 0, k + 1 < levels.length ? levels[k + 1] - d[i] : 0);
      if (Math.abs(d[i] - x) > step / 2) throw new Error(`${x} → ${d[i]}: error ${Math.abs(d[i] - x)} > half step ${step / 2}`);
    }
  });

  // Measured SNR (1004 Hz, the telephony test tone: 1000 Hz at 8 kHz hits only
  // 8 phases and measures the quantiser at 5 points): µ-law 38.5 / 36.7 /
  // 38.2 dB, A-law 38.9 / 38.9 / 38.4 dB at amplitude 0.9 / 0.5 / 0.1; speech
  // 37.3 dB (both). G.712 asks for ≥ 35 dB over this range.
  test.each([
    ['µ-law', ulawEncode, ulawDecode],
    ['A-law', alawEncode, alawDecode],
  ] as const)('%s: a 1004 Hz tone at -1, -6 and -20 dBFS peak and real speech keep SNR ≥ 35 dB; the frequency is unchanged', (_name, encode, decode) => {
    for (const amplitude of [0.9, 0.5, 0.1]) {
      const x = tone(1004, 8000, 1, { amplitude });
      const y = decode(encode(x));
      expect(snrDb(x, y)).toBeGreaterThan(35);
      expect(Math.abs(measureFrequency(y, 8000) - 1004)).toBeLessThan(0.01);
    }
    const s = speech(8000, 1);
    expect(snrDb(s, decode(encode(s)))).toBeGreaterThan(35);
  });

  test('the …Into forms write what the allocating forms return; a Buffer is read as s16le', () => {
    const x = tone(1004, 8000, 0.5, { amplitude: 0.7 });
    const buf = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    for (const [encode, encodeInto, decode, decodeInto] of [
      [ulawEncode, ulawEncodeInto, ulawDecode, ulawDecodeInto],
      [alawEncode, alawEncodeInto, alawDecode, alawDecodeInto],
    ] as const) {
      const codes = encode(x);
      expect(codes).toHaveLength(x.length);
      const out = new Uint8Array(x.length + 1).fill(0x42);
      encodeInto(x, out);
      expect(firstDifference(out.subarray(0, x.length), codes)).toBeNull();
      expect(out[x.length]).toBe(0x42);
      expect(firstDifference(encode(buf), codes)).toBeNull();
      const pcm = new Int16Array(x.length + 1).fill(-3);
      decodeInto(codes, pcm);
      expect(firstDifference(pcm.subarray(0, x.length), decode(codes))).toBeNull();
      expect(pcm[x.length]).toBe(-3);
    }
  });
});
