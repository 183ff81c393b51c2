/**
 * MediaRelay — each of aiortc's relay traps as a test that fails on aiortc's
 * behaviour: the relay keeps pulling forever, has no stop, lets a direct
 * reader steal frames, and holds unbounded queues. Plus fan-out order,
 * slow/unbuffered subscribers and the end of the source.
 */
import { AudioSource, AudioStreamTrack, MediaRelay, MediaStreamError, RelayTrack, type AudioFrame } from '../ts/index';
import { tone } from './helpers/audio';
import { CountingTrack, ScriptedTrack, expectMediaStreamError, rejection, settlesWithin, sleep, tick } from './helpers/media';

/** Reads `n` frames from each track concurrently; returns their pts. */
async function readPts(track: RelayTrack, n: number): Promise<number[]> {
  const pts: number[] = [];
  for (let i = 0; i < n; i++) pts.push((await track.recv()).pts);
  return pts;
}

describe('MediaRelay stops pulling its source', () => {
  test('after the last subscriber stops, at most one more read happens, then none', async () => {
    const source = new CountingTrack(5);
    const relay = new MediaRelay();
    const a = relay.subscribe(source);
    const b = relay.subscribe(source);
    const [pa, pb] = await Promise.all([readPts(a, 10), readPts(b, 10)]);
    expect(pa).toEqual(pb);
    expect(source.calls).toBeGreaterThanOrEqual(10);
    a.stop();
    await sleep(30);
    const whileOne = source.calls;
    await sleep(30);
    // one subscriber left (not reading; its queue absorbs the frames): the relay still pulls
    expect(source.calls).toBeGreaterThan(whileOne);
    b.stop();
    const atStop = source.calls;
    await sleep(50);
    const settled = source.calls;
    expect(settled - atStop).toBeLessThanOrEqual(1);
    await sleep(200);
    expect(source.calls).toBe(settled); // nothing for 200 ms: aiortc's relay would have read ~40 more frames
    expect(source.readyState).toBe('live'); // without stopSourceWhenIdle the source is left alone
  });

  test('a relay whose subscribers never read does not pull at all', async () => {
    const source = new CountingTrack(2);
    const relay = new MediaRelay();
    const sub = relay.subscribe(source);
    await sleep(50);
    expect(source.calls).toBe(0);
    sub.stop();
  });

  test('relay.stop() ends every subscriber', async () => {
    const source = new CountingTrack(5);
    const other = new CountingTrack(5);
    const relay = new MediaRelay();
    const subs = [relay.subscribe(source), relay.subscribe(source, { buffered: false }), relay.subscribe(other)];
    const endedEvents = subs.map(() => 0);
    subs.forEach((s, i) => s.on('ended', () => endedEvents[i]++));
    await Promise.all(subs.map((s) => s.recv()));
    const pending = subs[0].recv();
    relay.stop();
    for (const s of subs) expect(s.readyState).toBe('ended');
    expect(endedEvents).toEqual([1, 1, 1]);
    expectMediaStreamError(await rejection(pending), 'ERR_VOXRTC_TRACK_ENDED');
    for (const s of subs) expectMediaStreamError(await rejection(s.recv()), 'ERR_VOXRTC_TRACK_ENDED');
    // the relay lets go of the sources…
    await sleep(30);
    const calls = [source.calls, other.calls];
    await sleep(100);
    expect([source.calls, other.calls]).toEqual(calls);
    // …but does not stop them (no stopSourceWhenIdle)
    expect(source.readyState).toBe('live');
    expect(other.readyState).toBe('live');
  });

  test('with stopSourceWhenIdle the source is stopped when its last subscriber stops (and on relay.stop())', async () => {
    const generator = new AudioStreamTrack(); // a generator that would produce forever
    const relay = new MediaRelay({ stopSourceWhenIdle: true });
    const a = relay.subscribe(generator);
    const b = relay.subscribe(generator);
    await Promise.all([a.recv(), b.recv()]);
    a.stop();
    expect(generator.readyState).toBe('live'); // b still listens
    b.stop();
    expect(generator.readyState).toBe('ended');

    const g2 = new AudioStreamTrack();
    const relay2 = new MediaRelay({ stopSourceWhenIdle: true });
    relay2.subscribe(g2);
    relay2.subscribe(g2);
    relay2.stop();
    expect(g2.readyState).toBe('ended');
  });

  test('options are validated', () => {
    expect(() => new MediaRelay({ stopSourceWhenIdle: 'yes' as never })).toThrow(
      new TypeError('MediaRelay: options.stopSourceWhenIdle must be a boolean; got "yes"'),
    );
    const relay = new MediaRelay();
    const source = new ScriptedTrack();
    expect(() => relay.subscribe(source, { maxQueue: 0 })).toThrow(
      new RangeError('MediaRelay.subscribe: options.maxQueue must be an integer from 1 to 100000; got 0'),
    );
    expect(() => relay.subscribe({} as never)).toThrow(new TypeError('MediaRelay.subscribe: track must be a MediaStreamTrack; got an object'));
    source.stop();
    expect(() => relay.subscribe(source)).toThrow(MediaStreamError);
  });
});

describe('MediaRelay owns its source', () => {
  test('reading a source that a relay owns rejects with ERR_VOXRTC_TRACK_OWNED and says to subscribe', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const sub = relay.subscribe(source);
    const error = expectMediaStreamError(await rejection(source.recv()), 'ERR_VOXRTC_TRACK_OWNED');
    expect(error.message).toMatch(/is read by a MediaRelay; reading it directly would steal its frames\. Call relay\.subscribe\(track\) and read the returned track instead\.$/);
    expect(source.calls).toBe(0); // the guard rejected before the source's own recv() ran
    // for await does not swallow it either
    const loop = async (): Promise<void> => {
      for await (const frame of source) void frame;
    };
    await expect(loop()).rejects.toMatchObject({ code: 'ERR_VOXRTC_TRACK_OWNED' });
    // a second relay cannot take it either
    expect(() => new MediaRelay().subscribe(source)).toThrow(/already read by a MediaRelay; subscribe through that relay/);
    // while the subscriber gets every frame
    source.produce(3);
    expect(await readPts(sub, 3)).toEqual([0, 960, 1920]);
    sub.stop();
  });

  test('after the relay is idle, the source can be read directly again', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const sub = relay.subscribe(source);
    source.produce(2);
    await readPts(sub, 2);
    sub.stop();
    source.produce(2);
    // the relay's last read (pending when the subscriber stopped) takes one frame at most
    await tick();
    const direct = await source.recv();
    expect(direct).toBeDefined();
    expect([2 * 960, 3 * 960]).toContain(direct.pts);
    // and a new relay may own it again
    const sub2 = new MediaRelay().subscribe(source);
    await expect(source.recv()).rejects.toMatchObject({ code: 'ERR_VOXRTC_TRACK_OWNED' });
    sub2.stop();
  });

  test('a queue-backed source (another relay track) can be read again after the relay went idle with a read pending', async () => {
    const base = new ScriptedTrack();
    const mid = new MediaRelay().subscribe(base); // a track backed by a FrameQueue, like a remote track
    const relay = new MediaRelay();
    const sub = relay.subscribe(mid);
    base.produce(1);
    expect((await sub.recv()).pts).toBe(0);
    sub.stop(); // idle, with the pump's next read of `mid` still waiting
    await tick();
    const direct = mid.recv();
    base.produce(2);
    // the abandoned read takes at most one frame; the direct reader gets the next, it does not fail
    expect((await direct).pts).toBe(2 * 960);
    const again = new MediaRelay().subscribe(mid);
    const next = again.recv();
    base.produce(1);
    expect((await next).pts).toBe(3 * 960);
    again.stop();
    mid.stop();
  });
});

describe('MediaRelay fan-out', () => {
  test('two subscribers get the same frames in order', async () => {
    const source = new AudioStreamTrack({ tone: { frequency: 440 } });
    const relay = new MediaRelay({ stopSourceWhenIdle: true });
    const a = relay.subscribe(source);
    const b = relay.subscribe(source);
    const got: AudioFrame[][] = [[], []];
    await Promise.all(
      [a, b].map(async (sub, i) => {
        for await (const frame of sub) {
          got[i].push(frame);
          if (got[i].length === 15) break;
        }
      }),
    );
    expect(got[0].map((f) => f.pts)).toEqual(Array.from({ length: 15 }, (_, i) => i * 960));
    expect(got[1].map((f) => f.pts)).toEqual(got[0].map((f) => f.pts));
    for (let i = 0; i < 15; i++) expect(Array.from(got[1][i].data)).toEqual(Array.from(got[0][i].data));
    relay.stop();
    expect(source.readyState).toBe('ended');
  });

  test('a slow buffered subscriber (maxQueue 5) loses its oldest frames, counted, never holding more than 5; a fast one gets all', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const fast = relay.subscribe(source);
    const slow = relay.subscribe(source, { maxQueue: 5 });
    const fastPts: number[] = [];
    const reading = (async () => {
      for await (const frame of fast) fastPts.push(frame.pts);
    })();
    for (let i = 0; i < 100; i++) {
      source.produce(1); // a paced source: one frame at a time (a source that bursts overruns any queue)
      await tick();
    }
    expect(fastPts).toHaveLength(100);
    expect(fast.dropped).toBe(0);
    // the slow subscriber never read: it holds the newest 5, the 95 older ones were dropped and counted
    expect(slow.queued).toBe(5);
    expect(slow.dropped).toBe(95);
    expect(await readPts(slow, 5)).toEqual([95, 96, 97, 98, 99].map((k) => k * 960));
    expect(slow.queued).toBe(0);
    relay.stop();
    await reading;
  });

  test('under a fast free-running source a slow subscriber stays bounded and its drops account for every gap', async () => {
    const source = new CountingTrack(0); // one frame per macrotask: thousands per second
    const relay = new MediaRelay({ stopSourceWhenIdle: true });
    const fast = relay.subscribe(source, { maxQueue: 1000 });
    const slow = relay.subscribe(source, { maxQueue: 5 });
    let fastCount = 0;
    let fastGap = false;
    const fastReader = (async () => {
      for await (const frame of fast) {
        if (frame.pts !== fastCount * 960) fastGap = true;
        fastCount++;
      }
    })();
    let maxQueued = 0;
    const watch = setInterval(() => (maxQueued = Math.max(maxQueued, slow.queued)), 1);
    const slowPts: number[] = [];
    const started = performance.now();
    while (performance.now() - started < 400) {
      await sleep(20);
      const frame = await slow.recv();
      slowPts.push(frame.pts);
      maxQueued = Math.max(maxQueued, slow.queued);
      // every frame the slow subscriber did not get before this one was dropped (counted), none silently lost
      expect(slow.dropped).toBe(frame.pts / 960 + 1 - slowPts.length);
    }
    clearInterval(watch);
    relay.stop();
    await fastReader;
    expect(source.readyState).toBe('ended');
    expect(maxQueued).toBeLessThanOrEqual(5);
    expect(slow.dropped).toBeGreaterThan(100);
    expect(fastGap).toBe(false);
    expect(fast.dropped).toBe(0);
    expect(fastCount).toBeGreaterThan(slowPts[slowPts.length - 1] / 960);
    // the slow one's frames are in order
    for (let i = 1; i < slowPts.length; i++) expect(slowPts[i]).toBeGreaterThan(slowPts[i - 1]);
  });

  test('an unbuffered subscriber gets only the latest frame (and counts the ones it missed)', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const buffered = relay.subscribe(source, { maxQueue: 100 });
    const latest = relay.subscribe(source, { buffered: false });
    const first = buffered.recv(); // starts the pump
    source.produce(10);
    await tick();
    expect((await first).pts).toBe(0);
    expect(latest.queued).toBe(1);
    expect((await latest.recv()).pts).toBe(9 * 960);
    expect(latest.dropped).toBe(9);
    // nothing newer yet: it waits for the next frame
    const next = latest.recv();
    expect(await settlesWithin(next, 20)).toBe('pending');
    source.produce(1);
    expect((await next).pts).toBe(10 * 960);
    expect(buffered.queued).toBe(10); // the buffered one has all of them
    relay.stop();
  });

  test('the source ending ends all subscribers', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const subs = [relay.subscribe(source), relay.subscribe(source, { buffered: false })];
    let ended = 0;
    subs.forEach((s) => s.on('ended', () => ended++));
    const pending = subs.map((s) => s.recv());
    source.produce(1);
    expect((await Promise.all(pending)).map((f) => f.pts)).toEqual([0, 0]);
    const waiting = subs.map((s) => s.recv());
    source.stop();
    for (const w of waiting) expectMediaStreamError(await rejection(w), 'ERR_VOXRTC_TRACK_ENDED');
    expect(ended).toBe(2);
    for (const s of subs) expect(s.readyState).toBe('ended');
  });

  test('frames still queued when the source ends are played out before the subscriber ends', async () => {
    const source = new ScriptedTrack();
    const relay = new MediaRelay();
    const fast = relay.subscribe(source);
    const slow = relay.subscribe(source, { maxQueue: 10 });
    const first = fast.recv(); // starts the pump
    source.produce(4);
    await first;
    for (let i = 1; i < 4; i++) await fast.recv();
    expect(slow.queued).toBe(4);
    source.stop();
    await sleep(20);
    expect(slow.readyState).toBe('live');
    const pts: number[] = [];
    for await (const frame of slow) pts.push(frame.pts);
    expect(pts).toEqual([0, 960, 1920, 2880]);
    expect(slow.readyState).toBe('ended');
  });

  test('a source whose recv() ends on its own (AudioSource.end()) ends the subscribers after the last frame', async () => {
    const tts = new AudioSource();
    await tts.push(tone(440, 48000, 0.1));
    await tts.end();
    const relay = new MediaRelay();
    const a = relay.subscribe(tts.track);
    const b = relay.subscribe(tts.track);
    const counts = await Promise.all(
      [a, b].map(async (sub) => {
        let n = 0;
        for await (const frame of sub) {
          expect(frame.pts).toBe(n * 960);
          n++;
        }
        return n;
      }),
    );
    expect(counts).toEqual([5, 5]);
    expect(a.readyState).toBe('ended');
    expect(b.readyState).toBe('ended');
    expect(tts.track.readyState).toBe('ended');
  });
});
