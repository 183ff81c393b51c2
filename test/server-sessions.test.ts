/**
 * 100 sessions opened and closed against the signaling server leave none
 * behind: in batches of 5 in parallel, in echo mode, half over POST /offer
 * (the caller hangs up and vanishes: werift sends no DTLS close, so the
 * server's watchdog must notice the silence and close the session) and half
 * over the WebSocket (closed at once by `{ type: "close" }`, or by closing
 * the socket). Every session must have carried audio both ways. Afterwards:
 * `server.sessions` and `PeerSession.registry` are empty, and once werift's
 * delayed socket release has run, no UDP socket and no extra timer is left
 * (`process.getActiveResourcesInfo()`, polled).
 *
 * (Shutdown during active calls finalizing every recording is covered by
 * test/server.test.ts, "record mode and shutdown".)
 */
import * as http from 'node:http';
import { WebSocket } from 'ws';
import { AudioStreamTrack } from '../ts/index';
import { PeerSession } from '../ts/rtc/peer-session';
import { createServer } from '../ts/signaling/server';
import { createMode } from '../ts/signaling/modes';

jest.setTimeout(90_000); // about 30-45 s on a busy 2-core machine

/** 100 sessions: BATCHES batches of PARALLEL calls at once. */
const PARALLEL = 5;
const BATCHES = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function countResources(): Record<string, number> {
  const counts: Record<string, number> = { UDPWrap: 0, Timeout: 0 };
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

async function until(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not in ${ms} ms: ${what()}`);
    await sleep(50);
  }
}

function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('offer', url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const closeReasons = new WeakMap<PeerSession, string>();

/** A caller in PeerSession.registry (the default) sending a tone. */
async function caller(): Promise<{ session: PeerSession; tone: AudioStreamTrack; offer: { type: 'offer'; sdp: string } }> {
  const session = new PeerSession({ loopback: true });
  session.once('closed', (reason: string) => closeReasons.set(session, reason));
  const tone = new AudioStreamTrack({ tone: { frequency: 440, amplitude: 0.4 } });
  session.addTrack(tone);
  const offer = (await session.offer()) as { type: 'offer'; sdp: string };
  return { session, tone, offer };
}

/** The echo reaches the caller (the server received, decoded and sent back): packets arrive on the caller's track, which is read until it ends. */
async function expectMediaBothWays(session: PeerSession): Promise<void> {
  const [track] = session.remoteTracks;
  void (async () => {
    for await (const _frame of track); // eslint-disable-line @typescript-eslint/no-unused-vars
  })();
  try {
    await until(() => session.connectionState === 'connected', 5000, () => 'not connected');
  } catch {
    throw new NotConnected(`session ${session.id}: not connected in 5 s (${session.connectionState}: ${closeReasons.get(session) ?? 'open'})`);
  }
  await until(() => track.stats().packetsReceived >= 5, 10_000, () => `session ${session.id}: no echo (${session.connectionState}: ${closeReasons.get(session) ?? 'open'})`);
}

class NotConnected extends Error {}
const failures: string[] = [];

/**
 * Runs one call; a call whose ICE does not complete is closed, noted, and
 * tried once more. (With callers and server in one busy process, werift's
 * ICE checks now and then fail when the machine is busy: 0 to 4 calls in
 * 100 on a loaded 2-core machine. The failed attempt's server session must be cleaned up too.)
 */
async function withRetry(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof NotConnected)) throw error;
    failures.push(error.message);
    await run();
  }
}

async function overHttp(url: string): Promise<void> {
  const { session, tone, offer } = await caller();
  const reply = await post(url, JSON.stringify(offer));
  expect(reply.status).toBe(200);
  await session.acceptAnswer(JSON.parse(reply.text));
  try {
    await expectMediaBothWays(session);
  } finally {
    tone.stop();
    await session.close(); // the server is not told: its watchdog closes its side
  }
}

async function overWebSocket(url: string, how: 'message' | 'socket'): Promise<void> {
  const { session, tone, offer } = await caller();
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'ws');
  const messages: Array<{ type: string; sdp?: string }> = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'offer', sdp: offer.sdp }));
  await until(() => messages.some((m) => m.type === 'answer' || m.type === 'error'), 10_000, () => 'no answer');
  const answer = messages.find((m) => m.type === 'answer');
  expect(answer).toBeDefined();
  await session.acceptAnswer({ type: 'answer', sdp: answer!.sdp! });
  try {
    await expectMediaBothWays(session);
    if (how === 'message') {
      ws.send(JSON.stringify({ type: 'close' }));
      await until(() => messages.some((m) => m.type === 'closed'), 5000, () => 'no "closed" message');
    }
  } finally {
    ws.close();
    tone.stop();
    await session.close();
  }
}

test('100 sessions (5 at a time, HTTP and WebSocket) leave no session, socket or timer behind', async () => {
  const baseline = countResources();
  const mode = createMode({ mode: 'echo' });
  const server = createServer({
    port: 0,
    rateLimit: false,
    onSession: mode.onSession,
    // A vanished caller is noticed after 1 s without media, then closed after 0.5 s more.
    session: { ...mode.session, loopback: true, mediaTimeoutMs: 1000, disconnectGraceMs: 500 },
  });
  const { url } = await server.listen();
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, server.sessions.size)), 10);
  const started = performance.now();
  const times: number[] = [];
  try {
    for (let batch = 0; batch < BATCHES; batch++) {
      const t = performance.now();
      await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => {
          if (batch % 2 === 0) return withRetry(() => overHttp(url));
          return withRetry(() => overWebSocket(url, i % 2 === 0 ? 'message' : 'socket'));
        }),
      );
      times.push(Math.round(performance.now() - t));
    }
    await until(() => server.sessions.size === 0, 10_000, () => `${server.sessions.size} server session(s) still open`);
    expect(PeerSession.registry.size).toBe(0);
    expect(peak).toBeGreaterThanOrEqual(PARALLEL);
    // eslint-disable-next-line no-console
    console.log(`100 sessions in ${((performance.now() - started) / 1000).toFixed(1)} s; at most ${peak} open at once; batches (ms): ${times.join(' ')}; ${failures.length} call(s) retried${failures.length ? `: ${failures.join('; ')}` : ''}`);
    // On a loaded 2-core machine werift's ICE checks now and then fail a call before it connects (retried once,
    // counted here); the point of this test is that every session, connected or not, is cleaned up.
    expect(failures.length).toBeLessThanOrEqual(15);

    clearInterval(watch);
    // werift releases its sockets a little after close() resolves (HTTP keep-alive sockets time out after 5 s).
    let now = countResources();
    await until(
      () => {
        now = countResources();
        return now.UDPWrap === 0 && now.Timeout <= baseline.Timeout + 2;
      },
      15_000,
      () => `left behind: ${JSON.stringify(now)} (baseline ${JSON.stringify(baseline)})`,
    );
    const health = await new Promise<string>((resolve, reject) =>
      http.get(new URL('healthz', url), (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject),
    );
    expect(JSON.parse(health)).toEqual({ ok: true, sessions: 0 });
  } finally {
    clearInterval(watch);
    await server.close();
    await Promise.all(PeerSession.registry.list().map((s) => s.close()));
  }
});
