/**
 * MediaBlackHole and the "unconsumed track grows memory" trap: an aiortc-style
 * track that buffers what nobody reads grows without end; voxrtc's queues are
 * bounded, and a black hole consumes a fast track with flat memory. stop()
 * is prompt even for a track that never produces, and leaves nothing running.
 */
import { AudioFrame, AudioSource, AudioStreamTrack, MediaBlackHole, MediaRelay, MediaStreamTrack } from '../ts/index';
import { tone } from './helpers/audio';
import { CountingTrack, NeverTrack, ScriptedTrack, activeTimeouts, settlesWithin, sleep, tick } from './helpers/media';

/**
 * What aiortc's remote track does: frames arriving from the network are put
 * in an unbounded queue; recv() takes them out. Nobody calls recv() → it grows.
 */
class UnboundedTrack extends MediaStreamTrack {
  readonly queue: AudioFrame[] = [];
  arrive(frame: AudioFrame): void {
    this.queue.push(frame);
  }
  async recv(): Promise<AudioFrame> {
    const frame = this.queue.shift();
    if (!frame) throw new Error('empty');
    return frame;
  }
}

/** A 60 ms 48 kHz stereo f32 frame: 23 KB, so 5,000 retained frames would be 115 MB. */
function bigFrame(pts: number): AudioFrame {
  const data = new Float32Array(2880 * 2);
  data[0] = pts; // touch it
  return new AudioFrame({ data, sampleRate: 48000, channels: 2, pts });
}

describe('an unconsumed source does not grow memory', () => {
  test('contrast: a track that buffers what nobody reads grows with every frame', () => {
    const naive = new UnboundedTrack();
    for (let i = 0; i < 3000; i++) naive.arrive(new AudioFrame({ data: new Int16Array(960), sampleRate: 48000, pts: i * 960 }));
    expect(naive.queue.length).toBe(3000); // a minute of audio held for nobody: the aiortc trap
  });

  test('a relay subscriber nobody reads holds at most maxQueue frames while the source runs', async () => {
    const source = new CountingTrack(0, 3000);
    const relay = new MediaRelay();
    const read = relay.subscribe(source);
    const unread = relay.subscribe(source, { maxQueue: 10 });
    let n = 0;
    let maxQueued = 0;
    for await (const frame of read) {
      void frame;
      n++;
      maxQueued = Math.max(maxQueued, unread.queued);
    }
    expect(n).toBe(3000);
    expect(maxQueued).toBe(10);
    expect(unread.dropped).toBeGreaterThanOrEqual(2990 - 10);
    // The source ended: the unread subscriber still holds its last 10 frames
    // (bounded), plays them out when read, then ends.
    expect(unread.queued).toBe(10);
    let rest = 0;
    for await (const frame of unread) {
      void frame;
      rest++;
    }
    expect(rest).toBe(10);
    expect(unread.readyState).toBe('ended');
  });

  test('an AudioSource nobody reads holds at most maxQueueSeconds; further pushes wait', async () => {
    const source = new AudioSource({ maxQueueSeconds: 1 });
    const pushes = [0, 1, 2, 3].map(() => source.push(tone(440, 48000, 1)));
    await sleep(30);
    expect(source.queuedDuration).toBeCloseTo(1, 9);
    expect(await settlesWithin(pushes[1], 5)).toBe('pending');
    source.close();
    await Promise.all(pushes);
  });
});

describe('MediaBlackHole', () => {
  test('consumes a fast track: every frame counted, process memory flat over 5,000 frames', async () => {
    const total = 5000;
    const track = new CountingTrack(0, total, bigFrame);
    const hole = new MediaBlackHole();
    hole.addTrack(track);
    hole.addTrack(track); // added twice: consumed once
    expect(hole.stats()).toEqual({ [track.id]: 0 });
    await hole.start();
    // warm up, then measure
    while (track.produced < 1000) await sleep(5);
    const rssAt1000 = process.memoryUsage().rss;
    let peak = rssAt1000;
    const ended = new Promise<void>((resolve) => track.once('ended', () => resolve()));
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    await ended;
    clearInterval(watch);
    await hole.stop();
    expect(hole.stats()[track.id]).toBe(total);
    expect(track.produced).toBe(total);
    // 4,000 more frames of 23 KB went through: 92 MB if anything kept them; allow GC slack
    expect(peak - rssAt1000).toBeLessThan(40 * 1024 * 1024);
  });

  test('consumes a paced track in real time, several tracks at once', async () => {
    const a = new AudioStreamTrack();
    const b = new AudioStreamTrack({ sampleRate: 16000 });
    const hole = new MediaBlackHole();
    hole.addTrack(a);
    await hole.start();
    hole.addTrack(b); // added while running: consumed at once
    await sleep(210);
    await hole.stop();
    const stats = hole.stats();
    // frames at 0, 20, … 200 ms: about 11 each
    expect(stats[a.id]).toBeGreaterThanOrEqual(8);
    expect(stats[a.id]).toBeLessThanOrEqual(13);
    expect(stats[b.id]).toBeGreaterThanOrEqual(8);
    expect(stats[b.id]).toBeLessThanOrEqual(13);
    // stop() does not stop the tracks
    expect(a.readyState).toBe('live');
    a.stop();
    b.stop();
  });

  test('stop() returns promptly although a track never produces a frame, and leaves nothing running', async () => {
    const never = new NeverTrack();
    const hole = new MediaBlackHole();
    hole.addTrack(never);
    await hole.start();
    await sleep(30);
    expect(never.calls).toBe(1);
    const started = performance.now();
    const timersBefore = activeTimeouts();
    const stopping = hole.stop();
    expect(activeTimeouts()).toBe(timersBefore); // stopping starts no timer
    expect(await settlesWithin(stopping, 50)).toBe('resolved');
    expect(performance.now() - started).toBeLessThan(50);
    await sleep(50);
    expect(never.calls).toBe(1); // the reader loop is gone: no new reads
    expect(hole.stats()).toEqual({ [never.id]: 0 });
  });

  test('a track that ends is let go; stop() on an idle black hole resolves at once', async () => {
    const track = new CountingTrack(1, 20);
    const hole = new MediaBlackHole();
    hole.addTrack(track);
    await hole.start();
    await new Promise<void>((resolve) => track.once('ended', () => resolve()));
    await tick();
    expect(hole.stats()[track.id]).toBe(20);
    expect(await settlesWithin(hole.stop(), 20)).toBe('resolved');
    expect(await settlesWithin(new MediaBlackHole().stop(), 20)).toBe('resolved');
  });

  test('stop() then start() again keeps consuming a queue-backed track (the abandoned read is no trap)', async () => {
    const base = new ScriptedTrack();
    const relayed = new MediaRelay().subscribe(base);
    const hole = new MediaBlackHole();
    hole.addTrack(relayed);
    await hole.start();
    base.produce(2);
    await tick();
    expect(hole.stats()[relayed.id]).toBe(2);
    await hole.stop(); // its read of `relayed` is abandoned, still waiting
    await hole.start();
    base.produce(5);
    await tick();
    // the abandoned read swallows at most one frame; the restarted reader consumes the rest
    expect(hole.stats()[relayed.id]).toBeGreaterThanOrEqual(2 + 4);
    expect(relayed.queued).toBe(0);
    await hole.stop();
    relayed.stop();
  });

  test('start() right after a stop() that was not awaited keeps consuming', async () => {
    const track = new CountingTrack(2);
    const hole = new MediaBlackHole();
    hole.addTrack(track);
    await hole.start();
    await sleep(20);
    void hole.stop();
    await hole.start();
    const before = hole.stats()[track.id];
    await sleep(100);
    expect(hole.stats()[track.id] - before).toBeGreaterThan(10);
    await hole.stop();
    const after = hole.stats()[track.id];
    await sleep(30);
    expect(hole.stats()[track.id]).toBe(after);
    track.stop();
  });

  test('addTrack validates its argument', () => {
    const hole = new MediaBlackHole();
    expect(() => hole.addTrack({} as never)).toThrow(new TypeError('MediaBlackHole.addTrack: track must be a MediaStreamTrack; got an object'));
    expect(() => hole.addTrack(null as never)).toThrow(TypeError);
  });
});
