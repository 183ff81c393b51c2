/**
 * The addon is context-aware: it loads and works in worker_threads Workers at
 * the same time as in the main thread, each environment with its own
 * instance, and a worker going away (exiting, or being terminated) takes its
 * native objects with it without harming the process.
 *
 * The workers load the addon with a plain `require(nativeInfo.path)` (there
 * is no compiled JS of the TypeScript layer during tests) and use the raw
 * binding: `new b.OpusEncoder(48000, 1, 2048)`, `.encode(Int16Array)`,
 * `new b.OpusDecoder(48000, 1)`, `.decode(Uint8Array, false)`.
 *
 * Scenarios that could abort the whole process run in a child process, so a
 * crash is reported as that child's exit status instead of killing jest.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { OpusDecoder, OpusEncoder, Resampler, nativeInfo } from '../ts';

const RATE = 48000;
const FRAME = 960; // 20 ms
const TONE_HZ = 1000;

/** Positive-going zero crossings, interpolated; frequency from the first to the last. */
function estimateFrequency(x: ArrayLike<number>, rate: number, skip: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = skip + 1; i < x.length; i++) {
    const a = x[i - 1];
    const b = x[i];
    if (a < 0 && b >= 0) {
      const t = i - 1 + -a / (b - a);
      if (first < 0) first = t;
      last = t;
      count++;
    }
  }
  return count > 1 ? ((count - 1) * rate) / (last - first) : NaN;
}

/** One second of a 1 kHz tone through the public encoder and decoder; the decoded frequency. */
function mainThreadRoundTrip(seconds: number): number {
  const encoder = new OpusEncoder({ sampleRate: RATE, channels: 1 });
  const decoder = new OpusDecoder({ sampleRate: RATE, channels: 1 });
  try {
    const frames = Math.round((seconds * RATE) / FRAME);
    const decoded = new Int16Array(frames * FRAME);
    const pcm = new Int16Array(FRAME);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * TONE_HZ * (f * FRAME + i)) / RATE));
      decoded.set(decoder.decode(encoder.encode(pcm)), f * FRAME);
    }
    return estimateFrequency(decoded, RATE, FRAME); // skip the first 20 ms (codec delay and onset)
  } finally {
    encoder.close();
    decoder.close();
  }
}

/**
 * The worker: waits at a shared start line, then encodes and decodes `seconds`
 * of a 1 kHz tone `rounds` times with its own instance of the addon, posts
 * the decoded frequency of each round, and stays alive until told to go (or
 * terminated).
 */
const ROUND_TRIP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { path, seconds, rounds, startLine, index } = workerData;
const b = require(path);
${estimateFrequencySource()}
const RATE = 48000, FRAME = 960;
const flag = new Int32Array(startLine);
parentPort.postMessage({ type: 'ready' });
Atomics.wait(flag, 0, 0);
const started = Date.now();
const freqs = [];
let bytes = 0;
for (let r = 0; r < rounds; r++) {
  const enc = new b.OpusEncoder(RATE, 1, 2048);
  const dec = new b.OpusDecoder(RATE, 1);
  const frames = Math.round(seconds * RATE / FRAME);
  const decoded = new Int16Array(frames * FRAME);
  const pcm = new Int16Array(FRAME);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(12000 * Math.sin(2 * Math.PI * 1000 * (f * FRAME + i) / RATE));
    const packet = enc.encode(pcm);
    bytes += packet.length;
    decoded.set(dec.decode(packet, false), f * FRAME);
  }
  freqs.push(estimateFrequency(decoded, RATE, FRAME));
  enc.close();
  dec.close();
}
parentPort.postMessage({ type: 'result', index, freqs, bytes, started, ended: Date.now(), opusVersion: b.opusVersion });
parentPort.on('message', (m) => { if (m === 'exit') parentPort.close(); });
`;

function estimateFrequencySource(): string {
  return `function estimateFrequency(x, rate, skip) {
  let first = -1, last = -1, count = 0;
  for (let i = skip + 1; i < x.length; i++) {
    const a = x[i - 1], b = x[i];
    if (a < 0 && b >= 0) { const t = i - 1 + -a / (b - a); if (first < 0) first = t; last = t; count++; }
  }
  return count > 1 ? ((count - 1) * rate) / (last - first) : NaN;
}`;
}

interface WorkerResult {
  type: 'result';
  index: number;
  freqs: number[];
  bytes: number;
  started: number;
  ended: number;
  opusVersion: string;
}

function nextMessage<T>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string }) => {
      if (m && m.type === type) {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(m as T);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before sending '${type}'`)));
  });
}

function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}

describe('the addon in worker threads', () => {
  test('3 workers and the main thread encode and decode a 1 kHz tone at the same time; then the workers are terminated and the main thread still works', async () => {
    const WORKERS = 3;
    const SECONDS = 1;
    const ROUNDS = 4;
    const startLine = new SharedArrayBuffer(4);
    const workers = Array.from(
      { length: WORKERS },
      (_, index) => new Worker(ROUND_TRIP_WORKER, { eval: true, workerData: { path: nativeInfo.path, seconds: SECONDS, rounds: ROUNDS, startLine, index } }),
    );
    try {
      await Promise.all(workers.map((w) => nextMessage(w, 'ready')));
      const results = workers.map((w) => nextMessage<WorkerResult>(w, 'result'));

      // Everyone starts at once: the workers are released, and the main thread does the same work meanwhile.
      const flag = new Int32Array(startLine);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const mainStarted = Date.now();
      const mainFreqs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) mainFreqs.push(mainThreadRoundTrip(SECONDS));
      const mainEnded = Date.now();

      const done = await Promise.all(results);
      for (const result of done) {
        expect(result.freqs).toHaveLength(ROUNDS);
        for (const f of result.freqs) expect(Math.abs(f - TONE_HZ)).toBeLessThan(2);
        expect(result.bytes).toBeGreaterThan(ROUNDS * 50 * 10); // real packets, not DTX stubs
        expect(result.opusVersion).toBe(nativeInfo.opusVersion);
      }
      for (const f of mainFreqs) expect(Math.abs(f - TONE_HZ)).toBeLessThan(2);
      // The workers' work began before the main thread's ended: they really ran alongside it.
      for (const result of done) expect(result.started).toBeLessThanOrEqual(mainEnded);
      expect(mainStarted).toBeLessThanOrEqual(Math.max(...done.map((r) => r.ended)));
    } finally {
      const codes = await Promise.all(workers.map((w) => w.terminate()));
      expect(codes).toEqual(codes.map(() => 1)); // terminate() reports exit code 1
    }

    // The main thread's instance is untouched by the workers' teardown.
    expect(Math.abs(mainThreadRoundTrip(1) - TONE_HZ)).toBeLessThan(2);
    const r = new Resampler({ inputRate: 48000, outputRate: 16000 });
    expect(r.process(new Int16Array(960)).length).toBeGreaterThan(0);
    r.close();
  }, 120_000);

  test('a worker that creates encoders, decoders and resamplers and exits without closing them does not crash the process', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require(workerData.path);
      const keep = [];
      const pcm = new Int16Array(960);
      for (let i = 0; i < 50; i++) {
        const e = new b.OpusEncoder(48000, i % 2 + 1, 2048);
        const packet = e.encode(i % 2 ? new Int16Array(1920) : pcm);
        const d = new b.OpusDecoder(48000, 2);
        d.decode(packet, false);
        const r = new b.Resampler(48000, 16000, 2, i % 3);
        r.process(new Float32Array(1920), false);
        keep.push(e, d, r);
      }
      parentPort.postMessage({ type: 'made', count: keep.length });
      // The script ends here: the worker exits with every object still open.
    `;
    for (let round = 0; round < 4; round++) {
      const worker = new Worker(code, { eval: true, workerData: { path: nativeInfo.path } });
      const exit = exitOf(worker);
      const made = await nextMessage<{ count: number }>(worker, 'made');
      expect(made.count).toBe(150);
      expect(await exit).toBe(0);
    }
    expect(Math.abs(mainThreadRoundTrip(1) - TONE_HZ)).toBeLessThan(2);
  }, 60_000);

  test('a worker holding open objects, terminated while idle, does not crash the process', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require(workerData.path);
      const keep = [new b.OpusEncoder(48000, 1, 2048), new b.OpusDecoder(48000, 1), new b.Resampler(48000, 16000, 1, 0)];
      keep[0].encode(new Int16Array(960));
      parentPort.postMessage({ type: 'ready' });
      setInterval(() => keep.length, 1000);
    `;
    for (let round = 0; round < 4; round++) {
      const worker = new Worker(code, { eval: true, workerData: { path: nativeInfo.path } });
      await nextMessage(worker, 'ready');
      expect(await worker.terminate()).toBe(1);
    }
    expect(Math.abs(mainThreadRoundTrip(1) - TONE_HZ)).toBeLessThan(2);
  }, 60_000);

  test('posting a native object to another thread shares no native state (it fails to clone or arrives without its methods)', async () => {
    // postMessage() of a native object must not share its C++ state across threads.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require(workerData.path);
      const e = new b.OpusEncoder(48000, 1, 2048);
      let outcome;
      try { parentPort.postMessage({ type: 'object', value: e }); outcome = 'posted'; } catch (err) { outcome = err.name; }
      parentPort.postMessage({ type: 'outcome', outcome, stillWorks: e.encode(new Int16Array(960)).length > 0 });
    `;
    const worker = new Worker(code, { eval: true, workerData: { path: nativeInfo.path } });
    const exit = exitOf(worker);
    const received: unknown[] = [];
    worker.on('message', (m: { type: string; value?: unknown }) => {
      if (m.type === 'object') received.push(m.value);
    });
    const outcome = await nextMessage<{ outcome: string; stillWorks: boolean }>(worker, 'outcome');
    expect(await exit).toBe(0);
    expect(outcome.stillWorks).toBe(true);
    for (const value of received) {
      // If it was posted at all, what arrives is a plain clone without the native methods.
      expect(typeof (value as { encode?: unknown }).encode).toBe('undefined');
    }
  }, 30_000);
});

// ---------------------------------------------------------------- in child processes

/** Runs `script` in a fresh node process; returns how it ended. */
function runNode(script: string, timeoutMs = 60_000): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['-e', script, nativeInfo.path], { encoding: 'utf8', timeout: timeoutMs });
  return { status: child.status, signal: child.signal, stdout: child.stdout.trim(), stderr: child.stderr.trim() };
}

/**
 * A child process that starts a worker busy in a loop of native calls,
 * terminates it mid-loop, and does that `rounds` times; prints 'survived'.
 */
function terminateBusyScript(loop: string, rounds: number): string {
  return `
    const { Worker } = require('node:worker_threads');
    const path = process.argv[1];
    const code = \`
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require(workerData.path);
      parentPort.postMessage('busy');
      ${loop}
    \`;
    (async () => {
      for (let i = 0; i < ${rounds}; i++) {
        const w = new Worker(code, { eval: true, workerData: { path } });
        await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
        await new Promise((resolve) => setTimeout(resolve, 20 + 13 * i));
        const code2 = await w.terminate();
        if (code2 !== 1) throw new Error('unexpected exit code ' + code2);
      }
      const b = require(path);
      const e = new b.OpusEncoder(48000, 1, 2048);
      if (!(e.encode(new Int16Array(960)).length > 0)) throw new Error('main thread encoder broken');
      console.log('survived');
    })().catch((err) => { console.error(err); process.exit(2); });
  `;
}

describe('workers terminated in the middle of native calls (child processes)', () => {
  // Seen with the current build: every case aborts the process with
  //   terminate called after throwing an instance of 'Napi::Error'
  //     what():
  // (exit by SIGABRT). The addon is built with NAPI_CPP_EXCEPTIONS but without
  // NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: once the worker is terminating,
  // napi calls fail, node-addon-api turns that into a C++ Napi::Error, tries to
  // rethrow it into a JS engine that no longer accepts exceptions, and the C++
  // exception escapes the callback. Building with that define fixes it.
  const loops: Array<[string, string]> = [
    ['OpusEncoder.encode', 'const e = new b.OpusEncoder(48000, 1, 2048); const pcm = new Int16Array(960); for (;;) e.encode(pcm);'],
    ['OpusEncoder.encodeInto', 'const e = new b.OpusEncoder(48000, 1, 2048); const pcm = new Int16Array(960); const out = new Uint8Array(4000); for (;;) e.encodeInto(pcm, out);'],
    ['OpusDecoder.decode', 'const e = new b.OpusEncoder(48000, 1, 2048); const p = e.encode(new Int16Array(960)); const d = new b.OpusDecoder(48000, 1); for (;;) d.decode(p, false);'],
    ['Resampler.process', 'const r = new b.Resampler(48000, 16000, 1, 2); const pcm = new Int16Array(960); for (;;) r.process(pcm, false);'],
    ['new OpusDecoder', 'for (;;) new b.OpusDecoder(48000, 1);'],
    ['s16ToF32Into', 'const i = new Int16Array(960), o = new Float32Array(960); for (;;) b.s16ToF32Into(i, o);'],
  ];

  test.each(loops)('terminating a worker busy in %s does not crash the process', (_name, loop) => {
    const result = runNode(terminateBusyScript(loop, 3));
    expect(result).toEqual({ status: 0, signal: null, stdout: 'survived', stderr: '' });
  }, 90_000);

  test('the process exits cleanly with native objects still open in the main thread and in a running worker', () => {
    const result = runNode(`
      const { Worker } = require('node:worker_threads');
      const path = process.argv[1];
      const b = require(path);
      globalThis.keep = [new b.OpusEncoder(48000, 2, 2049), new b.OpusDecoder(24000, 1), new b.Resampler(8000, 48000, 2, 0)];
      const w = new Worker(\`
        const { parentPort, workerData } = require('node:worker_threads');
        const b = require(workerData.path);
        globalThis.keep = [new b.OpusEncoder(48000, 1, 2048), new b.OpusDecoder(48000, 1), new b.Resampler(48000, 16000, 1, 1)];
        parentPort.postMessage('ready');
        setInterval(() => {}, 1000);
      \`, { eval: true, workerData: { path } });
      w.once('message', () => { console.log('exiting'); process.exit(0); });
    `);
    expect(result).toEqual({ status: 0, signal: null, stdout: 'exiting', stderr: '' });
  }, 60_000);
});
