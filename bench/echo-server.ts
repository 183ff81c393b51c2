/**
 * The measured process of the echo benchmark: it runs nothing but the echo
 * side. Every offer it is handed (over IPC, by bench/echo.ts) becomes a
 * `PeerSession` with the default settings whose answer handler sends the
 * caller's own audio back: `s.addTrack(s.remoteTracks[0])` — Opus decode
 * (RemoteAudioTrack: jitter buffer, decoder, 48 kHz mono frames) → AudioSender
 * (paced, Opus re-encode at the defaults) → werift (SRTP, UDP).
 *
 * Between `mark` and `report` it measures its own CPU time
 * (process.cpuUsage()), garbage collection, and every call's counters. Opus
 * decode and encode are timed in place: `OpusDecoder.prototype.decode` and
 * `OpusEncoder.prototype.encode` (what RemoteAudioTrack and AudioSender call)
 * are wrapped, in this process only, by two performance.now() reads (about
 * 0.1 µs each; process.cpuUsage() costs 1–5 µs a read and, tried first, took
 * 9% of the process's time at 25 calls). Wall time can include a preemption
 * by another process on a shared core: a call that took more than 5 × the
 * median and 1 ms more than it counts as the median (the raw sums and the
 * number of such calls are reported too). With `profile`, the
 * window is also sampled by V8's CPU profiler (node:inspector, as
 * `node --cpu-prof` does, but only over the window) into a .cpuprofile file.
 *
 * Started by bench/echo.ts (pinned with taskset); not meant to be run alone.
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { createMode } from '../ts/signaling/modes';
import type { SessionContext } from '../ts/signaling/options';
import { OpusDecoder, OpusEncoder, PeerSession, type PeerSessionOptions, type RemoteAudioTrack } from '../ts';
import type { AnswerResult, CodecTime, EchoCallReport, EchoReport, OfferArgs } from './echo-protocol';
import { Rpc } from './ipc';

/** Durations (µs) of one codec method's calls since the mark. */
class CodecTimer {
  private samples = new Float64Array(1 << 14);
  private n = 0;

  add(us: number): void {
    if (this.n === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.n++] = us;
  }

  reset(): void {
    this.n = 0;
  }

  /** Sum, calls, and the sum with preempted calls (over 5 × the median and the median + 1 ms) counted as the median. */
  summary(): CodecTime {
    const values = this.samples.slice(0, this.n);
    let wallUs = 0;
    for (const v of values) wallUs += v;
    const sorted = values.slice().sort();
    const median = sorted.length ? sorted[sorted.length >> 1] : 0;
    const limit = Math.max(5 * median, median + 1000);
    let us = 0;
    let preempted = 0;
    for (const v of values) {
      if (v > limit) {
        preempted++;
        us += median;
      } else {
        us += v;
      }
    }
    return { us, wallUs, calls: this.n, preempted, medianUs: median };
  }
}

const codecTime = { decode: new CodecTimer(), encode: new CodecTimer() };

/** Wraps `proto[method]` with a wall-clock timer adding into `timer`. */
function timeMethod(proto: object, method: string, timer: CodecTimer): void {
  const target = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`echo process: cannot time ${method}: not a method`);
  target[method] = function timed(this: unknown, ...args: unknown[]): unknown {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      timer.add((performance.now() - t0) * 1000);
    }
  };
}
timeMethod(OpusDecoder.prototype, 'decode', codecTime.decode);
timeMethod(OpusEncoder.prototype, 'encode', codecTime.encode);

/** A call's counters so far, in the shape of its report (which holds their differences over the window). */
interface Snapshot {
  rx: ReturnType<RemoteAudioTrack['stats']>;
  tx: Omit<EchoCallReport['tx'], 'opus'>;
}

// Event-loop delay only on request (with --echo-profile): its 10 ms timer wakes the process 100 times a second, which
// cost 0.5% of a core on the shared test VM, as much as half a call.
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | null = null;
const warnings: Record<string, number> = {};
process.on('warning', (warning: Error & { code?: string }) => {
  const code = warning.code ?? warning.name;
  warnings[code] = (warnings[code] ?? 0) + 1;
});

interface Call {
  session: PeerSession;
  mark: Snapshot | null;
}

const calls: Call[] = [];
let windowStart: { cpu: NodeJS.CpuUsage; wall: number } | null = null;
let gc = { ms: 0, count: 0 };
let profiler: inspector.Session | null = null;
let profileFile: string | null = null;

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.ms += entry.duration;
    gc.count++;
  }
}).observe({ entryTypes: ['gc'] });

function snapshot(call: Call): Snapshot {
  const s = call.session.stats();
  const rx = s.remoteTracks[0];
  const tx = s.senders[0];
  const encodedPackets = tx ? tx.packetsSent + tx.dtxPackets : 0;
  return {
    rx,
    tx: {
      packetsSent: tx?.packetsSent ?? 0,
      silencePackets: tx?.silencePackets ?? 0,
      lateTicks: tx?.lateTicks ?? 0,
      clockSlips: tx?.clockSlips ?? 0,
      framesPulled: tx?.framesPulled ?? 0,
      bufferedPackets: tx?.bufferedPackets ?? 0,
      encodeUs: tx ? tx.meanEncodeMicros * encodedPackets : 0,
      encodedPackets,
      packetLossPercent: tx?.packetLossPercent ?? 0,
      lossReports: tx?.lossReports ?? 0,
    },
  };
}

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** Other session settings for a comparison run (VOXRTC_ECHO_SESSION, JSON PeerSessionOptions); none by default. */
const SESSION_OPTIONS = JSON.parse(process.env.VOXRTC_ECHO_SESSION || '{}') as PeerSessionOptions;

/** VOXRTC_ECHO_MODE=server: each call runs the signaling server's echo mode (16 kHz voice-agent path) instead of a plain echo. */
const SERVER_MODE = process.env.VOXRTC_ECHO_MODE === 'server' ? createMode({ mode: 'echo' }) : null;

async function offer(args: unknown): Promise<AnswerResult> {
  const { sdp } = args as OfferArgs;
  const session = new PeerSession({ loopback: true, ...SERVER_MODE?.session, ...SESSION_OPTIONS });
  const call: Call = { session, mark: null };
  const answer = await session.answer({ type: 'offer', sdp }, async (s) => {
    // (the echo mode reads no request; its clean-up is not needed: the process ends with the bench)
    if (SERVER_MODE) await SERVER_MODE.onSession(s, { transport: 'http' } as SessionContext);
    else s.addTrack(s.remoteTracks[0]); // the echo: decode → re-encode, default settings
  });
  calls.push(call);
  return { sdp: answer.sdp };
}

async function mark(args: unknown): Promise<null> {
  const { profile, loopDelay: wantLoopDelay } = (args ?? {}) as { profile?: string; loopDelay?: boolean };
  if (wantLoopDelay && !loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  for (const call of calls) call.mark = snapshot(call);
  codecTime.decode.reset();
  codecTime.encode.reset();
  gc = { ms: 0, count: 0 };
  loopDelay?.reset();
  if (profile) {
    profileFile = profile;
    profiler = new inspector.Session();
    profiler.connect();
    await post(profiler, 'Profiler.enable');
    await post(profiler, 'Profiler.setSamplingInterval', { interval: 500 });
    await post(profiler, 'Profiler.start');
  }
  windowStart = { cpu: process.cpuUsage(), wall: performance.now() };
  return null;
}

async function report(): Promise<EchoReport> {
  if (!windowStart) throw new Error('report before mark');
  const cpu = process.cpuUsage(windowStart.cpu);
  const wallMs = performance.now() - windowStart.wall;
  const gcNow = { ...gc };
  const loopP99 = loopDelay ? loopDelay.percentile(99) / 1e6 : null;
  const loopMax = loopDelay ? loopDelay.max / 1e6 : null;
  const decode = codecTime.decode.summary();
  const encode = codecTime.encode.summary();
  const memory = process.memoryUsage();
  let written: string | null = null;
  if (profiler) {
    const { profile } = await post<{ profile: object }>(profiler, 'Profiler.stop');
    profiler.disconnect();
    profiler = null;
    fs.mkdirSync(path.dirname(profileFile!), { recursive: true });
    fs.writeFileSync(profileFile!, JSON.stringify(profile));
    written = profileFile;
  }
  const reports: EchoCallReport[] = [];
  let notConnected = 0;
  for (const call of calls) {
    if (call.session.connectionState !== 'connected') notConnected++;
    const now = snapshot(call);
    const then = call.mark;
    if (!then) continue; // (joined after the mark)
    const d = (a: number, b: number): number => a - b;
    reports.push({
      connectionState: call.session.connectionState,
      rx: {
        packetsReceived: d(now.rx.packetsReceived, then.rx.packetsReceived),
        framesDecoded: d(now.rx.framesDecoded, then.rx.framesDecoded),
        packetsLost: d(now.rx.packetsLost, then.rx.packetsLost),
        packetsLate: d(now.rx.packetsLate, then.rx.packetsLate),
        fecFrames: d(now.rx.fecFrames, then.rx.fecFrames),
        plcFrames: d(now.rx.plcFrames, then.rx.plcFrames),
        silenceFrames: d(now.rx.silenceFrames, then.rx.silenceFrames),
        queueDrops: d(now.rx.queueDrops, then.rx.queueDrops),
        queueAtMark: then.rx.queueSize,
        queueAtReport: now.rx.queueSize,
        latencyMs: now.rx.latencyMs,
        deliveryLatencyMs: now.rx.deliveryLatencyMs,
        bufferDelayMs: now.rx.bufferDelayMs,
        targetDelayMs: now.rx.targetDelayMs,
        jitterMs: now.rx.jitterMs,
      },
      tx: {
        packetsSent: d(now.tx.packetsSent, then.tx.packetsSent),
        silencePackets: d(now.tx.silencePackets, then.tx.silencePackets),
        lateTicks: d(now.tx.lateTicks, then.tx.lateTicks),
        clockSlips: d(now.tx.clockSlips, then.tx.clockSlips),
        framesPulled: d(now.tx.framesPulled, then.tx.framesPulled),
        bufferedPackets: now.tx.bufferedPackets,
        encodeUs: d(now.tx.encodeUs, then.tx.encodeUs),
        encodedPackets: d(now.tx.encodedPackets, then.tx.encodedPackets),
        opus: call.session.stats().senders[0]?.codec ?? 'none',
        packetLossPercent: now.tx.packetLossPercent,
        lossReports: d(now.tx.lossReports, then.tx.lossReports),
      },
    });
  }
  windowStart = null;
  return {
    wallMs,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    gcMs: gcNow.ms,
    gcCount: gcNow.count,
    heapUsedMB: memory.heapUsed / 2 ** 20,
    rssMB: memory.rss / 2 ** 20,
    calls: reports,
    decode,
    encode,
    loopDelayP99Ms: loopP99,
    loopDelayMaxMs: loopMax,
    warnings: { ...warnings },
    notConnected,
    profile: written,
  };
}

function states(): Record<string, number> {
  const count: Record<string, number> = {};
  for (const call of calls) count[call.session.connectionState] = (count[call.session.connectionState] ?? 0) + 1;
  return count;
}

async function closeAll(): Promise<null> {
  await Promise.all(calls.splice(0).map((call) => call.session.close('benchmark over')));
  return null;
}

const rpc = new Rpc(process, { offer, mark, report, states, close: closeAll }, 'echo process');
process.on('disconnect', () => {
  rpc.fail(new Error('the benchmark went away'));
  void closeAll().finally(() => process.exit(0));
});
process.send?.({ ready: true });
