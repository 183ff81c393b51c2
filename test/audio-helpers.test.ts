/**
 * Self-test of test/helpers/audio.ts: the measurements the audio tests rely
 * on are checked against synthetic signals whose answers are known.
 */
import {
  bandEnergyDb,
  channel,
  chunks,
  concat,
  correlation,
  kindOf,
  measureFrequency,
  prng,
  prngU32,
  randomBytes,
  rmsDb,
  segmentalSnrDb,
  snrDb,
  tone,
  toneLevelDb,
} from './helpers/audio';

describe('measureFrequency', () => {
  test.each([
    [440, 48000],
    [1000, 48000],
    [997.3, 16000],
    [1000, 8000],
    [123.45, 12000],
    [3150.7, 44100],
    [7000, 16000],
    [10000, 24000],
  ])('%f Hz at %i Hz is found within 1 mHz (s16 and f32, 0.5 s)', (freq, rate) => {
    for (const format of ['s16', 'f32'] as const) {
      const x = tone(freq, rate, 0.5, { format, phase: 0.3 });
      expect(Math.abs(measureFrequency(x, rate) - freq)).toBeLessThan(0.001);
    }
  });

  test('resolves 0.05 Hz apart and works on 0.1 s, with an interfering tone 40 dB down', () => {
    const a = measureFrequency(tone(1000, 48000, 0.5, { format: 'f32' }), 48000);
    const b = measureFrequency(tone(1000.05, 48000, 0.5, { format: 'f32' }), 48000);
    expect(b - a).toBeCloseTo(0.05, 3);
    expect(Math.abs(measureFrequency(tone(440, 16000, 0.1, { format: 'f32' }), 16000) - 440)).toBeLessThan(0.01);
    const main = tone(1000, 48000, 0.5, { format: 'f32', amplitude: 0.5 });
    const weak = tone(1300, 48000, 0.5, { format: 'f32', amplitude: 0.005 });
    const mix = main.map((v, i) => v + weak[i]);
    expect(Math.abs(measureFrequency(mix, 48000) - 1000)).toBeLessThan(0.01);
  });
});

describe('levels', () => {
  test('rmsDb: full-scale sine -3.01 dB (f32), amplitude 0.5 -9.03 dB (s16), full-scale square 0 dB, silence -Infinity', () => {
    expect(rmsDb(tone(1000, 48000, 1, { format: 'f32', amplitude: 1 }))).toBeCloseTo(-3.0103, 3);
    expect(rmsDb(tone(1000, 48000, 1, { amplitude: 0.5 }))).toBeCloseTo(-9.0309, 2);
    expect(rmsDb(new Int16Array(100).fill(-32768))).toBe(0);
    expect(rmsDb(new Float32Array(100).fill(1))).toBe(0);
    expect(rmsDb(new Int16Array(100))).toBe(-Infinity);
  });

  test('toneLevelDb measures each of two tones (-9 and -29 dB) within 0.05 dB, and a missing one far below', () => {
    const a = tone(1000, 48000, 0.5, { format: 'f32', amplitude: 0.5 });
    const b = tone(3000, 48000, 0.5, { format: 'f32', amplitude: 0.05 });
    const mix = a.map((v, i) => v + b[i]);
    expect(toneLevelDb(mix, 48000, 1000)).toBeCloseTo(-9.03, 1);
    expect(Math.abs(toneLevelDb(mix, 48000, 1000) - -9.0309)).toBeLessThan(0.05);
    expect(Math.abs(toneLevelDb(mix, 48000, 3000) - -29.0309)).toBeLessThan(0.05);
    expect(toneLevelDb(mix, 48000, 7000)).toBeLessThan(-100);
  });

  test('bandEnergyDb: the band around one tone gets its level, the full band matches rmsDb', () => {
    const a = tone(1000, 48000, 0.5, { format: 'f32', amplitude: 0.5 });
    const b = tone(5000, 48000, 0.5, { format: 'f32', amplitude: 0.1 });
    const mix = a.map((v, i) => v + b[i]);
    expect(Math.abs(bandEnergyDb(mix, 48000, 4000, 6000) - -23.01)).toBeLessThan(0.2);
    expect(Math.abs(bandEnergyDb(mix, 48000, 0, 24000) - rmsDb(mix))).toBeLessThan(0.2);
    expect(bandEnergyDb(mix, 48000, 10000, 20000)).toBeLessThan(-80);
  });
});

describe('comparisons', () => {
  test('correlation, snrDb and segmentalSnrDb on signals with known answers', () => {
    const x = tone(440, 16000, 1, { format: 'f32', amplitude: 0.5 });
    expect(correlation(x, x)).toBeCloseTo(1, 10);
    expect(correlation(x, x.map((v) => -v))).toBeCloseTo(-1, 10);
    expect(correlation(x, x.map((v) => 0.1 * v))).toBeCloseTo(1, 6);
    // Noise exactly 20 dB below: a tone of a tenth of the amplitude at another frequency.
    const n = tone(1234, 16000, 1, { format: 'f32', amplitude: 0.05 });
    const y = x.map((v, i) => v + n[i]);
    expect(snrDb(x, y)).toBeCloseTo(20, 1);
    expect(segmentalSnrDb(x, y, 320)).toBeCloseTo(20, 0);
    expect(snrDb(x, x.map((v) => v * 0.5))).toBeCloseTo(6.02, 2);
    expect(() => snrDb(x, x.subarray(1))).toThrow(/lengths/);
  });
});

describe('arrays and randomness', () => {
  test('channel, chunks and concat take interleaved data apart and back', () => {
    const st = tone([440, 1000], 8000, 0.25, { channels: 2 });
    const l = channel(st, 0, 2);
    const r = channel(st, 1, 2);
    expect(l).toHaveLength(2000);
    expect(Math.abs(measureFrequency(l, 8000) - 440)).toBeLessThan(0.01);
    expect(Math.abs(measureFrequency(r, 8000) - 1000)).toBeLessThan(0.01);
    const parts = chunks(st, 333);
    expect(parts[0]).toHaveLength(333);
    const back = concat(parts);
    expect(kindOf(back)).toBe('Int16Array');
    expect(Array.from(back)).toEqual(Array.from(st));
    expect(() => concat([new Int16Array(1), new Float32Array(1)])).toThrow(/Float32Array among Int16Array/);
  });

  test('prng is reproducible and about uniform; randomBytes fills every byte', () => {
    const a = prng(42);
    const b = prng(42);
    const values = Array.from({ length: 10000 }, () => a());
    expect(values.every((v) => v === b())).toBe(true);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(prng(43)()).not.toBe(prng(42)());
    const bytes = randomBytes(prngU32(7), 4099);
    expect(bytes).toHaveLength(4099);
    const counts = new Array<number>(256).fill(0);
    for (const v of bytes) counts[v]++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(40);
  });
});
