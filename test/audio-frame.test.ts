/**
 * AudioFrame: construction validates everything with exact messages (the
 * PyAV trap: a wrong frame must be impossible to build silently), timing
 * getters, silence, and conversions checked against values computed here.
 */
import { AudioFrame, type AudioFrameInit } from '../ts/index';

/** Calls `fn`, expecting it to throw; returns the error. */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

/** Expects `new AudioFrame(init)` to throw `type` with exactly `message`. */
function expectFrameError(init: unknown, type: typeof TypeError | typeof RangeError, message: string, code?: string): void {
  const error = thrown(() => new AudioFrame(init as AudioFrameInit));
  expect(error).toBeInstanceOf(type);
  expect(error.message).toBe(message);
  if (code !== undefined) expect(error.code).toBe(code);
}

/** C's lrint in the default rounding mode: round half to even. */
function lrint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
function clipS16(x: number): number {
  return x >= 32767 ? 32767 : x <= -32768 ? -32768 : lrint(x) + 0; // + 0: no -0
}

describe('AudioFrame construction', () => {
  test('a 48 kHz stereo s16 frame with the wrong length is rejected with its exact message', () => {
    expectFrameError(
      { data: new Int16Array(1000), sampleRate: 48000, channels: 2, samplesPerChannel: 960 },
      RangeError,
      'AudioFrame: data must be samplesPerChannel × channels = 960 × 2 = 1920 values; got 1000',
      'ERR_OUT_OF_RANGE',
    );
    // Half the right length — the classic mono/stereo mix-up — is caught too.
    expectFrameError(
      { data: new Int16Array(960), sampleRate: 48000, channels: 2, samplesPerChannel: 960 },
      RangeError,
      'AudioFrame: data must be samplesPerChannel × channels = 960 × 2 = 1920 values; got 960',
    );
  });

  test('a valid 48 kHz stereo frame gets its shape and defaults', () => {
    const frame = new AudioFrame({ data: new Int16Array(1920), sampleRate: 48000, channels: 2, samplesPerChannel: 960 });
    expect(frame.format).toBe('s16');
    expect(frame.layout).toBe('interleaved');
    expect(frame.channels).toBe(2);
    expect(frame.samplesPerChannel).toBe(960);
    expect(frame.pts).toBe(0);
    expect(frame.timeBase).toEqual({ num: 1, den: 48000 });
    expect(String(frame)).toBe('AudioFrame(s16 interleaved 48000 Hz × 2, 960 samples, pts 0)');
    // samplesPerChannel is derived when not given
    const derived = new AudioFrame({ data: new Float32Array(1920), sampleRate: 48000, channels: 2 });
    expect(derived.samplesPerChannel).toBe(960);
    expect(derived.format).toBe('f32');
  });

  test('odd-length stereo data is rejected', () => {
    expectFrameError(
      { data: new Int16Array(1001), sampleRate: 48000, channels: 2 },
      RangeError,
      'AudioFrame: data must be a whole number of 2-channel frames (a multiple of 2 values); got 1001 values',
      'ERR_OUT_OF_RANGE',
    );
    expectFrameError(
      { data: new Float32Array(7), sampleRate: 16000, channels: 6 },
      RangeError,
      'AudioFrame: data must be a whole number of 6-channel frames (a multiple of 6 values); got 7 values',
    );
  });

  test('wrong data types are rejected with a TypeError naming what came', () => {
    const expected = 'AudioFrame: data must be an Int16Array, a Float32Array or a Buffer of s16 samples; got ';
    expectFrameError({ data: [1, 2, 3], sampleRate: 48000 }, TypeError, `${expected}an Array of 3 items`, 'ERR_INVALID_ARG_TYPE');
    // (core's describe() picks the article from the first letter, hence "an Uint8Array")
    expectFrameError({ data: new Uint8Array(4), sampleRate: 48000 }, TypeError, `${expected}a Uint8Array of 4 values`);
    expectFrameError({ data: new Float64Array(4), sampleRate: 48000 }, TypeError, `${expected}a Float64Array of 4 values`);
    expectFrameError({ data: new Int32Array(4), sampleRate: 48000 }, TypeError, `${expected}an Int32Array of 4 values`);
    expectFrameError({ data: new ArrayBuffer(8), sampleRate: 48000 }, TypeError, `${expected}an ArrayBuffer of 8 bytes`);
    expectFrameError({ data: 'pcm', sampleRate: 48000 }, TypeError, `${expected}"pcm"`);
    expectFrameError({ sampleRate: 48000 }, TypeError, `${expected}undefined`);
  });

  test('Buffers: viewed as s16 little-endian; odd byte offsets and odd lengths are rejected', () => {
    const bytes = Buffer.alloc(8);
    bytes.writeInt16LE(1234, 0);
    bytes.writeInt16LE(-2, 6);
    const frame = new AudioFrame({ data: bytes, sampleRate: 8000 });
    expect(frame.format).toBe('s16');
    expect(frame.samplesPerChannel).toBe(4);
    expect(Array.from(frame.data)).toEqual([1234, 0, 0, -2]);
    bytes.writeInt16LE(7, 2);
    expect(frame.data[1]).toBe(7); // a view, not a copy

    const odd = Buffer.alloc(11).subarray(1);
    expect(odd.byteOffset % 2).toBe(1);
    expectFrameError(
      { data: odd, sampleRate: 48000 },
      RangeError,
      'AudioFrame: data must be a Buffer of s16 samples starting at an even byte offset (copy it: Buffer.from(buf)); got byteOffset 1',
    );
    // the suggested fix works
    expect(new AudioFrame({ data: Buffer.from(odd), sampleRate: 48000 }).samplesPerChannel).toBe(5);
    expectFrameError(
      { data: Buffer.alloc(7), sampleRate: 48000 },
      RangeError,
      'AudioFrame: data must be a Buffer of s16 samples (an even number of bytes); got 7 bytes',
    );
  });

  test('format must agree with the data', () => {
    expectFrameError(
      { data: new Int16Array(4), sampleRate: 48000, format: 'f32' },
      TypeError,
      "AudioFrame: data must be a Float32Array for format 'f32'; got an Int16Array of 4 values",
    );
    expectFrameError(
      { data: new Float32Array(4), sampleRate: 48000, format: 's16' },
      TypeError,
      "AudioFrame: data must be an Int16Array or a Buffer for format 's16'; got a Float32Array of 4 values",
    );
    expectFrameError(
      { data: new Float32Array(4), sampleRate: 48000, format: 'flt' },
      RangeError,
      'AudioFrame: format must be one of \'s16\' or \'f32\'; got "flt"',
    );
    expect(new AudioFrame({ data: new Float32Array(4), sampleRate: 48000, format: 'f32' }).format).toBe('f32');
  });

  test('bad sampleRate, channels and layout', () => {
    const data = new Int16Array(4);
    expectFrameError({ data, sampleRate: 7999 }, RangeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got 7999');
    expectFrameError({ data, sampleRate: 192001 }, RangeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got 192001');
    expectFrameError({ data, sampleRate: 44100.5 }, RangeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got 44100.5');
    expectFrameError({ data, sampleRate: NaN }, RangeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got NaN');
    expectFrameError({ data, sampleRate: '48000' }, TypeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got "48000"');
    expectFrameError({ data }, TypeError, 'AudioFrame: sampleRate must be an integer from 8000 to 192000; got undefined');
    expectFrameError({ data, sampleRate: 48000, channels: 0 }, RangeError, 'AudioFrame: channels must be an integer from 1 to 8; got 0');
    expectFrameError({ data, sampleRate: 48000, channels: 9 }, RangeError, 'AudioFrame: channels must be an integer from 1 to 8; got 9');
    expectFrameError({ data, sampleRate: 48000, channels: 1.5 }, RangeError, 'AudioFrame: channels must be an integer from 1 to 8; got 1.5');
    expectFrameError({ data, sampleRate: 48000, channels: '2' }, TypeError, 'AudioFrame: channels must be an integer from 1 to 8; got "2"');
    expectFrameError(
      { data, sampleRate: 48000, layout: 'planer' },
      RangeError,
      'AudioFrame: layout must be one of \'interleaved\' or \'planar\'; got "planer"',
    );
    expectFrameError(
      { data, sampleRate: 48000, samplesPerChannel: -1 },
      RangeError,
      'AudioFrame: samplesPerChannel must be an integer from 0 to 2147483647; got -1',
    );
  });

  test('bad pts and timeBase', () => {
    const data = new Int16Array(4);
    expectFrameError({ data, sampleRate: 48000, pts: 1.5 }, RangeError, 'AudioFrame: pts must be a safe integer; got 1.5');
    expectFrameError({ data, sampleRate: 48000, pts: NaN }, RangeError, 'AudioFrame: pts must be a safe integer; got NaN');
    expectFrameError({ data, sampleRate: 48000, pts: 2 ** 53 }, RangeError, 'AudioFrame: pts must be a safe integer; got 9007199254740992');
    expectFrameError({ data, sampleRate: 48000, pts: '0' }, TypeError, 'AudioFrame: pts must be an integer; got "0"');
    expectFrameError({ data, sampleRate: 48000, pts: 10n }, TypeError, 'AudioFrame: pts must be an integer; got 10n');
    expect(new AudioFrame({ data, sampleRate: 48000, pts: -960 }).pts).toBe(-960); // negative pts are allowed
    expectFrameError({ data, sampleRate: 48000, timeBase: null }, TypeError, 'AudioFrame: options.timeBase must be a value, or left out for the default; got null');
    expectFrameError({ data, sampleRate: 48000, timeBase: 0.001 }, TypeError, 'AudioFrame: timeBase must be an object { num, den }; got 0.001');
    expectFrameError(
      { data, sampleRate: 48000, timeBase: { num: 0, den: 1000 } },
      RangeError,
      'AudioFrame: timeBase.num must be an integer from 1 to 2147483647; got 0',
    );
    expectFrameError(
      { data, sampleRate: 48000, timeBase: { num: 1, den: 0.5 } },
      RangeError,
      'AudioFrame: timeBase.den must be an integer from 1 to 2147483647; got 0.5',
    );
    expectFrameError({ data, sampleRate: 48000, timeBase: { num: 1 } }, TypeError, 'AudioFrame: timeBase.den must be an integer from 1 to 2147483647; got undefined');
  });

  test('unknown keys and a missing init are rejected', () => {
    expectFrameError(
      { data: new Int16Array(4), sampleRate: 48000, rate: 48000 },
      TypeError,
      "AudioFrame: options.rate is not an option; known options are 'data', 'sampleRate', 'channels', 'format', 'layout', 'samplesPerChannel', 'pts' or 'timeBase'",
      'ERR_INVALID_ARG_VALUE',
    );
    expectFrameError(
      { data: new Int16Array(4), sampleRate: 48000, samples: 4 },
      TypeError,
      "AudioFrame: options.samples is not an option; known options are 'data', 'sampleRate', 'channels', 'format', 'layout', 'samplesPerChannel', 'pts' or 'timeBase'",
    );
    expectFrameError(null, TypeError, 'AudioFrame: init must be an object with data and sampleRate; got null');
    expectFrameError(undefined, TypeError, 'AudioFrame: init must be an object with data and sampleRate; got undefined');
  });
});

describe('AudioFrame timing', () => {
  test('duration, time and ptsDuration with the default time base', () => {
    const frame = new AudioFrame({ data: new Int16Array(1920), sampleRate: 48000, channels: 2, pts: 96000 });
    expect(frame.duration).toBeCloseTo(0.02, 12);
    expect(frame.time).toBeCloseTo(2, 12);
    expect(frame.ptsDuration).toBeCloseTo(960, 9);
  });

  test('duration, time and ptsDuration with a millisecond time base', () => {
    const frame = new AudioFrame({ data: new Int16Array(320), sampleRate: 16000, pts: 1500, timeBase: { num: 1, den: 1000 } });
    expect(frame.duration).toBeCloseTo(0.02, 12);
    expect(frame.time).toBeCloseTo(1.5, 12);
    expect(frame.ptsDuration).toBeCloseTo(20, 9);
    // a 90 kHz (video-style) time base, and num > 1
    const f90 = new AudioFrame({ data: new Int16Array(441), sampleRate: 44100, pts: 9000, timeBase: { num: 1, den: 90000 } });
    expect(f90.time).toBeCloseTo(0.1, 12);
    expect(f90.ptsDuration).toBeCloseTo(900, 9);
    const coarse = new AudioFrame({ data: new Int16Array(480), sampleRate: 48000, pts: 7, timeBase: { num: 10, den: 1000 } });
    expect(coarse.time).toBeCloseTo(0.07, 12);
    expect(coarse.ptsDuration).toBeCloseTo(1, 9);
  });

  test('withPts shares the samples, keeps the rest, validates the pts', () => {
    const frame = new AudioFrame({ data: new Int16Array([1, 2, 3, 4]), sampleRate: 8000, channels: 2, pts: 0, timeBase: { num: 1, den: 1000 } });
    const moved = frame.withPts(250);
    expect(moved.pts).toBe(250);
    expect(moved.time).toBeCloseTo(0.25, 12);
    expect(moved.data).toBe(frame.data);
    expect(moved.channels).toBe(2);
    expect(moved.timeBase).toEqual({ num: 1, den: 1000 });
    expect(frame.pts).toBe(0); // the original is unchanged
    const error = thrown(() => frame.withPts(0.5));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('AudioFrame.withPts: pts must be a safe integer; got 0.5');
  });
});

describe('AudioFrame.silence', () => {
  test('s16 and f32 silence of the requested shape', () => {
    const s = AudioFrame.silence({ sampleRate: 48000, channels: 2, samplesPerChannel: 960, pts: 4800 });
    expect(s.format).toBe('s16');
    expect(s.data).toBeInstanceOf(Int16Array);
    expect(s.data.length).toBe(1920);
    expect(s.data.every((v: number) => v === 0)).toBe(true);
    expect(s.pts).toBe(4800);
    expect(s.duration).toBeCloseTo(0.02, 12);
    const f = AudioFrame.silence({ sampleRate: 16000, samplesPerChannel: 320, format: 'f32', layout: 'planar', timeBase: { num: 1, den: 1000 } });
    expect(f.format).toBe('f32');
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(f.data.length).toBe(320);
    expect(f.layout).toBe('planar');
    expect(f.timeBase).toEqual({ num: 1, den: 1000 });
  });

  test('silence validates its options', () => {
    const e1 = thrown(() => AudioFrame.silence({ sampleRate: 48000, samplesPerChannel: -5 }));
    expect(e1).toBeInstanceOf(RangeError);
    expect(e1.message).toBe('AudioFrame.silence: options.samplesPerChannel must be an integer from 0 to 2147483647; got -5');
    const e2 = thrown(() => AudioFrame.silence({ sampleRate: 48000, samplesPerChannel: 960, bogus: 1 } as never));
    expect(e2).toBeInstanceOf(TypeError);
    expect(e2.message).toMatch(/^AudioFrame\.silence: options\.bogus is not an option; known options are 'sampleRate', /);
    const e3 = thrown(() => AudioFrame.silence({ sampleRate: 1000, samplesPerChannel: 10 }));
    expect(e3).toBeInstanceOf(RangeError);
    expect(e3.message).toMatch(/sampleRate must be an integer from 8000 to 192000; got 1000$/);
  });
});

describe('AudioFrame.to conversions', () => {
  const s16 = new Int16Array([0, 1, -1, 16384, -16384, 32767, -32768, 12345, -54, 999]);

  test('s16 → f32 divides by 32768; f32 → s16 multiplies by 32768, rounds, clips', () => {
    const frame = new AudioFrame({ data: s16, sampleRate: 48000, pts: 480 });
    const f = frame.to({ format: 'f32' });
    expect(f.format).toBe('f32');
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(f.pts).toBe(480);
    for (let i = 0; i < s16.length; i++) expect(f.data[i]).toBe(Math.fround(s16[i] / 32768));
    // round trip is exact
    expect(Array.from(f.to({ format: 's16' }).data)).toEqual(Array.from(s16));

    const floats = new Float32Array([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 0.123456, -0.000015, 2.5 / 32768, 3.5 / 32768]);
    const back = new AudioFrame({ data: floats, sampleRate: 48000 }).to({ format: 's16' });
    expect(back.data).toBeInstanceOf(Int16Array);
    for (let i = 0; i < floats.length; i++) expect(back.data[i]).toBe(clipS16(Math.fround(floats[i] * 32768)));
    expect(Array.from(back.data.slice(0, 7))).toEqual([0, 16384, -16384, 32767, -32768, 32767, -32768]);
  });

  test('interleaved ↔ planar', () => {
    // 3 frames of stereo: L = 1, 2, 3; R = -1, -2, -3
    const frame = new AudioFrame({ data: new Int16Array([1, -1, 2, -2, 3, -3]), sampleRate: 8000, channels: 2 });
    const planar = frame.to({ layout: 'planar' });
    expect(planar.layout).toBe('planar');
    expect(Array.from(planar.data)).toEqual([1, 2, 3, -1, -2, -3]);
    expect(Array.from(planar.channelData(1))).toEqual([-1, -2, -3]);
    const back = planar.to({ layout: 'interleaved' });
    expect(Array.from(back.data)).toEqual([1, -1, 2, -2, 3, -3]);
    // planar f32 from interleaved s16 in one call
    const pf = frame.to({ layout: 'planar', format: 'f32' });
    expect(Array.from(pf.data)).toEqual([1, 2, 3, -1, -2, -3].map((v) => Math.fround(v / 32768)));
  });

  test('mono → stereo copies, stereo → mono averages (rounded half to even)', () => {
    const mono = new AudioFrame({ data: new Int16Array([5, -7, 100]), sampleRate: 16000, pts: 3 });
    const stereo = mono.to({ channels: 2 });
    expect(stereo.channels).toBe(2);
    expect(stereo.samplesPerChannel).toBe(3);
    expect(stereo.pts).toBe(3);
    expect(Array.from(stereo.data)).toEqual([5, 5, -7, -7, 100, 100]);

    const lr = new Int16Array([100, 200, 1, 2, 3, 4, -5, -8, 32767, 32767, -32768, -32767, 2, 3]);
    const down = new AudioFrame({ data: lr, sampleRate: 16000, channels: 2 }).to({ channels: 1 });
    const expected: number[] = [];
    for (let i = 0; i < lr.length; i += 2) expected.push(clipS16((lr[i] + lr[i + 1]) / 2));
    expect(Array.from(down.data)).toEqual(expected);
    expect(expected).toEqual([150, 2, 4, -6, 32767, -32768, 2]); // 1.5 → 2, 3.5 → 4, 2.5 → 2: half to even

    // planar stereo → mono
    const planar = new AudioFrame({ data: new Float32Array([0.5, 0.25, -0.5, 0.75]), sampleRate: 8000, channels: 2, layout: 'planar' });
    const m = planar.to({ channels: 1 });
    expect(Array.from(m.data)).toEqual([0, 0.5]);
  });

  test('5.1 → stereo uses the ITU downmix (centre and surrounds at -3 dB, LFE dropped, normalised)', () => {
    // L R C LFE Ls Rs for 3 frames
    const six = new Float32Array([0.3, -0.2, 0.1, 0.9, 0.05, -0.4, -0.6, 0.6, 0, 0.5, 0.2, 0.2, 1, 1, 1, 1, 1, 1]);
    const frame = new AudioFrame({ data: six, sampleRate: 48000, channels: 6 });
    const st = frame.to({ channels: 2 });
    expect(st.channels).toBe(2);
    const g = Math.SQRT1_2;
    const norm = 1 / (1 + 2 * g);
    const a = Math.fround(norm);
    const b = Math.fround(g * norm);
    for (let i = 0; i < 3; i++) {
      const [L, R, C, , Ls, Rs] = six.subarray(i * 6, i * 6 + 6);
      expect(st.data[i * 2]).toBeCloseTo(a * L + b * C + b * Ls, 6);
      expect(st.data[i * 2 + 1]).toBeCloseTo(a * R + b * C + b * Rs, 6);
    }
    // full-scale everywhere does not clip
    expect(Math.abs(st.data[4])).toBeLessThanOrEqual(1.0000001);
    // s16 path: rounded
    const s16six = new Int16Array(Array.from(six, (v) => Math.round(v * 20000)));
    const st16 = new AudioFrame({ data: s16six, sampleRate: 48000, channels: 6 }).to({ channels: 2 });
    for (let i = 0; i < 3; i++) {
      const [L, R, C, , Ls, Rs] = s16six.subarray(i * 6, i * 6 + 6);
      expect(st16.data[i * 2]).toBe(clipS16(a * L + b * C + b * Ls));
      expect(st16.data[i * 2 + 1]).toBe(clipS16(a * R + b * C + b * Rs));
    }
  });

  test('a custom matrix, and to() with nothing to change returns the same frame', () => {
    const frame = new AudioFrame({ data: new Float32Array([0.5, 0.25]), sampleRate: 8000, channels: 2 });
    const leftOnly = frame.to({ channels: 1, matrix: [1, 0] });
    expect(Array.from(leftOnly.data)).toEqual([0.5]);
    expect(frame.to({})).toBe(frame);
    expect(frame.to({ format: 'f32', layout: 'interleaved', channels: 2 })).toBe(frame);
    // a changed copy never shares the original's samples
    const mono = new AudioFrame({ data: new Int16Array([1, 2]), sampleRate: 8000 });
    const planarMono = mono.to({ layout: 'planar' });
    expect(planarMono.data).not.toBe(mono.data);
    expect(Array.from(planarMono.data)).toEqual([1, 2]);
  });

  test('to() validates its target', () => {
    const frame = new AudioFrame({ data: new Int16Array(4), sampleRate: 8000 });
    const e1 = thrown(() => frame.to({ channels: 9 }));
    expect(e1).toBeInstanceOf(RangeError);
    expect(e1.message).toBe('AudioFrame.to: target.channels must be an integer from 1 to 8; got 9');
    const e2 = thrown(() => frame.to({ format: 'u8' } as never));
    expect(e2.message).toBe('AudioFrame.to: target.format must be one of \'s16\' or \'f32\'; got "u8"');
    const e3 = thrown(() => frame.to({ rate: 16000 } as never));
    expect(e3).toBeInstanceOf(TypeError);
    expect(e3.message).toBe("AudioFrame.to: options.rate is not an option; known options are 'format', 'layout', 'channels' or 'matrix'");
  });
});

describe('AudioFrame.channelData', () => {
  test('returns one channel of interleaved, planar and mono frames as a copy', () => {
    const inter = new AudioFrame({ data: new Int16Array([1, 10, 100, 2, 20, 200]), sampleRate: 8000, channels: 3 });
    expect(Array.from(inter.channelData(0))).toEqual([1, 2]);
    expect(Array.from(inter.channelData(1))).toEqual([10, 20]);
    expect(Array.from(inter.channelData(2))).toEqual([100, 200]);
    const planar = new AudioFrame({ data: new Float32Array([0.1, 0.2, 0.3, 0.4]), sampleRate: 8000, channels: 2, layout: 'planar' });
    expect(Array.from(planar.channelData(1))).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    expect(planar.channelData(1)).toBeInstanceOf(Float32Array);
    const mono = new AudioFrame({ data: new Int16Array([7, 8]), sampleRate: 8000 });
    const copy = mono.channelData(0);
    copy[0] = 0;
    expect(mono.data[0]).toBe(7);
    const e = thrown(() => inter.channelData(3));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('AudioFrame.channelData: channel must be an integer from 0 to 2; got 3');
  });
});
