/**
 * MediaStreamTrack (subclassing with a custom recv(), async iteration, the
 * end of a track) and AudioStreamTrack (20 ms frames, contiguous pts, the
 * right tone, pacing on an absolute clock, a prompt and clean stop()).
 */
import { AudioFrame, AudioStreamTrack, MediaStreamError, MediaStreamTrack } from '../ts/index';
import { measureFrequency, rmsDb, toneLevelDb } from './helpers/audio';
import { activeTimeouts, expectMediaStreamError, joinFrames, readFrames, rejection, settlesWithin, sleep } from './helpers/media';

/** The README pattern: a track that transforms another track's frames (here: twice as loud, clipped). */
class Louder extends MediaStreamTrack {
  constructor(private readonly source: MediaStreamTrack) {
    super();
  }
  async recv(): Promise<AudioFrame> {
    const frame = await this.source.recv();
    const data = Int16Array.from(frame.data, (s) => Math.max(-32768, Math.min(32767, s * 2)));
    return frame.derive({ data });
  }
  protected override onStop(): void {
    this.source.stop();
  }
}

describe('MediaStreamTrack', () => {
  test('a subclass with a custom recv() transforms another track, read with for await', async () => {
    const source = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.25 } });
    const louder = new Louder(source);
    expect(louder.kind).toBe('audio');
    expect(louder.readyState).toBe('live');
    expect(louder.id).toMatch(/^[0-9a-f-]{36}$/);
    const frames: AudioFrame[] = [];
    for await (const frame of louder) {
      frames.push(frame);
      if (frames.length === 10) break;
    }
    expect(frames).toHaveLength(10);
    frames.forEach((f, i) => expect(f.pts).toBe(i * 960));
    const pcm = joinFrames(frames);
    // amplitude 0.25 doubled → 0.5: -9.03 dBFS RMS, tone still at 440 Hz
    expect(toneLevelDb(pcm, 48000, 440)).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 1);
    expect(Math.abs(measureFrequency(pcm, 48000) - 440)).toBeLessThan(1);
    louder.stop();
    expect(source.readyState).toBe('ended');
  });

  test('for await ends quietly when the track ends while it is reading', async () => {
    const track = new AudioStreamTrack();
    let count = 0;
    setTimeout(() => track.stop(), 110);
    for await (const frame of track) {
      expect(frame.samplesPerChannel).toBe(960);
      count++;
      if (count > 100) break; // safety: must not happen
    }
    // frames at 0, 20, … 100 ms: about 6 before the stop at 110 ms
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(8);
    expect(track.readyState).toBe('ended');
  });

  test('reading an ended track rejects with MediaStreamError ERR_VOXRTC_TRACK_ENDED', async () => {
    const track = new AudioStreamTrack({ id: 'mic-1' });
    await track.recv();
    track.stop();
    const error = expectMediaStreamError(await rejection(track.recv()), 'ERR_VOXRTC_TRACK_ENDED');
    expect(error.message).toBe('AudioStreamTrack track mic-1 has ended');
    // every later read too, and iterating yields nothing
    expectMediaStreamError(await rejection(track.recv()), 'ERR_VOXRTC_TRACK_ENDED');
    const seen: AudioFrame[] = [];
    for await (const frame of track) seen.push(frame);
    expect(seen).toHaveLength(0);
  });

  test("'ended' is emitted exactly once, also for a transform track and its source", () => {
    const source = new AudioStreamTrack();
    const louder = new Louder(source);
    let louderEnded = 0;
    let sourceEnded = 0;
    louder.on('ended', () => louderEnded++);
    source.on('ended', () => sourceEnded++);
    louder.stop();
    louder.stop();
    source.stop();
    expect(louderEnded).toBe(1);
    expect(sourceEnded).toBe(1);
    expect(louder.readyState).toBe('ended');
  });

  test('a subclass must define recv() as a method', () => {
    class Broken extends MediaStreamTrack {
      recv!: () => Promise<AudioFrame>;
    }
    expect(() => new Broken()).toThrow(new TypeError('Broken: define recv() as a method of the class (not as a property)'));
  });

  test('errors thrown by a custom recv() reach the reader (for await rethrows them)', async () => {
    class Failing extends MediaStreamTrack {
      async recv(): Promise<AudioFrame> {
        throw new Error('decoder exploded');
      }
    }
    const track = new Failing();
    await expect(track.recv()).rejects.toThrow('decoder exploded');
    const loop = async (): Promise<void> => {
      for await (const frame of track) void frame;
    };
    await expect(loop()).rejects.toThrow('decoder exploded');
    expect(new MediaStreamError('x').code).toBe('ERR_VOXRTC_TRACK_ENDED');
  });
});

describe('AudioStreamTrack', () => {
  test('20 ms frames with contiguous pts and a 440 Hz tone at the right level', async () => {
    const track = new AudioStreamTrack({ tone: { frequency: 440 } });
    // 1 s of audio; the clock paces it, so this takes about a second
    const { frames } = await readFrames(track, 50);
    track.stop();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      expect(f.sampleRate).toBe(48000);
      expect(f.channels).toBe(1);
      expect(f.format).toBe('s16');
      expect(f.samplesPerChannel).toBe(960);
      expect(f.duration).toBeCloseTo(0.02, 12);
      expect(f.pts).toBe(i * 960);
    }
    const pcm = joinFrames(frames);
    expect(pcm.length).toBe(48000);
    expect(Math.abs(measureFrequency(pcm, 48000) - 440)).toBeLessThan(1);
    expect(Math.abs(rmsDb(pcm) - 20 * Math.log10(0.5 / Math.SQRT2))).toBeLessThan(0.05);
    // continuous across frame boundaries: no step bigger than the tone's own slope
    const maxStep = 0.5 * 32767 * ((2 * Math.PI * 440) / 48000) * 1.05 + 1;
    let biggest = 0;
    for (let i = 1; i < pcm.length; i++) biggest = Math.max(biggest, Math.abs(pcm[i] - pcm[i - 1]));
    expect(biggest).toBeLessThanOrEqual(maxStep);
    expect(biggest).toBeGreaterThan(maxStep * 0.9); // (and the check is not vacuous)
  });

  test('silence by default; other rates, channels, frame sizes and f32', async () => {
    const silent = new AudioStreamTrack();
    const frame = await silent.recv();
    expect(frame.data.every((v: number) => v === 0)).toBe(true);
    silent.stop();

    const t = new AudioStreamTrack({ sampleRate: 16000, channels: 2, frameMs: 10, format: 'f32', tone: { frequency: 1000, amplitude: 1 } });
    expect(t.samplesPerFrame).toBe(160);
    const { frames } = await readFrames(t, 10);
    t.stop();
    frames.forEach((f, i) => {
      expect(f.format).toBe('f32');
      expect(f.channels).toBe(2);
      expect(f.samplesPerChannel).toBe(160);
      expect(f.pts).toBe(i * 160);
      expect(Array.from(f.channelData(0))).toEqual(Array.from(f.channelData(1)));
    });
    const left = joinFrames(frames);
    expect(Math.abs(measureFrequency(left, 16000) - 1000)).toBeLessThan(1);
    expect(Math.max(...Array.from(left, Math.abs))).toBeCloseTo(1, 2);

    expect(() => new AudioStreamTrack({ sampleRate: 44100, frameMs: 15 })).toThrow(
      new RangeError('AudioStreamTrack: options.frameMs must be a duration that is a whole number of samples at 44100 Hz; got 15'),
    );
    expect(() => new AudioStreamTrack({ tone: { frequency: 30000 } })).toThrow(RangeError);
  });

  test('paced on an absolute clock: 50 frames ≈ 1 s, never early, no drift over 100 frames', async () => {
    const track = new AudioStreamTrack();
    const t0 = performance.now(); // the schedule starts inside the first recv(), at t0 or a little later
    const { frames, times } = await readFrames(track, 101);
    track.stop();
    for (let k = 1; k < times.length; k++) {
      // frame k is due k × 20 ms after the first; a timer may fire a hair early, never a frame early
      expect(times[k] - t0).toBeGreaterThanOrEqual(k * 20 - 5);
    }
    expect(Math.abs(times[50] - t0 - 1000)).toBeLessThan(150);
    // absolute schedule: the error near the 100th frame is a frame's own lateness, not 100 small errors
    // added up (the median of frames 91…100, so that one pause of the loaded machine does not decide it)
    const lateness = times.slice(91, 101).map((t, i) => t - t0 - (91 + i) * 20).sort((a, b) => a - b);
    expect(lateness[5]).toBeLessThan(30);
    expect(frames[100].pts).toBe(100 * 960);
  });

  test('a reader that falls behind (less than maxLag) gets the missed frames at once with contiguous pts, then the schedule resumes', async () => {
    const track = new AudioStreamTrack();
    // The schedule starts inside the first recv(): frame k is due between
    // before + k × 20 ms and after + k × 20 ms, whatever the machine's load.
    const before = performance.now();
    await track.recv();
    const after = performance.now();
    await sleep(90); // the reader dawdles for about 5 frames (a loaded machine makes it longer)
    const readStart = performance.now();
    expect(readStart - before).toBeLessThan(200); // still within maxLag: the schedule is kept, not restarted
    const surelyOverdue = Math.floor((readStart - after) / 20); // frames 1…this were due before reading resumed
    const count = Math.floor((readStart - before) / 20) + 2; // the last is due at least 20 ms after reading resumed
    const { frames, times } = await readFrames(track, count);
    track.stop();
    frames.forEach((f, i) => expect(f.pts).toBe((i + 1) * 960));
    expect(surelyOverdue).toBeGreaterThanOrEqual(4);
    // the overdue frames come at once…
    expect(times[surelyOverdue - 1] - readStart).toBeLessThan(15);
    // …and none comes before it is due (a timer may fire a hair early), so the last one waited its turn
    times.forEach((t, i) => expect(t - before).toBeGreaterThanOrEqual((i + 1) * 20 - 2));
    expect(times[count - 1] - readStart).toBeGreaterThanOrEqual(18);
  });

  test('stop() while a recv() is pending rejects it promptly and leaves no timer behind', async () => {
    const track = new AudioStreamTrack({ frameMs: 60 });
    await track.recv(); // the first frame comes at once
    const before = activeTimeouts();
    const pending = track.recv(); // the second is due in 60 ms: one timer
    expect(activeTimeouts()).toBe(before + 1);
    const started = performance.now();
    track.stop();
    // (counted synchronously around the calls, so other timers in the process cannot blur the count)
    expect(activeTimeouts()).toBe(before);
    const error = expectMediaStreamError(await rejection(pending), 'ERR_VOXRTC_TRACK_ENDED');
    expect(error.message).toMatch(/^AudioStreamTrack track .* has ended$/);
    expect(performance.now() - started).toBeLessThan(40);
    // and nothing comes later, nor does a later read start a timer
    const afterStop = activeTimeouts();
    const late = track.recv();
    expect(activeTimeouts()).toBe(afterStop);
    expect(await settlesWithin(late, 10)).toBe('rejected');
  });
});
