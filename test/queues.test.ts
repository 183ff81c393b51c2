/**
 * The bounded queues that carry audio: FrameQueue (a remote track's frames,
 * a relay's buffer) and the recorder's WriteQueue. Order, bounds and drops,
 * and that neither holds on to what it has handed out: a queue that keeps
 * read frames alive until some later compaction makes a long call promote
 * them to the old generation and raise the process's memory for nothing.
 */
import { AudioFrame } from '../ts/index';
import { FrameQueue } from '../ts/media/frame-queue';
import { WriteQueue, type WriteOp } from '../ts/media/recorder/write-queue';
import type { ByteSink } from '../ts/media/recorder/byte-sink';
import { exposeGc, tick } from './helpers/media';

const gc = exposeGc();

function frame(pts: number): AudioFrame {
  return new AudioFrame({ data: new Int16Array(960), sampleRate: 48000, channels: 1, samplesPerChannel: 960, pts });
}

/**
 * Pushes a new frame and returns a weak reference to it. (Made here, not in
 * the async test: a suspended async function keeps its last values alive.)
 */
function pushTracked(q: FrameQueue, pts: number): WeakRef<AudioFrame> {
  const f = frame(pts);
  q.push(f);
  return new WeakRef(f);
}

/** How many of `refs` still reach a live object after garbage collection. */
async function alive(refs: ReadonlyArray<WeakRef<object>>): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await tick(); // (WeakRefs read in this turn are kept alive until it ends)
    gc();
  }
  return refs.filter((r) => r.deref() !== undefined).length;
}

describe('FrameQueue', () => {
  test('first in, first out across many wraps of its ring; a full queue drops the oldest and counts it', async () => {
    // Checked against a plain array model over 2,000 pushes and reads in a fixed pseudo-random order.
    const q = new FrameQueue(5);
    const model: number[] = [];
    let seed = 12345;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647; // (Park-Miller: exact in doubles)
    let pts = 0;
    let drops = 0;
    for (let step = 0; step < 2000; step++) {
      if (random() < 0.55 || model.length === 0) {
        const full = model.length === 5;
        expect(q.push(frame(pts))).toBe(!full); // false: the oldest frame made room
        model.push(pts++);
        if (full) {
          model.shift();
          drops++;
        }
      } else {
        expect((await q.shift())?.pts).toBe(model.shift());
      }
      expect(q.size).toBe(model.length);
    }
    expect(q.dropped).toBe(drops);
    expect(drops).toBeGreaterThan(50);
    expect(q.pushed).toBe(pts);
  });

  test('waiting reads are served in order; end() lets queued frames out, then undefined; close() discards them', async () => {
    const q = new FrameQueue(4);
    const first = q.shift();
    const second = q.shift();
    q.push(frame(0));
    q.push(frame(1));
    expect((await first)?.pts).toBe(0);
    expect((await second)?.pts).toBe(1);
    q.push(frame(2));
    q.end();
    expect(q.push(frame(3))).toBe(true); // ignored after the end
    expect((await q.shift())?.pts).toBe(2);
    expect(await q.shift()).toBeUndefined();
    const c = new FrameQueue(2);
    c.push(frame(0));
    c.close();
    expect(c.size).toBe(0);
    expect(await c.shift()).toBeUndefined();
    expect(() => new FrameQueue(0)).toThrow(/FrameQueue: capacity must be an integer ≥ 1; got 0/);
  });

  test('holds on to no frame it has handed out or dropped', async () => {
    const q = new FrameQueue(50);
    const refs: WeakRef<AudioFrame>[] = [];
    for (let i = 0; i < 40; i++) {
      refs.push(pushTracked(q, i));
      if (i % 2 === 1) void q.shift(); // a reader a little behind: 20 frames stay queued (a frame is taken at once)
    }
    expect(q.size).toBe(20);
    expect(await alive(refs)).toBe(20); // only the queued ones
    const full = new FrameQueue(5);
    const dropped: WeakRef<AudioFrame>[] = [];
    for (let i = 0; i < 30; i++) dropped.push(pushTracked(full, i));
    expect(full.dropped).toBe(25);
    expect(await alive(dropped)).toBe(5);
    while (q.size > 0) void q.shift();
    expect(await alive(refs)).toBe(0);
  });
});

/** A sink that stores nothing and completes each write on the next turn; zeros wait for {@link release}. */
class NullSink implements ByteSink {
  readonly seekable = true;
  readonly description = 'a test sink';
  written = 0;
  release: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  async append(data: Uint8Array): Promise<void> {
    await tick();
    this.written += data.length;
  }
  async appendZeros(length: number): Promise<void> {
    await this.gate;
    this.written += length;
  }
  async patch(): Promise<void> {
    await tick();
  }
  async sync(): Promise<void> {
    await tick();
  }
  async close(): Promise<void> {}
}

/** Queues `count` appends of `bytes` each; returns weak references to their data (see {@link pushTracked}). */
function appendTracked(q: WriteQueue, count: number, bytes: number): Array<WeakRef<Uint8Array>> {
  const refs: Array<WeakRef<Uint8Array>> = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(bytes);
    refs.push(new WeakRef(data));
    q.push({ kind: 'append', data });
  }
  return refs;
}

describe('WriteQueue', () => {
  test('writes in order and holds no data it has written, while it keeps running', async () => {
    const sink = new NullSink();
    const results: WriteOp['kind'][] = [];
    const q = new WriteQueue(sink, (error, op) => {
      expect(error).toBeUndefined();
      results.push(op.kind);
    });
    const refs = appendTracked(q, 100, 3840);
    q.push({ kind: 'zeros', length: 100 });
    q.push({ kind: 'zeros', length: 28 }); // merged with the run before it
    const tail = new Uint8Array(10);
    q.push({ kind: 'append', data: tail }); // still queued when the others are checked
    while (results.length < 100) await tick();
    expect(q.length).toBe(2); // the zeros (being written, held by the sink), then the tail
    expect(await alive(refs)).toBe(0);
    sink.release();
    await q.idle();
    expect(results.slice(100)).toEqual(['zeros', 'append']);
    expect(sink.written).toBe(100 * 3840 + 128 + 10);
  });
});
