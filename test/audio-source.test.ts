/**
 * AudioSource — push audio in, get a paced 48 kHz track out (text-to-speech).
 * Continuity and pitch for every common TTS rate, silence while empty,
 * barge-in (clear), playout, backpressure, end/close, input conversion,
 * validation, and the 'wait' mode.
 */
import { AudioFrame, AudioSource } from '../ts/index';
import { measureFrequency, rmsDb, tone } from './helpers/audio';
import { expectMediaStreamError, isSilent, joinFrames, readFrames, rejection, settlesWithin, sleep } from './helpers/media';

const TONE_RMS_DB = 20 * Math.log10(0.5 / Math.SQRT2); // a 0.5-amplitude sine: -9.03 dBFS

/** Reads frames until `stop` says so (checked after each frame) or `max` frames. */
async function readUntil(source: AudioSource, stop: (frame: AudioFrame, all: AudioFrame[]) => boolean, max = 500): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  for (let i = 0; i < max; i++) {
    const frame = await source.track.recv();
    frames.push(frame);
    if (stop(frame, frames)) break;
  }
  return frames;
}

describe('AudioSource output', () => {
  /** Pushes `chunks` (at `rate`), reads until the tone has played, and checks continuity, level, length and pitch. */
  async function checkContinuous(rate: number, chunks: Int16Array[], seconds: number): Promise<void> {
    const source = new AudioSource();
    for (const chunk of chunks) await source.push(chunk, { sampleRate: rate });
    // read until two silent frames follow the tone
    const frames = await readUntil(source, (_f, all) => all.length > 3 && isSilent(all[all.length - 1]) && isSilent(all[all.length - 2]));
    source.close();
    frames.forEach((f, i) => {
      expect(f.sampleRate).toBe(48000);
      expect(f.samplesPerChannel).toBe(960);
      expect(f.pts).toBe(i * 960);
    });
    const pcm = joinFrames(frames) as Int16Array;
    // the tone region: from the first to the last non-zero sample
    let first = 0;
    while (pcm[first] === 0) first++;
    let last = pcm.length - 1;
    while (pcm[last] === 0) last--;
    expect(first).toBeLessThan(10); // starts with the first frame
    const played = (last + 1 - first) / 48000;
    expect(Math.abs(played - seconds)).toBeLessThan(0.002); // all of it, nothing more, no hole
    const region = pcm.subarray(first, last + 1);
    // no dropout: every whole 20 ms window inside the tone is at the tone's level (±1 dB)
    const levels: number[] = [];
    for (let i = 0; i + 960 <= region.length; i += 960) levels.push(rmsDb(region.subarray(i, i + 960)));
    expect(levels.length).toBeGreaterThanOrEqual(Math.floor(seconds * 50) - 1);
    // (the first and last windows contain the resampler's start-up and end ramps)
    for (const level of levels.slice(1, -1)) expect(Math.abs(level - TONE_RMS_DB)).toBeLessThan(1);
    // no discontinuity: no sample-to-sample step beyond the tone's own steepest slope (+ margin for the filter)
    const slope = 0.5 * 32767 * ((2 * Math.PI * 440) / 48000);
    let biggest = 0;
    for (let i = 1; i < region.length; i++) biggest = Math.max(biggest, Math.abs(region[i] - region[i - 1]));
    expect(biggest).toBeLessThan(slope * 1.2);
    // the right pitch, measured on the steady part
    const steady = region.subarray(960, region.length - 960);
    expect(Math.abs(measureFrequency(steady, 48000) - 440)).toBeLessThan(2);
  }

  test.each([8000, 16000, 22050, 24000, 44100])(
    'a 440 Hz tone pushed at %i Hz plays continuously at 48 kHz at the right pitch',
    async (rate) => {
      await checkContinuous(rate, [tone(440, rate, 0.5)], 0.5);
    },
  );

  test('a tone pushed in 20 small chunks (streaming TTS) is as continuous as one push', async () => {
    const pcm = tone(440, 22050, 0.6);
    const chunks: Int16Array[] = [];
    for (let i = 0; i < 20; i++) chunks.push(pcm.subarray(Math.round((i * pcm.length) / 20), Math.round(((i + 1) * pcm.length) / 20)));
    await checkContinuous(22050, chunks, 0.6);
  });

  test('silent frames while nothing is queued, with contiguous pts and real-time pacing', async () => {
    const source = new AudioSource({ id: 'tts' });
    expect(source.track.id).toBe('tts');
    const before = performance.now(); // the schedule starts inside the first recv()
    const { frames, times } = await readFrames(source.track, 6);
    source.close();
    frames.forEach((f, i) => {
      expect(isSilent(f)).toBe(true);
      expect(f.pts).toBe(i * 960);
      expect(f.format).toBe('s16');
      expect(f.channels).toBe(1);
    });
    times.forEach((t, i) => expect(t - before).toBeGreaterThanOrEqual(i * 20 - 2)); // none before it is due
    expect(source.stats().silentFrames).toBe(6);
    expect(source.stats().audioFrames).toBe(0);
  });

  test('queuedDuration follows pushes and playout', async () => {
    const source = new AudioSource();
    expect(source.queuedDuration).toBe(0);
    await source.push(tone(440, 48000, 1));
    expect(source.queuedDuration).toBeCloseTo(1, 9);
    await readFrames(source.track, 10);
    expect(source.queuedDuration).toBeCloseTo(0.8, 9);
    // another rate: the converter holds back only its filter delay
    await source.push(tone(440, 24000, 0.5), { sampleRate: 24000 });
    expect(source.queuedDuration).toBeGreaterThan(0.8 + 0.5 - 0.01);
    expect(source.queuedDuration).toBeLessThanOrEqual(0.8 + 0.5);
    expect(source.stats().pushedSeconds).toBeCloseTo(source.queuedDuration + 0.2, 9);
    expect(source.clear()).toBeGreaterThan(1.29);
    expect(source.queuedDuration).toBe(0);
    source.close();
  });

  test('clear() silences from the very next frame (barge-in), also when a recv() is already waiting', async () => {
    const source = new AudioSource();
    await source.push(tone(440, 48000, 2));
    const before = await readFrames(source.track, 5);
    before.frames.forEach((f) => expect(rmsDb(f.data)).toBeGreaterThan(TONE_RMS_DB - 1));
    const dropped = source.clear();
    expect(dropped).toBeCloseTo(2 - 0.1, 9);
    const next = await source.track.recv();
    expect(isSilent(next)).toBe(true);
    expect(next.pts).toBe(5 * 960); // the timeline goes on

    // a recv() pending when clear() is called also yields silence
    await source.push(tone(440, 48000, 1));
    const pending = source.track.recv();
    source.clear();
    expect(isSilent(await pending)).toBe(true);
    const after = await readFrames(source.track, 3);
    after.frames.forEach((f) => expect(isSilent(f)).toBe(true));
    // and pushing again plays again
    await source.push(tone(440, 48000, 0.1));
    expect(rmsDb((await source.track.recv()).data)).toBeGreaterThan(TONE_RMS_DB - 1);
    source.close();
  });

  test('drained() resolves once everything pushed has played out, after about its duration', async () => {
    const source = new AudioSource();
    expect(await settlesWithin(source.drained(), 5)).toBe('resolved'); // nothing pushed
    await source.push(tone(440, 16000, 0.5), { sampleRate: 16000 });
    let reading = true;
    const consumer = (async () => {
      while (reading) await source.track.recv();
    })();
    const started = performance.now();
    await source.drained();
    const elapsed = performance.now() - started;
    // 25 frames: the first at once, the last at 480 ms
    expect(elapsed).toBeGreaterThan(400);
    expect(elapsed).toBeLessThan(700);
    expect(source.stats().playedSeconds).toBeGreaterThan(0.49);
    reading = false;
    source.close();
    await consumer.catch(() => undefined);
  });

  test('backpressure: with maxQueueSeconds 0.5, a 2 s push resolves after about 1.5 s of playout; the queue never exceeds 0.5 s', async () => {
    const source = new AudioSource({ maxQueueSeconds: 0.5 });
    const pcm = tone(440, 48000, 2);
    const started = performance.now();
    let resolvedAt = 0;
    const push = source.push(pcm).then(() => (resolvedAt = performance.now() - started));
    let maxQueued = 0;
    const frames: AudioFrame[] = [];
    while (frames.length < 110) {
      frames.push(await source.track.recv());
      maxQueued = Math.max(maxQueued, source.queuedDuration);
    }
    await push;
    source.close();
    expect(maxQueued).toBeLessThanOrEqual(0.5);
    expect(maxQueued).toBeGreaterThan(0.45);
    expect(resolvedAt).toBeGreaterThan(1400);
    expect(resolvedAt).toBeLessThan(1900);
    // every sample pushed was played, in order, nothing lost to the backpressure
    const out = joinFrames(frames).subarray(0, pcm.length);
    expect(Array.from(out)).toEqual(Array.from(pcm));
    expect(isSilent(frames[frames.length - 1])).toBe(true);
  });

  test('clear() discards pushes waiting for room, and their promises resolve', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const source = new AudioSource({ maxQueueSeconds: 0.5 });
    const first = source.push(tone(440, 48000, 2));
    const second = source.push(tone(880, 48000, 1));
    await sleep(20);
    expect(await settlesWithin(first, 1)).toBe('pending');
    expect(source.queuedDuration).toBeCloseTo(0.5, 9);
    source.clear();
    expect(await settlesWithin(first, 50)).toBe('resolved');
    expect(await settlesWithin(second, 50)).toBe('resolved');
    expect(source.queuedDuration).toBe(0);
    const { frames } = await readFrames(source.track, 5);
    frames.forEach((f) => expect(isSilent(f)).toBe(true));
    expect(source.queuedDuration).toBe(0);
    expect(await settlesWithin(source.drained(), 5)).toBe('resolved');
    source.close();
    // a full queue on a track read for well under 5 s is no reason to warn about an unread track
    const calls = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(calls).toEqual([]);
  });

  test('end() plays out what is queued, then ends the track', async () => {
    const source = new AudioSource();
    let ended = 0;
    source.track.on('ended', () => ended++);
    await source.push(tone(440, 24000, 0.3), { sampleRate: 24000 });
    await source.end();
    // Thrown synchronously, like every push() error.
    expect(() => source.push(tone(440, 24000, 0.1), { sampleRate: 24000 })).toThrow(
      'AudioSource.push: the source is ended; create a new AudioSource',
    );
    const frames: AudioFrame[] = [];
    for await (const frame of source.track) frames.push(frame);
    expect(source.track.readyState).toBe('ended');
    expect(ended).toBe(1);
    // 0.3 s = 15 frames of tone (the last partly filled by the resampler's tail), then the end
    expect(frames.length).toBe(15);
    const pcm = joinFrames(frames);
    let last = pcm.length - 1;
    while (pcm[last] === 0) last--;
    expect(Math.abs(last + 1 - 0.3 * 48000)).toBeLessThan(48);
    expectMediaStreamError(await rejection(source.track.recv()), 'ERR_VOXRTC_TRACK_ENDED');
  });

  test('close() ends the track now: a pending recv() rejects, queued audio is dropped, drained() resolves', async () => {
    const source = new AudioSource();
    await source.push(tone(440, 48000, 1));
    await readFrames(source.track, 2);
    const pending = source.track.recv();
    const drained = source.drained();
    source.close();
    expect(source.track.readyState).toBe('ended');
    expectMediaStreamError(await rejection(pending), 'ERR_VOXRTC_TRACK_ENDED');
    expect(await settlesWithin(drained, 5)).toBe('resolved');
    expect(source.queuedDuration).toBe(0);
    expect(() => source.push(new Int16Array(960))).toThrow('AudioSource.push: the source is closed; create a new AudioSource');
    source.close(); // idempotent
    // stopping the track closes the source too
    const other = new AudioSource();
    other.track.stop();
    expect(() => other.push(new Int16Array(960))).toThrow(/closed/);
  });

  test('Float32 and stereo input is converted to the track format (mono s16)', async () => {
    const source = new AudioSource();
    // stereo f32 at 48 kHz, same tone on both channels
    await source.push(tone(440, 48000, 0.2, { format: 'f32', channels: 2 }), { channels: 2 });
    // stereo s16 Buffer at 16 kHz, 660 Hz, as an AudioFrame
    const frame16 = new AudioFrame({ data: Buffer.from(tone(660, 16000, 0.2, { channels: 2 }).buffer), sampleRate: 16000, channels: 2, pts: 123456 });
    await source.push(frame16);
    const { frames } = await readFrames(source.track, 21);
    source.close();
    for (const f of frames) {
      expect(f.format).toBe('s16');
      expect(f.channels).toBe(1);
      expect(f.data).toBeInstanceOf(Int16Array);
    }
    const pcm = joinFrames(frames);
    const a = pcm.subarray(960, 0.2 * 48000 - 960);
    expect(Math.abs(measureFrequency(a, 48000) - 440)).toBeLessThan(2);
    expect(Math.abs(rmsDb(a) - TONE_RMS_DB)).toBeLessThan(0.2);
    const b = pcm.subarray(0.2 * 48000 + 960, 0.4 * 48000 - 960);
    expect(Math.abs(measureFrequency(b, 48000) - 660)).toBeLessThan(2);
    expect(Math.abs(rmsDb(b) - TONE_RMS_DB)).toBeLessThan(0.2);
  });

  test('bad audio or options give a clear TypeError/RangeError', () => {
    const source = new AudioSource();
    expect(() => source.push([1, 2, 3] as never)).toThrow(
      new TypeError('AudioSource.push: audio must be an Int16Array, a Float32Array or a Buffer of s16 samples; got an Array of 3 items'),
    );
    expect(() => source.push(new Int16Array(3), { channels: 2 })).toThrow(
      new RangeError('AudioSource.push: audio must be whole 2-channel frames (a multiple of 2 values); got 3 values'),
    );
    expect(() => source.push(new Int16Array(4), { sampleRate: 1000 })).toThrow(
      new RangeError('AudioSource.push: options.sampleRate must be an integer from 8000 to 192000; got 1000'),
    );
    expect(() => source.push(new Int16Array(4), { rate: 16000 } as never)).toThrow(
      new TypeError("AudioSource.push: options.rate is not an option; known options are 'sampleRate' or 'channels'"),
    );
    expect(() => source.push(Buffer.alloc(5))).toThrow(
      new RangeError('AudioSource.push: audio must be a Buffer of s16 samples (an even number of bytes); got 5 bytes'),
    );
    expect(() => new AudioSource({ maxQueueSeconds: 0 })).toThrow(
      new RangeError('AudioSource: options.maxQueueSeconds must be a number of seconds from 0.02 to 3600; got 0'),
    );
    expect(() => new AudioSource({ whenEmpty: 'drop' as never })).toThrow(RangeError);
    expect(source.queuedDuration).toBe(0);
    source.close();
  });

  test("whenEmpty 'wait': nothing is emitted while empty, then pts jump by the time that passed", async () => {
    const source = new AudioSource({ whenEmpty: 'wait' });
    const started = performance.now();
    const first = source.track.recv();
    expect(await settlesWithin(first, 150)).toBe('pending');
    await source.push(tone(440, 48000, 0.1));
    const frame0 = await first;
    expect(isSilent(frame0)).toBe(false);
    // the timeline started when the track was first read: pts of the first frame ≈ the time it waited
    const firstMs = (frame0.pts / 48000) * 1000;
    const firstWait = performance.now() - started;
    expect(firstMs).toBeGreaterThan(firstWait - 40);
    expect(firstMs).toBeLessThan(firstWait + 40);
    const { frames } = await readFrames(source.track, 4);
    frames.forEach((f, i) => {
      expect(isSilent(f)).toBe(false);
      expect(f.pts).toBe(frame0.pts + (i + 1) * 960);
    });
    const t0 = performance.now();
    const lastPts = frames[3].pts;
    const waitStart = performance.now();
    const next = source.track.recv();
    expect(await settlesWithin(next, 300)).toBe('pending');
    await source.push(tone(440, 48000, 0.1));
    const frame = await next;
    const waited = performance.now() - waitStart;
    expect(isSilent(frame)).toBe(false);
    // the jump matches the wall-clock time spent waiting (within about a frame)
    const jumpMs = ((frame.pts - lastPts - 960) / 48000) * 1000;
    expect(jumpMs).toBeGreaterThan(waited - 40);
    expect(jumpMs).toBeLessThan(waited + 40);
    expect(frame.pts % 960).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(300);
    source.close();
  });
});
