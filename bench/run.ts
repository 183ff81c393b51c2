/**
 * `npm run bench`: voxrtc against the C++ program that calls the same core
 * (the ceiling), @discordjs/opus, opusscript, libsamplerate-js and
 * wave-resampler, on 20 ms frames of real speech, mono, one core; then the
 * media layer (media.ts): throughput of MediaRelay, MediaRecorder and
 * MediaBlackHole, and the pacing accuracy of AudioStreamTrack and AudioSource
 * against a setInterval loop; then concurrent WebRTC echo calls on loopback
 * (echo.ts: one process echoes, a second one calls). Prints the
 * codec/resampler table, then the media tables, then the echo table, each with
 * its notes (progress goes to stderr).
 *
 *   node --expose-gc build/bench-js/bench/run.js [--json FILE] [--raw] [--quick]
 *        [--only ID,ID] [--clock cpu|wall] [--min-repeats N] [--min-time S] [--max-repeats N]
 *        [--pacing-seconds N] [--echo-calls N,N] [--echo-seconds S] [--echo-profile [DIR]]
 *
 *   --json FILE   also write every result (wall and CPU time, min/median/max,
 *                 output fingerprints, goals, the media rows) as JSON
 *   --raw         add rows for the raw native addon (no TypeScript wrapper), to
 *                 measure what the wrapper costs
 *   --quick       2 rounds per operation, 3 s of pacing (a smoke test, noisier)
 *   --only IDS    only these operations (ids as in the JSON, e.g. opus-decode,
 *                 relay-10, recorder-ogg, pacing)
 *   --clock       the table's clock: process CPU time (default) or wall time
 *   --min-repeats, --min-time, --max-repeats   rounds per codec operation (see timing.ts)
 *   --pacing-seconds N   how long each paced track is read (default 20)
 *   --echo-calls N,N     concurrent echo calls of each step (default 1,10,25,45,60,80,100; --quick 1,10)
 *   --echo-seconds S     measuring window of each echo step (default 10; --quick 5)
 *   --echo-warmup S      seconds between a step's last call connecting and its window (default 3)
 *   --echo-profile [DIR] also sample the echo process with V8's CPU profiler over
 *                 each window (DIR/echo-N.cpuprofile, default build/bench/echo-profile)
 *                 and print a summary (the profiler inflates the CPU figures)
 *
 * For each operation the C++ program (in --serve mode) and every JavaScript
 * implementation are timed in interleaved rounds (see timing.ts).
 * scripts/bench.sh builds everything and pins the whole run to one core.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nativeInfo, type ResamplerQuality } from '../ts';
import type { NativeBinding } from '../ts/core/native';
import {
  type Impl,
  type ImplKind,
  type OpusInput,
  type ResampleInput,
  type Runner,
  BITRATE,
  OPUS_FRAME,
  decodeImpls,
  encodeImpls,
  outputCapacity,
  resampleImpls,
} from './peers';
import { fmt, formatUs, formatX } from './format';
import {
  DEFAULT_ROUNDS,
  DEFAULT_WARMUP,
  MEDIA_FOOTNOTES,
  MEDIA_OP_IDS,
  PACING_ID,
  type MediaResults,
  type RoundPolicy,
  measurePacing,
  measureThroughput,
  mediaGoals,
  mediaSinkValue,
  renderMedia,
} from './media';
import { SPEECH_SECONDS, type SpeechRate, ensureSpeech, readS16 } from './speech';
import {
  DEFAULT_ECHO_CALLS,
  DEFAULT_ECHO_SECONDS,
  DEFAULT_ECHO_WARMUP_SECONDS,
  ECHO_ID,
  ECHO_NOTE_KEYS,
  QUICK_ECHO_CALLS,
  QUICK_ECHO_SECONDS,
  type EchoResults,
  echoFootnotes,
  echoGoals,
  measureEcho,
  renderEcho,
} from './echo';
import {
  type Contestant,
  DEFAULT_TIMING,
  Fnv1a,
  type RunTime,
  type Timing,
  type TimingOptions,
  measureInterleaved,
  sinkValue,
  timeJsRun,
} from './timing';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const DEFAULT_PACING_SECONDS = 20;
const QUICK_PACING_SECONDS = 3;
/** Seconds of audio per media throughput round. */
const MEDIA_SECONDS = 60;

const USAGE = `usage: npm run bench -- [options]   (or: node --expose-gc build/bench-js/bench/run.js [options])
  --json FILE        also write all results (wall and CPU time, min/median/max, fingerprints, goals, media rows) as JSON
  --raw              add rows for the raw native addon, without the TypeScript wrapper
  --quick            2 rounds per operation and ${QUICK_PACING_SECONDS} s of pacing (a smoke test, noisier)
  --only ID,ID       only these operations, e.g. opus-decode,resample-48000-16000-f32-medium,relay-10,pacing
                     (media: ${MEDIA_OP_IDS.join(', ')}, ${PACING_ID})
  --clock cpu|wall   the table's clock (default cpu: process CPU time)
  --min-repeats N    rounds per operation: at least N (default ${DEFAULT_TIMING.minRepeats}),
  --min-time S       until S seconds have passed for the operation (default ${DEFAULT_TIMING.minTime}),
  --max-repeats N    but at most N (default ${DEFAULT_TIMING.maxRepeats})
  --block N          implementations take turns every N frames (default ${DEFAULT_TIMING.blockFrames}; 1200 = whole passes)
  --pacing-seconds N how long AudioStreamTrack, AudioSource and the setInterval loop are read, at once (default ${DEFAULT_PACING_SECONDS})
  --echo-calls N,N   concurrent WebRTC echo calls of each step (default ${DEFAULT_ECHO_CALLS.join(',')}; --quick ${QUICK_ECHO_CALLS.join(',')}); id ${ECHO_ID}
  --echo-seconds S   measuring window of each echo step (default ${DEFAULT_ECHO_SECONDS}; --quick ${QUICK_ECHO_SECONDS})
  --echo-warmup S    seconds between a step's last call connecting and its window (default ${DEFAULT_ECHO_WARMUP_SECONDS})
  --echo-profile [DIR]  profile the echo process over each window (DIR/echo-N.cpuprofile, default build/bench/echo-profile)
                     and print a summary; the profiler inflates the CPU figures
`;
const FRAME_US = 20_000;

// ------------------------------------------------------------------ args ----

type ClockName = 'cpu' | 'wall';

interface Args {
  json: string | null;
  raw: boolean;
  only: string[] | null;
  clock: ClockName;
  timing: TimingOptions;
  pacingSeconds: number;
  echoCalls: number[];
  echoSeconds: number;
  echoWarmup: number;
  echoProfile: string | null;
  mediaWarmup: RoundPolicy;
  mediaRounds: RoundPolicy;
  cxx: string;
  speechDir: string;
  addon: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: null,
    raw: false,
    only: null,
    clock: 'cpu',
    timing: { ...DEFAULT_TIMING },
    pacingSeconds: DEFAULT_PACING_SECONDS,
    echoCalls: DEFAULT_ECHO_CALLS,
    echoSeconds: DEFAULT_ECHO_SECONDS,
    echoWarmup: DEFAULT_ECHO_WARMUP_SECONDS,
    echoProfile: null,
    mediaWarmup: { ...DEFAULT_WARMUP },
    mediaRounds: { ...DEFAULT_ROUNDS },
    cxx: path.join(ROOT, 'build', 'bench', 'voxrtc_core_bench'),
    speechDir: path.join(ROOT, 'build', 'bench', 'speech'),
    addon: path.join(ROOT, 'build', 'Release', 'voxrtc.node'),
  };
  let pacingGiven = false;
  let echoCallsGiven = false;
  let echoSecondsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const number = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${arg} needs a non-negative number`);
      return v;
    };
    switch (arg) {
      case '--json':
        args.json = path.resolve(value());
        break;
      case '--raw':
        args.raw = true;
        break;
      case '--quick':
        args.timing = { ...args.timing, minRepeats: 2, minTime: 0, maxRepeats: 2 };
        if (!pacingGiven) args.pacingSeconds = QUICK_PACING_SECONDS;
        if (!echoCallsGiven) args.echoCalls = QUICK_ECHO_CALLS;
        if (!echoSecondsGiven) args.echoSeconds = QUICK_ECHO_SECONDS;
        args.mediaWarmup = { minRounds: 1, minTime: 0, maxRounds: 1 };
        args.mediaRounds = { minRounds: 2, minTime: 0, maxRounds: 2 };
        break;
      case '--pacing-seconds': {
        const seconds = number();
        if (seconds < 1) throw new Error('--pacing-seconds needs at least 1');
        args.pacingSeconds = seconds;
        pacingGiven = true;
        break;
      }
      case '--echo-calls': {
        const calls = value().split(',').map(Number);
        if (calls.length === 0 || calls.some((n) => !Number.isInteger(n) || n < 1 || n > 500)) throw new Error('--echo-calls takes whole numbers 1 to 500, e.g. 1,10,25,50');
        args.echoCalls = calls;
        echoCallsGiven = true;
        break;
      }
      case '--echo-seconds': {
        const seconds = number();
        if (seconds < 1) throw new Error('--echo-seconds needs at least 1');
        args.echoSeconds = seconds;
        echoSecondsGiven = true;
        break;
      }
      case '--echo-warmup':
        args.echoWarmup = number();
        break;
      case '--echo-profile': {
        const next = argv[i + 1];
        args.echoProfile = next !== undefined && !next.startsWith('--') ? path.resolve(argv[++i]) : path.join(ROOT, 'build', 'bench', 'echo-profile');
        break;
      }
      case '--only':
        args.only = value().split(',');
        break;
      case '--clock': {
        const clock = value();
        if (clock !== 'cpu' && clock !== 'wall') throw new Error('--clock takes cpu or wall');
        args.clock = clock;
        break;
      }
      case '--min-repeats':
        args.timing.minRepeats = Math.max(1, Math.floor(number()));
        break;
      case '--min-time':
        args.timing.minTime = number();
        break;
      case '--max-repeats':
        args.timing.maxRepeats = Math.max(1, Math.floor(number()));
        break;
      case '--block':
        args.timing.blockFrames = Math.max(1, Math.floor(number()));
        break;
      case '--cxx':
        args.cxx = path.resolve(value());
        break;
      case '--speech-dir':
        args.speechDir = path.resolve(value());
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  args.timing.maxRepeats = Math.max(args.timing.maxRepeats, args.timing.minRepeats);
  return args;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ------------------------------------------------------------ operations ----

type OpKind = 'encode' | 'decode' | 'resample';

interface Op {
  id: string;
  label: string;
  kind: OpKind;
  complexity?: number;
  resample?: { inputRate: SpeechRate; outputRate: number; quality: ResamplerQuality; format: 'f32' | 's16' };
}

function khz(rate: number): string {
  return `${rate / 1000}k`;
}

/** The operations, in table order; core_bench.cc knows the same ids. */
function operations(): Op[] {
  const ops: Op[] = [
    { id: 'opus-encode-c10', label: 'opus encode, complexity 10', kind: 'encode', complexity: 10 },
    { id: 'opus-encode-c5', label: 'opus encode, complexity 5', kind: 'encode', complexity: 5 },
    { id: 'opus-decode', label: 'opus decode', kind: 'decode' },
  ];
  const directions: Array<[SpeechRate, number, 'f32' | 's16']> = [
    [48000, 16000, 'f32'],
    [16000, 48000, 'f32'],
    [44100, 48000, 'f32'],
    [48000, 16000, 's16'],
  ];
  for (const quality of ['medium', 'fastest'] as const) {
    for (const [inputRate, outputRate, format] of directions) {
      ops.push({
        id: `resample-${inputRate}-${outputRate}-${format}-${quality}`,
        label: `resample ${khz(inputRate)}→${khz(outputRate)} ${format}, ${quality}`,
        kind: 'resample',
        resample: { inputRate, outputRate, quality, format },
      });
    }
  }
  return ops;
}

// ------------------------------------------------------------------ C++ -----

/** The C++ program in --serve mode: one command per line, one JSON line back. */
class CppServer {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: { resolve: (line: string) => void; reject: (error: Error) => void } | null = null;
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
      }
      this.deliver();
    });
    child.stderr.pipe(process.stderr);
    child.on('error', (error) => this.fail(new Error(`could not run the C++ program: ${error.message} (scripts/bench.sh builds it)`)));
    child.on('exit', (code) => this.fail(new Error(`the C++ program exited (status ${code})`)));
  }

  static async start(cxx: string, files: Record<SpeechRate, string>, packetsOut: string): Promise<{ server: CppServer; hello: CppHello }> {
    const args = ['--input48', files[48000], '--input16', files[16000], '--input44', files[44100], '--packets-out', packetsOut, '--serve'];
    const server = new CppServer(spawn(cxx, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    const hello = JSON.parse(await server.next()) as CppHello;
    return { server, hello };
  }

  async request<T>(command: string): Promise<T> {
    this.child.stdin.write(`${command}\n`);
    return JSON.parse(await this.next()) as T;
  }

  close(): void {
    this.child.removeAllListeners('exit');
    this.child.stdin.end('quit\n');
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  private deliver(): void {
    if (this.waiter === null) return;
    const line = this.lines.shift();
    if (line !== undefined) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(line);
    } else if (this.exited !== null) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(this.exited);
    }
  }

  private fail(error: Error): void {
    this.exited ??= error;
    this.deliver();
  }
}

interface CppHello {
  opusVersion: string;
  samplerateVersion: string;
}

interface CppSetup {
  id: string;
  frames: number;
  fingerprint: string;
  outputPerPass: number;
}

function readPackets(file: string): Buffer[] {
  const bytes = fs.readFileSync(file);
  const packets: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt16LE(at);
    // A copy per packet, in its own memory, as packets arrive from a socket.
    packets.push(Buffer.from(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return packets;
}

// ---------------------------------------------------------------- inputs ----

function frameViews(samples: Int16Array, chunk: number): { s16: Int16Array[]; f32: Float32Array[] } {
  const frames = Math.floor(samples.length / chunk);
  const f32All = new Float32Array(frames * chunk);
  for (let i = 0; i < f32All.length; i++) f32All[i] = samples[i] / 32768;
  const s16: Int16Array[] = [];
  const f32: Float32Array[] = [];
  for (let f = 0; f < frames; f++) {
    s16.push(samples.subarray(f * chunk, (f + 1) * chunk));
    f32.push(f32All.subarray(f * chunk, (f + 1) * chunk));
  }
  return { s16, f32 };
}

// ------------------------------------------------------------------ rows ----

interface Row {
  op: string;
  operation: string;
  implementation: string;
  kind: ImplKind | 'cpp';
  notes: string[];
  /** Best pass on the table's clock, µs per 20 ms frame. */
  usPerFrame: number;
  xRealtime: number;
  ratioToCpp: number;
  /** Both clocks, min/median/max µs per frame, and the number of timed passes. */
  timing: Timing;
  /** FNV-1a of one pass's output on a fresh object, and whether it equals the C++ program's. */
  fingerprint: string | null;
  sameOutputAsCpp: boolean | null;
  outputPerPass: number;
  /** Measured once and shown under several operations (see Impl.shareKey). */
  shared: boolean;
}

// ------------------------------------------------------------- rendering ----

const FOOTNOTES: Record<string, string> = {
  cpp:
    'C++ core (ceiling): `native/bench/core_bench.cc`, -O3, calling `voxrtc::OpusEncoderCore` / `OpusDecoderCore` / `ResamplerCore` ' +
    'directly, the way the addon calls them (encode into a 4000-byte buffer, decode into a 960-sample buffer, resampler ' +
    '`Process`/`ProcessS16` per 20 ms chunk), linked against the same system libopus and libsamplerate as the addon.',
  raw: 'voxrtc raw addon: `build/Release/voxrtc.node` called directly, without the TypeScript wrapper (`--raw`; shows what the wrapper costs).',
  discord:
    '@discordjs/opus 0.10.0 creates its encoder with application `audio` and has no option for it; the bench switches it to `voip` with ' +
    '`applyEncoderCTL(OPUS_SET_APPLICATION_REQUEST)` before the first frame (libopus allows that) and sets bitrate, complexity, FEC, loss and ' +
    'DTX through `applyEncoderCTL` too, so every setting is equal. It takes Buffers (views of the same frames) and returns a new Buffer per ' +
    'packet. It links its own bundled libopus 1.3.1, compiled by node-gyp from plain C sources (no x86 SIMD files), so its output differs ' +
    'slightly from the system libopus that voxrtc and the C++ program use.',
  'discord-decode':
    '@discordjs/opus 0.10.0 `decode` decodes into its own 120 ms buffer and returns a copy as a new Buffer of s16le bytes; its own plain-C ' +
    'build of libopus 1.3.1 (see above).',
  opusscript:
    'opusscript 0.1.1 bundles libopus **1.4** (not 1.3.1) compiled to WebAssembly, so its encoder makes different packets. Same settings ' +
    '(application voip at creation, the rest through `encoderCTL`). It is fed Buffers, as documented (its `encode` mis-reads an Int16Array); ' +
    'it copies each frame into its heap and returns a new Buffer.',
  lsrjs:
    '@alexanderolsen/libsamplerate-js 2.1.2: libsamplerate compiled with Emscripten; the package ships the wasm2js output (JavaScript, no ' +
    'WebAssembly binary). Its streaming `full(input, out, {frames})` API with a reused output array (filter state kept between chunks, like ' +
    'voxrtc); it copies each chunk into and out of its heap. Same converter type as the row.',
  wave:
    'wave-resampler 1.0.0 has no streaming API and no quality setting: each 20 ms chunk is resampled on its own (method `sinc` with its ' +
    'defaults: 6-point windowed sinc plus a 16th-order Butterworth low-pass run forward and backward over the chunk). Lower quality than ' +
    'libsamplerate, with discontinuities at chunk edges; it returns a new Float64Array per chunk. It filters its input in place when ' +
    'downsampling, so each chunk is copied first (timed). Measured once per direction and shown under both qualities.',
  's16-convert': 'Int16 row with a library that only takes floats: the adapter converts s16→f32 (÷32768) before and f32→s16 (round, clip) after, in JS, timed.',
};

interface Goal {
  goal: string;
  pass: boolean;
  detail: string;
}

function checkGoals(rows: Row[], ops: Op[]): Goal[] {
  const goals: Goal[] = [];
  const rowsOf = (op: Op): Row[] => rows.filter((r) => r.op === op.id);
  const ceilingGoal = (kinds: OpKind[], title: string): void => {
    const checked = ops.filter((op) => kinds.includes(op.kind));
    for (const form of ['into', 'allocating'] as const) {
      const voxRows = checked.flatMap((op) =>
        rowsOf(op).filter((r) => r.kind === 'voxrtc' && r.implementation.includes('Into') === (form === 'into')),
      );
      if (voxRows.length === 0) continue;
      const worst = voxRows.reduce((a, b) => (b.ratioToCpp < a.ratioToCpp ? b : a));
      const misses = voxRows.filter((r) => r.ratioToCpp < 0.95);
      goals.push({
        goal: `${title}: voxrtc ${form === 'into' ? '`…Into` (allocation-free)' : 'allocating form'} ≥ 95% of the C++ program's throughput`,
        pass: misses.length === 0,
        detail:
          `worst ${fmt(worst.ratioToCpp * 100, 1)}% (${worst.operation}, ${worst.implementation})` +
          (misses.length > 1 ? `; below 95% in ${misses.length} of ${voxRows.length} rows` : ''),
      });
    }
  };
  ceilingGoal(['encode', 'decode'], 'Opus encode/decode');
  ceilingGoal(['resample'], 'Resampling');

  // The goal is against JavaScript and WebAssembly peers; @discordjs/opus is a
  // native addon over the same libopus 1.3.1 and is reported on its own.
  const isNativePeer = (r: Row): boolean => r.implementation.includes('@discordjs/opus');
  let closest = Infinity;
  let closestText = '';
  const losses: string[] = [];
  let nativeWorst = 0;
  let nativeWorstText = '';
  for (const op of ops) {
    const opRows = rowsOf(op);
    for (const vox of opRows.filter((r) => r.kind === 'voxrtc')) {
      for (const peer of opRows.filter((r) => r.kind === 'peer' && isNativePeer(r))) {
        const slower = vox.usPerFrame / peer.usPerFrame - 1;
        if (slower > nativeWorst || nativeWorstText === '') {
          nativeWorst = Math.max(nativeWorst, slower);
          nativeWorstText = `${op.label}: ${vox.implementation} ${formatUs(vox.usPerFrame)} µs vs ${peer.implementation} ${formatUs(peer.usPerFrame)} µs`;
        }
      }
    }
    const peers = opRows.filter((r) => r.kind === 'peer' && !isNativePeer(r));
    for (const vox of opRows.filter((r) => r.kind === 'voxrtc')) {
      for (const peer of peers) {
        const margin = peer.usPerFrame / vox.usPerFrame;
        const text = `${op.label}: ${vox.implementation} ${formatUs(vox.usPerFrame)} µs vs ${peer.implementation} ${formatUs(peer.usPerFrame)} µs`;
        if (margin < closest) {
          closest = margin;
          closestText = text;
        }
        if (margin <= 1) losses.push(`${text} (${fmt((1 / margin - 1) * 100, 1)}% slower)`);
      }
    }
  }
  if (Number.isFinite(closest)) {
    goals.push({
      goal: 'Every voxrtc row faster than every JavaScript or WebAssembly peer on the same operation',
      pass: losses.length === 0,
      detail: losses.length === 0 ? `closest: ${fmt(closest, 2)}× faster (${closestText})` : `not faster in ${losses.length}: ${losses.join('; ')}`,
    });
  }
  if (nativeWorstText !== '') {
    goals.push({
      goal: 'On par with @discordjs/opus (a native addon over the same libopus 1.3.1): within 3% on every Opus row',
      pass: nativeWorst <= 0.03,
      detail: `largest gap: voxrtc ${fmt(nativeWorst * 100, 1)}% slower (${nativeWorstText}); differences under ~3% are this machine's noise`,
    });
  }
  return goals;
}

function outputCheck(rows: Row[]): string {
  const voxRows = rows.filter((r) => (r.kind === 'voxrtc' || r.kind === 'voxrtc-raw') && r.sameOutputAsCpp !== null);
  const voxBad = voxRows.filter((r) => !r.sameOutputAsCpp);
  const parts = [
    voxBad.length === 0
      ? `all ${voxRows.length} voxrtc rows produced exactly the C++ program's output`
      : `voxrtc output DIFFERS from the C++ program's in: ${voxBad.map((r) => `${r.operation} / ${r.implementation}`).join('; ')}`,
  ];
  const groups = new Map<string, { same: number; total: number }>();
  for (const r of rows.filter((x) => x.kind === 'peer' && x.sameOutputAsCpp !== null)) {
    const what = r.op.startsWith('opus-encode') ? 'encode' : r.op.startsWith('opus-decode') ? 'decode' : `resample ${r.op.includes('-s16-') ? 's16' : 'f32'}`;
    const group = `${r.implementation.split(' ')[0]} ${what}`;
    const g = groups.get(group) ?? { same: 0, total: 0 };
    g.total += 1;
    if (r.sameOutputAsCpp) g.same += 1;
    groups.set(group, g);
  }
  for (const [group, g] of groups) parts.push(`${group}: ${g.same} of ${g.total} identical`);
  return `${parts.join('; ')}.`;
}

function render(rows: Row[], goals: Goal[], meta: Record<string, string>, args: Args): string {
  const noteKeys: string[] = [];
  for (const row of rows) for (const key of row.notes) if (!noteKeys.includes(key)) noteKeys.push(key);
  const mark = (key: string): string => `[${noteKeys.indexOf(key) + 1}]`;

  const lines: string[] = [];
  lines.push(
    `**voxrtc benchmark**: ${SPEECH_SECONDS} s of espeak-ng speech, mono, 20 ms frames, one core (${meta.affinity}), ` +
      `${meta.cpu}, Node ${meta.node}, ${meta.opus}, ${meta.samplerate}.`,
  );
  lines.push('');
  lines.push('| operation | implementation | x realtime | µs per frame | ratio to C++ |');
  lines.push('|---|---|---:|---:|---:|');
  for (const row of rows) {
    const notes = row.notes.map(mark).join('');
    const name = row.kind === 'cpp' || row.kind === 'voxrtc' ? `**${row.implementation}**` : row.implementation;
    lines.push(
      `| ${row.operation} | ${name}${notes ? ` ${notes}` : ''} | ${formatX(row.xRealtime)} | ${formatUs(row.usPerFrame)} | ${fmt(row.ratioToCpp, 2)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Opus: 48 kHz mono s16 in, application voip, ${BITRATE / 1000} kb/s VBR, FEC and DTX off; every decoder decodes the same ${meta.packets} ` +
      `packets (the C++ complexity-10 encoder's). Resampling: libsamplerate's converter of the row's quality, 20 ms chunks streamed through ` +
      `one object. µs per frame: best pass over all ${meta.frames} frames by ${args.clock === 'cpu' ? 'process CPU time' : 'wall clock'}, ` +
      `from ${meta.rounds} rounds in which all implementations of the operation take turns every ${args.timing.blockFrames} frames ` +
      `(wall clock and medians in the JSON); ` +
      `x realtime = 20 ms ÷ µs per frame; ratio to C++ = C++ µs ÷ row µs (1.00 = same speed, higher = faster).`,
  );
  lines.push('');
  noteKeys.forEach((key, i) => lines.push(`${i + 1}. ${FOOTNOTES[key] ?? key}`));
  lines.push('');
  lines.push(
    `Output check (one pass on fresh objects, FNV-1a of the output): ${meta.outputCheck} ` +
      '(Peers differ by design: other libopus builds or versions; the s16 adapters round where libsamplerate truncates.)',
  );
  lines.push('');
  lines.push('Goals:');
  for (const goal of goals) lines.push(`- ${goal.pass ? 'PASS' : 'MISS'}: ${goal.goal}: ${goal.detail}`);
  return `${lines.join('\n')}\n`;
}

function affinity(): string {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    return list === undefined ? 'affinity unknown' : list.includes(',') || list.includes('-') ? `CPUs ${list}` : `CPU ${list}`;
  } catch {
    return 'affinity unknown';
  }
}

// ------------------------------------------------------------------ main ----

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Compiled under build/bench-js, voxrtc's loader would look for the addon
  // relative to that folder; point it at the local build unless told otherwise.
  if (!process.env.VOXRTC_NATIVE_PATH && fs.existsSync(args.addon)) process.env.VOXRTC_NATIVE_PATH = args.addon;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = args.raw ? (require(process.env.VOXRTC_NATIVE_PATH ?? args.addon) as NativeBinding) : null;
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') log('note: run node with --expose-gc to collect garbage between passes');

  let ops = operations();
  const mediaIds = [...MEDIA_OP_IDS, PACING_ID, ECHO_ID];
  if (args.only !== null) {
    const only = args.only;
    const unknown = only.filter((id) => !ops.some((op) => op.id === id) && !mediaIds.includes(id));
    if (unknown.length) throw new Error(`unknown operation ${unknown.join(', ')}; known: ${[...ops.map((op) => op.id), ...mediaIds].join(', ')}`);
    ops = ops.filter((op) => only.includes(op.id));
  }

  const speech = ensureSpeech(args.speechDir, log);
  const views = {
    48000: frameViews(readS16(speech.files[48000]), 960),
    44100: frameViews(readS16(speech.files[44100]), 882),
    16000: frameViews(readS16(speech.files[16000]), 320),
  } as Record<SpeechRate, { s16: Int16Array[]; f32: Float32Array[] }>;
  const frames = views[48000].s16.length;

  // The packets every decoder decodes: the C++ program's complexity-10 encoder's, from a fresh state.
  const packetsFile = path.join(path.dirname(args.speechDir), 'packets-c10.bin');
  // (Not needed when --only names media operations alone.)
  const cppStarted = ops.length > 0 ? await CppServer.start(args.cxx, speech.files, packetsFile) : null;
  const cpp = cppStarted?.server;
  const hello = cppStarted?.hello ?? null;
  const packets = cppStarted ? readPackets(packetsFile) : [];
  const opus: OpusInput = {
    frames: views[48000].s16,
    frameBuffers: views[48000].s16.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)),
    packets,
  };

  const rows: Row[] = [];
  const shared = new Map<string, { timing: Timing; output: number }>();
  const started = Date.now();
  let rounds = { min: Infinity, max: 0 };
  const pick = (t: Timing): number => (args.clock === 'cpu' ? t.cpu.min : t.wall.min);

  for (const op of ops) {
    log(op.id);
    let impls: Impl[];
    if (op.kind === 'encode') {
      impls = encodeImpls(opus, op.complexity ?? 10, raw);
    } else if (op.kind === 'decode') {
      impls = decodeImpls(opus, raw);
    } else {
      const r = op.resample!;
      const chunk = (r.inputRate * 20) / 1000;
      const input: ResampleInput = {
        ...r,
        chunk,
        capacity: outputCapacity(chunk, r.inputRate, r.outputRate),
        s16: views[r.inputRate].s16,
        f32: views[r.inputRate].f32,
      };
      impls = resampleImpls(input, raw);
    }

    // Set up: a fresh object each, one fingerprinting pass (also the warm-up).
    const server = cpp!;
    const cppSetup = await server.request<CppSetup>(`setup ${op.id}`);
    const contestants: Contestant[] = [{ timeRun: (from, to) => server.request<RunTime>(`run ${op.id} ${from} ${to}`) }];
    const prepared: Array<{ impl: Impl; runner: Runner | null; fingerprint: string | null; output: number }> = [];
    for (const impl of impls) {
      if (impl.shareKey !== undefined && shared.has(impl.shareKey)) {
        prepared.push({ impl, runner: null, fingerprint: null, output: shared.get(impl.shareKey)!.output });
        continue;
      }
      const runner = await impl.create();
      const fnv = new Fnv1a();
      const collect = op.kind === 'encode' ? (p: ArrayBufferView) => fnv.addPacket(p as Uint8Array) : (o: ArrayBufferView) => fnv.add(o);
      const output = runner.run(0, cppSetup.frames, impl.comparable ? collect : undefined);
      prepared.push({ impl, runner, fingerprint: impl.comparable ? fnv.hex() : null, output });
      const run = (from: number, to: number): number => runner.run(from, to);
      contestants.push({ timeRun: (from, to) => timeJsRun(run, from, to) });
    }

    const timings = await measureInterleaved(contestants, cppSetup.frames, args.timing);
    await server.request(`close ${op.id}`);
    rounds = { min: Math.min(rounds.min, timings[0].repeats), max: Math.max(rounds.max, timings[0].repeats) };

    const cppTiming = timings[0];
    const cppUs = pick(cppTiming);
    rows.push({
      op: op.id,
      operation: op.label,
      implementation: 'C++ core (ceiling)',
      kind: 'cpp',
      notes: ['cpp'],
      usPerFrame: cppUs,
      xRealtime: FRAME_US / cppUs,
      ratioToCpp: 1,
      timing: cppTiming,
      fingerprint: cppSetup.fingerprint,
      sameOutputAsCpp: true,
      outputPerPass: cppSetup.outputPerPass,
      shared: false,
    });
    log(`  ${'C++ core (ceiling)'.padEnd(36)} ${formatUs(cppTiming.cpu.min).padStart(9)} µs cpu ${formatUs(cppTiming.wall.min).padStart(9)} µs wall`);
    let next = 1;
    for (const p of prepared) {
      let timing: Timing;
      if (p.runner === null) {
        timing = shared.get(p.impl.shareKey!)!.timing;
      } else {
        timing = timings[next++];
        p.runner.close();
        if (p.impl.shareKey !== undefined) shared.set(p.impl.shareKey, { timing, output: p.output });
      }
      const us = pick(timing);
      log(`  ${p.impl.name.padEnd(36)} ${formatUs(timing.cpu.min).padStart(9)} µs cpu ${formatUs(timing.wall.min).padStart(9)} µs wall${p.runner === null ? ' (shared)' : ''}`);
      rows.push({
        op: op.id,
        operation: op.label,
        implementation: p.impl.name,
        kind: p.impl.kind,
        notes: p.impl.notes,
        usPerFrame: us,
        xRealtime: FRAME_US / us,
        ratioToCpp: cppUs / us,
        timing,
        fingerprint: p.fingerprint,
        sameOutputAsCpp: p.fingerprint === null ? null : p.fingerprint === cppSetup.fingerprint,
        outputPerPass: p.output,
        shared: p.runner === null,
      });
    }
  }
  cpp?.close();

  // The media layer: throughput, then pacing (the three paced readers share an otherwise idle process).
  const media: MediaResults = {
    clock: args.clock,
    throughput: [],
    throughputSeconds: MEDIA_SECONDS,
    warmup: args.mediaWarmup,
    rounds: args.mediaRounds,
    pacing: [],
    pacingSeconds: args.pacingSeconds,
  };
  const mediaOnly = args.only === null ? null : args.only.filter((id) => MEDIA_OP_IDS.includes(id));
  if (mediaOnly === null || mediaOnly.length > 0) {
    log(`media throughput: ${MEDIA_SECONDS} s of speech per round`);
    media.throughput = await measureThroughput({
      speech48k: readS16(speech.files[48000]),
      seconds: MEDIA_SECONDS,
      warmup: args.mediaWarmup,
      rounds: args.mediaRounds,
      clock: args.clock,
      only: mediaOnly,
    });
  }
  if (args.only === null || args.only.includes(PACING_ID)) {
    log(`pacing: AudioStreamTrack, AudioSource and a setInterval loop for ${args.pacingSeconds} s, at once`);
    media.pacing = await measurePacing(args.pacingSeconds, readS16(speech.files[24000]));
    for (const p of media.pacing) {
      log(
        `  ${p.id.padEnd(32)} jitter mean ${p.jitterMeanMs.toFixed(3)} ms, p99 ${p.jitterP99Ms.toFixed(3)} ms, ` +
          `drift ${p.driftMs.toFixed(2)} ms (${p.driftPpm.toFixed(0)} ppm), ${p.lateFrames} late`,
      );
    }
  }

  // WebRTC echo calls: two more processes (the echo, the callers); this one only relays the signalling.
  let echo: EchoResults | null = null;
  if (args.only === null || args.only.includes(ECHO_ID)) {
    log(`echo calls: ${args.echoCalls.join(', ')} concurrent, ${args.echoSeconds} s each${args.echoProfile ? ` (profiling into ${args.echoProfile})` : ''}`);
    echo = await measureEcho({
      calls: args.echoCalls,
      seconds: args.echoSeconds,
      warmupSeconds: args.echoWarmup,
      speechFile: speech.files[48000],
      profileDir: args.echoProfile,
    });
  }

  const meta: Record<string, string> = {
    affinity: affinity(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.versions.node,
    opus: nativeInfo.opusVersion,
    samplerate: nativeInfo.samplerateVersion.replace(/ \(c\).*/, ''),
    packets: String(packets.length),
    frames: String(frames),
    rounds: rounds.min === rounds.max ? String(rounds.min) : `${rounds.min}–${rounds.max}`,
    outputCheck: outputCheck(rows),
  };
  const goals = checkGoals(rows, ops);
  const mediaGoalList = mediaGoals(media);
  let output = rows.length > 0 ? render(rows, goals, meta, args) : '';
  if (media.throughput.length > 0 || media.pacing.length > 0) {
    // Media footnotes are numbered after the codec table's.
    const codecNotes = new Set(rows.flatMap((row) => row.notes)).size;
    output += `${output ? '\n' : ''}${renderMedia(media, mediaGoalList, codecNotes + 1)}`;
  }
  const echoGoalList = echo ? echoGoals(echo) : [];
  if (echo) {
    // Echo footnotes are numbered after the codec and media tables'.
    const codecNotes = new Set(rows.flatMap((row) => row.notes)).size;
    const mediaNotes = new Set([...media.throughput, ...media.pacing].flatMap((row) => row.notes)).size;
    output += `${output ? '\n' : ''}${renderEcho(echo, echoGoalList, codecNotes + mediaNotes + 1)}`;
  }
  process.stdout.write(output);
  log(`bench took ${((Date.now() - started) / 1000).toFixed(1)} s (sink ${(sinkValue() + mediaSinkValue()) % 1000})`);

  if (args.json !== null) {
    const report = {
      generatedAt: new Date().toISOString(),
      machine: { cpu: meta.cpu, cores: os.cpus().length, affinity: meta.affinity, platform: `${process.platform}-${process.arch}`, node: process.versions.node, loadavg: os.loadavg() },
      libraries: {
        voxrtcNative: nativeInfo.path,
        voxrtcOpus: nativeInfo.opusVersion,
        voxrtcSamplerate: nativeInfo.samplerateVersion,
        cppOpus: hello?.opusVersion ?? null,
        cppSamplerate: hello?.samplerateVersion ?? null,
      },
      input: { seconds: SPEECH_SECONDS, frameMs: 20, frames, packets: packets.length, files: speech.files, opusFrame: OPUS_FRAME, bitrate: BITRATE },
      clock: args.clock,
      timing: args.timing,
      rows,
      goals,
      footnotes: FOOTNOTES,
      media: { ...media, goals: mediaGoalList, footnotes: MEDIA_FOOTNOTES },
      echo: echo ? { ...echo, goals: echoGoalList, footnotes: echoFootnotes(echo), noteKeys: ECHO_NOTE_KEYS } : null,
    };
    fs.mkdirSync(path.dirname(args.json), { recursive: true });
    fs.writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
