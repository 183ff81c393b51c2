/**
 * Session lifecycle under churn and hostile input (issue 4): rapid
 * connect/disconnect cycles, peers that vanish without closing, and malformed
 * or hostile SDP leave no open session, socket or timer behind, and memory
 * stays flat.
 *
 * What counts as "left behind" is checked two ways:
 * - `process.getActiveResourcesInfo()`, compared with a baseline taken before
 *   the first session. It lists only *ref'ed* handles: an unref'ed timer (the
 *   watchdog's are) or socket would not show there.
 * - so an async_hooks census also records every timer, immediate and UDP
 *   socket created from voxrtc's sources (ts/) or from werift and its
 *   dependencies, and forgets it when it is destroyed. Whatever is still
 *   alive once everything is closed is a leak, named by where it was created.
 * werift releases its sockets a little after close() resolves, so both are
 * polled for a few seconds.
 *
 * Memory: RSS after forced garbage collection (gc is exposed at run time, as
 * in memory.test.ts), taken after cycle 50 and after cycle 200. Both
 * checkpoints are taken after the same settling, so allocator pools, JIT code
 * and werift's lazily built state are already there at the first one.
 *
 * Facts of werift 0.24.4 these tests rest on (and PeerSession works around):
 * - It sends no DTLS close_notify when it closes, so when one side of a call
 *   closes, the other side sees exactly what it sees when its peer vanishes:
 *   silence. Only the watchdog ends such a session.
 * - It parks a negotiation step on a closed connection on a promise that
 *   never settles; it retransmits an unanswered DTLS handshake flight for 33 s
 *   after close(); it queries stun.l.google.com when no STUN server is
 *   configured; its SDP parser crashes on many malformed lines. See
 *   ts/rtc/peer-session.ts and ts/rtc/sdp-check.ts.
 * - Resolving an mDNS (.local) candidate leaves a 10 s timer running after
 *   close() (werift's MdnsLookup never clears it); the hostile-SDP group
 *   waits for it at the end.
 *
 * Runs in about 60 s on an idle 2-core machine (90 s when it is loaded):
 * inside jest's vm sandbox werift's pure-JS X25519 is ~18 times slower than in
 * plain Node, so the ~130 DTLS handshakes of the cycles take most of it.
 */
import { createHook } from 'node:async_hooks';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { AudioStreamTrack, type AudioFrame } from '../ts/index';
import { PeerSession, type PeerSessionOptions, type SessionDescription } from '../ts/rtc/peer-session';
import type { RemoteAudioTrack } from '../ts/rtc/remote-audio-track';
import { openSocketChannels } from '../ts/rtc/socket-channel';
import type { RTCPeerConnection } from 'werift';
import { MAX_CANDIDATES, MAX_MEDIA_SECTIONS, MAX_SDP_LENGTH } from '../ts/rtc/sdp-check';
import { rmsDb } from './helpers/audio';
import { exposeGc, sleep } from './helpers/media';

jest.setTimeout(60_000);

// ------------------------------------------------------------------ census --

/** Live timers, immediates and UDP sockets created from voxrtc's sources or werift, by async id. */
const census = new Map<number, string>();
const OURS = /[\\/]ts[\\/](?:rtc|media|core|signaling)[\\/]|[\\/]node_modules[\\/](?:werift|multicast-dns|@shinyoshiaki)[\\/]/;
const WATCHED = new Set(['Timeout', 'Immediate', 'UDPWRAP']);
const hook = createHook({
  init(id, type) {
    if (!WATCHED.has(type)) return;
    // Raw call sites: no formatting and no source maps (jest's are slow, and a sender makes a timer every 20 ms).
    const { prepareStackTrace, stackTraceLimit } = Error;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = 30;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    const sites = holder.stack ?? [];
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
    const site = sites.find((s) => OURS.test(s.getFileName() ?? ''));
    if (site) census.set(id, `${type} created at ${site.getFunctionName() ?? '<anonymous>'} (${site.getFileName()}:${site.getLineNumber()})`);
  },
  destroy(id) {
    census.delete(id);
  },
});
hook.enable(); // (disabled after the file: jest runs other test files in this worker)

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = { UDPWrap: 0, Timeout: 0 };
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Taken before the first session of this file. */
let baseline: Record<string, number>;

/** What is still open: sessions, sockets, timers beyond the baseline, and the census (grouped). */
function leftovers(): string[] {
  const now = activeResources();
  const out: string[] = [];
  if (PeerSession.registry.size > 0) out.push(`${PeerSession.registry.size} session(s) in the registry: ${PeerSession.registry.list().map((s) => s.connectionState).join(', ')}`);
  if (now.UDPWrap > baseline.UDPWrap) out.push(`${now.UDPWrap - baseline.UDPWrap} more UDPWrap in getActiveResourcesInfo()`);
  if (now.Timeout > baseline.Timeout) out.push(`${now.Timeout - baseline.Timeout} more Timeout in getActiveResourcesInfo()`);
  // (the direct RTP path's native socket channels poll outside Node's handle list)
  if (openSocketChannels() > 0) out.push(`${openSocketChannels()} native socket channel(s) still open`);
  const grouped = new Map<string, number>();
  for (const what of census.values()) grouped.set(what, (grouped.get(what) ?? 0) + 1);
  for (const [what, n] of grouped) out.push(`${n} × ${what}`);
  return out;
}

/** Polls until nothing is left (werift closes sockets after close() resolves), then expects exactly that. */
async function expectNothingLeft(withinMs = 8000): Promise<number> {
  const started = performance.now();
  while (leftovers().length > 0 && performance.now() - started < withinMs) await sleep(100);
  expect(leftovers()).toEqual([]);
  return performance.now() - started;
}

// ---------------------------------------------------------------- memory --

const gc = exposeGc();
const MiB = 1024 * 1024;

/** Memory after collecting garbage and letting finalizers (native codecs) run, a few times over. */
async function settledMemory(): Promise<{ rss: number; heapUsed: number }> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    await sleep(10);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

// --------------------------------------------------------------- helpers --

/** `promise`, or a rejection naming `what` if it has not settled within `ms`: a hang fails the test instead of stalling it. */
async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when the session is connected; rejects if it closes first or takes longer than `ms`. */
function connected(session: PeerSession, ms = 10_000): Promise<void> {
  if (session.connectionState === 'connected') return Promise.resolve();
  return within(
    `session ${session.id} connecting`,
    new Promise<void>((resolve, reject) => {
      const onState = (state: string): void => {
        if (state === 'connected') finish();
      };
      const onClosed = (reason: string): void => finish(new Error(`closed before connecting: ${reason}`));
      const finish = (error?: Error): void => {
        session.off('connectionstatechange', onState);
        session.off('closed', onClosed);
        if (error) reject(error);
        else resolve();
      };
      session.on('connectionstatechange', onState);
      session.once('closed', onClosed);
    }),
    ms,
  );
}

/** The reason the session closes with. */
function closedReason(session: PeerSession): Promise<string> {
  return new Promise((resolve) => session.once('closed', resolve));
}

/**
 * Media flows: reads `track` until a frame carries the tone (0.4 of full
 * scale is -11 dBFS RMS; a frame above -20 dBFS is the tone, not silence or
 * concealment), at most `maxFrames` frames. Returns how many it took.
 */
async function expectTone(track: RemoteAudioTrack, maxFrames = 100): Promise<number> {
  let frames = 0;
  let loudest = -Infinity;
  for await (const frame of track) {
    frames++;
    loudest = Math.max(loudest, rmsDb((frame as AudioFrame).data as Int16Array));
    if (loudest > -20 || frames >= maxFrames) break;
  }
  expect(loudest).toBeGreaterThan(-20);
  return frames;
}

const MESSAGE_CLOSED_DURING = /closed during negotiation|closed during the offer handler|the session is closed/;

beforeAll(() => {
  baseline = activeResources();
});

afterAll(async () => {
  await Promise.all(PeerSession.registry.list().map((s) => s.close('test cleanup')));
  hook.disable();
});

// ---------------------------------------------------------------- cycles --

type Ending = 'caller first' | 'callee first' | 'both at once' | 'close during answer' | 'close during acceptAnswer' | 'right after connect';
const ENDINGS: Ending[] = ['caller first', 'callee first', 'both at once', 'close during answer', 'close during acceptAnswer', 'right after connect'];

/** When, relative to the negotiation call, the close comes: same tick, after a microtask, next macrotask, 2 ms later. */
async function closeSoon(session: PeerSession, variant: number, reason: string): Promise<void> {
  switch (variant % 4) {
    case 0:
      break;
    case 1:
      await Promise.resolve();
      break;
    case 2:
      await new Promise((resolve) => setImmediate(resolve));
      break;
    default:
      await sleep(2);
  }
  await session.close(reason);
}

/** A connection that failed (or timed out) and was closed by the watchdog: werift gave up on it; it must still leave nothing behind. */
const CONNECT_FAILED = /^closed before connecting: watchdog: (the connection failed|not connected within \d+ ms)/;

/** Cycles whose tone was heard by the callee (or, echoed, by the caller). */
let mediaProved = 0;
/** Cycles that prove media flows: 3 in every 36 (each of the orders that close a connected call), 18 of 200. */
const provesMedia = (i: number): boolean => i % 36 < 3;

/**
 * One connect/disconnect cycle: `caller` offers a tone, `callee` answers
 * (echoing on odd cycles), they connect and close in the order `ENDINGS`
 * picks for cycle `i`. Some cycles ({@link provesMedia}) also prove media flows.
 *
 * Returns the ending, `'connect failed'` when the watchdog closed a session
 * that could not connect. On a loaded 2-core machine that happens now and
 * then: inside jest's vm sandbox werift's pure-JS X25519 (tweetnacl) is about
 * 18 times slower than in plain Node (2.5 ms → 45 ms per operation), and
 * werift fails a DTLS handshake whose next flight is not ready within 4.5 s.
 */
async function cycle(i: number): Promise<Ending | 'connect failed'> {
  const ending = ENDINGS[i % ENDINGS.length];
  const variant = Math.floor(i / ENDINGS.length);
  const options: PeerSessionOptions = { loopback: true, connectTimeoutMs: 10_000 };
  const caller = new PeerSession(options);
  const callee = new PeerSession(options);
  const closes = [closedReason(caller), closedReason(callee)];
  const tone = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.4 } });
  const echo = (s: PeerSession): void => {
    if (i % 2 === 1) s.addTrack(s.remoteTracks[0]);
  };
  try {
    caller.addTrack(tone);
    const offer = await within('offer', caller.offer(), 10_000);

    if (ending === 'close during answer') {
      const answering = callee.answer(offer, echo);
      const closing = closeSoon(callee, variant, 'test: closed during answer()');
      // Closed in the same tick it must fail; later, the answer may already be done.
      const outcome = await within('answer() with a close during it', answering.then(() => 'answered', (error: Error) => error), 5000);
      await closing;
      if (variant % 4 === 0) expect(String(outcome)).toMatch(/^Error: PeerSession\.answer: the session was closed during negotiation \(test: closed during answer\(\)\)$/);
      else if (outcome !== 'answered') expect(String(outcome)).toMatch(MESSAGE_CLOSED_DURING);
      return ending;
    }

    const answer = await within('answer', callee.answer(offer, echo), 10_000);

    if (ending === 'close during acceptAnswer') {
      const accepting = caller.acceptAnswer(answer);
      const closing = closeSoon(caller, variant, 'test: closed during acceptAnswer()');
      const outcome = await within('acceptAnswer() with a close during it', accepting.then(() => 'accepted', (error: Error) => error), 5000);
      await closing;
      if (variant % 4 === 0) expect(String(outcome)).toMatch(/^Error: PeerSession\.acceptAnswer: the session was closed during negotiation \(test: closed during acceptAnswer\(\)\)$/);
      else if (outcome !== 'accepted') expect(String(outcome)).toMatch(MESSAGE_CLOSED_DURING);
      return ending;
    }

    await within('acceptAnswer', caller.acceptAnswer(answer), 10_000);
    // (the caller may still be finishing its DTLS handshake when the callee is connected)
    const up = await Promise.all(ending === 'right after connect' ? [connected(callee, 12_000)] : [connected(caller, 12_000), connected(callee, 12_000)]).then(
      () => true,
      (error: Error) => {
        if (CONNECT_FAILED.test(error.message)) return false;
        throw error;
      },
    );
    if (!up) return 'connect failed';
    if (ending === 'right after connect') {
      await Promise.all([callee.close(), caller.close()]);
      return ending;
    }
    if (provesMedia(i)) {
      // The callee hears the tone; on an echo cycle, the caller hears it come back.
      await within('reading the tone', expectTone(i % 2 === 1 ? caller.remoteTracks[0] : callee.remoteTracks[0]), 5000);
      mediaProved++;
    }
    if (ending === 'caller first') {
      await caller.close();
      await callee.close();
    } else if (ending === 'callee first') {
      await callee.close();
      await caller.close();
    } else {
      await Promise.all([caller.close(), callee.close()]);
    }
    return ending;
  } finally {
    tone.stop();
    await Promise.all([caller.close('test: end of cycle'), callee.close('test: end of cycle')]);
    await Promise.all(closes); // each session emitted 'closed'
    expect([caller.connectionState, callee.connectionState]).toEqual(['closed', 'closed']);
    expect(callee.remoteTracks.every((t) => t.readyState === 'ended')).toBe(true);
  }
}

describe('200 rapid connect/disconnect cycles', () => {
  const CYCLES = 200;
  const CONCURRENCY = 5;
  const CHECKPOINT = 50;

  test(`${CYCLES} cycles, ${CONCURRENCY} at a time, in every closing order, leave no session, socket or timer, and flat memory`, async () => {
    const started = performance.now();
    const endings = new Map<Ending | 'connect failed', number>();
    let done = 0;
    let atCheckpoint: { rss: number; heapUsed: number } | undefined;
    while (done < CYCLES) {
      const batch = Array.from({ length: Math.min(CONCURRENCY, CYCLES - done) }, (_, k) => done + k);
      for (const ending of await Promise.all(batch.map((i) => cycle(i)))) endings.set(ending, (endings.get(ending) ?? 0) + 1);
      done += batch.length;
      if (done === CHECKPOINT) { // (a multiple of CONCURRENCY)
        expect(PeerSession.registry.size).toBe(0);
        await expectNothingLeft();
        atCheckpoint = await settledMemory();
      }
    }
    const cyclesMs = performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve)); // (lets the destroy hooks of timers cleared by close() run)
    expect(PeerSession.registry.size).toBe(0);
    const failedConnects = endings.get('connect failed') ?? 0;
    expect(failedConnects).toBeLessThanOrEqual(CYCLES * 0.05); // (none on an idle machine)
    expect(mediaProved).toBeGreaterThanOrEqual(Array.from({ length: CYCLES }, (_, i) => i).filter(provesMedia).length - failedConnects);
    // What werift is still winding down when the last close() has resolved (released within about 1 s).
    const winding = new Map<string, number>();
    for (const what of census.values()) {
      const key = what.replace(/ created at (\S+) .*[\\/](\S+?):\d+\)$/, ' ($1, $2)');
      winding.set(key, (winding.get(key) ?? 0) + 1);
    }
    const drainMs = await expectNothingLeft();
    const atEnd = await settledMemory();
    const growth = atEnd.rss - (atCheckpoint as { rss: number }).rss;
    console.log(
      `${CYCLES} cycles in ${(cyclesMs / 1000).toFixed(1)} s (${[...endings].map(([e, n]) => `${e} ×${n}`).join(', ')}; the tone heard in ${mediaProved}); ` +
        `resources released ${Math.round(drainMs)} ms after the last close (${[...winding].map(([w, n]) => `${n} × ${w}`).join(', ') || 'none open'}); ` +
        `RSS after cycle ${CHECKPOINT}: ${(atCheckpoint!.rss / MiB).toFixed(1)} MiB, after cycle ${CYCLES}: ${(atEnd.rss / MiB).toFixed(1)} MiB ` +
        `(${growth >= 0 ? '+' : ''}${(growth / MiB).toFixed(1)} MiB); heap used ${(atCheckpoint!.heapUsed / MiB).toFixed(1)} → ${(atEnd.heapUsed / MiB).toFixed(1)} MiB`,
    );
    // Measured on a 2-core machine over these 150 cycles: flat is +0 to +4 MiB of RSS and under +1 MiB of heap.
    // Leaking one bare werift RTCPeerConnection per cycle (never closed, no sockets) adds about +15 MiB of RSS
    // and +10 MiB of heap; keeping every closed session pair reachable adds about +37 MiB and +34 MiB.
    expect(growth).toBeLessThan(10 * MiB);
    expect(atEnd.heapUsed - atCheckpoint!.heapUsed).toBeLessThan(4 * MiB);
  }, 150_000);
});

// ------------------------------------------------- peers that vanish --

const FIXTURE = path.join(__dirname, 'fixtures', 'vanishing-caller.js');
/** Small watchdog deadlines: silent for 1 s counts as disconnected, closed 0.5 s later. */
const WATCHDOG: PeerSessionOptions = { loopback: true, disconnectGraceMs: 500, mediaTimeoutMs: 1000 };
/** The longest the watchdog may take after the last packet: the silence, one check period (1 s), the grace, and slack for a busy machine. */
const WATCHDOG_BOUND_MS = 1000 + 1000 + 500 + 1500;
const WATCHDOG_REASON = /^watchdog: (no media for \d+ ms|disconnected|the connection failed)/;

interface ChildCaller {
  child: ChildProcessWithoutNullStreams;
  offer: SessionDescription;
  /** Sends the answer to the child. */
  answer(answer: SessionDescription): void;
  /** Resolves when the child reports its session connected. */
  connected: Promise<void>;
  /** The signal the child died of. */
  exited: Promise<NodeJS.Signals | null>;
  stderr(): string;
}

/** Starts test/fixtures/vanishing-caller.js and waits for its offer. */
async function spawnCaller(): Promise<ChildCaller> {
  const child = spawn(process.execPath, [FIXTURE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let reportConnected: () => void = () => undefined;
  const isConnected = new Promise<void>((resolve) => (reportConnected = resolve));
  const offer = await within(
    'the child process offering',
    new Promise<SessionDescription>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'connected') reportConnected();
        else if (line.startsWith('{')) resolve(JSON.parse(line) as SessionDescription);
      });
      child.once('exit', (code, signal) => reject(new Error(`the child exited (${code ?? signal}) before offering: ${stderr}`)));
    }),
    30_000,
  );
  return {
    child,
    offer,
    answer: (answer) => child.stdin.write(`${JSON.stringify(answer)}\n`),
    connected: isConnected,
    exited,
    stderr: () => stderr,
  };
}

/** Tracks the callees of these tests send; stopped after each test. */
const calleeTones: AudioStreamTrack[] = [];
afterEach(async () => {
  for (const tone of calleeTones.splice(0)) tone.stop();
  await Promise.all(PeerSession.registry.list().map((s) => s.close('test cleanup'))); // after a failure: do not spoil the next test
});

/** Answers `offer` in this process with a tone of its own; resolves once both sides are connected and the caller's tone arrives. */
async function answerAndConnect(offer: SessionDescription, deliver: (answer: SessionDescription) => Promise<void> | void, peerConnected: Promise<void>): Promise<{ callee: PeerSession; closed: Promise<string> }> {
  const callee = new PeerSession(WATCHDOG);
  const closed = closedReason(callee);
  const tone = new AudioStreamTrack({ tone: { frequency: 660, amplitude: 0.4 } });
  calleeTones.push(tone);
  const answer = await callee.answer(offer, (s) => s.addTrack(tone));
  await deliver(answer);
  await within('both sides connecting', Promise.all([peerConnected, connected(callee)]), 10_000);
  await within('reading the tone', expectTone(callee.remoteTracks[0]), 5000);
  return { callee, closed };
}

/** Waits for the watchdog to close `callee` and checks how and how soon. */
async function expectWatchdogClose(callee: PeerSession, closed: Promise<string>, since: number): Promise<number> {
  const reason = await within('the watchdog closing the session', closed, 10_000);
  const after = performance.now() - since;
  expect(reason).toMatch(WATCHDOG_REASON);
  expect(after).toBeLessThan(WATCHDOG_BOUND_MS);
  expect(callee.connectionState).toBe('closed');
  expect(callee.remoteTracks[0].readyState).toBe('ended');
  expect(callee.stats().senders.every((s) => s.state === 'stopped')).toBe(true);
  return after;
}

/**
 * Drops everything a session's sockets would send, leaving them open: its
 * peer sees a network that went silent (a pulled cable, a suspended laptop).
 * This reaches into werift 0.24.4's internals (RTCPeerConnection →
 * iceTransports → connection.protocols → transport.send, and the socket and
 * native channel the direct RTP path writes to), for this test only.
 */
function silenceNetwork(session: PeerSession): number {
  type Transport = { send: (...args: unknown[]) => Promise<void>; socket?: { send: (...args: unknown[]) => void } };
  type Pc = { iceTransports: Array<{ connection: { protocols: Array<{ transport?: Transport }> } }> };
  const pc = (session as unknown as { pc: Pc }).pc;
  let silenced = 0;
  for (const ice of pc.iceTransports) {
    for (const protocol of ice.connection.protocols) {
      if (protocol.transport) {
        protocol.transport.send = () => Promise.resolve();
        // (the direct RTP path writes to the socket itself)
        if (protocol.transport.socket) protocol.transport.socket.send = () => undefined;
        silenced++;
      }
    }
  }
  // (and the native channel the direct RTP path sends through, where there is one)
  const directPaths = (session as unknown as { directPaths: Map<object, { channel: { send: (...args: unknown[]) => boolean } | null }> }).directPaths;
  for (const direct of directPaths.values()) {
    if (direct.channel) direct.channel.send = () => true;
  }
  return silenced;
}

describe('peers that vanish without closing', () => {
  test('5 caller processes killed with SIGKILL at once: each callee\'s watchdog closes its session; nothing is left', async () => {
    const callers = await Promise.all(Array.from({ length: 5 }, () => spawnCaller()));
    try {
      // One handshake at a time: werift fails a DTLS handshake that stalls for 4.5 s, and in jest its crypto is slow.
      const calls: Array<{ callee: PeerSession; closed: Promise<string> }> = [];
      for (const c of callers) calls.push(await answerAndConnect(c.offer, (answer) => c.answer(answer), c.connected));
      const killedAt = performance.now();
      for (const c of callers) c.child.kill('SIGKILL');
      const delays = await Promise.all(calls.map(({ callee, closed }) => expectWatchdogClose(callee, closed, killedAt)));
      console.log(`SIGKILLed callers: the callees' watchdogs closed their sessions after ${delays.map((d) => Math.round(d)).join(', ')} ms`);
      for (const c of callers) {
        expect(await c.exited).toBe('SIGKILL');
        expect(c.stderr()).toBe('');
      }
    } finally {
      for (const c of callers) c.child.kill('SIGKILL');
      await Promise.all(PeerSession.registry.list().map((s) => s.close('test cleanup')));
    }
    expect(PeerSession.registry.size).toBe(0);
    await expectNothingLeft();
  });

  test('a frozen caller process (SIGSTOP: sockets open, nothing sent): the callee\'s watchdog closes the session', async () => {
    const c = await spawnCaller();
    try {
      const { callee, closed } = await answerAndConnect(c.offer, (answer) => c.answer(answer), c.connected);
      const stoppedAt = performance.now();
      c.child.kill('SIGSTOP');
      await expectWatchdogClose(callee, closed, stoppedAt);
    } finally {
      c.child.kill('SIGKILL');
      await Promise.all(PeerSession.registry.list().map((s) => s.close('test cleanup')));
    }
    expect(await c.exited).toBe('SIGKILL');
    expect(PeerSession.registry.size).toBe(0);
    await expectNothingLeft();
  });

  test('in process: a caller whose network goes silent, and a caller that closes (werift sends no DTLS close_notify): the callee\'s watchdog closes the session', async () => {
    const pair = async (): Promise<{ caller: PeerSession; callee: PeerSession; closed: Promise<string>; tone: AudioStreamTrack }> => {
      const caller = new PeerSession({ loopback: true });
      const tone = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.4 } });
      caller.addTrack(tone);
      const offer = await caller.offer();
      const { callee, closed } = await answerAndConnect(offer, (answer) => caller.acceptAnswer(answer), connected(caller));
      return { caller, callee, closed, tone };
    };
    const [silent, closing] = await Promise.all([pair(), pair()]);
    try {
      const since = performance.now();
      expect(silenceNetwork(silent.caller)).toBeGreaterThan(0);
      await closing.caller.close('test: the caller hangs up');
      await Promise.all([expectWatchdogClose(silent.callee, silent.closed, since), expectWatchdogClose(closing.callee, closing.closed, since)]);
      // The silenced caller still hears the callee until that closes; then its own watchdog would end it too.
      expect(silent.caller.connectionState).toBe('connected');
    } finally {
      silent.tone.stop();
      closing.tone.stop();
      await Promise.all([silent.caller.close(), closing.caller.close(), silent.callee.close(), closing.callee.close()]);
    }
    expect(PeerSession.registry.size).toBe(0);
    await expectNothingLeft();
  });
});

describe('a peer that vanishes in the middle of the DTLS handshake', () => {
  test('closing the session stops werift\'s handshake retransmissions: nothing is left within 3 s (werift alone retransmits for 33 s)', async () => {
    const caller = new PeerSession({ loopback: true });
    const callee = new PeerSession({ loopback: true });
    const tone = new AudioStreamTrack({ tone: { frequency: 440 } });
    try {
      caller.addTrack(tone);
      const answer = await callee.answer(await caller.offer());
      // The callee (DTLS client: the answer says a=setup:active) starts its handshake once ICE is up; the caller goes silent then.
      const pc = (callee as unknown as { pc: RTCPeerConnection }).pc;
      const iceUp = new Promise<void>((resolve) => pc.iceConnectionStateChange.subscribe((state) => state === 'connected' && resolve()));
      await caller.acceptAnswer(answer);
      await within('ICE connecting', iceUp, 10_000);
      silenceNetwork(caller);
      await sleep(1600); // the ClientHello has been sent and retransmitted (after 0.5 s and 1 s), unanswered
      expect(callee.connectionState).toBe('connecting');
    } finally {
      tone.stop();
      await Promise.all([caller.close(), callee.close()]);
    }
    expect(await expectNothingLeft(3000)).toBeLessThan(3000);
  });
});

// ------------------------------------------ close during negotiation --

describe('close() during negotiation never leaves a call hanging', () => {
  /** A fresh offer from a caller that sends a tone (the caller is closed). */
  async function freshOffer(): Promise<SessionDescription> {
    const caller = new PeerSession({ loopback: true });
    caller.addTrack(new AudioStreamTrack({ tone: { frequency: 440 } }));
    try {
      return await caller.offer();
    } finally {
      await caller.close();
    }
  }

  test('close() in the same tick as answer(), acceptAnswer() and offer(): each rejects at once, saying the session was closed', async () => {
    const offer = await freshOffer();
    const callee = new PeerSession({ loopback: true });
    const answering = callee.answer(offer);
    void callee.close('test: closed at once');
    await expect(within('answer()', answering, 2000)).rejects.toThrow(/^PeerSession\.answer: the session was closed during negotiation \(test: closed at once\)/);

    const caller = new PeerSession({ loopback: true });
    caller.addTrack(new AudioStreamTrack({ tone: { frequency: 440 } }));
    const offer2 = await caller.offer();
    const callee2 = new PeerSession({ loopback: true });
    const answer2 = await callee2.answer(offer2);
    const accepting = caller.acceptAnswer(answer2);
    void caller.close('test: closed at once');
    await expect(within('acceptAnswer()', accepting, 2000)).rejects.toThrow(/^PeerSession\.acceptAnswer: the session was closed during negotiation \(test: closed at once\)/);
    await callee2.close();

    const offerer = new PeerSession({ loopback: true });
    const offering = offerer.offer();
    void offerer.close('test: closed at once');
    await expect(within('offer()', offering, 2000)).rejects.toThrow(/^PeerSession\.offer: the session was closed during negotiation \(test: closed at once\)/);

    for (const s of [callee, caller, callee2, offerer]) expect(s.connectionState).toBe('closed');
    expect(PeerSession.registry.size).toBe(0);
    await expectNothingLeft();
  });

  test('a close at any point of answer() settles it within 1 s: answered before the close, or rejected saying so; never a later state', async () => {
    const offer = await freshOffer();
    const moments: Array<[string, () => Promise<unknown>]> = [];
    for (let k = 0; k <= 12; k++) moments.push([`after ${k} immediates`, async () => { for (let j = 0; j < k; j++) await new Promise((resolve) => setImmediate(resolve)); }]);
    for (const ms of [1, 2, 4, 8, 16, 32]) moments.push([`after ${ms} ms`, () => sleep(ms)]);
    const outcomes = await Promise.all(
      moments.map(async ([when, wait]) => {
        const callee = new PeerSession({ loopback: true });
        const answering = callee.answer(offer, (s) => s.addTrack(new AudioStreamTrack({ tone: { frequency: 300 } })));
        await wait();
        const closing = callee.close('test: closed mid-way');
        const outcome = await within(`answer() closed ${when}`, answering.then(() => 'answered', (error: Error) => error.message), 1000);
        await closing;
        if (outcome !== 'answered') expect(outcome).toMatch(/^PeerSession\.answer: the session was closed (during negotiation|during the offer handler)/);
        expect(callee.connectionState).toBe('closed');
        expect(callee.stats().senders.every((s) => s.state === 'stopped')).toBe(true);
        return outcome === 'answered' ? 'answered' : 'rejected';
      }),
    );
    expect(outcomes).toContain('rejected');
    expect(PeerSession.registry.size).toBe(0);
    await expectNothingLeft();
  });

  test('the watchdog firing while the answer handler still runs: answer() rejects with the watchdog\'s reason', async () => {
    const offer = await freshOffer();
    const callee = new PeerSession({ loopback: true, connectTimeoutMs: 200 });
    await expect(within('answer()', callee.answer(offer, () => sleep(600)), 3000)).rejects.toThrow(/closed during the offer handler|not connected within 200 ms/);
    expect(callee.connectionState).toBe('closed');
    await expectNothingLeft();
  });
});

// -------------------------------------- no server unless configured --

describe('negotiation contacts no server unless one is configured', () => {
  test('a call on 127.0.0.1 looks no name up and sends nothing to a STUN server (werift alone queries stun.l.google.com:19302, and offer()/answer() wait up to 5 s for it offline)', async () => {
    const lookups = [jest.spyOn(dns, 'lookup'), jest.spyOn(dns.promises, 'lookup')];
    const sends = jest.spyOn(dgram.Socket.prototype, 'send');
    const caller = new PeerSession({ loopback: true });
    const callee = new PeerSession({ loopback: true });
    const tone = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.4 } });
    try {
      caller.addTrack(tone);
      let t = performance.now();
      const offer = await caller.offer();
      const offerMs = performance.now() - t;
      t = performance.now();
      const answer = await callee.answer(offer);
      const answerMs = performance.now() - t;
      await caller.acceptAnswer(answer);
      await Promise.all([connected(caller), connected(callee)]);
      await within('reading the tone', expectTone(callee.remoteTracks[0]), 5000);
      console.log(`offer() took ${offerMs.toFixed(0)} ms, answer() ${answerMs.toFixed(0)} ms`);
      // (dgram passes IP literals through dns.lookup when it binds; names are what must not appear)
      expect(lookups.flatMap((spy) => spy.mock.calls.map((call) => String(call[0]))).filter((host) => isIP(host) === 0)).toEqual([]);
      const destinations = new Set(sends.mock.calls.map((call) => call.filter((a) => typeof a === 'number' || typeof a === 'string').join(' ')));
      expect([...destinations].filter((d) => /\b19302\b|stun/.test(d))).toEqual([]);
      expect(sends).toHaveBeenCalled(); // (the spy does see werift's traffic)
      expect(offer.sdp).not.toMatch(/typ srflx/);
    } finally {
      for (const spy of [...lookups, sends]) spy.mockRestore();
      tone.stop();
      await Promise.all([caller.close(), callee.close()]);
    }
    await expectNothingLeft();
  });
});

// ------------------------------------------------- hostile SDP --

/** The lines of an SDP (CRLF), and back. */
const linesOf = (sdp: string): string[] => sdp.split('\r\n').filter((l, i, all) => l !== '' || i < all.length - 1);
const sdpOf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const without = (sdp: string, attribute: RegExp): string => sdpOf(linesOf(sdp).filter((l) => !attribute.test(l)));

describe('malformed and hostile SDP: a clear error or a sane answer, never a crash, a hang or a leak', () => {
  /** A real offer: one audio section sending a tone (sendrecv), two audio sections for the bundle case. */
  let good: string;
  let twoStreams: string;

  beforeAll(async () => {
    const caller = new PeerSession({ loopback: true });
    caller.addTrack(new AudioStreamTrack({ tone: { frequency: 440 } }));
    good = (await caller.offer()).sdp;
    await caller.close();
    const two = new PeerSession({ loopback: true });
    two.addTrack(new AudioStreamTrack({ tone: { frequency: 440 } }));
    two.addTrack(new AudioStreamTrack({ tone: { frequency: 660 } }));
    twoStreams = (await two.offer()).sdp;
    await two.close();
  });

  const audioSection = (sdp: string): string => sdp.slice(sdp.indexOf('m=audio'));
  /** A value of `good` (its ICE credentials, fingerprint, port), for the browser-style offers below. */
  const from = (pattern: RegExp): string => (pattern.exec(good) as RegExpExecArray)[1];

  /** An offer shaped like Chrome's: RED, G722, CN and DTMF besides Opus, mDNS and TCP candidates, a bundled data channel. */
  const chromeStyle = (): string => {
    const transport = [`a=ice-ufrag:${from(/^a=ice-ufrag:(.*)$/m)}`, `a=ice-pwd:${from(/^a=ice-pwd:(.*)$/m)}`, 'a=ice-options:trickle', `a=fingerprint:${from(/^a=fingerprint:(.*)$/m)}`, 'a=setup:actpass'];
    const candidates = [
      `a=candidate:1467250027 1 udp 2122260223 127.0.0.1 ${from(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+)/m)} typ host generation 0 network-id 1`,
      'a=candidate:3234934519 1 udp 2122194687 4f0e8c3a-3f8e-4b8c-9b5e-2a7c1d9e0f11.local 50123 typ host generation 0 network-id 2',
      'a=candidate:435653019 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1',
    ];
    return sdpOf([
      'v=0', 'o=- 4215775240449105457 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=extmap-allow-mixed', 'a=msid-semantic: WMS 9ae5a2b1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', ...candidates, ...transport, 'a=mid:0',
      'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=sendrecv', 'a=msid:9ae5a2b1 0b6f7d33', 'a=rtcp-mux', 'a=rtcp-rsize',
      'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111',
      'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:13 CN/8000', 'a=rtpmap:110 telephone-event/48000', 'a=rtpmap:126 telephone-event/8000',
      'a=ssrc:3735928559 cname:Ld2bJ8cXb0F2p0kq', 'a=ssrc:3735928559 msid:9ae5a2b1 0b6f7d33',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', ...candidates, ...transport, 'a=mid:1', 'a=sctp-port:5000', 'a=max-message-size:262144',
    ]);
  };

  /** An offer shaped like Firefox's: fingerprint at session level, attributes in alphabetical order (a=fmtp before a=rtpmap), G722/8000/1. */
  const firefoxStyle = (): string =>
    sdpOf([
      'v=0', 'o=mozilla...THIS_IS_SDPARTA-99.0 4919366128233436541 0 IN IP4 0.0.0.0', 's=-', 't=0 0',
      `a=fingerprint:${from(/^a=fingerprint:(.*)$/m)}`, 'a=group:BUNDLE 0', 'a=ice-options:trickle', 'a=msid-semantic:WMS *',
      'm=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101', 'c=IN IP4 0.0.0.0',
      'a=candidate:0 1 UDP 2122252543 6b4a1c2d-8e9f-4a0b-b1c2-d3e4f5a6b7c8.local 50124 typ host',
      `a=candidate:1 1 UDP 2122187007 127.0.0.1 ${from(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+)/m)} typ host`,
      'a=candidate:2 1 TCP 2105524479 127.0.0.1 9 typ host tcptype active',
      'a=sendrecv', 'a=end-of-candidates', 'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level',
      'a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1', 'a=fmtp:101 0-15',
      `a=ice-pwd:${from(/^a=ice-pwd:(.*)$/m)}`, `a=ice-ufrag:${from(/^a=ice-ufrag:(.*)$/m)}`, 'a=mid:0', 'a=msid:{7d1b} {c0de}', 'a=rtcp-mux',
      'a=rtpmap:109 opus/48000/2', 'a=rtpmap:9 G722/8000/1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=setup:actpass', 'a=ssrc:2655508255 cname:{5f1a}',
    ]);
  const header = (sdp: string): string => sdp.slice(0, sdp.indexOf('m=audio'));

  const errors: Array<[string, () => string, RegExp]> = [
    ['several MB of SDP', () => good + `a=x-junk:${'A'.repeat(1000)}\r\n`.repeat(4000), new RegExp(`is \\d{7} characters long; a WebRTC offer is a few kilobytes, and at most ${MAX_SDP_LENGTH} are accepted`)],
    ['binary garbage after v=0', () => `v=0\r\n${randomBytes(64 * 1024).toString('latin1')}`, /line \d+ (contains the control character 0x[0-9a-f]{2}|is not an SDP line)/],
    ['a NUL byte inside an attribute', () => good.replace('a=ice-ufrag:', 'a=ice-ufrag:\0'), /line \d+ contains the control character 0x00; SDP is text/],
    ['an m=audio line with 5000 payload types', () => good.replace(/^(m=audio .*)$/m, (m) => `${m} ${Array.from({ length: 5000 }, (_, i) => 96 + (i % 32)).join(' ')}`), /line \d+: the m=audio line lists payload type \d+ twice \(5003 formats in all\); each may appear once/],
    ['payload types above 127, each with an rtpmap', () => good.replace(/^(m=audio .*)$/m, (m) => `${m} ${Array.from({ length: 3000 }, (_, i) => 1000 + i).join(' ')}\r\n${Array.from({ length: 3000 }, (_, i) => `a=rtpmap:${1000 + i} opus/48000/2`).join('\r\n')}`), /the m=audio line lists "1000" as a payload type; RTP payload types are 0 to 127/],
    ['no a=ice-ufrag', () => without(good, /^a=ice-ufrag:/), /has no a=ice-ufrag \(ICE username fragment\) for the m=audio section on line \d+ \(mid 0\); it could never connect/],
    ['no a=ice-pwd', () => without(good, /^a=ice-pwd:/), /has no a=ice-pwd \(ICE password\)/],
    ['no a=fingerprint', () => without(good, /^a=fingerprint:/), /has no a=fingerprint \(DTLS certificate fingerprint\)/],
    ['no a=setup', () => without(good, /^a=setup:/), /has no a=setup \(DTLS role\)/],
    ['a malformed a=fingerprint', () => good.replace(/^a=fingerprint:.*$/m, 'a=fingerprint:sha-256'), /a=fingerprint is malformed/],
    ['duplicate m= sections', () => good + audioSection(good), /a=mid:0 is already the mid of the m= section on line \d+; each m= section needs its own/],
    ['a port of 0 (the only audio stream disabled)', () => good.replace(/^m=audio \d+/m, 'm=audio 0'), /offers no usable audio \(line \d+ has port 0 \(the stream is disabled\)\); nothing would flow either way/],
    ['a=inactive', () => good.replace(/^a=sendrecv$/m, 'a=inactive'), /offers no usable audio \(line \d+ is a=inactive\)/],
    ['video only', () => good.replace(/^m=audio/m, 'm=video'), /line \d+: the offer has a video stream \(m=video\); voxrtc sessions carry audio only and cannot decline it: offer audio only/],
    ['audio and an inactive video stream', () => good.replace('a=group:BUNDLE 0', 'a=group:BUNDLE 0 1') + audioSection(good).replace(/^m=audio \d+ (\S+) .*$/m, 'm=video 0 $1 96').replace(/^a=(rtpmap|fmtp):.*\r\n/gm, '').replace('a=sendrecv', 'a=inactive').replace('a=mid:0', 'a=mid:1') + 'a=rtpmap:96 VP8/90000\r\n', /the offer has a video stream \(m=video\)/],
    ['no media at all', () => header(good), /has no audio \(no m=audio section\); voxrtc sessions carry audio/],
    ['an m= line of an unknown kind', () => good + 'm=text 9 RTP/AVP 0\r\na=mid:9\r\n', /line \d+: m=text is not a kind of media WebRTC carries/],
    ['a data channel section with no ICE credentials, not bundled', () => good + 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n', /has no a=ice-ufrag \(ICE username fragment\) for the m=application section on line \d+ \(mid 1\)/],
    ['a malformed c= line', () => good.replace(/^c=.*$/m, 'c=IN IP4'), /line \d+ is not a valid c= line \(c=IN IP4\|IP6 <address>\): "c=IN IP4"/],
    ['a malformed a=rtcp', () => good.replace(/^a=rtcp:.*$/m, 'a=rtcp:x'), /line \d+: a=rtcp must be <port> IN IP4\|IP6 <address>: "a=rtcp:x"/],
    ['a=rtcp with the port alone (werift needs the address)', () => good.replace(/^a=rtcp:.*$/m, 'a=rtcp:9'), /line \d+: a=rtcp must be <port> IN IP4\|IP6 <address>/],
    ['an m= section without a=mid', () => without(good, /^a=mid:/), /line \d+: the m=audio section has no a=mid; every m= section of a WebRTC offer needs one/],
    ['a candidate with a DNS name', () => good.replace(/^(a=candidate:\S+ \d+ udp \d+) \S+/m, '$1 attacker.example'), /the candidate's address "attacker\.example" is neither an IP address nor an mDNS \.local name \(as browsers send\); host names are not resolved/],
    ['only an unsupported codec (G722)', () => good.replace(/^(m=audio \d+ \S+) .*$/m, '$1 9').replace(/^a=(rtpmap|fmtp):.*\r\n/gm, '').replace(/^(m=audio .*)$/m, '$1\r\na=rtpmap:9 G722/8000'), /line \d+: the m=audio section has no codec in common with this session \(it has G722\/8000\); voxrtc accepts opus, PCMU, PCMA/],
    ['a second, bundle-only audio stream with only G722', () => {
      const at = twoStreams.lastIndexOf('m=audio');
      const second = twoStreams.slice(at).replace(/^m=audio \d+ (\S+) .*$/m, 'm=audio 0 $1 9').replace(/^a=(rtpmap|fmtp):.*\r\n/gm, '').replace(/^(a=mid:.*)$/m, '$1\r\na=bundle-only\r\na=rtpmap:9 G722/8000');
      return twoStreams.slice(0, at) + second;
    }, /line \d+: the m=audio section has no codec in common with this session \(it has G722\/8000\)/],
    ['a malformed m= line', () => good.replace(/^m=audio \d+ \S+/m, 'm=audio 9 udp/tls/rtp/savpf'), /line \d+ is not a valid m= line/],
    ['a=candidate with no value', () => good.replace(/^a=candidate:.*$/m, 'a=candidate'), /line \d+: a=candidate has no value/],
    ['a garbage a=candidate', () => good.replace(/^a=candidate:.*$/m, 'a=candidate:garbage'), /a=candidate is malformed/],
    ['a=fmtp for a payload type with no rtpmap', () => good.replace(/^a=fmtp:111/m, 'a=fmtp:99'), /line \d+: a=fmtp:99 has no a=rtpmap:99 in its m= section \(line \d+\)/],
    ['a=extmap with no value', () => good.replace(/^a=extmap:.*$/m, 'a=extmap'), /a=extmap has no value/],
    ['a=group with no value', () => good.replace(/^a=group:.*$/m, 'a=group'), /a=group has no value/],
    ['a=setup with an unknown role', () => good.replace(/^a=setup:.*$/m, 'a=setup:sideways'), /a=setup must be actpass, active or passive; got "sideways"/],
    [`${MAX_MEDIA_SECTIONS + 1} m= sections`, () => header(good) + Array.from({ length: MAX_MEDIA_SECTIONS + 1 }, (_, i) => audioSection(good).replace('a=mid:0', `a=mid:${i}`)).join(''), new RegExp(`has more than ${MAX_MEDIA_SECTIONS} m= sections; voxrtc accepts at most ${MAX_MEDIA_SECTIONS}`)],
    ['Opus with 2810 channels', () => good.replace('opus/48000/2', 'opus/48000/2810'), /line \d+: a=rtpmap:111 opus\/48000\/2810 is not valid; opus is opus\/48000\/2 \(RFC 7587\)/],
    ['thousands of ICE candidates', () => good.replace(/^(a=candidate:.*)$/m, (c) => Array.from({ length: 3000 }, (_, i) => c.replace(/^a=candidate:\S+/, `a=candidate:${i}`)).join('\r\n')), new RegExp(`has more than ${MAX_CANDIDATES} ICE candidates`)],
    ['a line that is not SDP', () => good.replace('s=-', 's=-\r\nhello world'), /line \d+ is not an SDP line \(<letter>=<value>\): "hello world"/],
  ];

  test.each(errors)('%s → a clear error; the session closes', async (_name, build, message) => {
    const session = new PeerSession({ loopback: true });
    const sdp = build();
    await expect(within('answer()', session.answer({ type: 'offer', sdp }), 10_000)).rejects.toThrow(message);
    await expect(within('answer()', new PeerSession({ loopback: true }).answer({ type: 'offer', sdp }), 10_000)).rejects.toThrow(/^PeerSession\.answer: /);
    expect(session.connectionState).toBe('closed');
    expect(PeerSession.registry.size).toBe(0);
  });

  const answers: Array<[string, () => string, number]> = [
    ['a Chrome-style offer (RED, G722, CN, DTMF, mDNS and TCP candidates, a data channel)', () => chromeStyle(), 1],
    ['a Firefox-style offer (session-level fingerprint, a=fmtp before a=rtpmap, G722/8000/1)', () => firefoxStyle(), 1],
    ['an mDNS (.local) host candidate, as browsers send', () => good.replace(/^(a=candidate:\S+ \d+ udp \d+) \S+/m, '$1 1f2e3d4c-aaaa-bbbb-cccc-123456789abc.local'), 1],
    ['an m=audio line listing every payload type 0-127', () => good.replace(/^(m=audio \d+ \S+) .*$/m, `$1 ${[111, 0, 8, ...Array.from({ length: 128 }, (_, i) => i).filter((pt) => ![111, 0, 8].includes(pt))].join(' ')}`), 1],
    ['a second audio stream with port 0 and a=bundle-only', () => {
      const at = twoStreams.lastIndexOf('m=audio');
      return twoStreams.slice(0, at) + twoStreams.slice(at).replace(/^m=audio \d+/, 'm=audio 0').replace(/^(a=mid:.*)$/m, '$1\r\na=bundle-only');
    }, 2],
    ['a send-only offer (the peer only talks)', () => good.replace(/^a=sendrecv$/m, 'a=sendonly'), 1],
    ['audio and a bundled data channel', () => {
      const transport = good.match(/^a=(ice-ufrag|ice-pwd|fingerprint|setup):.*$/gm)!.join('\r\n');
      return good.replace('a=group:BUNDLE 0', 'a=group:BUNDLE 0 1') + `m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n${transport}\r\na=mid:1\r\na=sctp-port:5000\r\n`;
    }, 1],
    ['LF line endings', () => good.replace(/\r\n/g, '\n'), 1],
    [`${MAX_CANDIDATES} ICE candidates (the most accepted)`, () => good.replace(/^(a=candidate:.*)$/m, (c) => Array.from({ length: MAX_CANDIDATES - (good.match(/^a=candidate:/gm) ?? []).length + 1 }, (_, i) => c.replace(/^a=candidate:\S+/, `a=candidate:${i}`).replace(/ \d+ typ/, ` ${40000 + i} typ`)).join('\r\n')), 1],
  ];

  test.each(answers)('%s → a sane answer', async (_name, build, tracks) => {
    const session = new PeerSession({ loopback: true });
    const answer = await within('answer()', session.answer({ type: 'offer', sdp: build() }), 10_000);
    expect(answer.type).toBe('answer');
    expect(answer.sdp).toMatch(/^v=0\r\n/);
    expect(answer.sdp).toMatch(/^a=fingerprint:/m);
    expect(session.remoteTracks).toHaveLength(tracks);
    await session.close();
  });

  test('an error werift still throws is wrapped: it names the description and keeps werift\'s error as its cause', async () => {
    const session = new PeerSession({ loopback: true });
    const original = new Error(); // werift throws some with no message at all
    (session as unknown as { pc: { setRemoteDescription: () => Promise<never> } }).pc.setRemoteDescription = () => Promise.reject(original);
    const error = await session.answer({ type: 'offer', sdp: good }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe('PeerSession.answer: the offer could not be applied (werift: Error)');
    expect(error?.cause).toBe(original);
    expect(session.connectionState).toBe('closed');
  });

  test('bad answers: acceptAnswer() throws a clear error and closes the session', async () => {
    const cases: Array<[(answer: string) => string, RegExp]> = [
      [() => `v=0\r\n${randomBytes(4096).toString('latin1')}`, /^PeerSession\.acceptAnswer: answer\.sdp line \d+ /],
      [(answer) => without(answer, /^a=fingerprint:/), /^PeerSession\.acceptAnswer: answer\.sdp has no a=fingerprint/],
      [(answer) => answer.replace(/^a=extmap:.*$/m, 'a=extmap'), /^PeerSession\.acceptAnswer: answer\.sdp line \d+: a=extmap has no value/],
    ];
    for (const [spoil, message] of cases) {
      const caller = new PeerSession({ loopback: true });
      const callee = new PeerSession({ loopback: true });
      caller.addTrack(new AudioStreamTrack({ tone: { frequency: 440 } }));
      const answer = await callee.answer(await caller.offer());
      await expect(within('acceptAnswer()', caller.acceptAnswer({ type: 'answer', sdp: spoil(answer.sdp) }), 10_000)).rejects.toThrow(message);
      expect(caller.connectionState).toBe('closed');
      await callee.close();
    }
  });

  test('300 random mutations of a real offer: each answered or rejected with a PeerSession.answer error, within 5 s', async () => {
    const random = (() => {
      let x = 20240917;
      return (n: number): number => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) % n;
      };
    })();
    const mutate = (sdp: string): string => {
      const lines = linesOf(sdp);
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const i = random(lines.length);
        const line = lines[i];
        switch (random(7)) {
          case 0: lines.splice(i, 1); break; // drop a line
          case 1: lines[i] = line.slice(0, random(line.length + 1)); break; // truncate it
          case 2: lines.splice(i, 0, line); break; // repeat it
          case 3: lines[i] = line.slice(0, 2) + line.slice(2).replace(/\S+/g, (w) => (random(3) === 0 ? '' : w)); break; // drop words
          case 4: lines[i] = line.replace(/\d+/g, (d) => (random(2) === 0 ? String(Number(d) * 1000 + random(1000)) : d)); break; // out-of-range numbers
          case 5: { const at = random(line.length + 1); lines[i] = line.slice(0, at) + String.fromCharCode(random(256)) + line.slice(at); break; } // a stray byte
          default: lines.splice(i, 0, `a=${line.slice(2, 2 + random(12))}`); // a truncated attribute
        }
      }
      return sdpOf(lines);
    };
    const outcomes = { answered: 0, rejected: 0 };
    const messages = new Set<string>();
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const session = new PeerSession({ loopback: true });
          const sdp = mutate(good);
          try {
            await within('answer()', session.answer({ type: 'offer', sdp }), 5000);
            outcomes.answered++;
          } catch (error) {
            const message = (error as Error).message;
            if (!message.startsWith('PeerSession.answer: ')) throw new Error(`an unclear error for a mutated offer: ${message}\n${sdp}`);
            messages.add(message.replace(/\d+/g, 'N').slice(0, 90));
            outcomes.rejected++;
          } finally {
            await session.close();
          }
        }),
      );
    }
    console.log(`300 mutated offers: ${outcomes.answered} answered, ${outcomes.rejected} rejected; kinds of rejection:\n  ${[...messages].sort().join('\n  ')}`);
    expect(outcomes.rejected).toBeGreaterThan(50);
  });

  test('afterwards: no session, socket or timer is left (werift\'s mDNS lookups of .local candidates time out 10 s after they start)', async () => {
    expect(PeerSession.registry.size).toBe(0);
    const mdns = [...census.values()].filter((what) => /dns[\\/]lookup\.js/.test(what)).length;
    const ms = await expectNothingLeft(15_000);
    console.log(`hostile SDP: everything released ${Math.round(ms)} ms after the last session closed (${mdns} mDNS lookup timer(s) of werift were running then)`);
  });
});
