/**
 * Resampler (libsamplerate) on real signals: tones keep frequency, level and
 * timing through common WebRTC rate changes, chunked processing equals
 * one-shot processing exactly, out-of-band tones are removed, and the
 * allocation-free forms, flush, reset and Buffer input behave.
 *
 * Thresholds come from measurements on libsamplerate 0.2.2 (numbers in the
 * comments), with a margin.
 */
import { Resampler, type ResamplerQuality } from '../ts/index';
import { channel, chunks, concat, isFloat32, isInt16, kindOf, measureFrequency, rmsDb, snrDb, tone, toneLevelDb, type Samples } from './helpers/audio';

type Format = 's16' | 'f32';

const RATIOS: Array<[number, number]> = [
  [48000, 16000],
  [16000, 48000],
  [44100, 48000],
  [24000, 48000],
  [22050, 48000],
];

function sameSamples(a: Samples, b: Samples): boolean {
  return kindOf(a) === kindOf(b) && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Feeds `input` in chunks of `frames` frames, then flushes; returns everything joined. */
function resampleChunked(r: Resampler, input: Samples, frames: number): Samples {
  const out: Samples[] = [];
  for (const c of chunks(input, frames * r.channels)) out.push(r.process(c));
  out.push(r.flush());
  return concat(out);
}

/** One call on the whole signal, then flush. */
function resampleOnce(r: Resampler, input: Samples): Samples {
  return concat([r.process(input), r.flush()]);
}

describe('Resampler keeps a 1 kHz tone: frequency, level, timing and length (1 s, 20 ms chunks)', () => {
  // Measured: frequency error ≤ 2e-5 Hz, level error ≤ 0.0002 dB; length exact
  // for these ratios; the output lines up sample for sample with a tone made
  // directly at the output rate (SNR 108 to 148 dB in f32, 86 to 95 dB in s16;
  // shifted by one sample it would be 8 to 18 dB).
  const cases: Array<[number, number, ResamplerQuality, Format]> = [];
  for (const [inRate, outRate] of RATIOS) {
    for (const format of ['s16', 'f32'] as const) {
      cases.push([inRate, outRate, 'medium', format]);
      cases.push([inRate, outRate, 'fastest', format]);
    }
  }
  test.each(cases)('%i → %i Hz, %s, %s', (inRate, outRate, quality, format) => {
    const r = new Resampler({ inputRate: inRate, outputRate: outRate, quality });
    const input = tone(1000, inRate, 1, { amplitude: 0.5, format });
    const output = resampleChunked(r, input, Math.round(inRate / 50));
    expect(kindOf(output)).toBe(format === 'f32' ? 'Float32Array' : 'Int16Array');
    expect(Math.abs(output.length - input.length * (outRate / inRate))).toBeLessThanOrEqual(2);

    const inEdge = Math.round(inRate * 0.05);
    const outEdge = Math.round(outRate * 0.05);
    const steadyIn = input.subarray(inEdge, input.length - inEdge);
    const end = Math.min(output.length, outRate) - outEdge;
    const steadyOut = output.subarray(outEdge, end);
    expect(Math.abs(measureFrequency(steadyOut, outRate) - 1000)).toBeLessThan(0.01);
    expect(Math.abs(rmsDb(steadyOut) - rmsDb(steadyIn))).toBeLessThan(0.05);

    const ideal = tone(1000, outRate, 1, { amplitude: 0.5, format });
    const aligned = snrDb(ideal.subarray(outEdge, end), steadyOut);
    expect(aligned).toBeGreaterThan(format === 'f32' ? 95 : 80);
  });

  test.each([
    [44100, 48000, 'f32'],
    [48000, 16000, 's16'],
    [16000, 48000, 'f32'],
  ] as const)('stereo %i → %i Hz, %s: L 440 Hz and R 1 kHz keep frequency and level and stay in their channels', (inRate, outRate, format) => {
    const freqs = [440, 1000];
    const r = new Resampler({ inputRate: inRate, outputRate: outRate, channels: 2 });
    const input = tone(freqs, inRate, 1, { channels: 2, amplitude: 0.5, format });
    const output = resampleChunked(r, input, Math.round(inRate / 50));
    expect(Math.abs(output.length / 2 - (input.length / 2) * (outRate / inRate))).toBeLessThanOrEqual(2);
    const outEdge = Math.round(outRate * 0.05);
    const inEdge = Math.round(inRate * 0.05);
    for (const ch of [0, 1]) {
      const o = channel(output, ch, 2);
      const i = channel(input, ch, 2);
      const steadyOut = o.subarray(outEdge, o.length - outEdge);
      const steadyIn = i.subarray(inEdge, i.length - inEdge);
      expect(Math.abs(measureFrequency(steadyOut, outRate) - freqs[ch])).toBeLessThan(0.01);
      expect(Math.abs(rmsDb(steadyOut) - rmsDb(steadyIn))).toBeLessThan(0.05);
      // The other channel's tone: measured -93 dB (s16, its noise floor) to -200 dB (f32).
      expect(toneLevelDb(steadyOut, outRate, freqs[1 - ch]) - rmsDb(steadyIn)).toBeLessThan(-80);
    }
  });
});

describe('Resampler: chunked output equals one-shot output exactly', () => {
  const cases: Array<[number, number, number, Format]> = [
    [48000, 16000, 1, 's16'],
    [48000, 16000, 1, 'f32'],
    [44100, 48000, 1, 's16'],
    [44100, 48000, 1, 'f32'],
    [22050, 48000, 2, 's16'],
    [22050, 48000, 2, 'f32'],
    [48000, 44100, 1, 'f32'],
  ];
  test.each(cases)('%i → %i Hz, %i channel(s), %s: 20 ms, 7, 333 and 1001-frame chunks', (inRate, outRate, channels, format) => {
    const freqs = channels === 2 ? [440, 1000] : 1000;
    const input = tone(freqs, inRate, 0.5, { channels, format });
    const once = resampleOnce(new Resampler({ inputRate: inRate, outputRate: outRate, channels }), input);
    expect(once.length / channels).toBeGreaterThan(0.5 * outRate - 3);
    expect(rmsDb(once)).toBeGreaterThan(-10);
    for (const frames of [Math.round(inRate / 50), 7, 333, 1001]) {
      const chunked = resampleChunked(new Resampler({ inputRate: inRate, outputRate: outRate, channels }), input, frames);
      if (!sameSamples(chunked, once)) {
        throw new Error(`${frames}-frame chunks: ${chunked.length} values differ from the one-shot ${once.length}`);
      }
    }
  });

  test('the first chunks return less than length × ratio (the filter delay) and flush() returns the rest', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 16000 });
    const input = tone(1000, 48000, 0.2, { format: 'f32' });
    const first = r.process(input.subarray(0, 960));
    expect(first.length).toBeLessThan(320);
    let total = first.length;
    for (const c of chunks(input.subarray(960), 960)) total += r.process(c).length;
    const tail = r.flush();
    expect(tail.length).toBeGreaterThan(0);
    expect(total + tail.length).toBe(3200);
  });
});

describe('Resampler rejects what is above the new Nyquist frequency (48 → 16 kHz, Float32, amplitude 0.5)', () => {
  // Measured steady-state output level relative to the input, 10 kHz tone:
  // fastest -100.7 dB, medium -122.2 dB, best -151.9 dB (after the first and
  // last 100 ms, where the tone's abrupt start and end are heard at about -40 dB).
  test.each([
    ['fastest', 90],
    ['medium', 110],
    ['best', 130],
  ] as const)('%s: a 10 kHz tone comes out at least %i dB below its input level', (quality, minDb) => {
    const r = new Resampler({ inputRate: 48000, outputRate: 16000, quality });
    const input = tone(10000, 48000, 1, { amplitude: 0.5, format: 'f32' });
    const output = resampleChunked(r, input, 960);
    expect(output).toHaveLength(16000);
    const steady = output.subarray(1600, output.length - 1600);
    expect(rmsDb(input) - rmsDb(steady)).toBeGreaterThan(minDb);
    // The same resampler passes 1 kHz untouched (so the silence above is filtering, not a dead output).
    const pass = resampleChunked(r, tone(1000, 48000, 1, { amplitude: 0.5, format: 'f32' }), 960);
    expect(Math.abs(rmsDb(pass.subarray(1600, pass.length - 1600)) - rmsDb(input))).toBeLessThan(0.05);
  });
});

describe('Resampler allocation-free forms, flush, reset and Buffer input', () => {
  test.each([
    [44100, 48000, 1, 's16'],
    [44100, 48000, 1, 'f32'],
    [48000, 16000, 2, 's16'],
    [8000, 48000, 1, 'f32'],
  ] as const)('%i → %i Hz, %i channel(s), %s: processInto (out sized by maxOutputLength) and flushInto write what process and flush return', (inRate, outRate, channels, format) => {
    const input = tone(channels === 2 ? [440, 1000] : 1000, inRate, 0.5, { channels, format });
    const a = new Resampler({ inputRate: inRate, outputRate: outRate, channels });
    const b = new Resampler({ inputRate: inRate, outputRate: outRate, channels });
    const sizes = [333, 7, 1001, 441, 1, 5000];
    const fromProcess: Samples[] = [];
    const fromInto: Samples[] = [];
    const alloc = (n: number): Samples => (format === 'f32' ? new Float32Array(n) : new Int16Array(n));
    let offset = 0;
    for (let k = 0; offset < input.length; k++) {
      const chunk = input.subarray(offset, Math.min(input.length, offset + sizes[k % sizes.length] * channels));
      offset += chunk.length;
      fromProcess.push(a.process(chunk));
      const out = alloc(b.maxOutputLength(chunk.length));
      const written = b.processInto(chunk, out);
      expect(written % channels).toBe(0);
      expect(written).toBeLessThanOrEqual(out.length);
      fromInto.push(out.subarray(0, written));
    }
    const tail = a.flush();
    const out = alloc(b.maxOutputLength(0));
    const written = b.flushInto(out);
    expect(written).toBe(tail.length);
    expect(written).toBeGreaterThan(0);
    fromProcess.push(tail);
    fromInto.push(out.subarray(0, written));
    const p = concat(fromProcess);
    expect(sameSamples(concat(fromInto), p)).toBe(true);
    expect(Math.abs(p.length / channels - (input.length / channels) * (outRate / inRate))).toBeLessThanOrEqual(2);
  });

  test('reset() mid-stream starts a new stream: the output equals a fresh resampler\'s', () => {
    const input = tone(1000, 44100, 0.5, { format: 'f32' });
    const used = new Resampler({ inputRate: 44100, outputRate: 48000 });
    const before = used.process(tone(3000, 44100, 0.3, { format: 'f32' }));
    expect(before.length).toBeGreaterThan(10000);
    used.reset();
    const afterReset = resampleOnce(used, input);
    const fresh = resampleOnce(new Resampler({ inputRate: 44100, outputRate: 48000 }), input);
    expect(sameSamples(afterReset, fresh)).toBe(true);
    // Without the reset the 3 kHz history leaks into the start: the outputs differ.
    const noReset = new Resampler({ inputRate: 44100, outputRate: 48000 });
    noReset.process(tone(3000, 44100, 0.3, { format: 'f32' }));
    expect(sameSamples(resampleOnce(noReset, input), fresh)).toBe(false);
    // flush() also ends the stream: the next signal starts fresh.
    expect(sameSamples(resampleOnce(used, input), fresh)).toBe(true);
  });

  test('a Buffer is read as s16le samples and gives an Int16Array; flush() keeps the last chunk\'s format', () => {
    const samples = tone(1000, 44100, 0.5, { amplitude: 0.5 });
    const buffer = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    const fromBuffer = new Resampler({ inputRate: 44100, outputRate: 48000 });
    const fromArray = new Resampler({ inputRate: 44100, outputRate: 48000 });
    const a = fromBuffer.process(buffer);
    const b = fromArray.process(samples);
    expect(kindOf(a)).toBe('Int16Array');
    expect(sameSamples(a, b)).toBe(true);
    const tailA = fromBuffer.flush();
    expect(isInt16(tailA)).toBe(true);
    expect(sameSamples(tailA, fromArray.flush())).toBe(true);
    const all = concat([a, tailA]);
    expect(Math.abs(measureFrequency(all.subarray(2400, all.length - 2400), 48000) - 1000)).toBeLessThan(0.01);

    const f = new Resampler({ inputRate: 44100, outputRate: 48000 });
    f.process(tone(1000, 44100, 0.1, { format: 'f32' }));
    expect(isFloat32(f.flush())).toBe(true);
    expect(isFloat32(new Resampler({ inputRate: 8000, outputRate: 16000 }).flush())).toBe(true);
  });
});

describe('Resampler and arrays made by the addon', () => {
  // The addon makes its arrays in Node's main realm; under jest (a vm sandbox)
  // they come from another realm and must still be accepted.
  test('the output of one Resampler can be fed to another', () => {
    const down = new Resampler({ inputRate: 48000, outputRate: 16000 });
    const up = new Resampler({ inputRate: 16000, outputRate: 48000 });
    const low = down.process(tone(1000, 48000, 0.1));
    expect(kindOf(low)).toBe('Int16Array');
    const back = up.process(low);
    expect(back.length).toBeGreaterThan(0);
  });
});
