/**
 * AudioResampler — frames in, frames out: rate, format, layout and channel
 * conversion that keeps the tone and the timeline. pts are carried over and
 * rescaled; gaps are filled (or reset) and bad pts never throw — the aiortc
 * trap where a network gap stopped the resampler.
 */
import { AudioFrame, AudioResampler } from '../ts/index';
import { measureFrequency, rmsDb, tone, toneLevelDb } from './helpers/audio';
import { joinFrames } from './helpers/media';

const TONE_DB = 20 * Math.log10(0.5 / Math.SQRT2); // 0.5 amplitude sine: -9.03 dBFS

/** `seconds` of a tone cut into frames of `frameSamples`, pts counting from `startPts` (in input samples). */
function toneFrames(freq: number | number[], rate: number, seconds: number, options: { channels?: number; frameSamples?: number; startPts?: number } = {}): AudioFrame[] {
  const channels = options.channels ?? 1;
  const n = options.frameSamples ?? rate / 50;
  const pcm = tone(freq, rate, seconds, { channels });
  const frames: AudioFrame[] = [];
  const start = options.startPts ?? 0;
  for (let i = 0; i * n * channels < pcm.length; i++) {
    // each frame's samples are the tone at its own time (the phase follows pts, as in a real stream)
    frames.push(new AudioFrame({ data: pcm.slice(i * n * channels, (i + 1) * n * channels), sampleRate: rate, channels, pts: start + i * n }));
  }
  return frames;
}

function run(resampler: AudioResampler, frames: AudioFrame[], flush = true): AudioFrame[] {
  const out: AudioFrame[] = [];
  for (const f of frames) out.push(...resampler.resample(f));
  if (flush) out.push(...resampler.flush());
  return out;
}

/** Every frame starts where the previous one ended. */
function expectContiguous(frames: AudioFrame[]): void {
  for (let i = 1; i < frames.length; i++) expect(frames[i].pts).toBe(frames[i - 1].pts + frames[i - 1].samplesPerChannel);
}

describe('AudioResampler', () => {
  test('48 kHz stereo → 16 kHz mono s16 frames of 320 keeps a 1 kHz tone (pitch and level) and the timeline', () => {
    const resampler = new AudioResampler({ rate: 16000, channels: 1, format: 's16', frameSize: 320 });
    const input = toneFrames(1000, 48000, 1, { channels: 2 });
    const out = run(resampler, input);
    for (const f of out.slice(0, -1)) {
      expect(f.samplesPerChannel).toBe(320);
      expect(f.sampleRate).toBe(16000);
      expect(f.channels).toBe(1);
      expect(f.format).toBe('s16');
      expect(f.timeBase).toEqual({ num: 1, den: 16000 });
    }
    expect(out[out.length - 1].samplesPerChannel).toBeLessThanOrEqual(320);
    expect(out[0].pts).toBe(0);
    expectContiguous(out);
    const pcm = joinFrames(out);
    expect(Math.abs(pcm.length - 16000)).toBeLessThanOrEqual(2); // the whole second, tail included
    expect(Math.abs(measureFrequency(pcm, 16000) - 1000)).toBeLessThan(1);
    const steady = pcm.subarray(800, 15200);
    expect(Math.abs(toneLevelDb(steady, 16000, 1000) - TONE_DB)).toBeLessThan(0.5);
    expect(Math.abs(rmsDb(steady) - TONE_DB)).toBeLessThan(0.5);
    expect(resampler.filledGaps).toBe(0);
    expect(resampler.streamResets).toBe(0);
  });

  test('pts are carried over and rescaled: input pts 48000 → output pts 16000', () => {
    const resampler = new AudioResampler({ rate: 16000, frameSize: 320 });
    const out = run(resampler, toneFrames(1000, 48000, 0.2, { startPts: 48000 }));
    expect(out[0].pts).toBe(16000);
    expect(out[0].time).toBeCloseTo(1, 9);
    expect(out[0].timeBase).toEqual({ num: 1, den: 16000 });
    expectContiguous(out);
    // input with a millisecond time base (pts 1500 = 1.5 s) works the same way
    const ms = new AudioResampler({ rate: 16000 });
    const frame = new AudioFrame({ data: tone(1000, 48000, 0.02), sampleRate: 48000, pts: 1500, timeBase: { num: 1, den: 1000 } });
    const [first] = [...ms.resample(frame), ...ms.flush()];
    expect(first.pts).toBe(24000);
  });

  test('a 1 s pts gap is filled with silence: the output timeline stays continuous and as long as the input timeline', () => {
    const resampler = new AudioResampler({ rate: 16000, channels: 1, frameSize: 320 });
    const before = toneFrames(1000, 48000, 0.5);
    const after = toneFrames(1000, 48000, 0.5, { startPts: 1.5 * 48000 });
    const out = run(resampler, [...before, ...after]);
    expect(resampler.filledGaps).toBe(1);
    expect(resampler.streamResets).toBe(0);
    expect(out[0].pts).toBe(0);
    expectContiguous(out);
    const pcm = joinFrames(out);
    expect(Math.abs(pcm.length - 2 * 16000)).toBeLessThanOrEqual(2); // 0.5 + 1 (gap) + 0.5 s
    // tone, silence, tone — each where the input timeline puts it
    expect(Math.abs(rmsDb(pcm.subarray(800, 7200)) - TONE_DB)).toBeLessThan(0.5);
    expect(rmsDb(pcm.subarray(8400, 23600))).toBeLessThan(-80);
    expect(Math.abs(rmsDb(pcm.subarray(24800, 31200)) - TONE_DB)).toBeLessThan(0.5);
    expect(Math.abs(measureFrequency(pcm.subarray(24800, 31200), 16000) - 1000)).toBeLessThan(1);
  });

  test('pts going backwards resets the stream (no throw), re-anchored at the new pts', () => {
    const resampler = new AudioResampler({ rate: 16000, frameSize: 320 });
    const first = run(resampler, toneFrames(1000, 48000, 0.2), false);
    let second: AudioFrame[] = [];
    expect(() => (second = run(resampler, toneFrames(1000, 48000, 0.2)))).not.toThrow();
    expect(resampler.streamResets).toBe(1);
    expect(resampler.filledGaps).toBe(0);
    const all = [...first, ...second];
    const back = all.findIndex((f, i) => i > 0 && f.pts < all[i - 1].pts);
    expect(back).toBeGreaterThan(0);
    expect(all[back].pts).toBe(0); // the new stream starts at the new input pts
    expectContiguous(all.slice(0, back)); // the old stream ended with its tail, on time
    expectContiguous(all.slice(back));
    expect(Math.abs(joinFrames(all.slice(0, back)).length - 3200)).toBeLessThanOrEqual(2);
    expect(Math.abs(joinFrames(all.slice(back)).length - 3200)).toBeLessThanOrEqual(2);
  });

  test('a jump longer than maxGapSeconds resets instead of writing an hour of silence', () => {
    const resampler = new AudioResampler({ rate: 16000, frameSize: 320, maxGapSeconds: 2 });
    const out = run(resampler, [...toneFrames(1000, 48000, 0.2), ...toneFrames(1000, 48000, 0.2, { startPts: 10 * 48000 })]);
    expect(resampler.streamResets).toBe(1);
    expect(resampler.filledGaps).toBe(0);
    const total = joinFrames(out).length;
    expect(Math.abs(total - 6400)).toBeLessThanOrEqual(4); // 0.4 s of audio, not 10 s
    expect(out[out.length - 1].pts + out[out.length - 1].samplesPerChannel).toBeCloseTo(10.2 * 16000, -1);
    // a 32-bit RTP-style wrap, mistaken for a gap, too
    const wrap = new AudioResampler({ rate: 16000 });
    run(wrap, [...toneFrames(1000, 48000, 0.04, { startPts: 2 ** 32 - 960 }), ...toneFrames(1000, 48000, 0.04, { startPts: 0 })]);
    expect(wrap.streamResets).toBe(1);
  });

  test("gap: 'reset' re-anchors at the new input pts instead of filling", () => {
    const resampler = new AudioResampler({ rate: 16000, frameSize: 320, gap: 'reset' });
    const out = run(resampler, [...toneFrames(1000, 48000, 0.5), ...toneFrames(1000, 48000, 0.5, { startPts: 1.5 * 48000 })]);
    expect(resampler.filledGaps).toBe(0);
    expect(resampler.streamResets).toBe(1);
    const jump = out.findIndex((f, i) => i > 0 && f.pts !== out[i - 1].pts + out[i - 1].samplesPerChannel);
    expect(jump).toBeGreaterThan(0);
    expect(out[jump].pts).toBe(1.5 * 16000);
    const pcm = joinFrames(out);
    expect(Math.abs(pcm.length - 16000)).toBeLessThanOrEqual(4); // no silence added
    expect(rmsDb(pcm.subarray(800, 15200))).toBeGreaterThan(TONE_DB - 1.5); // no hole
  });

  test('small pts jitter (±1 sample) is neither a gap nor a reset', () => {
    const resampler = new AudioResampler({ rate: 16000 });
    const frames = toneFrames(1000, 48000, 0.2).map((f, i) => f.withPts(f.pts + (i % 2)));
    run(resampler, frames);
    expect(resampler.filledGaps).toBe(0);
    expect(resampler.streamResets).toBe(0);
  });

  test('a change of input rate mid-stream is handled: a new stream, same tone, continuous timeline', () => {
    const resampler = new AudioResampler({ rate: 16000, channels: 1, frameSize: 320 });
    const at48 = toneFrames(1000, 48000, 0.5);
    const at441 = toneFrames(1000, 44100, 0.5, { frameSamples: 441, startPts: 22050 }); // pts in 44.1 kHz samples: 0.5 s on
    const out = run(resampler, [...at48, ...at441]);
    expect(resampler.streamResets).toBe(1);
    expect(resampler.filledGaps).toBe(0);
    expect(out[0].pts).toBe(0);
    const pcm = joinFrames(out);
    expect(Math.abs(pcm.length - 16000)).toBeLessThanOrEqual(4);
    // the second stream starts at 0.5 s on the output timeline
    const start2 = out.findIndex((f) => f.pts >= 8000);
    expect(out[start2].pts).toBe(8000);
    expect(Math.abs(measureFrequency(pcm.subarray(800, 7200), 16000) - 1000)).toBeLessThan(1);
    expect(Math.abs(measureFrequency(pcm.subarray(8800, 15200), 16000) - 1000)).toBeLessThan(1);
    expect(Math.abs(rmsDb(pcm.subarray(8800, 15200)) - TONE_DB)).toBeLessThan(0.5);
    // and a change of channel count too (stereo, then mono input; mono output throughout)
    const stereo = toneFrames(1000, 48000, 0.1, { channels: 2, startPts: 48000 });
    const mono = toneFrames(1000, 48000, 0.1, { startPts: 48000 + 4800 });
    const more = run(resampler, [...stereo, ...mono]);
    expect(resampler.streamResets).toBe(2);
    expect(more.every((f) => f.channels === 1)).toBe(true);
    expectContiguous(more);
    expect(Math.abs(joinFrames(more).length - 3200)).toBeLessThanOrEqual(4);
  });

  test('flush() returns the tail and a last short frame; it is not counted as a reset', () => {
    const resampler = new AudioResampler({ rate: 16000, frameSize: 320 });
    const body = run(resampler, toneFrames(1000, 48000, 0.1), false);
    const bodySamples = joinFrames(body).length;
    expect(bodySamples).toBeLessThan(1600); // the filter holds some back
    const tail = resampler.flush();
    expect(tail.length).toBeGreaterThan(0);
    const tailSamples = tail.reduce((n, f) => n + f.samplesPerChannel, 0);
    expect(Math.abs(bodySamples + tailSamples - 1600)).toBeLessThanOrEqual(1);
    expect(tail[tail.length - 1].samplesPerChannel).toBeLessThanOrEqual(320);
    expectContiguous([...body, ...tail]);
    expect(resampler.flush()).toEqual([]); // nothing left
    expect(resampler.streamResets).toBe(0);
    // the resampler goes on after a flush: a new stream at the next frame's pts
    const next = run(resampler, toneFrames(1000, 48000, 0.1, { startPts: 4800 }));
    expect(next[0].pts).toBe(1600);
    expectContiguous(next);
  });

  test('planar stereo output keeps each channel its own tone', () => {
    const resampler = new AudioResampler({ rate: 16000, channels: 2, layout: 'planar', format: 'f32', frameSize: 320 });
    const out = run(resampler, toneFrames([500, 1500], 48000, 0.5, { channels: 2 }));
    for (const f of out) {
      expect(f.layout).toBe('planar');
      expect(f.channels).toBe(2);
      expect(f.format).toBe('f32');
      // planar: the first half of data is the left channel
      expect(Array.from(f.data.subarray(0, f.samplesPerChannel))).toEqual(Array.from(f.channelData(0)));
    }
    const left = new Float32Array(out.reduce((n, f) => n + f.samplesPerChannel, 0));
    const right = new Float32Array(left.length);
    let offset = 0;
    for (const f of out) {
      left.set(f.channelData(0), offset);
      right.set(f.channelData(1), offset);
      offset += f.samplesPerChannel;
    }
    expect(Math.abs(measureFrequency(left.subarray(400, 7600), 16000) - 500)).toBeLessThan(1);
    expect(Math.abs(measureFrequency(right.subarray(400, 7600), 16000) - 1500)).toBeLessThan(1);
    expect(toneLevelDb(left.subarray(400, 7600), 16000, 1500)).toBeLessThan(-60); // no crosstalk
  });

  test('same rate: format conversion and re-framing only, sample-exact', () => {
    const resampler = new AudioResampler({ format: 'f32', frameSize: 480 });
    const input = toneFrames(1000, 48000, 0.1);
    const out = run(resampler, input);
    expect(out).toHaveLength(10);
    expectContiguous(out);
    const src = joinFrames(input);
    const got = joinFrames(out);
    expect(got.length).toBe(src.length);
    for (let i = 0; i < src.length; i += 97) expect(got[i]).toBe(Math.fround(src[i] / 32768));
  });

  test('bad input is a TypeError; a closed resampler says so', () => {
    const resampler = new AudioResampler({ rate: 16000 });
    expect(() => resampler.resample(new Int16Array(960) as never)).toThrow(
      new TypeError('AudioResampler.resample: frame must be an AudioFrame; got an Int16Array of 960 values'),
    );
    expect(() => new AudioResampler({ rate: 1000 })).toThrow(new RangeError('AudioResampler: options.rate must be an integer from 8000 to 192000; got 1000'));
    expect(() => new AudioResampler({ gap: 'ignore' as never })).toThrow(RangeError);
    resampler.close();
    resampler.close();
    expect(() => resampler.resample(toneFrames(1000, 48000, 0.02)[0])).toThrow(/^AudioResampler\.resample: the resampler is closed; create a new one$/);
  });
});
