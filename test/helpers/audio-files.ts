/**
 * Audio files for the recorder and player tests: decoding with independent
 * tools (sox, ffmpeg, opusdec), durations (soxi, ffprobe, opusinfo), and
 * snapshots of the process's open resources to prove they are released.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MAX_BUFFER = 256 * 1024 * 1024;

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `voxrtc-${prefix}-`));
  return { dir, file: (name) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function int16(bytes: Buffer): Int16Array {
  const copy = Buffer.from(bytes); // aligned
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length / 2);
}

/** The file decoded by sox to interleaved s16 at its own rate and channel count (no dither). */
export function decodeWithSox(file: string): Int16Array {
  return int16(execFileSync('sox', ['-D', file, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-'], { maxBuffer: MAX_BUFFER }));
}

/** The file decoded by ffmpeg to interleaved s16 at `rate` with `channels`. */
export function decodeWithFfmpeg(file: string, rate: number, channels: number): Int16Array {
  return int16(execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', String(channels), '-ar', String(rate), '-'], { maxBuffer: MAX_BUFFER }));
}

/** An Ogg Opus file decoded by the reference decoder (opusdec) to interleaved s16 at 48 kHz. */
export function decodeWithOpusdec(file: string): Int16Array {
  return int16(execFileSync('opusdec', ['--quiet', '--rate', '48000', file, '-'], { maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Duration in seconds according to `soxi -D`. */
export function soxiDuration(file: string): number {
  return Number.parseFloat(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }));
}

/** Duration in seconds according to ffprobe (container duration). */
export function ffprobeDuration(file: string): number {
  return Number.parseFloat(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' }));
}

/** opusinfo's verdict: exit status, everything it printed, and the playback length it reports. */
export function opusinfo(file: string): { status: number | null; output: string; playbackSeconds: number } {
  const result = spawnSync('opusinfo', [file], { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`;
  const m = /Playback length:\s*(\d+)m:(\d+(?:\.\d+)?)s/.exec(output);
  return { status: result.status, output, playbackSeconds: m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN };
}

/** The samples of one channel of interleaved audio between two times. */
export function slice(samples: Int16Array, rate: number, channels: number, fromSeconds: number, toSeconds: number, channel = 0): Int16Array {
  const from = Math.round(fromSeconds * rate);
  const to = Math.min(Math.round(toSeconds * rate), samples.length / channels);
  const out = new Int16Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = samples[(from + i) * channels + channel];
  return out;
}

/**
 * Watches what the code under test leaves open: from `start()` to `leaks()`
 * it compares the process's file-system requests and file descriptors with a
 * baseline, and records (through async_hooks) every timer and immediate
 * created from voxrtc's sources (a stack frame under ts/) that is still alive
 * at the end. Timers of jest itself (its reporter ticks in the same process)
 * are not voxrtc's and do not count.
 */
export class ResourceWatch {
  private readonly fsKinds: Map<string, number>;
  private readonly fds: number;
  private readonly live = new Map<number, string>();
  private readonly hook: AsyncHook;

  private constructor() {
    this.fsKinds = fsRequests();
    this.fds = openFds();
    const live = this.live;
    this.hook = createHook({
      init(id, type) {
        if (type !== 'Timeout' && type !== 'Immediate') return;
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 40;
        const stack = new Error().stack ?? '';
        Error.stackTraceLimit = limit;
        const ours = stack.split('\n').find((line) => line.includes(`${path.sep}ts${path.sep}`));
        if (ours) live.set(id, `${type} created ${ours.trim()}`);
      },
      destroy(id) {
        live.delete(id);
      },
    });
  }

  /** Takes the baseline (call after {@link settle}) and starts watching. */
  static start(): ResourceWatch {
    const watch = new ResourceWatch();
    watch.hook.enable();
    return watch;
  }

  /** Lets one-tick resources finish, stops watching, and lists what is left open. */
  async leaks(): Promise<string[]> {
    await settle();
    this.hook.disable();
    const extra: string[] = [...this.live.values()];
    for (const [kind, n] of fsRequests()) if (n > (this.fsKinds.get(kind) ?? 0)) extra.push(`${kind} ×${n - (this.fsKinds.get(kind) ?? 0)}`);
    const fds = openFds();
    if (fds > this.fds) extra.push(`${fds - this.fds} more file descriptor(s) open`);
    return extra;
  }
}

/** File-system requests in flight, by kind (FSReqCallback, FSReqPromise, FileHandle close requests). */
function fsRequests(): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) if (/^FS|FileHandle|CloseReq/.test(kind)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  return kinds;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Waits for pending close requests, destroy hooks and similar one-tick work to finish. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setImmediate(resolve));
}
