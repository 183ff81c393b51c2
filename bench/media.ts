/**
 * The media layer's part of `npm run bench` (run.ts calls it after the codec
 * and resampler rows, in the same process, on the same core):
 *
 * - Pacing: AudioStreamTrack, and an AudioSource fed 24 kHz speech while it
 *   plays, are read for a fixed time (all at once, to save time) next to a
 *   naive `setInterval(…, 20)` loop. The arrival time of every frame
 *   (performance.now() when recv() resolves) gives the interval jitter, the
 *   drift of the last frame from its ideal time and the late frames.
 * - Throughput on one core: MediaRelay fan-out, MediaRecorder (WAV and Ogg
 *   Opus, into a temp file) and MediaBlackHole, each reading an unpaced track
 *   of prebuilt 20 ms 48 kHz mono speech frames, plus reference rows that do
 *   the least possible work (reading the track directly, the Opus encoder
 *   alone). Each is timed end to end (process CPU time and wall clock) over
 *   several rounds that take turns; the best round counts.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AudioFrame,
  AudioSource,
  AudioStreamTrack,
  MediaBlackHole,
  MediaRecorder,
  MediaRelay,
  MediaStreamTrack,
  OpusEncoder,
  type RecorderError,
  s16ToF32Into,
} from '../ts';
import { fmt, formatUs, formatX, signed } from './format';
import { type Stats, type Timing, collectGarbage } from './timing';

const FRAME_MS = 20;
const FRAME_US = FRAME_MS * 1000;
const RATE = 48000;
const SAMPLES = (RATE * FRAME_MS) / 1000; // 960
/** A frame more than this late (against start + k × 20 ms) counts as late. */
export const LATE_MS = 5;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

let sink = 0;
/** Keeps results alive (read once at the end, like timing.ts's sink). */
export function mediaSinkValue(): number {
  return sink;
}

// ------------------------------------------------------------ test track ----

/**
 * A track that answers at once: recv() resolves with the next prebuilt frame
 * without waiting, and the track ends after the last one — offline work, a
 * file read as fast as it goes, a burst of synthesized speech.
 */
export class UnpacedTrack extends MediaStreamTrack {
  /** Frames handed out by all UnpacedTracks (for counting frames between event-loop turns). */
  static delivered = 0;
  private next = 0;
  /** Resolves when the track has ended. */
  readonly ended: Promise<unknown>;

  constructor(private readonly frames: readonly AudioFrame[]) {
    super();
    this.ended = once(this, 'ended');
  }

  async recv(): Promise<AudioFrame> {
    if (this.next >= this.frames.length) {
      this.stop();
      throw this.endedError();
    }
    UnpacedTrack.delivered++;
    return this.frames[this.next++];
  }
}

/** `count` frames of 20 ms 48 kHz mono s16 speech with contiguous pts, cycling through `speech`. */
export function speechFrames(speech: Int16Array, count: number): AudioFrame[] {
  const available = Math.floor(speech.length / SAMPLES);
  const frames: AudioFrame[] = [];
  for (let k = 0; k < count; k++) {
    const at = (k % available) * SAMPLES;
    frames.push(new AudioFrame({ data: speech.subarray(at, at + SAMPLES), sampleRate: RATE, channels: 1, samplesPerChannel: SAMPLES, pts: k * SAMPLES }));
  }
  return frames;
}

// ---------------------------------------------------------------- pacing ----

export interface PacingRow {
  id: string;
  implementation: string;
  kind: 'voxrtc' | 'reference';
  notes: string[];
  /** Frames whose arrival was recorded (intervals = frames − 1). */
  frames: number;
  seconds: number;
  meanIntervalMs: number;
  /** |interval − 20 ms|: mean, 99th percentile, largest. */
  jitterMeanMs: number;
  jitterP99Ms: number;
  jitterMaxMs: number;
  /** Last frame's arrival − (first frame's arrival + k × 20 ms). */
  driftMs: number;
  driftPpm: number;
  /** Frames that arrived more than LATE_MS after start + k × 20 ms; lateness p99 and largest. */
  lateFrames: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** Earliest arrival against start + k × 20 ms (negative: early; timers fire on a whole-millisecond clock). */
  latenessMinMs: number;
  /** The first late frames: index, seconds since the three readers started (comparable across rows), lateness. */
  late: Array<{ frame: number; atSeconds: number; lateMs: number }>;
  /** Frames whose pts was not k × 960 (paced tracks only). */
  ptsErrors: number | null;
  /** AudioSource only: frames that carried speech, and silent frames (an underrun). */
  speechFrames?: number;
  silentFrames?: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const LATE_LISTED = 10;

function pacingStats(times: number[], began: number): Omit<PacingRow, 'id' | 'implementation' | 'kind' | 'notes' | 'ptsErrors'> {
  const k = times.length - 1;
  const t0 = times[0];
  const jitter: number[] = [];
  for (let i = 1; i <= k; i++) jitter.push(Math.abs(times[i] - times[i - 1] - FRAME_MS));
  const lateness = times.map((t, i) => t - (t0 + i * FRAME_MS));
  const sortedJitter = [...jitter].sort((a, b) => a - b);
  const sortedLate = [...lateness].sort((a, b) => a - b);
  const driftMs = lateness[k];
  const late: PacingRow['late'] = [];
  lateness.forEach((l, i) => {
    if (l > LATE_MS && late.length < LATE_LISTED) late.push({ frame: i, atSeconds: (times[i] - began) / 1000, lateMs: l });
  });
  return {
    frames: times.length,
    seconds: (k * FRAME_MS) / 1000,
    meanIntervalMs: (times[k] - t0) / k,
    jitterMeanMs: jitter.reduce((a, b) => a + b, 0) / jitter.length,
    jitterP99Ms: quantile(sortedJitter, 0.99),
    jitterMaxMs: sortedJitter[sortedJitter.length - 1],
    driftMs,
    driftPpm: (driftMs / (k * FRAME_MS)) * 1e6,
    lateFrames: lateness.filter((l) => l > LATE_MS).length,
    latenessP99Ms: quantile(sortedLate, 0.99),
    latenessMaxMs: sortedLate[sortedLate.length - 1],
    latenessMinMs: sortedLate[0],
    late,
  };
}

/** Reads `frames` frames, recording when each recv() resolved and whether the pts were contiguous. */
async function readPaced(track: MediaStreamTrack, frames: number): Promise<{ times: number[]; ptsErrors: number }> {
  const times: number[] = [];
  let ptsErrors = 0;
  while (times.length < frames) {
    const frame = await track.recv();
    times.push(performance.now());
    if (frame.pts !== (times.length - 1) * frame.samplesPerChannel) ptsErrors++;
  }
  return { times, ptsErrors };
}

/** The naive loop: a callback every 20 ms by setInterval, each interval counted from the last callback. */
function readInterval(frames: number): Promise<number[]> {
  return new Promise((resolve) => {
    const times: number[] = [];
    const timer = setInterval(() => {
      times.push(performance.now());
      if (times.length >= frames) {
        clearInterval(timer);
        resolve(times);
      }
    }, FRAME_MS);
  });
}

/** TTS-style feeding: 100 ms chunks of 24 kHz speech, pushed as soon as there is room. */
const FEED_CHUNK_MS = 100;
export const FEED_QUEUE_SECONDS = 2;

/**
 * Reads an AudioStreamTrack, an AudioSource's track (fed 24 kHz speech while
 * it plays) and a setInterval loop for `seconds` each, concurrently.
 */
export async function measurePacing(seconds: number, speech24k: Int16Array): Promise<PacingRow[]> {
  const frames = Math.max(2, Math.round((seconds * 1000) / FRAME_MS) + 1);
  const toneTrack = new AudioStreamTrack();
  const source = new AudioSource({ sampleRate: RATE, maxQueueSeconds: FEED_QUEUE_SECONDS });
  const chunk = (24000 * FEED_CHUNK_MS) / 1000;
  const chunks = Math.floor(speech24k.length / chunk);
  let feeding = true;
  const feeder = (async () => {
    for (let i = 0; feeding; i = (i + 1) % chunks) {
      await source.push(speech24k.subarray(i * chunk, (i + 1) * chunk), { sampleRate: 24000 });
    }
  })();
  // Let the feeder fill the queue (its first pushes come at once) before anything is read.
  await new Promise((resolve) => setTimeout(resolve, 100));
  collectGarbage();

  const began = performance.now();
  const [tone, fed, naive] = await Promise.all([readPaced(toneTrack, frames), readPaced(source.track, frames), readInterval(frames)]);
  const sourceStats = source.stats();
  feeding = false;
  toneTrack.stop();
  source.close();
  await feeder;

  return [
    {
      id: 'pacing-audio-stream-track',
      implementation: 'AudioStreamTrack',
      kind: 'voxrtc',
      notes: ['pacing-ast'],
      ptsErrors: tone.ptsErrors,
      ...pacingStats(tone.times, began),
    },
    {
      id: 'pacing-audio-source',
      implementation: 'AudioSource, fed 24 kHz speech',
      kind: 'voxrtc',
      notes: ['pacing-source'],
      ptsErrors: fed.ptsErrors,
      speechFrames: sourceStats.audioFrames,
      silentFrames: sourceStats.silentFrames,
      ...pacingStats(fed.times, began),
    },
    {
      id: 'pacing-set-interval',
      implementation: 'setInterval(…, 20), reference',
      kind: 'reference',
      notes: ['pacing-interval'],
      ptsErrors: null,
      ...pacingStats(naive, began),
    },
  ];
}

// ------------------------------------------------------------ throughput ----

export interface ThroughputRow {
  id: string;
  operation: string;
  implementation: string;
  kind: 'voxrtc' | 'reference';
  notes: string[];
  /** Source frames per round (20 ms each). */
  frames: number;
  /** Readers each source frame reaches (subscribers of a relay; 1 otherwise). */
  consumers: number;
  /** Best round on the table's clock, µs per source frame. */
  usPerFrame: number;
  xRealtime: number;
  /** Frames per second each consumer gets, and all of them together (from usPerFrame). */
  framesPerSecond: number;
  totalFramesPerSecond: number;
  /** Both clocks, min/median/max µs per source frame over the timed rounds, and how many. */
  timing: Timing;
  /** The very first round (cold: nothing compiled yet), µs per source frame on the table's clock. */
  firstRoundUs: number;
  /** Untimed rounds run before the timed ones (JIT warm-up). */
  warmupRounds: number;
  /**
   * Most frames the track handed out between two turns of the event loop
   * (timers, I/O) in a separate untimed round; `frames` means it never
   * yielded. null: no track is read (a plain synchronous loop).
   */
  framesBetweenTurns: number | null;
  /** What was checked after every round. */
  check: string;
}

interface MediaOp {
  id: string;
  operation: string;
  implementation: string;
  kind: 'voxrtc' | 'reference';
  notes: string[];
  consumers: number;
  readsTrack: boolean;
  /** One round: does all the work and checks it; returns what was checked (the same text every round). */
  run(): Promise<string>;
  /** Releases what the op holds (temp files). */
  close?(): void;
}

/** Rounds for one op: at least minRounds and until minTime seconds were spent on it, but at most maxRounds. */
export interface RoundPolicy {
  minRounds: number;
  minTime: number;
  maxRounds: number;
}

export const DEFAULT_WARMUP: RoundPolicy = { minRounds: 3, minTime: 1, maxRounds: 50 };
export const DEFAULT_ROUNDS: RoundPolicy = { minRounds: 5, minTime: 1.5, maxRounds: 50 };

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return { min: sorted[0], median: n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, max: sorted[n - 1] };
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`media benchmark check failed: ${what}`);
}

/** Reads a track to its end with for await; returns the number of frames, or -1 if their pts were not contiguous. */
async function drain(track: MediaStreamTrack): Promise<number> {
  let n = 0;
  let inOrder = true;
  for await (const frame of track) {
    if (frame.pts !== n * SAMPLES) inOrder = false;
    n++;
    sink += frame.samplesPerChannel;
  }
  return inOrder ? n : -1;
}

function relayOp(frames: AudioFrame[], subscribers: number): MediaOp {
  return {
    id: `relay-${subscribers}`,
    operation: `relay fan-out, ${subscribers} subscriber${subscribers > 1 ? 's' : ''}`,
    implementation: 'MediaRelay',
    kind: 'voxrtc',
    notes: ['relay'],
    consumers: subscribers,
    readsTrack: true,
    async run() {
      const source = new UnpacedTrack(frames);
      const relay = new MediaRelay();
      const subs = Array.from({ length: subscribers }, () => relay.subscribe(source));
      const counts = await Promise.all(subs.map(drain));
      const dropped = subs.reduce((a, s) => a + s.dropped, 0);
      expect(
        counts.every((c) => c === frames.length) && dropped === 0,
        `relay-${subscribers}: subscribers got ${counts.join(', ')} of ${frames.length} frames (-1: out of order), ${dropped} dropped`,
      );
      return `each of ${subscribers} got all ${frames.length} frames in order, 0 dropped`;
    },
  };
}

function directOp(frames: AudioFrame[]): MediaOp {
  return {
    id: 'read-direct',
    operation: 'relay fan-out, 1 subscriber',
    implementation: 'no relay: for await over the track, reference',
    kind: 'reference',
    notes: ['direct'],
    consumers: 1,
    readsTrack: true,
    async run() {
      const n = await drain(new UnpacedTrack(frames));
      expect(n === frames.length, `read-direct: ${n} of ${frames.length} frames (-1: out of order)`);
      return `all ${frames.length} frames in order`;
    },
  };
}

function recorderOp(frames: AudioFrame[], format: 'wav' | 'ogg', dir: string): MediaOp {
  const file = path.join(dir, `record.${format}`);
  const seconds = (frames.length * FRAME_MS) / 1000;
  return {
    id: `recorder-${format}`,
    operation: `record ${seconds} s to ${format === 'wav' ? 'WAV' : 'Ogg Opus'} (a file)`,
    implementation: 'MediaRecorder',
    kind: 'voxrtc',
    notes: [`recorder-${format}`],
    consumers: 1,
    readsTrack: true,
    async run() {
      const track = new UnpacedTrack(frames);
      const recorder = new MediaRecorder(file, { format });
      const errors: RecorderError[] = [];
      recorder.on('error', (e) => errors.push(e));
      recorder.addTrack(track);
      const finished = once(recorder, 'finish');
      await recorder.start();
      await finished; // the track's end stops the recorder; 'finish': the file is complete and closed
      const s = recorder.stats;
      const size = fs.statSync(file).size;
      expect(
        errors.length === 0 &&
          s.framesWritten === frames.length &&
          s.samplesWritten === frames.length * SAMPLES &&
          s.samplesDroppedQueueFull === 0 &&
          s.silenceSamplesInserted === 0 &&
          s.writeErrors === 0,
        `recorder-${format}: ${errors.map((e) => e.message).join('; ')} stats ${JSON.stringify(s)}`,
      );
      if (format === 'wav') expect(size === 44 + frames.length * SAMPLES * 2, `recorder-wav: the file is ${size} bytes`);
      return `${s.framesWritten} frames written, ${Math.round(size / 1024)} KiB, no errors`;
    },
    close() {
      fs.rmSync(file, { force: true });
    },
  };
}

/** The recorder's Opus encoder alone, same settings (application audio, bitrate auto, default complexity), on the same frames. */
function opusOp(frames: AudioFrame[]): MediaOp {
  const f32 = new Float32Array(SAMPLES);
  const packet = new Uint8Array(4000);
  return {
    id: 'opus-encode-recorder-settings',
    operation: `record ${(frames.length * FRAME_MS) / 1000} s to Ogg Opus (a file)`,
    implementation: 'OpusEncoder alone, same settings, reference',
    kind: 'reference',
    notes: ['opus-alone'],
    consumers: 1,
    readsTrack: false,
    async run() {
      const encoder = new OpusEncoder({ sampleRate: RATE, channels: 1, application: 'audio', bitrate: 'auto' });
      let bytes = 0;
      for (const frame of frames) {
        s16ToF32Into(frame.data as Int16Array, f32);
        bytes += encoder.encodeInto(f32, packet);
      }
      encoder.close();
      sink += bytes;
      return `${frames.length} packets, ${Math.round(bytes / 1024)} KiB`;
    },
  };
}

function blackHoleOp(frames: AudioFrame[]): MediaOp {
  return {
    id: 'black-hole',
    operation: 'consume a track',
    implementation: 'MediaBlackHole',
    kind: 'voxrtc',
    notes: ['black-hole'],
    consumers: 1,
    readsTrack: true,
    async run() {
      const track = new UnpacedTrack(frames);
      const hole = new MediaBlackHole();
      hole.addTrack(track);
      await hole.start();
      await track.ended;
      await hole.stop();
      const n = hole.stats()[track.id];
      expect(n === frames.length, `black-hole: consumed ${n} of ${frames.length} frames`);
      return `all ${frames.length} frames consumed`;
    },
  };
}

export const MEDIA_OP_IDS = ['relay-1', 'read-direct', 'relay-10', 'recorder-wav', 'recorder-ogg', 'opus-encode-recorder-settings', 'black-hole'];
export const PACING_ID = 'pacing';

export interface ThroughputOptions {
  /** 48 kHz mono speech, cycled into frames. */
  speech48k: Int16Array;
  /** Seconds of audio per round (frames = seconds × 50). */
  seconds: number;
  warmup: RoundPolicy;
  rounds: RoundPolicy;
  clock: 'cpu' | 'wall';
  /** Only these ids (MEDIA_OP_IDS), or all. */
  only: string[] | null;
}

interface RoundTime {
  wallUs: number;
  cpuUs: number;
}

async function timeRound(op: MediaOp): Promise<RoundTime> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await op.run();
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(cpu0);
  return { wallUs: Number(t1 - t0) / 1e3, cpuUs: c.user + c.system };
}

/** Runs `op` once with a setImmediate heartbeat; returns the most frames handed out between two heartbeats. */
async function framesBetweenTurns(op: MediaOp): Promise<number> {
  let running = true;
  let last = UnpacedTrack.delivered;
  let most = 0;
  const beat = (): void => {
    most = Math.max(most, UnpacedTrack.delivered - last);
    last = UnpacedTrack.delivered;
    if (running) setImmediate(beat);
  };
  setImmediate(beat);
  await op.run();
  running = false;
  return Math.max(most, UnpacedTrack.delivered - last);
}

/**
 * Times the throughput ops. Every phase goes round-robin over the ops that
 * still need rounds (so a slow moment of the machine is shared): warm-up
 * rounds (untimed, except the very first, which is kept as the cold figure),
 * one untimed round that counts frames between event-loop turns, then the
 * timed rounds, garbage collected before each. The best timed round counts.
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputRow[]> {
  const frames = speechFrames(options.speech48k, Math.round((options.seconds * 1000) / FRAME_MS));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxrtc-bench-'));
  const all: MediaOp[] = [
    relayOp(frames, 1),
    directOp(frames),
    relayOp(frames, 10),
    recorderOp(frames, 'wav', dir),
    recorderOp(frames, 'ogg', dir),
    opusOp(frames),
    blackHoleOp(frames),
  ];
  const ops = options.only === null ? all : all.filter((op) => options.only!.includes(op.id));
  const pick = (t: RoundTime): number => (options.clock === 'cpu' ? t.cpuUs : t.wallUs) / frames.length;
  try {
    const checks: string[] = [];
    const first: number[] = [];
    collectGarbage();
    for (const op of ops) {
      first.push(pick(await timeRound(op)));
      checks.push(await op.run()); // every run checks its result; this one's text goes in the row
    }

    const roundRobin = async (policy: RoundPolicy, each: (i: number) => Promise<void>): Promise<number[]> => {
      const spent = ops.map(() => 0);
      const done = ops.map(() => 0);
      const needs = (i: number): boolean => done[i] < policy.minRounds || (done[i] < policy.maxRounds && spent[i] < policy.minTime);
      for (let round = 0; ops.some((_, i) => needs(i)); round++) {
        for (let k = 0; k < ops.length; k++) {
          const i = (k + round) % ops.length;
          if (!needs(i)) continue;
          const t0 = performance.now();
          await each(i);
          spent[i] += (performance.now() - t0) / 1000;
          done[i]++;
        }
      }
      return done;
    };

    log('  warming up');
    const warmups = await roundRobin(options.warmup, async (i) => {
      await ops[i].run();
    });
    const turns: Array<number | null> = [];
    for (const op of ops) turns.push(op.readsTrack ? await framesBetweenTurns(op) : null);
    const wall: number[][] = ops.map(() => []);
    const cpu: number[][] = ops.map(() => []);
    log('  timing');
    await roundRobin(options.rounds, async (i) => {
      // No forced collection between rounds (unlike the codec rows): a full GC
      // deoptimizes the code V8 specialized to the last round's objects (the
      // recorder, its track, their closures: "weak objects"), and the next
      // short round would time the recompilation. Garbage is collected as it
      // arises, inside the rounds, as in a long-running server.
      const t = await timeRound(ops[i]);
      wall[i].push(t.wallUs / frames.length);
      cpu[i].push(t.cpuUs / frames.length);
    });

    return ops.map((op, i) => {
      const timing: Timing = { wall: stats(wall[i]), cpu: stats(cpu[i]), repeats: wall[i].length };
      const us = options.clock === 'cpu' ? timing.cpu.min : timing.wall.min;
      log(
        `  ${op.id.padEnd(32)} ${us.toFixed(2).padStart(9)} µs/frame (${options.clock}), wall ${timing.wall.min.toFixed(2)}, ` +
          `first round ${first[i].toFixed(2)}, ${timing.repeats} rounds, ${turns[i] ?? '-'} frames between turns`,
      );
      return {
        id: op.id,
        operation: op.operation,
        implementation: op.implementation,
        kind: op.kind,
        notes: op.notes,
        frames: frames.length,
        consumers: op.consumers,
        usPerFrame: us,
        xRealtime: FRAME_US / us,
        framesPerSecond: 1e6 / us,
        totalFramesPerSecond: (1e6 / us) * op.consumers,
        timing,
        firstRoundUs: first[i],
        warmupRounds: warmups[i],
        framesBetweenTurns: turns[i],
        check: checks[i],
      };
    });
  } finally {
    for (const op of ops) op.close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------- rendering ----

/** Everything the media part measured, for the tables and the JSON. */
export interface MediaResults {
  clock: 'cpu' | 'wall';
  throughput: ThroughputRow[];
  /** Audio per throughput round, in seconds. */
  throughputSeconds: number;
  warmup: RoundPolicy;
  rounds: RoundPolicy;
  pacing: PacingRow[];
  pacingSeconds: number;
}

export interface MediaGoal {
  goal: string;
  pass: boolean;
  detail: string;
}

export const MEDIA_FOOTNOTES: Record<string, string> = {
  relay:
    'One unpaced source track (`UnpacedTrack` in `bench/media.ts`: a `MediaStreamTrack` subclass whose `recv()` resolves at once with the ' +
    'next prebuilt frame, then ends) subscribed 1 or 10 times with the defaults (buffered, `maxQueue` 50), each subscriber read by its own ' +
    '`for await` loop until the source ends. µs per frame is per source frame, all subscribers included; frames per second is per ' +
    'subscriber × subscribers. Every round checks that each subscriber got every frame, in order, none dropped.',
  direct: 'The same track read by one `for await` loop, no relay: the floor for reading a track (the relay costs the difference).',
  'recorder-wav':
    "`new MediaRecorder(file, { format: 'wav' })` on the unpaced track, from `start()` to the `'finish'` event (all written, header patched, " +
    'file closed), in `os.tmpdir()`. The file writes run on libuv\'s threadpool on the same core and count (process CPU time covers every ' +
    'thread). Every round checks that every frame was written, nothing dropped or inserted, no error, and the file size.',
  'recorder-ogg':
    "`new MediaRecorder(file, { format: 'ogg' })`, timed and checked as for WAV: Opus at the recorder's defaults (application `audio`, " +
    "bitrate `auto`, libopus's default complexity 9) in Ogg pages of about 1 s. The encoder is nearly all of it: compare the next row.",
  'opus-alone':
    "`OpusEncoder` with the recorder's settings, `encodeInto` on the same frames converted s16→f32 into one reused buffer: no Ogg, no " +
    "file, no track. The Ogg recorder's floor; its own cost is the difference.",
  'black-hole': '`MediaBlackHole`: `addTrack`, `start()`, until the track has ended.',
  'pacing-ast': '`new AudioStreamTrack()` (48 kHz mono silence, 20 ms frames) read by `await track.recv()` in a loop.',
  'pacing-source':
    `\`new AudioSource({ maxQueueSeconds: ${FEED_QUEUE_SECONDS} })\` (48 kHz mono) read by \`await source.track.recv()\` in a loop while ` +
    `another loop feeds it the 24 kHz speech (cycled) in ${FEED_CHUNK_MS} ms chunks, \`await source.push(chunk, { sampleRate: 24000 })\`: ` +
    `each push is resampled to 48 kHz, and backpressure keeps the feeder at most ${FEED_QUEUE_SECONDS} s ahead of playout, as a ` +
    'text-to-speech stream would be.',
  'pacing-interval':
    '`setInterval(callback, 20)` recording `performance.now()` in the callback. Node schedules each repeat 20 ms after the previous ' +
    'callback was dispatched (on libuv\'s millisecond clock), not 20 ms after it was due, so every tick\'s lateness carries into the next ' +
    'and adds up; `AudioStreamTrack` and `AudioSource` use `PacingClock`, which computes each deadline as start + k × 20 ms.',
};

const YIELD_LIMIT = 64;
/** Late frames a paced track may have (a stall of the whole process, which the absolute clock then recovers from). */
const LATE_SHARE = 0.005;

/** The media goals: pacing without drift or underrun, and consumers that let the event loop run. */
export function mediaGoals(r: MediaResults): MediaGoal[] {
  const goals: MediaGoal[] = [];
  const paced = r.pacing.filter((p) => p.kind === 'voxrtc');
  if (paced.length > 0) {
    const bad = paced.filter((p) => Math.abs(p.driftMs) > LATE_MS || p.lateFrames > LATE_SHARE * p.frames || (p.ptsErrors ?? 0) > 0);
    const naive = r.pacing.find((p) => p.kind === 'reference');
    const lateText = (p: PacingRow): string =>
      p.late.length === 0 ? '0 late' : `${p.lateFrames} late (${p.late.map((l) => `${fmt(l.lateMs, 1)} ms at ${fmt(l.atSeconds, 2)} s`).join(', ')}${p.lateFrames > p.late.length ? ', …' : ''})`;
    goals.push({
      goal:
        `Paced tracks keep an absolute clock: after ${fmt(r.pacingSeconds, 0)} s the last frame arrives within ±${LATE_MS} ms of start + k × 20 ms, ` +
        `pts are contiguous, and at most ${fmt(LATE_SHARE * 100, 1)}% of frames are more than ${LATE_MS} ms late (a stall of the whole process; the next deadline is still start + k × 20 ms)`,
      pass: bad.length === 0,
      detail:
        paced.map((p) => `${p.implementation.split(',')[0]} drift ${signed(p.driftMs, 2)} ms (${signed(p.driftPpm, 0)} ppm), ${lateText(p)}`).join('; ') +
        (naive ? `; the setInterval loop drifted ${signed(naive.driftMs, 1)} ms, ${fmt(naive.lateFrames, 0)} of ${fmt(naive.frames, 0)} frames late` : ''),
    });
    const source = paced.find((p) => p.silentFrames !== undefined);
    if (source) {
      goals.push({
        goal: 'An AudioSource fed ahead of playout never underruns: every frame carries speech',
        pass: source.silentFrames === 0,
        detail: `${fmt(source.speechFrames ?? 0, 0)} speech frames, ${fmt(source.silentFrames ?? 0, 0)} silent`,
      });
    }
  }
  const readers = r.throughput.filter((t) => t.kind === 'voxrtc' && t.framesBetweenTurns !== null);
  if (readers.length > 0) {
    const byClass = new Map<string, ThroughputRow>();
    for (const t of readers) {
      const worst = byClass.get(t.implementation);
      if (!worst || (t.framesBetweenTurns ?? 0) > (worst.framesBetweenTurns ?? 0)) byClass.set(t.implementation, t);
    }
    const text = (t: ThroughputRow): string =>
      t.framesBetweenTurns === t.frames ? `${t.implementation} never (all ${fmt(t.frames, 0)} frames in one go)` : `${t.implementation} every ≤ ${t.framesBetweenTurns} frames`;
    const misses = [...byClass.values()].filter((t) => (t.framesBetweenTurns ?? 0) > YIELD_LIMIT);
    goals.push({
      goal: `Consumers reading a track that answers at once give the event loop a turn at least every ${YIELD_LIMIT} frames (as MediaRelay and MediaRecorder document), so timers and I/O keep running`,
      pass: misses.length === 0,
      detail: [...byClass.values()].map(text).join('; '),
    });
  }
  return goals;
}

function turnsText(row: ThroughputRow): string {
  if (row.framesBetweenTurns === null) return '— (synchronous)';
  if (row.framesBetweenTurns === row.frames) return `all ${fmt(row.frames, 0)} (never)`;
  return fmt(row.framesBetweenTurns, 0);
}

function roundsText(values: number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? String(min) : `${min}–${max}`;
}

/**
 * The media tables, their notes, footnotes (numbered from `firstNote`) and
 * goals, as Markdown.
 */
export function renderMedia(r: MediaResults, goals: MediaGoal[], firstNote: number): string {
  const noteKeys: string[] = [];
  for (const row of [...r.throughput, ...r.pacing]) for (const key of row.notes) if (!noteKeys.includes(key)) noteKeys.push(key);
  const mark = (notes: string[]): string => notes.map((key) => `[${firstNote + noteKeys.indexOf(key)}]`).join('');
  const name = (implementation: string, kind: string, notes: string[]): string => {
    // voxrtc rows: the class in bold, as the codec table bolds voxrtc ("**AudioSource**, fed 24 kHz speech").
    const comma = implementation.indexOf(',');
    const text = kind !== 'voxrtc' ? implementation : comma < 0 ? `**${implementation}**` : `**${implementation.slice(0, comma)}**${implementation.slice(comma)}`;
    return notes.length > 0 ? `${text} ${mark(notes)}` : text;
  };
  const lines: string[] = [];
  lines.push('**Media layer** (same run, same process and core): no network; the C++ program has no counterpart, so these rows have no ratio.');

  if (r.throughput.length > 0) {
    const t0 = r.throughput[0];
    lines.push('');
    lines.push('| operation | implementation | x realtime | µs per frame | frames per second | most frames between event-loop turns |');
    lines.push('|---|---|---:|---:|---:|---:|');
    for (const row of r.throughput) {
      const fps = row.consumers > 1 ? `${fmt(row.framesPerSecond, 0)} × ${row.consumers} = ${fmt(row.totalFramesPerSecond, 0)}` : fmt(row.framesPerSecond, 0);
      lines.push(
        `| ${row.operation} | ${name(row.implementation, row.kind, row.notes)} | ${formatX(row.xRealtime)} | ${formatUs(row.usPerFrame)} | ${fps} | ${turnsText(row)} |`,
      );
    }
    lines.push('');
    lines.push(
      `Throughput: ${fmt(r.throughputSeconds, 0)} s of the same speech per round (${fmt(t0.frames, 0)} frames of 20 ms, 48 kHz mono s16, ` +
        'prebuilt, pts contiguous) from a track that answers at once, so the rows measure the media layer, not a clock. ' +
        `µs per frame: per source frame, best timed round by ${r.clock === 'cpu' ? 'process CPU time' : 'wall clock'} ` +
        `(${roundsText(r.throughput.map((x) => x.timing.repeats))} rounds each, after ${roundsText(r.throughput.map((x) => x.warmupRounds))} untimed ` +
        'warm-up round(s); the operations take turns round by round; wall clock, medians and the cold first round in the JSON). No garbage ' +
        'collection is forced between rounds: a forced full GC deoptimizes code V8 specialized to the previous round\'s objects, and made ' +
        'the next 60 s WAV round 2–3× slower in trials. x realtime = 20 ms ÷ µs per frame; frames per second = 1,000,000 ÷ µs per frame. ' +
        'Most frames between event-loop turns: counted in one more untimed round with a `setImmediate` heartbeat; "never" means timers ' +
        'and I/O could not run until the track ended.',
    );
    lines.push('');
    lines.push(`Checked after every round: ${r.throughput.map((x) => `${x.id}: ${x.check}`).join('; ')}.`);
  }

  if (r.pacing.length > 0) {
    lines.push('');
    lines.push('| pacing | implementation | jitter, mean (ms) | jitter, p99 (ms) | drift (ms) | drift (ppm) | late frames (> 5 ms) |');
    lines.push('|---|---|---:|---:|---:|---:|---:|');
    for (const p of r.pacing) {
      lines.push(
        `| 20 ms frames, ${fmt(p.seconds, 0)} s | ${name(p.implementation, p.kind, p.notes)} | ${fmt(p.jitterMeanMs, 3)} | ${fmt(p.jitterP99Ms, 3)} | ` +
          `${signed(p.driftMs, 2)} | ${signed(p.driftPpm, 0)} | ${fmt(p.lateFrames, 0)} of ${fmt(p.frames, 0)} |`,
      );
    }
    lines.push('');
    lines.push(
      `Pacing: the three ran at the same time, in this process, for ${fmt(r.pacingSeconds, 0)} s each (${fmt(r.pacing[0].frames, 0)} frames), ` +
        'with nothing else to do. Arrival = `performance.now()` when `recv()` resolved (when the callback ran, for setInterval). ' +
        'Jitter = |interval between consecutive arrivals − 20 ms|: mean and 99th percentile. Drift = last arrival − (first arrival + ' +
        'k × 20 ms), in ms and in parts per million of the run. Late = arrived more than 5 ms after first arrival + k × 20 ms. Max ' +
        'lateness, mean interval and pts checks in the JSON.',
    );
  }
  lines.push('');
  noteKeys.forEach((key, i) => lines.push(`${firstNote + i}. ${MEDIA_FOOTNOTES[key] ?? key}`));
  if (goals.length > 0) {
    lines.push('');
    lines.push('Goals (media layer):');
    for (const goal of goals) lines.push(`- ${goal.pass ? 'PASS' : 'MISS'}: ${goal.goal}: ${goal.detail}`);
  }
  return `${lines.join('\n')}\n`;
}
