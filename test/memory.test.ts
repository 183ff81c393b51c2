/**
 * Native memory is freed: by close(), and by garbage collection when close()
 * is never called.
 *
 * RSS is the measure (the codec states live outside the JS heap). It is read
 * after a warm-up, so allocator pools and JIT code are already in place, and
 * again after the cycles; a leak of one Opus encoder state per cycle would be
 * well over 1 GiB over 100,000 cycles.
 *
 * Two facts of Node-API shape the loops:
 * - `gc` is exposed at run time (exposeGc: v8.setFlagsFromString + a fresh vm
 *   context), so the file needs no --expose-gc flag of its own.
 * - Node-API finalizers (which free a native object's C++ side once its JS
 *   object is collected) run from the event loop, not inside the collection.
 *   A loop that never yields frees nothing by GC until it ends. The long runs
 *   therefore yield to the event loop every 1,000 cycles, as any server does
 *   between packets; the "synchronous" tests show what close() frees on its
 *   own, with no event-loop turn at all.
 *
 * The last three groups run each case in a child process of its own, on the
 * raw binding (the public classes only hold its handle): their RSS cannot be
 * masked by memory an earlier case freed back to this process's allocator,
 * and a case that balloons does not bloat the jest worker.
 *
 * Runs for about 4 minutes on a 2-core machine; the 100,000 OpusEncoder
 * cycles alone take 45-60 s (libopus creates an encoder and encodes its first
 * frame in about 0.5 ms here).
 */
import { spawnSync } from 'node:child_process';
import { OpusDecoder, OpusEncoder, Resampler, nativeInfo } from '../ts';
import { exposeGc, tick } from './helpers/media';

const MiB = 1024 * 1024;

const gc = exposeGc();
/** A young-generation collection: cheap, and enough for objects that die young. */
const minorGc = (): void => gc({ type: 'minor' });

/** Collects garbage and lets the queued Node-API finalizers run, a few times over. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await tick();
  }
}

const rss = (): number => process.memoryUsage().rss;
/** RSS outside the V8 heap: what the addon and libopus/libsamplerate hold (plus Node's own native memory). */
const nativeRss = (): number => {
  const m = process.memoryUsage();
  return m.rss - m.heapTotal;
};
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

const RATE = 48000;
/** 20 ms of a 1 kHz tone at 48 kHz, mono. */
const FRAME = (() => {
  const out = new Int16Array(960);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  return out;
})();
/** A real 20 ms Opus packet of FRAME. */
const PACKET = (() => {
  const encoder = new OpusEncoder();
  encoder.encode(FRAME);
  const packet = encoder.encode(FRAME);
  encoder.close();
  return packet;
})();

interface Kind {
  name: string;
  /** Create, use once, close; returns the size of what the use produced (kept so the work is not dead). */
  cycle: () => number;
  /** Create and use once, and drop it without close(). */
  drop: () => number;
}

const kinds: Kind[] = [
  {
    name: 'OpusEncoder (48 kHz mono, encode one 20 ms frame)',
    cycle: () => {
      const e = new OpusEncoder();
      const n = e.encode(FRAME).length;
      e.close();
      return n;
    },
    drop: () => new OpusEncoder().encode(FRAME).length,
  },
  {
    name: 'OpusDecoder (48 kHz mono, decode one 20 ms packet)',
    cycle: () => {
      const d = new OpusDecoder();
      const n = d.decode(PACKET).length;
      d.close();
      return n;
    },
    drop: () => new OpusDecoder().decode(PACKET).length,
  },
  {
    name: 'Resampler (48 kHz → 16 kHz medium, process one 20 ms chunk)',
    cycle: () => {
      const r = new Resampler({ inputRate: 48000, outputRate: 16000, quality: 'medium' });
      const n = r.process(FRAME).length;
      r.close();
      return n;
    },
    drop: () => new Resampler({ inputRate: 48000, outputRate: 16000, quality: 'medium' }).process(FRAME).length,
  },
];

const WARMUP = 10_000;
const CYCLES = 100_000;
const DROPPED = 20_000;
const YIELD_EVERY = 1_000;

/** What was measured, printed at the end for the report. */
const report: string[] = [];

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`memory.test.ts measurements (gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'from --expose-gc' : 'exposed at run time'}):\n  ${report.join('\n  ')}`);
});

/** Runs `body` `count` times, yielding to the event loop every `every` runs (0: never). Returns the sum of its results. */
async function repeat(count: number, every: number, body: () => number, between?: () => void): Promise<number> {
  let sum = 0;
  for (let i = 1; i <= count; i++) {
    sum += body();
    if (every > 0 && i % every === 0) {
      between?.();
      await tick();
    }
  }
  return sum;
}

describe('close() frees everything', () => {
  test.each(kinds)(
    `$name: ${CYCLES.toLocaleString('en')} create/use/close cycles keep RSS flat (growth < 32 MiB)`,
    async (kind) => {
      await repeat(WARMUP, YIELD_EVERY, kind.cycle);
      await settle();
      const before = rss();
      const nativeBefore = nativeRss();
      const checkpoints: string[] = [];
      let worst = 0;
      let worstNative = 0;
      let produced = 0;
      let seconds = 0;
      for (let done = 0; done < CYCLES; done += CYCLES / 5) {
        const started = Date.now();
        produced += await repeat(CYCLES / 5, YIELD_EVERY, kind.cycle);
        seconds += (Date.now() - started) / 1000;
        await settle();
        const growth = rss() - before;
        const nativeGrowth = nativeRss() - nativeBefore;
        worst = Math.max(worst, growth);
        worstNative = Math.max(worstNative, nativeGrowth);
        checkpoints.push(`${(growth / MiB).toFixed(1)}/${(nativeGrowth / MiB).toFixed(1)}`);
      }
      const after = rss();
      report.push(
        `${kind.name}: ${CYCLES} close() cycles in ${seconds.toFixed(1)} s (${((seconds * 1e6) / CYCLES).toFixed(0)} µs/cycle; warm-up ${WARMUP}); ` +
          `RSS ${mib(before)} → ${mib(after)}, growth ${mib(after - before)} (outside the V8 heap ${mib(nativeRss() - nativeBefore)}); ` +
          `growth in MiB (RSS/outside the V8 heap) after each ${CYCLES / 5}: ${checkpoints.join(' ')}`,
      );
      expect(produced).toBeGreaterThan(CYCLES);
      // Flat all along, not only at the end: the worst of the five checkpoints counts. The part
      // outside the V8 heap is checked too, so a shrinking JS heap cannot hide native growth.
      expect(worst / MiB).toBeLessThan(32);
      expect(worstNative / MiB).toBeLessThan(32);
    },
    600_000,
  );
});

describe('garbage collection frees objects that were never closed', () => {
  test.each(kinds)(
    `$name: ${DROPPED.toLocaleString('en')} dropped without close(), a garbage collection and an event-loop turn every 100 (growth < 64 MiB)`,
    async (kind) => {
      // A young-generation collection every 100 objects (they die young), a full one every 5,000.
      let n = 0;
      const collect = (): void => {
        n += 100;
        if (n % 5_000 === 0) gc();
        else minorGc();
      };
      await repeat(1_000, 100, kind.drop, collect);
      await settle();
      const before = rss();
      const started = Date.now();
      const produced = await repeat(DROPPED, 100, kind.drop, collect);
      const seconds = (Date.now() - started) / 1000;
      await settle();
      const after = rss();
      report.push(
        `${kind.name}: ${DROPPED} dropped without close(), collected every 100, in ${seconds.toFixed(1)} s; RSS growth ${mib(after - before)} ` +
          `(what one live object costs is measured in a fresh process below)`,
      );
      expect(produced).toBeGreaterThan(DROPPED);
      expect((after - before) / MiB).toBeLessThan(64);
    },
    300_000,
  );
});

// ---------------------------------------------------------------- isolated cases (child processes, raw binding)

type Mode = 'sync-close' | 'drop-no-gc' | 'per-object';
interface ChildResult {
  before: number;
  after: number;
  peak: number;
  settled: number;
  seconds: number;
  produced: number;
}

/** The child: creates, uses and closes or drops raw native objects, and prints RSS figures as JSON. */
const CHILD = `
const [path, kind, mode, count] = JSON.parse(process.argv[1]);
const b = require(path);
const tick = () => new Promise((resolve) => setImmediate(resolve));
const rss = () => process.memoryUsage().rss;
const frame = new Int16Array(960);
for (let i = 0; i < 960; i++) frame[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
const packet = (() => { const e = new b.OpusEncoder(48000, 1, 2048); e.encode(frame); const p = e.encode(frame); e.close(); return p; })();
const make = {
  enc: () => { const o = new b.OpusEncoder(48000, 1, 2048); return [o, o.encode(frame).length]; },
  dec: () => { const o = new b.OpusDecoder(48000, 1); return [o, o.decode(packet, false).length]; },
  rs: () => { const o = new b.Resampler(48000, 16000, 1, 1); return [o, o.process(frame, false).length]; },
}[kind];
const cycle = () => { const [o, n] = make(); o.close(); return n; };
const drop = () => make()[1];
async function settle() { for (let i = 0; i < 4; i++) { global.gc(); await tick(); } }
(async () => {
  if (mode === 'per-object') {
    // No warm-up of many objects: memory they freed would be reused and hide the cost.
    make()[0].close();
    await settle();
    const before = rss();
    const live = [];
    for (let i = 0; i < count; i++) live.push(make()[0]);
    const after = rss();
    process.stdout.write(JSON.stringify({ before, after, peak: after, settled: after, seconds: 0, produced: live.length }));
    return;
  }
  for (let i = 1; i <= 2000; i++) { cycle(); drop(); if (i % 100 === 0) await tick(); }
  await settle();
  const before = rss();
  let peak = before;
  let produced = 0;
  const started = Date.now();
  if (mode === 'sync-close') {
    for (let i = 0; i < count; i++) produced += cycle();
  } else {
    for (let i = 1; i <= count; i++) {
      produced += drop();
      if (i % 100 === 0) { await tick(); peak = Math.max(peak, rss()); }
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const after = rss();
  peak = Math.max(peak, after);
  await settle();
  const settled = rss();
  process.stdout.write(JSON.stringify({ before, after, peak, settled, seconds, produced }));
})();
`;

function runChild(kind: 'enc' | 'dec' | 'rs', mode: Mode, count: number): ChildResult {
  const child = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, JSON.stringify([nativeInfo.path, kind, mode, count])], {
    encoding: 'utf8',
    timeout: 380_000,
  });
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(child.stdout) as ChildResult;
}

const rawKinds: Array<['enc' | 'dec' | 'rs', string]> = [
  ['enc', 'OpusEncoder'],
  ['dec', 'OpusDecoder'],
  ['rs', 'Resampler 48k→16k medium'],
];

describe('what one live object costs (fresh process, 2,000 objects kept open)', () => {
  test.each(rawKinds)('%s (%s)', (kind, label) => {
    const r = runChild(kind, 'per-object', 2_000);
    const perObject = (r.after - r.before) / 2_000;
    report.push(`raw ${label}: one live object ≈ ${(perObject / 1024).toFixed(1)} KiB of RSS, so leaking ${DROPPED} would be ≈ ${mib(perObject * DROPPED)}`);
    // Every object holds a codec state of several KiB; this also shows the RSS measure can see a leak.
    expect(perObject).toBeGreaterThan(4 * 1024);
  }, 120_000);
});

describe('close() frees the native memory at once, without waiting for an event-loop turn', () => {
  test.each(rawKinds)(
    `%s (%s): ${CYCLES.toLocaleString('en')} synchronous create/use/close cycles (growth < 32 MiB)`,
    (kind, label) => {
      const r = runChild(kind, 'sync-close', CYCLES);
      report.push(
        `raw ${label}: ${CYCLES} synchronous close() cycles in ${r.seconds.toFixed(1)} s; RSS growth before any event-loop turn ` +
          `${mib(r.after - r.before)} (${((r.after - r.before) / CYCLES).toFixed(0)} bytes/cycle), after one ${mib(r.settled - r.before)}`,
      );
      expect(r.produced).toBeGreaterThan(CYCLES);
      expect((r.after - r.before) / MiB).toBeLessThan(32);
    },
    400_000,
  );
});

describe('V8 alone keeps dropped objects bounded (no gc() calls; the addon reports native sizes to V8)', () => {
  test.each(rawKinds)(
    `%s (%s): ${DROPPED.toLocaleString('en')} dropped without close(), event loop turning every 100 (peak growth < 64 MiB)`,
    (kind, label) => {
      const r = runChild(kind, 'drop-no-gc', DROPPED);
      report.push(
        `raw ${label}: ${DROPPED} dropped without close(), no gc() calls, in ${r.seconds.toFixed(1)} s; RSS peak growth ${mib(r.peak - r.before)}, ` +
          `after a final gc ${mib(r.settled - r.before)}`,
      );
      expect(r.produced).toBeGreaterThan(DROPPED);
      expect((r.peak - r.before) / MiB).toBeLessThan(64);
    },
    300_000,
  );
});
