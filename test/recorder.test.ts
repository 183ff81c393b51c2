/**
 * MediaRecorder: the timeline rule (gaps → silence, overlaps dropped, resets
 * re-anchored), WAV and Ogg Opus output checked with independent tools
 * (sox, ffmpeg, opusinfo, opusdec), crash safety (SIGKILL), format changes,
 * error reporting, the bounded write queue, and resource release.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { AudioFrame, type AudioFormat, type AudioLayout, type TimeBase } from '../ts/media/audio-frame';
import { AudioStreamTrack } from '../ts/media/audio-stream-track';
import { MediaStreamTrack } from '../ts/media/media-stream-track';
import { MediaRecorder } from '../ts/media/recorder/media-recorder';
import type { RecorderError, TimelineWarning } from '../ts/media/recorder/recorder-events';
import { Timeline } from '../ts/media/recorder/timeline';
import { measureFrequency, rmsDb, toneLevelDb } from './helpers/audio';
import {
  decodeWithFfmpeg,
  decodeWithOpusdec,
  decodeWithSox,
  ffprobeDuration,
  ResourceWatch,
  opusinfo,
  settle,
  slice,
  soxiDuration,
  tempDir,
} from './helpers/audio-files';

/** A test track that returns the given items from recv() at once (unpaced), then ends. Items may be anything, to test bad frames; an Error is thrown. */
class ListTrack extends MediaStreamTrack {
  private next = 0;
  private readonly items: readonly unknown[];
  constructor(items: readonly unknown[]) {
    super();
    this.items = items;
  }
  async recv(): Promise<AudioFrame> {
    if (this.next >= this.items.length) {
      this.stop();
      throw this.endedError();
    }
    const item = this.items[this.next++];
    if (item instanceof Error) throw item;
    return item as AudioFrame;
  }
}

interface ToneSpec {
  rate: number;
  /** Frames to make. */
  count: number;
  /** Samples per channel per frame. */
  size: number;
  /** pts of the first frame (in timeBase units; default 1/rate). */
  pts: number;
  /** pts step per frame (default `size`). */
  step?: number;
  frequency?: number | number[];
  amplitude?: number;
  channels?: number;
  format?: AudioFormat;
  layout?: AudioLayout;
  timeBase?: TimeBase;
}

/** Frames of a sine tone whose phase follows the frame's sample index (so it is continuous across frames). */
function toneFrames(spec: ToneSpec): AudioFrame[] {
  const channels = spec.channels ?? 1;
  const freqs = Array.isArray(spec.frequency) ? spec.frequency : new Array<number>(channels).fill(spec.frequency ?? 440);
  const amplitude = spec.amplitude ?? 0.5;
  const frames: AudioFrame[] = [];
  for (let k = 0; k < spec.count; k++) {
    const n = spec.size;
    const f32 = spec.format === 'f32';
    const data = f32 ? new Float32Array(n * channels) : new Int16Array(n * channels);
    const planar = spec.layout === 'planar';
    for (let i = 0; i < n; i++) {
      const index = k * n + i;
      for (let c = 0; c < channels; c++) {
        const v = amplitude * Math.sin((2 * Math.PI * freqs[c] * index) / spec.rate);
        data[planar ? c * n + i : i * channels + c] = f32 ? v : Math.round(v * 32767);
      }
    }
    frames.push(
      new AudioFrame({ data, sampleRate: spec.rate, channels, layout: spec.layout ?? 'interleaved', pts: spec.pts + k * (spec.step ?? n), timeBase: spec.timeBase }),
    );
  }
  return frames;
}

/** Records `items` from a {@link ListTrack}; returns the recorder with the errors and warnings it emitted. */
async function record(
  target: string | Writable,
  items: readonly unknown[],
  options?: ConstructorParameters<typeof MediaRecorder>[1],
): Promise<{ recorder: MediaRecorder; errors: RecorderError[]; warnings: TimelineWarning[] }> {
  const recorder = new MediaRecorder(target, options);
  const errors: RecorderError[] = [];
  const warnings: TimelineWarning[] = [];
  recorder.on('error', (e) => errors.push(e));
  recorder.on('warning', (w) => warnings.push(w));
  recorder.addTrack(new ListTrack(items));
  const finished = new Promise<void>((resolve) => recorder.once('finish', resolve));
  await recorder.start();
  await finished; // the track's end finalizes the file
  await recorder.stop(); // and stop() afterwards is a no-op
  return { recorder, errors, warnings };
}

function expectTone(samples: Int16Array, rate: number, frequency: number): void {
  expect(Math.abs(measureFrequency(samples, rate) - frequency)).toBeLessThan(2);
  expect(toneLevelDb(samples, rate, frequency)).toBeGreaterThan(-12); // a -6 dBFS-peak tone is -9 dB
}

/** [start, end) of every run of at least `min` exact zeros. */
function zeroRuns(samples: Int16Array, min: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= samples.length; i++) {
    if (i < samples.length && samples[i] === 0) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start >= min) runs.push([start, i]);
      start = -1;
    }
  }
  return runs;
}

function expectSilent(samples: Int16Array, maxDb: number): void {
  expect(samples.length).toBeGreaterThan(0);
  expect(rmsDb(samples)).toBeLessThan(maxDb);
}

const tmp = tempDir('recorder');
afterAll(() => tmp.remove());

/** 1 s of 440 Hz, a 2 s pts gap, 1 s more: 48 kHz mono s16, 20 ms frames. */
function toneWithGap(): AudioFrame[] {
  return [...toneFrames({ rate: 48000, count: 50, size: 960, pts: 0 }), ...toneFrames({ rate: 48000, count: 50, size: 960, pts: 3 * 48000 })];
}

describe('Timeline', () => {
  test('places contiguous frames, fills gaps, drops overlaps, re-anchors jumps beyond maxGapSeconds', () => {
    const t = new Timeline(48000, 30);
    const tb = { num: 1, den: 48000 };
    expect(t.place(1000, tb, 960).kind).toBe('first');
    expect(t.place(1960, tb, 960).kind).toBe('contiguous');
    expect(t.place(2920 + 10, tb, 960).kind).toBe('contiguous'); // within the 1 ms tolerance
    const gap = t.place(2920 + 960 + 4800, tb, 960);
    expect(gap).toMatchObject({ kind: 'gap', silence: 4800 }); // placed from the anchor: the earlier 10 samples do not carry over
    const overlap = t.place(2920 + 960 + 4800 + 960 - 480, tb, 960);
    expect(overlap.kind).toBe('overlap');
    expect(overlap.drop).toBeCloseTo(480, 6);
    const jump = t.place(2 ** 40, tb, 960);
    expect(jump).toMatchObject({ kind: 'discontinuity', silence: 0, drop: 0 });
    expect(t.place(2 ** 40 + 960, tb, 960).kind).toBe('contiguous'); // re-anchored
    expect(t.place(-(2 ** 40), tb, 960).kind).toBe('discontinuity'); // backward
  });

  test('a pts reset backwards by more than 1 s re-anchors (nothing lost); a small overlap is trimmed', () => {
    const t = new Timeline(48000, 30);
    const tb = { num: 1, den: 48000 };
    t.place(20 * 48000, tb, 960);
    t.place(20 * 48000 + 960, tb, 960);
    const overlap = t.place(20 * 48000 + 960, tb, 960); // the same frame again
    expect(overlap).toMatchObject({ kind: 'overlap', drop: 960 });
    const reset = t.place(10 * 48000, tb, 960); // a source restarting its clock 10 s back
    expect(reset).toMatchObject({ kind: 'discontinuity', silence: 0, drop: 0 });
    expect(t.place(10 * 48000 + 960, tb, 960).kind).toBe('contiguous');
    expect(t.end).toBe(4 * 960);
  });

  test('compares times exactly across time bases (a 90 kHz clock, then 1/16000)', () => {
    const t = new Timeline(48000, 30);
    t.place(90000, { num: 1, den: 90000 }, 960); // t = 1 s
    expect(t.place(90000 + 1800, { num: 1, den: 90000 }, 960).kind).toBe('contiguous'); // +20 ms
    expect(t.place(16000 + 640, { num: 1, den: 16000 }, 960).kind).toBe('contiguous'); // t = 1.04 s
    expect(t.place(Number.MAX_SAFE_INTEGER, { num: 1, den: 1 }, 960).kind).toBe('discontinuity');
    expect(t.end).toBe(4 * 960);
  });
});

describe('MediaRecorder: the timeline rule', () => {
  test('WAV: a 2 s pts gap becomes 2 s of silence, so the duration follows the timeline', async () => {
    const file = tmp.file('gap.wav');
    const { recorder, errors, warnings } = await record(file, toneWithGap());
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.kind)).toEqual(['gap']);
    expect(warnings[0].offsetSeconds).toBeCloseTo(2, 6);
    expect(warnings[0].fileSeconds).toBeCloseTo(1, 6);
    expect(recorder.stats).toMatchObject({ framesReceived: 100, framesWritten: 100, silenceSamplesInserted: 96000, samplesWritten: 192000, discontinuities: 0 });

    expect(Math.abs(soxiDuration(file) - 4)).toBeLessThanOrEqual(0.02);
    const pcm = decodeWithSox(file);
    expect(pcm.length).toBe(4 * 48000);
    expectTone(slice(pcm, 48000, 1, 0.05, 0.95), 48000, 440);
    expect(rmsDb(slice(pcm, 48000, 1, 1.0, 3.0))).toBe(-Infinity); // exact digital silence
    expectTone(slice(pcm, 48000, 1, 3.05, 3.95), 48000, 440);
  });

  test('Ogg Opus: the same stream passes opusinfo, lasts 4 s, and decodes to tone, silence, tone', async () => {
    const file = tmp.file('gap.ogg');
    const { errors, warnings } = await record(file, toneWithGap());
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.kind)).toEqual(['gap']);

    const info = opusinfo(file);
    expect(info.status).toBe(0);
    expect(info.output).not.toMatch(/WARNING|ERROR/i);
    expect(info.output).toMatch(/Pre-skip: \d+/);
    expect(info.playbackSeconds).toBeCloseTo(4, 3);
    expect(Math.abs(ffprobeDuration(file) - 4)).toBeLessThan(0.025);

    const pcm = decodeWithOpusdec(file);
    expect(pcm.length).toBe(4 * 48000); // pre-skip removed and the end trimmed exactly
    expectTone(slice(pcm, 48000, 1, 0.05, 0.95), 48000, 440);
    expectSilent(slice(pcm, 48000, 1, 1.1, 2.9), -70);
    expectTone(slice(pcm, 48000, 1, 3.05, 3.95), 48000, 440);
  });

  test('Ogg Opus stereo from a 44.1 kHz track: resampled to 48 kHz, channels kept apart, opusinfo-clean', async () => {
    const file = tmp.file('stereo.opus');
    const frames = toneFrames({ rate: 44100, count: 75, size: 882, pts: 0, channels: 2, frequency: [440, 660], format: 'f32' });
    const { errors } = await record(file, frames);
    expect(errors).toEqual([]);
    const info = opusinfo(file);
    expect(info.status).toBe(0);
    expect(info.output).not.toMatch(/WARNING|ERROR/i);
    expect(info.output).toMatch(/Channels: 2/);
    expect(info.output).toMatch(/Original sample rate: 44100 Hz/);
    expect(info.playbackSeconds).toBeCloseTo(1.5, 2);
    const pcm = decodeWithFfmpeg(file, 48000, 2);
    expectTone(slice(pcm, 48000, 2, 0.1, 1.4, 0), 48000, 440);
    expectTone(slice(pcm, 48000, 2, 0.1, 1.4, 1), 48000, 660);
  });

  test.each(['wav', 'ogg'] as const)('%s: backward pts and absurd jumps re-anchor (warnings, no huge file, sane duration)', async (format) => {
    const file = tmp.file(`jumps.${format}`);
    const a = toneFrames({ rate: 48000, count: 50, size: 960, pts: 0 }); // 1 s
    const b = toneFrames({ rate: 48000, count: 25, size: 960, pts: 2 ** 31 }); // +2^31 samples (~12 h): a wrap, not a gap
    const c = toneFrames({ rate: 48000, count: 25, size: 960, pts: 48000 }); // back by ~2^31
    const d = c[c.length - 1]; // the same frame again: an overlap
    const e = toneFrames({ rate: 48000, count: 10, size: 960, pts: 48000 + 25 * 960 }); // continues c
    const { recorder, errors, warnings } = await record(file, [...a, ...b, ...c, d, ...e]);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.kind)).toEqual(['discontinuity', 'discontinuity', 'overlap']);
    expect(warnings[0].offsetSeconds).toBeGreaterThan(40000);
    expect(warnings[1].offsetSeconds).toBeLessThan(-40000);
    expect(warnings[0].message).toMatch(/maxGapSeconds \(30\)/);
    expect(recorder.stats).toMatchObject({ discontinuities: 2, samplesDroppedOverlap: 960, silenceSamplesInserted: 0, framesReceived: 111, framesWritten: 110 });
    const expected = 1 + 0.5 + 0.5 + 0.2;
    expect(fs.statSync(file).size).toBeLessThan(format === 'wav' ? expected * 96000 + 100 : 100000);
    if (format === 'wav') expect(Math.abs(soxiDuration(file) - expected)).toBeLessThanOrEqual(0.02);
    else expect(opusinfo(file).playbackSeconds).toBeCloseTo(expected, 3);
  });

  test('a partial overlap drops only the overlapping part', async () => {
    const file = tmp.file('overlap.wav');
    const first = toneFrames({ rate: 48000, count: 10, size: 960, pts: 0 });
    const second = toneFrames({ rate: 48000, count: 10, size: 960, pts: 10 * 960 - 480 }); // starts 10 ms early
    const { recorder, warnings } = await record(file, [...first, ...second]);
    expect(warnings.map((w) => w.kind)).toEqual(['overlap']);
    expect(recorder.stats.samplesDroppedOverlap).toBe(480);
    expect(decodeWithSox(file).length).toBe(20 * 960 - 480);
  });

  test('maxGapSeconds decides what counts as a gap', async () => {
    const file = tmp.file('maxgap.wav');
    const { recorder, warnings } = await record(file, toneWithGap(), { maxGapSeconds: 1 });
    expect(warnings.map((w) => w.kind)).toEqual(['discontinuity']);
    expect(recorder.stats.silenceSamplesInserted).toBe(0);
    expect(soxiDuration(file)).toBeCloseTo(2, 3);
  });
});

describe('MediaRecorder: formats and streams', () => {
  test.each(['wav', 'ogg'] as const)('%s: a format change mid-stream (48k mono s16 → 16k stereo f32 planar) keeps recording', async (format) => {
    const file = tmp.file(`change.${format}`);
    const first = toneFrames({ rate: 48000, count: 50, size: 960, pts: 0, frequency: 440 });
    // The producer keeps time in its own units: pts 16000 at 1/16000 is t = 1 s.
    const second = toneFrames({ rate: 16000, count: 50, size: 320, pts: 16000, channels: 2, frequency: 660, format: 'f32', layout: 'planar' });
    const { recorder, errors, warnings } = await record(file, [...first, ...second]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(recorder.stats.framesWritten).toBe(100);
    const pcm = format === 'wav' ? decodeWithSox(file) : decodeWithOpusdec(file);
    const seconds = pcm.length / 48000; // both files are 48 kHz mono: the first frame's format
    expect(Math.abs(seconds - 2)).toBeLessThanOrEqual(0.02);
    expectTone(slice(pcm, 48000, 1, 0.05, 0.95), 48000, 440);
    expectTone(slice(pcm, 48000, 1, 1.05, 1.95), 48000, 660);
  });

  test('WAV into a Writable: sizes are 0xFFFFFFFF (streaming convention) and readers take the whole stream', async () => {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        callback();
      },
    });
    const ended = new Promise((resolve) => stream.once('finish', resolve));
    const { errors } = await record(stream, toneFrames({ rate: 16000, count: 50, size: 320, pts: 0 }), { format: 'wav' });
    await ended; // stop() ended the stream
    expect(errors).toEqual([]);
    const bytes = Buffer.concat(chunks);
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff);
    expect(bytes.readUInt32LE(40)).toBe(0xffffffff);
    expect(bytes.length).toBe(44 + 16000 * 2);
    const file = tmp.file('streamed.wav');
    fs.writeFileSync(file, bytes);
    const pcm = decodeWithFfmpeg(file, 16000, 1);
    expect(pcm.length).toBe(16000);
    expectTone(pcm, 16000, 440);
  });

  test('a 6-channel WAV uses WAVE_FORMAT_EXTENSIBLE and reads back in sox', async () => {
    const file = tmp.file('six.wav');
    await record(file, toneFrames({ rate: 8000, count: 10, size: 160, pts: 0, channels: 6 }));
    const bytes = fs.readFileSync(file);
    expect(bytes.readUInt16LE(20)).toBe(0xfffe);
    const pcm = decodeWithSox(file);
    expect(pcm.length).toBe(1600 * 6);
    expectTone(slice(pcm, 8000, 6, 0, 0.2, 5), 8000, 440);
  });

  test('an empty recording is still a valid file', async () => {
    const wav = tmp.file('empty.wav');
    const ogg = tmp.file('empty.ogg');
    await record(wav, []);
    await record(ogg, []);
    expect(soxiDuration(wav)).toBe(0);
    const info = opusinfo(ogg);
    expect(info.status).toBe(0);
    expect(info.playbackSeconds).toBe(0);
  });
});

describe('MediaRecorder: errors are reported, never swallowed, never stopping the recording', () => {
  test('bad frames and failed recv() calls go to the error event; the good frames are all recorded', async () => {
    const file = tmp.file('bad-frames.wav');
    const frames = toneFrames({ rate: 48000, count: 30, size: 960, pts: 0 });
    const items = [...frames.slice(0, 10), 'oops', { pts: 9600 }, ...frames.slice(10, 20), new Error('decoder hiccup'), ...frames.slice(20)];
    const { recorder, errors } = await record(file, items);
    expect(errors.map((e) => e.code)).toEqual(['ERR_VOXRTC_RECORDER_FRAME', 'ERR_VOXRTC_RECORDER_FRAME', 'ERR_VOXRTC_RECORDER_TRACK']);
    expect(errors[0].message).toMatch(/gave "oops" from recv\(\); expected an AudioFrame/);
    expect(errors[1].message).toMatch(/gave an object from recv\(\)/);
    expect(errors[2].message).toMatch(/reading ListTrack track .* failed: decoder hiccup/);
    expect(recorder.stats).toMatchObject({ framesReceived: 32, framesWritten: 30, badFrames: 2, trackErrors: 1 });
    expect(decodeWithSox(file).length).toBe(30 * 960);
  });

  test('a disk that fails every write (/dev/full): one error for the episode, the recording runs to its end', async () => {
    const { recorder, errors } = await record('/dev/full', toneFrames({ rate: 48000, count: 150, size: 960, pts: 0 }), { format: 'wav' });
    expect(errors.map((e) => e.code)).toEqual(['ERR_VOXRTC_RECORDER_WRITE']);
    expect(errors[0].message).toMatch(/writing \/dev\/full failed: .*ENOSPC/);
    expect((errors[0].cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(recorder.stats.writeErrors).toBeGreaterThan(3);
    expect(recorder.stats.framesWritten).toBe(150);
    expect(recorder.state).toBe('stopped');
  });

  test('a stream that breaks: one error, stop() still resolves', async () => {
    let writes = 0;
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(++writes === 2 ? new Error('connection reset') : null);
      },
    });
    const { recorder, errors } = await record(stream, toneFrames({ rate: 48000, count: 150, size: 960, pts: 0 }), { format: 'ogg' });
    expect(errors.map((e) => e.code)).toEqual(['ERR_VOXRTC_RECORDER_WRITE']);
    expect(errors[0].message).toMatch(/writing the stream failed: connection reset/);
    expect(recorder.state).toBe('stopped');
  });

  test('without an error listener, errors go to process.emitWarning instead of crashing', async () => {
    const warnings: Error[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((w: Error) => warnings.push(w)) as typeof process.emitWarning);
    try {
      const recorder = new MediaRecorder(tmp.file('no-listener.wav'));
      recorder.addTrack(new ListTrack([42, ...toneFrames({ rate: 8000, count: 5, size: 160, pts: 0 })]));
      await recorder.start();
      await new Promise((resolve) => recorder.once('finish', resolve));
    } finally {
      spy.mockRestore();
    }
    expect(warnings.map((w) => (w as RecorderError).code)).toEqual(['ERR_VOXRTC_RECORDER_FRAME']);
  });

  test('a slow disk under a live track: the queue stays bounded, one overflow error per episode, the timeline is kept with silence', async () => {
    // A stream whose writes complete only while it is open.
    let open = false;
    let held: (() => void)[] = [];
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        if (open) callback();
        else held.push(() => callback());
      },
    });
    const setOpen = (value: boolean): void => {
      open = value;
      if (!value) return;
      const callbacks = held;
      held = [];
      for (const cb of callbacks) cb();
    };
    const recorder = new MediaRecorder(stream, { format: 'wav', maxQueueSeconds: 1 });
    const errors: RecorderError[] = [];
    recorder.on('error', (e) => errors.push(e));
    const track = new AudioStreamTrack({ sampleRate: 8000, tone: { frequency: 440 } }); // live: paced in real time
    recorder.addTrack(track);
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, recorder.stats.queuedBytes)), 10);
    const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      await recorder.start();
      await wait(1600); // the disk is stuck: the first flush (1 s of audio) fills the queue
      expect(errors.map((e) => e.code)).toEqual(['ERR_VOXRTC_RECORDER_OVERFLOW']);
      expect(errors[0].message).toMatch(/the write queue holds more than 1 s of audio, so incoming audio is replaced by silence until it drains/);
      setOpen(true);
      await wait(800); // the disk works again: audio is written again
      setOpen(false);
      await wait(1600); // stuck again: a second episode, a second error
      expect(errors.map((e) => e.code)).toEqual(['ERR_VOXRTC_RECORDER_OVERFLOW', 'ERR_VOXRTC_RECORDER_OVERFLOW']);
      setOpen(true);
      await recorder.stop();
    } finally {
      clearInterval(sampler);
      track.stop();
    }
    const stats = recorder.stats;
    expect(stats.diskWaits).toBe(0); // a live track is never made to wait
    expect(maxQueued).toBeLessThanOrEqual(2 * 8000 * 2 + 100); // the bound (1 s) plus at most one flush of staged audio
    expect(stats.samplesDroppedQueueFull).toBeGreaterThan(3200); // both episodes dropped audio (how much depends on timing)
    expect(stats.samplesWritten).toBe(stats.framesReceived * 160); // dropped audio became silence: the file keeps the timeline
    const file = tmp.file('slow.wav');
    fs.writeFileSync(file, Buffer.concat(chunks));
    const pcm = decodeWithFfmpeg(file, 8000, 1);
    expect(pcm.length).toBe(stats.samplesWritten);
    // Two silent holes, exactly as long as the audio dropped; the tone before, between and after them.
    const holes = zeroRuns(pcm, 160);
    expect(holes.length).toBe(2);
    // A 440 Hz tone at 8 kHz is exactly 0 every 100 samples: a hole may take in a zero sample of the tone at each edge.
    const holeSamples = holes.reduce((n, [from, to]) => n + to - from, 0);
    expect(holeSamples).toBeGreaterThanOrEqual(stats.samplesDroppedQueueFull);
    expect(holeSamples).toBeLessThanOrEqual(stats.samplesDroppedQueueFull + 4);
    expect(holes[0][0]).toBeGreaterThanOrEqual(8000); // nothing is dropped before the first flush (1 s) fills the queue
    expectTone(pcm.subarray(0, holes[0][0]), 8000, 440);
    expectTone(pcm.subarray(holes[0][1], holes[1][0]), 8000, 440);
  });

  test('a slow disk under a track that runs ahead of real time: the track waits, nothing is dropped', async () => {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        setTimeout(callback, 15); // every write takes 15 ms
      },
    });
    const frames = toneFrames({ rate: 8000, count: 400, size: 160, pts: 0 }); // 8 s, delivered at once
    // (a 3 s queue: it fills with about 4 s of audio received, which a loaded machine cannot mistake for real time)
    const { recorder, errors } = await record(stream, frames, { format: 'wav', maxQueueSeconds: 3 });
    expect(errors).toEqual([]);
    expect(recorder.stats).toMatchObject({ samplesDroppedQueueFull: 0, framesWritten: 400, samplesWritten: 64000 });
    expect(recorder.stats.diskWaits).toBeGreaterThan(0);
    const file = tmp.file('offline.wav');
    fs.writeFileSync(file, Buffer.concat(chunks));
    const pcm = decodeWithFfmpeg(file, 8000, 1);
    expect(pcm.length).toBe(64000);
    for (const start of [0.1, 2.1, 4.1, 6.1]) expectTone(slice(pcm, 8000, 1, start, start + 1.8), 8000, 440);
  });
});

describe('MediaRecorder: crash safety and resources', () => {
  test('a WAV being recorded when the process is SIGKILLed is readable and lacks at most ~1 s', async () => {
    const file = tmp.file('killed.wav');
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'record-until-killed.js'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('recording') && resolve());
      child.once('exit', () => reject(new Error(`the child exited before recording: ${stderr}`)));
    });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    child.kill('SIGKILL');
    const elapsed = (performance.now() - started) / 1000;
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toBe('');

    const duration = soxiDuration(file);
    expect(duration).toBeGreaterThanOrEqual(elapsed - 1.5);
    expect(duration).toBeLessThanOrEqual(elapsed + 0.2);
    const pcm = decodeWithSox(file);
    expect(pcm.length).toBe(Math.round(duration * 48000));
    expectTone(slice(pcm, 48000, 1, 0.1, duration - 0.1), 48000, 440);
  }, 20000);

  test.each(['wav', 'ogg'] as const)('%s: every timer and file handle is released once stop() resolves', async (format) => {
    await settle();
    const watch = ResourceWatch.start();
    const recorder = new MediaRecorder(tmp.file(`resources.${format}`));
    const track = new AudioStreamTrack({ sampleRate: 48000, tone: { frequency: 440 } });
    recorder.addTrack(track);
    await recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await recorder.stop();
    expect(track.readyState).toBe('live'); // the recorder leaves its track alone; stopping it is the owner's business
    track.stop();
    expect(await watch.leaks()).toEqual([]);
    expect(recorder.stats.framesWritten).toBeGreaterThanOrEqual(10);
  });

  test('stop() right after start(), and twice, is fine', async () => {
    const recorder = new MediaRecorder(tmp.file('quick.wav'));
    recorder.addTrack(new AudioStreamTrack());
    const started = recorder.start();
    const stopped = recorder.stop();
    await started;
    await stopped;
    expect(recorder.stop()).toBe(stopped);
    expect(recorder.state).toBe('stopped');
    expect(soxiDuration(tmp.file('quick.wav'))).toBeLessThan(0.1);
  });
});

describe('MediaRecorder: argument checks name the argument, the expectation and what came', () => {
  test('constructor', () => {
    expect(() => new MediaRecorder('out.mp3')).toThrow(
      `MediaRecorder: options.format must be 'wav' or 'ogg' when the file name does not end in .wav, .ogg or .opus ("out.mp3" does not); got undefined`,
    );
    expect(() => new MediaRecorder('out.wav', { format: 'mp3' as 'wav' })).toThrow("MediaRecorder: options.format must be one of 'wav' or 'ogg'; got \"mp3\"");
    expect(() => new MediaRecorder(42 as unknown as string)).toThrow('MediaRecorder: pathOrWritable must be a file path (string) or a Writable stream; got 42');
    expect(() => new MediaRecorder(new Writable())).toThrow("MediaRecorder: options.format must be 'wav' or 'ogg' when recording to a stream; got undefined");
    expect(() => new MediaRecorder('x.ogg', { sampleRate: 16000 })).toThrow(/options.sampleRate must be omitted or 48000 for Ogg Opus .*; got 16000/);
    expect(() => new MediaRecorder('x.ogg', { channels: 3 })).toThrow('MediaRecorder: options.channels must be one of 1 or 2; got 3');
    expect(() => new MediaRecorder('x.wav', { bitrate: 64000 })).toThrow(/options.bitrate must be omitted for format 'wav'/);
    expect(() => new MediaRecorder('x.wav', { maxGapSeconds: -1 })).toThrow('MediaRecorder: options.maxGapSeconds must be a finite number of seconds ≥ 0.001; got -1');
    expect(() => new MediaRecorder('x.wav', { colour: 'red' } as never)).toThrow(/options.colour is not an option/);
  });

  test('addTrack and start', async () => {
    const recorder = new MediaRecorder(tmp.file('args.wav'));
    await expect(recorder.start()).rejects.toThrow('MediaRecorder.start: there is no track to record; call addTrack(track) first');
    expect(() => recorder.addTrack({} as MediaStreamTrack)).toThrow('MediaRecorder.addTrack: track must be a MediaStreamTrack; got an object');
    const a = new ListTrack([]);
    const b = new ListTrack([]);
    recorder.addTrack(a);
    expect(() => recorder.addTrack(b)).toThrow(/already records ListTrack track .*; a recorder takes one audio track/);
    await recorder.start();
    await expect(recorder.start()).rejects.toThrow(/MediaRecorder.start: the recorder is (recording|stopping|stopped); a recorder records once/);
    await recorder.stop();
  });

  test('a file that cannot be created fails start() with the path and the reason', async () => {
    const recorder = new MediaRecorder('/nonexistent-dir/x.wav');
    recorder.addTrack(new ListTrack([]));
    await expect(recorder.start()).rejects.toThrow(/MediaRecorder.start: cannot create "\/nonexistent-dir\/x.wav": ENOENT/);
    await recorder.stop();
  });
});
