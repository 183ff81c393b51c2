/**
 * The signaling server over real sockets: POST /offer from an in-process
 * voxrtc peer on 127.0.0.1 (echo brings a 440 Hz tone back through the
 * 16 kHz voice-agent path), the WebSocket round trip, record mode, shutdown
 * during calls, and bad or hostile input on every endpoint.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { WebSocket } from 'ws';
import { AudioStreamTrack } from '../ts/index';
import { PeerSession } from '../ts/rtc/peer-session';
import { SessionRegistry } from '../ts/rtc/session-registry';
import { createServer, type SignalingServer } from '../ts/signaling/server';
import type { ServerOptions } from '../ts/signaling/options';
import { createMode, recordingPath } from '../ts/signaling/modes';
import { measureFrequency, rmsDb } from './helpers/audio';
import { decodeWithSox, slice, soxiDuration, tempDir } from './helpers/audio-files';
import { joinFrames, sleep, takeFrames, until } from './helpers/media';

jest.setTimeout(60_000);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A raw HTTP request (raw so that paths like `/../x` reach the server unnormalized). */
function request(base: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const clients = new SessionRegistry<PeerSession>();
const servers: SignalingServer[] = [];

async function start(options: ServerOptions = {}): Promise<{ server: SignalingServer; url: string }> {
  const server = createServer({ port: 0, ...options, session: { loopback: true, ...options.session } });
  servers.push(server);
  const { url } = await server.listen();
  return { server, url };
}

/** A caller sending a tone; returns its session and the tone. */
async function caller(frequency = 440): Promise<{ session: PeerSession; tone: AudioStreamTrack; offer: { type: 'offer'; sdp: string } }> {
  const session = new PeerSession({ loopback: true, registry: clients });
  const tone = new AudioStreamTrack({ tone: { frequency, amplitude: 0.4 } });
  session.addTrack(tone);
  const offer = (await session.offer()) as { type: 'offer'; sdp: string };
  return { session, tone, offer };
}

/** POST /offer with a new caller's offer and apply the answer. */
async function call(url: string, frequency = 440): Promise<{ session: PeerSession; tone: AudioStreamTrack }> {
  const { session, tone, offer } = await caller(frequency);
  const reply = await request(url, 'POST', '/offer', JSON.stringify(offer));
  expect(reply.status).toBe(200);
  const answer = reply.json();
  expect(answer.type).toBe('answer');
  await session.acceptAnswer(answer);
  return { session, tone };
}

afterEach(async () => {
  await Promise.all(clients.list().map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('POST /offer', () => {
  test('echo mode: a 440 Hz tone comes back through the 16 kHz voice-agent path; /healthz and /sessions report the session', async () => {
    const mode = createMode({ mode: 'echo' });
    const { server, url } = await start({ onSession: mode.onSession, session: mode.session });
    const { session, tone } = await call(url);
    try {
      const frames = await takeFrames(session.remoteTracks[0], 125); // 2.5 s
      const steady = joinFrames(frames.slice(75));
      expect(Math.abs(measureFrequency(steady, 48000) - 440)).toBeLessThan(2);
      expect(rmsDb(steady)).toBeGreaterThan(-20);

      const health = await request(url, 'GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.json()).toEqual({ ok: true, sessions: 1 });
      const list = await request(url, 'GET', '/sessions');
      expect(list.status).toBe(200);
      const [entry] = list.json();
      expect(entry.state).toBe('connected');
      expect(entry.stats.remoteTracks[0].packetsReceived).toBeGreaterThan(50);
      expect(entry.stats.remoteTracks[0].sampleRate ?? 16000).toBe(16000);
      expect(entry.stats.senders).toHaveLength(1);
      expect(server.sessions.size).toBe(1);
    } finally {
      tone.stop();
    }
    await server.close();
    expect(server.sessions.size).toBe(0);
  });

  test('the demo page and its files are served; anything outside the public folder is not', async () => {
    const { url } = await start();
    const page = await request(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toMatch(/voxrtc/i);
    expect((await request(url, 'GET', '/app.js')).headers['content-type']).toMatch(/javascript/);
    expect((await request(url, 'GET', '/style.css')).status).toBe(200);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/%2e%2e%5cpackage.json', '/.hidden', '/index.html%00', '/public/index.html', '//etc/passwd']) {
      const reply = await request(url, 'GET', path);
      expect([path, reply.status]).toEqual([path, 404]);
      expect(reply.text).not.toMatch(/"name": "voxrtc"|root:/);
    }
  });
});

describe('bad and hostile input', () => {
  test('every endpoint answers bad input with the right status and a reason', async () => {
    const { server, url } = await start({ maxBodyBytes: 4096 });
    const big = await request(url, 'POST', '/offer', Buffer.alloc(10_000, 'a'));
    expect(big.status).toBe(413);
    expect(big.json().error).toMatch(/too large/);
    const malformed = await request(url, 'POST', '/offer', '{"sdp": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json().error).toMatch(/malformed JSON/);
    expect((await request(url, 'POST', '/offer', '')).status).toBe(400);
    expect((await request(url, 'POST', '/offer', '[1,2]')).json().error).toMatch(/expected an offer/);
    const notOffer = await request(url, 'POST', '/offer', JSON.stringify({ type: 'answer', sdp: 'v=0\r\n' }));
    expect(notOffer.status).toBe(400);
    expect(notOffer.json().error).toMatch(/type/);
    const badSdp = await request(url, 'POST', '/offer', JSON.stringify({ type: 'offer', sdp: 'hello' }));
    expect(badSdp.status).toBe(400);
    expect(badSdp.json().error).toMatch(/sdp/);
    const garbage = await request(url, 'POST', '/offer', JSON.stringify({ type: 'offer', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' }));
    expect(garbage.status).toBe(400);
    expect(garbage.json().error).toMatch(/bad offer/);
    expect((await request(url, 'POST', '/offer', '{}', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await request(url, 'GET', '/nope')).status).toBe(404);
    expect((await request(url, 'POST', '/nope', '{}')).status).toBe(404);
    const wrong = await request(url, 'GET', '/offer');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect((await request(url, 'DELETE', '/sessions')).status).toBe(405);
    expect((await request(url, 'GET', '/ws')).status).toBe(426);
    expect((await request(url, 'OPTIONS', '/offer')).headers['access-control-allow-origin']).toBeUndefined(); // CORS off
    await until(() => server.sessions.size === 0); // every failed offer closed its session
  });

  test('too many sessions: 503', async () => {
    const { url } = await start({ maxSessions: 1 });
    const { tone } = await call(url);
    const { offer } = await caller();
    const reply = await request(url, 'POST', '/offer', JSON.stringify(offer));
    expect(reply.status).toBe(503);
    expect(reply.json().error).toMatch(/too many sessions: 1 open, the limit is 1/);
    tone.stop();
  });

  test('rate limit per client: 429 with Retry-After', async () => {
    const { url } = await start({ rateLimit: { offersPerMinute: 2 } });
    const offer = JSON.stringify({ type: 'offer', sdp: 'v=0 but not really' });
    expect((await request(url, 'POST', '/offer', offer)).status).toBe(400);
    expect((await request(url, 'POST', '/offer', offer)).status).toBe(400);
    const limited = await request(url, 'POST', '/offer', offer);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error).toMatch(/2 per minute/);
  });

  test('authorize: false → 403, a throw → 401, true → served; CORS when configured', async () => {
    const { url } = await start({
      cors: { origin: 'https://app.example' },
      authorize: (req) => {
        if (req.headers.authorization === 'Bearer broken') throw new Error('token expired');
        return req.headers.authorization === 'Bearer ok';
      },
    });
    const offer = JSON.stringify({ type: 'offer', sdp: 'v=0' });
    expect((await request(url, 'POST', '/offer', offer)).status).toBe(403);
    const expired = await request(url, 'POST', '/offer', offer, { authorization: 'Bearer broken' });
    expect(expired.status).toBe(401);
    expect(expired.json().error).toMatch(/token expired/);
    expect((await request(url, 'GET', '/sessions')).status).toBe(403);
    const ok = await request(url, 'GET', '/sessions', undefined, { authorization: 'Bearer ok' });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect((await request(url, 'OPTIONS', '/offer')).status).toBe(204);
    expect((await request(url, 'GET', '/healthz')).status).toBe(200); // public
    const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });

  test('bad options fail when the server is created', () => {
    expect(() => createServer({ maxSessions: 0 })).toThrow(/maxSessions/);
    expect(() => createServer({ cors: { origin: 'app.example/x' } })).toThrow(/cors.origin/);
    expect(() => createServer({ bogus: 1 } as ServerOptions)).toThrow(/bogus/);
    expect(() => createMode({ mode: 'record' })).toThrow(/--record-to/);
    expect(() => createMode({ mode: 'play', play: '/nonexistent.wav' })).toThrow();
  });
});

describe('WebSocket signaling', () => {
  test('offer → answer, state events, bad messages answered, and closing the socket closes the session', async () => {
    const mode = createMode({ mode: 'echo' });
    const { server, url } = await start({ onSession: mode.onSession, session: mode.session });
    const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
    const messages: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'candidate', candidate: {} }));
    ws.send(JSON.stringify({ type: 'dance' }));
    const { session, tone, offer } = await caller();
    ws.send(JSON.stringify({ type: 'offer', sdp: offer.sdp }));
    await until(() => messages.some((m) => m.type === 'answer'));
    const answer = messages.find((m) => m.type === 'answer');
    expect(answer.sessionId).toBe(server.sessions.list()[0].id);
    await session.acceptAnswer({ type: 'answer', sdp: answer.sdp });
    await until(() => messages.some((m) => m.type === 'state' && m.state === 'connected'));
    const frames = await takeFrames(session.remoteTracks[0], 100);
    expect(Math.abs(measureFrequency(joinFrames(frames.slice(60)), 48000) - 440)).toBeLessThan(2);
    ws.send(JSON.stringify({ type: 'offer', sdp: offer.sdp }));
    await until(() => messages.some((m) => m.status === 409));
    expect(messages.filter((m) => m.type === 'error').map((m) => m.status)).toEqual([400, 400, 409]);
    expect(messages.find((m) => m.type === 'ack')).toMatchObject({ of: 'candidate' });
    ws.close();
    await until(() => server.sessions.size === 0);
    tone.stop();
  });

  test('{ type: "close" } closes the session and pushes { type: "closed" }', async () => {
    const { server, url } = await start();
    const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
    const messages: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    const { session, tone, offer } = await caller();
    ws.send(JSON.stringify({ type: 'offer', sdp: offer.sdp }));
    await until(() => messages.some((m) => m.type === 'answer'));
    await session.acceptAnswer({ type: 'answer', sdp: messages.find((m) => m.type === 'answer').sdp });
    ws.send(JSON.stringify({ type: 'close' }));
    await until(() => messages.some((m) => m.type === 'closed'));
    expect(messages.find((m) => m.type === 'closed').reason).toMatch(/closed by the client/);
    expect(server.sessions.size).toBe(0);
    ws.close();
    tone.stop();
  });
});

describe('record mode and shutdown', () => {
  test('two calls record to two files; server.close() during the calls finalizes both with the tone for the call duration', async () => {
    const tmp = tempDir('server');
    try {
      const file = tmp.file('call.wav');
      const mode = createMode({ mode: 'record', recordTo: file });
      const { server, url } = await start({ onSession: mode.onSession, session: mode.session });
      const a = await call(url, 440);
      const b = await call(url, 1000);
      // the callers hear the server's silence (the calls are sendrecv): media flows both ways from here
      await Promise.all([takeFrames(a.session.remoteTracks[0], 1), takeFrames(b.session.remoteTracks[0], 1)]);
      const started = Date.now();
      await sleep(2500);
      const callSeconds = (Date.now() - started) / 1000;
      await server.close();
      expect(server.sessions.size).toBe(0);
      for (const [path, frequency] of [[file, 440], [recordingPath(file, 2), 1000]] as const) {
        expect(fs.existsSync(path)).toBe(true);
        const duration = soxiDuration(path);
        expect(duration).toBeGreaterThan(callSeconds - 0.4);
        expect(duration).toBeLessThan(callSeconds + 1.0); // shutdown itself takes a moment on a loaded machine
        const samples = decodeWithSox(path);
        const middle = slice(samples, 48000, 1, 0.5, duration - 0.3);
        expect(Math.abs(measureFrequency(middle, 48000) - frequency)).toBeLessThan(2);
        expect(rmsDb(middle)).toBeGreaterThan(-14);
      }
      a.tone.stop();
      b.tone.stop();
    } finally {
      tmp.remove();
    }
  });
});
