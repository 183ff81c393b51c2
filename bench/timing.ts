/**
 * The measuring loop. All implementations of one operation (the C++ program
 * included, through its --serve mode) are timed together, interleaved finely:
 * every implementation processes the stream in blocks of `blockFrames` frames
 * (1 s of audio by default), taking turns block by block, and a pass's time is
 * the sum of its blocks' times. Each implementation still processes every
 * frame in order, but a slow moment of a shared machine (other processes,
 * the host, the sibling hyperthread) now falls on all of them alike instead
 * of on whichever happened to be running a whole pass. Rounds of one pass
 * each continue until at least `minRepeats` rounds and `minTime` seconds (or
 * `maxRepeats` rounds); each implementation's best (minimum) pass is its
 * result.
 *
 * Every block is timed twice: wall clock (process.hrtime, like the C++
 * program's std::chrono::steady_clock) and process CPU time
 * (process.cpuUsage, like its CLOCK_PROCESS_CPUTIME_ID). CPU time leaves out
 * time the core spent on other processes.
 */

export interface TimingOptions {
  /** Rounds: at least this many... */
  minRepeats: number;
  /** ...and go on until this many seconds have passed for the operation... */
  minTime: number;
  /** ...but no more rounds than this. */
  maxRepeats: number;
  /** Frames per block (see above). */
  blockFrames: number;
}

export const DEFAULT_TIMING: TimingOptions = { minRepeats: 5, minTime: 3, maxRepeats: 15, blockFrames: 50 };

/** Time taken by one run of frames, in microseconds (not per frame). */
export interface RunTime {
  wallUs: number;
  cpuUs: number;
}

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export interface Timing {
  wall: Stats;
  cpu: Stats;
  repeats: number;
}

export interface Contestant {
  /** Times the processing of frames [from, to), continuing the stream. */
  timeRun(from: number, to: number): RunTime | Promise<RunTime>;
}

/** Results of passes go here so that no work can be optimized away. */
let sink = 0;

/** The accumulated results of all passes (read it once at the end). */
export function sinkValue(): number {
  return sink;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/**
 * With --expose-gc, collects garbage at the start of every round (outside the
 * timing), so that one implementation's garbage from an earlier round is not
 * collected on another's time.
 */
export function collectGarbage(): void {
  gc?.();
}

/** Times frames [from, to) of a JavaScript implementation. */
export function timeJsRun(run: (from: number, to: number) => number, from: number, to: number): RunTime {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  sink += run(from, to);
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: Number(t1 - t0) / 1e3, cpuUs: cpu.user + cpu.system };
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return { min: sorted[0], median: n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, max: sorted[n - 1] };
}

/** Times `contestants` over `frames` frames each; returns µs per frame for each. */
export async function measureInterleaved(contestants: Contestant[], frames: number, options: TimingOptions): Promise<Timing[]> {
  const n = contestants.length;
  const wall: number[][] = contestants.map(() => []);
  const cpu: number[][] = contestants.map(() => []);
  const block = Math.max(1, Math.min(options.blockFrames, frames));
  const start = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  let round = 0;
  while (round < options.minRepeats || (round < options.maxRepeats && elapsed() < options.minTime)) {
    collectGarbage();
    const wallSum = new Array<number>(n).fill(0);
    const cpuSum = new Array<number>(n).fill(0);
    for (let from = 0, b = 0; from < frames; from += block, b++) {
      const to = Math.min(frames, from + block);
      for (let k = 0; k < n; k++) {
        const i = (k + round + b) % n; // rotate who goes first
        const t = await contestants[i].timeRun(from, to);
        wallSum[i] += t.wallUs;
        cpuSum[i] += t.cpuUs;
      }
    }
    for (let i = 0; i < n; i++) {
      wall[i].push(wallSum[i] / frames);
      cpu[i].push(cpuSum[i] / frames);
    }
    round++;
  }
  return contestants.map((_, i) => ({ wall: stats(wall[i]), cpu: stats(cpu[i]), repeats: round }));
}

/** FNV-1a over bytes, as core_bench.cc computes it, to check outputs are identical. */
export class Fnv1a {
  private h = 0x811c9dc5;

  add(view: ArrayBufferView): void {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let h = this.h;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
    this.h = h;
  }

  /** Adds a packet as core_bench.cc does: 2-byte little-endian length, then the bytes. */
  addPacket(packet: Uint8Array): void {
    this.add(new Uint8Array([packet.length & 0xff, packet.length >> 8]));
    this.add(packet);
  }

  hex(): string {
    return this.h.toString(16).padStart(8, '0');
  }
}
