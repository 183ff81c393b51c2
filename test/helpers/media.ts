/**
 * Helpers for the media-layer tests: scripted and counting tracks, frame
 * collection, timing, open-timer checks and garbage collection. The signal
 * analysis lives in ./audio (tones, frequency, levels); this file only deals
 * with tracks and the process.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { AudioFrame, MediaStreamError, MediaStreamTrack } from '../../ts/index';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after the current macrotask and everything it queued (microtasks, the pump's reads). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Polls `condition` every 20 ms until it holds; throws if it does not within `ms`. */
export async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Number of active 'Timeout' resources (pending setTimeout/setInterval) in this process. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A garbage collection: a full one, or with `{ type: 'minor' }` a young-generation one. */
export type Gc = (options?: { type?: 'major' | 'minor' }) => void;

/** The garbage collector: `global.gc` if node runs with --expose-gc, else exposed at run time. */
export function exposeGc(): Gc {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as Gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as Gc;
}

/**
 * Whether `promise` settles within `ms`: 'resolved', 'rejected' or 'pending'.
 * Does not consume the rejection for later awaits (it attaches its own handler).
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  const result = await Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return result;
}

/** Awaits `promise`, expecting it to reject; returns the rejection. Fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Asserts that `error` is a MediaStreamError with `code` and returns it. */
export function expectMediaStreamError(error: unknown, code: string): MediaStreamError {
  expect(error).toBeInstanceOf(MediaStreamError);
  const e = error as MediaStreamError;
  expect(e.name).toBe('MediaStreamError');
  expect(e.code).toBe(code);
  return e;
}

/** The channel-0 samples of `frames` joined (mono or interleaved s16/f32 frames of one format). */
export function joinFrames(frames: readonly AudioFrame[]): Int16Array | Float32Array {
  const total = frames.reduce((n, f) => n + f.samplesPerChannel, 0);
  const f32 = frames.length > 0 && frames[0].format === 'f32';
  const out = f32 ? new Float32Array(total) : new Int16Array(total);
  let offset = 0;
  for (const frame of frames) {
    const data = frame.channels === 1 ? frame.data : frame.channelData(0);
    out.set(data, offset);
    offset += frame.samplesPerChannel;
  }
  return out;
}

/** True if every sample of the frame is zero. */
export function isSilent(frame: AudioFrame): boolean {
  const data = frame.data;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** A frame of `samples` mono s16 samples at 48 kHz, each sample = `value`, with pts. */
export function constantFrame(pts: number, value = 1000, samples = 960): AudioFrame {
  return new AudioFrame({ data: new Int16Array(samples).fill(value), sampleRate: 48000, pts });
}

/**
 * A source whose frames are handed out by the test: `produce()` queues frames
 * (pts 0, 960, …); `recv()` returns the oldest queued frame or waits for one.
 * Counts its recv() calls. Concurrent reads are allowed (each waits its turn).
 */
export class ScriptedTrack extends MediaStreamTrack {
  calls = 0;
  private readonly frames: AudioFrame[] = [];
  private readonly waiters: Array<{ resolve: (f: AudioFrame) => void; reject: (e: unknown) => void }> = [];
  private nextPts = 0;

  /** Queues `n` frames (consecutive pts); returns them. */
  produce(n = 1): AudioFrame[] {
    const made: AudioFrame[] = [];
    for (let i = 0; i < n; i++) {
      const frame = constantFrame(this.nextPts, (this.nextPts / 960) % 30000);
      this.nextPts += 960;
      made.push(frame);
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.frames.push(frame);
    }
    return made;
  }

  recv(): Promise<AudioFrame> {
    this.calls++;
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Reads waiting for a frame. */
  get waiting(): number {
    return this.waiters.length;
  }

  protected override onStop(): void {
    for (const w of this.waiters.splice(0)) w.reject(this.endedError());
  }
}

/**
 * A free-running source: each recv() resolves after `delayMs` (0: the next
 * macrotask, via setImmediate) with a new 20 ms 48 kHz frame; counts calls.
 * After `limit` frames it ends itself.
 */
export class CountingTrack extends MediaStreamTrack {
  calls = 0;
  produced = 0;
  constructor(
    private readonly delayMs = 0,
    private readonly limit = Infinity,
    private readonly makeFrame: (pts: number) => AudioFrame = (pts) => constantFrame(pts),
  ) {
    super();
  }

  async recv(): Promise<AudioFrame> {
    this.calls++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    else await tick();
    if (this.readyState === 'ended') throw this.endedError();
    if (this.produced >= this.limit) {
      this.stop();
      throw this.endedError();
    }
    const frame = this.makeFrame(this.produced * 960);
    this.produced++;
    return frame;
  }
}

/** A track whose recv() never settles (a remote peer that went quiet); counts calls. */
export class NeverTrack extends MediaStreamTrack {
  calls = 0;
  recv(): Promise<AudioFrame> {
    this.calls++;
    return new Promise<AudioFrame>(() => undefined);
  }
}

/** Reads `n` frames from `track`, returning them with their arrival times (performance.now()). */
export async function readFrames(track: MediaStreamTrack, n: number): Promise<{ frames: AudioFrame[]; times: number[] }> {
  const frames: AudioFrame[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    frames.push(await track.recv());
    times.push(performance.now());
  }
  return { frames, times };
}

/** Up to `count` frames read from `track` with `for await` (fewer if the track ends first). */
export async function takeFrames(track: MediaStreamTrack, count: number): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  for await (const frame of track) {
    frames.push(frame);
    if (frames.length >= count) break;
  }
  return frames;
}
