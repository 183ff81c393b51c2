/**
 * The real-browser tests (Chromium, Firefox): the demo page served by
 * `createServer` in echo mode, one call checked end to end, whichever library
 * drives the browser. A test hands over a {@link DemoPage} (four page
 * operations) and the figures its browser's fake microphone must reach.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createServer, type SignalingServer } from '../../ts/signaling/server';
import { createMode } from '../../ts/signaling/modes';
import { sleep } from './media';

export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Fails (never skips) when a system program the test needs is missing. */
export function requireTool(file: string, what: string): void {
  if (!fs.existsSync(file)) {
    throw new Error(`${what} not found at ${file}: run the project setup (bash scripts/setup.sh), which installs it; the browser test needs it and is never skipped.`);
  }
}

export async function until(what: string, condition: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** What the page's `window.voxrtcDemo` reports. */
export interface PageAudio {
  state: string;
  frequency: number;
  local: number;
  remote: number;
}

/** One session as `GET /sessions` lists it (the fields these tests read). */
export interface ListedSession {
  id: string;
  state: string;
  stats: {
    remoteTracks: Array<{ packetsReceived: number; framesDecoded: number; decodeErrors: number }>;
    senders: Array<{ codec: string; packetsSent: number; sendErrors: number }>;
  };
}

/** The page operations the checks need, from whichever browser library. */
export interface DemoPage {
  goto(url: string): Promise<void>;
  /** Evaluates a JavaScript expression in the page (a string, so that the tests' TypeScript need not know the DOM). */
  evaluate(expression: string): Promise<unknown>;
  click(selector: string): Promise<void>;
  /** A full-page PNG screenshot into `file`. */
  screenshot(file: string): Promise<void>;
}

/** `createServer` in echo mode on 127.0.0.1, an ephemeral port. */
export async function startEchoServer(): Promise<{ server: SignalingServer; baseUrl: string }> {
  const mode = createMode({ mode: 'echo' });
  const server = createServer({ port: 0, host: '127.0.0.1', onSession: mode.onSession, session: { ...mode.session, loopback: true } });
  return { server, baseUrl: (await server.listen()).url };
}

export async function listSessions(baseUrl: string): Promise<ListedSession[]> {
  const response = await fetch(new URL('/sessions', baseUrl));
  expect(response.status).toBe(200);
  return (await response.json()) as ListedSession[];
}

export function readAudio(page: DemoPage): Promise<PageAudio> {
  return page.evaluate(
    '({ state: voxrtcDemo.state, frequency: voxrtcDemo.remoteFrequency(), local: voxrtcDemo.levels.local, remote: voxrtcDemo.levels.remote })',
  ) as Promise<PageAudio>;
}

export async function textOf(page: DemoPage, selector: string): Promise<string> {
  return String(await page.evaluate(`document.querySelector(${JSON.stringify(selector)}).textContent`));
}

/** Opens the demo page with `?autostart&codec=…` and waits until the page shows "connected". */
export async function connect(page: DemoPage, baseUrl: string, codec: string, pageErrors: string[]): Promise<void> {
  await page.goto(new URL(`/?autostart&codec=${codec}`, baseUrl).href);
  // The page shows the connection state in #state (text and data-state).
  try {
    await until('the page to connect', async () => (await page.evaluate('document.querySelector("#state").dataset.state')) === 'connected', 15_000);
  } catch {
    throw new Error(`the page did not connect in 15 s: state ${await textOf(page, '#state')}, message "${await textOf(page, '#message')}", page errors: ${pageErrors.join('; ') || 'none'}`);
  }
  expect(await textOf(page, '#state')).toBe('connected');
}

/** The server's view of the one call: connected, packets in and out, the chosen codec, no errors. */
export async function expectOneFlowingSession(baseUrl: string, serverCodec: string): Promise<void> {
  const listed = await listSessions(baseUrl);
  expect(listed).toHaveLength(1);
  const [session] = listed;
  expect(session.state).toBe('connected');
  expect(session.stats.remoteTracks).toHaveLength(1);
  expect(session.stats.remoteTracks[0].packetsReceived).toBeGreaterThan(100); // 50 per second
  expect(session.stats.remoteTracks[0].decodeErrors).toBe(0);
  expect(session.stats.senders).toHaveLength(1);
  expect(session.stats.senders[0].codec.startsWith(serverCodec)).toBe(true);
  expect(session.stats.senders[0].packetsSent).toBeGreaterThan(100);
  expect(session.stats.senders[0].sendErrors).toBe(0);
}

/** The page's own stats (refreshed every second): the negotiated codec, and packets in / out. */
export async function expectPageStats(page: DemoPage, pageCodec: string): Promise<void> {
  await until('the page to show the negotiated codec', async () => (await textOf(page, '#negotiated')).startsWith(pageCodec), 5_000);
  const [packetsIn, packetsOut] = (await textOf(page, '#packets')).split('/').map((s) => Number.parseInt(s, 10));
  expect(packetsIn).toBeGreaterThan(100);
  expect(packetsOut).toBeGreaterThan(100);
}

/**
 * Stop hangs up on the page's side: the browser sends a DTLS close_notify,
 * and the server closes the session at once (not after its watchdog's ~15 s).
 */
export async function hangUp(page: DemoPage, server: SignalingServer): Promise<void> {
  await page.click('#stop');
  expect(await textOf(page, '#state')).toBe('idle');
  const hungUp = performance.now();
  while (server.sessions.size > 0 && performance.now() - hungUp < 3000) await sleep(50);
  expect(server.sessions.size).toBe(0);
}

/** What one echoed call must show. */
export interface EchoCallCheck {
  /** `codec=` of the page's URL. */
  codec: string;
  /** The start of the server sender's codec (`opus/48000`). */
  serverCodec: string;
  /** The start of the page's "Negotiated codec". */
  pageCodec: string;
  /** The fake microphone's tone. */
  toneHz: number;
  /** How far (Hz) the median of the page's readings may be from the tone. */
  maxMedianErrorHz: number;
  /** How far (Hz) any single reading may be from the tone. */
  maxReadingErrorHz: number;
  /** The median level (dBFS) of the fake microphone on the page must be above this. */
  minLocalDb: number;
  /** The median level (dBFS) of the echo on the page must be above this. */
  minRemoteDb: number;
  /** File name of the screenshot in test-artifacts/. */
  screenshot: string;
}

/** Median figures of the page's analysis of one call. */
export interface EchoCallFigures {
  frequency: number;
  localDb: number;
  remoteDb: number;
}

/**
 * One call end to end: the page connects, the tone of the fake microphone comes
 * back through the server (frequency and level measured in the page), the
 * server lists one session with packets both ways, the page's stats agree;
 * then the screenshot, and Stop closes the server's session at once.
 */
export async function checkEchoCall(page: DemoPage, server: SignalingServer, baseUrl: string, pageErrors: string[], check: EchoCallCheck): Promise<EchoCallFigures> {
  expect(server.sessions.size).toBe(0);
  await connect(page, baseUrl, check.codec, pageErrors);

  // Let audio flow: wait for the echo to reach the page, then a couple of seconds more.
  await until('the echoed audio to reach the page', async () => (await readAudio(page)).remote > -40, 10_000);
  await sleep(2000);

  // Sample the page's analysis for a second; the median rejects a single odd reading.
  const readings: PageAudio[] = [];
  for (let i = 0; i < 9; i++) {
    readings.push(await readAudio(page));
    await sleep(200);
  }
  const figures = {
    frequency: median(readings.map((r) => r.frequency)),
    remoteDb: median(readings.map((r) => r.remote)),
    localDb: median(readings.map((r) => r.local)),
  };
  expect(readings.every((r) => r.state === 'connected')).toBe(true);
  expect(figures.localDb).toBeGreaterThan(check.minLocalDb);
  // The tone came back: FFT bins are ~11 Hz wide, the page interpolates the peak (measured within 0.5 Hz).
  expect(Math.abs(figures.frequency - check.toneHz)).toBeLessThan(check.maxMedianErrorHz);
  for (const r of readings) expect(Math.abs(r.frequency - check.toneHz)).toBeLessThan(check.maxReadingErrorHz);
  expect(figures.remoteDb).toBeGreaterThan(check.minRemoteDb);

  await expectOneFlowingSession(baseUrl, check.serverCodec);

  await expectPageStats(page, check.pageCodec);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot(path.join(ARTIFACTS, check.screenshot));
  expect(pageErrors).toEqual([]);

  await hangUp(page, server);
  return figures;
}
