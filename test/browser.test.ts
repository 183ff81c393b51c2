/**
 * A real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) opens the demo page served by `createServer` in echo mode,
 * with its microphone faked from a 440 Hz WAV tone. The page connects, the
 * server echoes through the 16 kHz voice-agent path, and the audio the page
 * receives back is analysed in the page (Web Audio, `window.voxrtcDemo`): it
 * must carry the tone, loud. `/sessions` must show the one session with
 * packets flowing both ways. Once for Opus and once for PCMU.
 *
 * Artefact: a screenshot of the connected page in test-artifacts/
 * (demo-connected.png for Opus, demo-connected-pcmu.png for PCMU).
 *
 * Chromium is never downloaded: without it the test fails and says to run
 * scripts/setup.sh (which installs Debian's chromium package).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type SignalingServer } from '../ts/signaling/server';
import { createMode } from '../ts/signaling/modes';
import { tempDir } from './helpers/audio-files';
import { sleep } from './helpers/media';

jest.setTimeout(60_000);

const CHROMIUM = process.env.VOXRTC_CHROMIUM ?? '/usr/bin/chromium';
const TONE_HZ = 440;
const ARTIFACTS = path.join(__dirname, '..', 'test-artifacts');

/** What the page's `window.voxrtcDemo` reports. */
interface PageAudio {
  state: string;
  frequency: number;
  local: number;
  remote: number;
}

/** One session as `GET /sessions` lists it (the fields this test reads). */
interface ListedSession {
  id: string;
  state: string;
  stats: {
    remoteTracks: Array<{ packetsReceived: number; framesDecoded: number; decodeErrors: number }>;
    senders: Array<{ codec: string; packetsSent: number; sendErrors: number }>;
  };
}

let tmp: ReturnType<typeof tempDir> | undefined;
let server: SignalingServer | undefined;
let browser: Browser | undefined;
let baseUrl = '';

function requireTool(file: string, what: string): void {
  if (!fs.existsSync(file)) {
    throw new Error(`${what} not found at ${file}: run the project setup (bash scripts/setup.sh), which installs it; the browser test needs it and is never skipped.`);
  }
}

beforeAll(async () => {
  requireTool(CHROMIUM, 'Chromium (Debian package chromium)');
  requireTool('/usr/bin/sox', 'sox (Debian package sox)');
  tmp = tempDir('browser');
  // The fake microphone: 10 s of a 440 Hz tone at half scale (-9 dBFS RMS), 48 kHz mono 16-bit. Chromium loops it.
  const wav = tmp.file('tone-440.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '10', 'sine', String(TONE_HZ), 'vol', '0.5']);

  const mode = createMode({ mode: 'echo' });
  server = createServer({ port: 0, host: '127.0.0.1', onSession: mode.onSession, session: { ...mode.session, loopback: true } });
  baseUrl = (await server.listen()).url;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No userDataDir given: playwright makes a new empty temporary profile and removes it on close.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  tmp?.remove();
});

async function sessions(): Promise<ListedSession[]> {
  const response = await fetch(new URL('/sessions', baseUrl));
  expect(response.status).toBe(200);
  return (await response.json()) as ListedSession[];
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

function readAudio(page: Page): Promise<PageAudio> {
  // A string, so that the test's TypeScript (no DOM types) need not know `window`.
  return page.evaluate(
    '({ state: voxrtcDemo.state, frequency: voxrtcDemo.remoteFrequency(), local: voxrtcDemo.levels.local, remote: voxrtcDemo.levels.remote })',
  ) as Promise<PageAudio>;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('the demo page in headless Chromium against `voxrtc serve` (echo mode)', () => {
  test.each([
    ['opus', 'opus/48000', 'opus', 'demo-connected.png'],
    ['PCMU', 'PCMU/8000', 'PCMU', 'demo-connected-pcmu.png'],
  ])('codec=%s: connects; the 440 Hz tone from the fake microphone comes back through the server, loud; /sessions shows packets both ways', async (codec, serverCodec, pageCodec, screenshot) => {
    if (!browser || !server) throw new Error('setup failed (see beforeAll)');
    expect(server.sessions.size).toBe(0);
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext({ viewport: { width: 960, height: 720 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      await page.goto(new URL(`/?autostart&codec=${codec}`, baseUrl).href);
      // The page shows the connection state in #state (text and data-state).
      try {
        await page.waitForSelector('#state[data-state="connected"]', { timeout: 15_000 });
      } catch {
        throw new Error(`the page did not connect in 15 s: state ${await page.textContent('#state')}, message "${await page.textContent('#message')}", page errors: ${pageErrors.join('; ') || 'none'}`);
      }
      expect(await page.textContent('#state')).toBe('connected');

      // Let audio flow: wait for the echo to reach the page, then a couple of seconds more.
      await until('the echoed audio to reach the page', async () => (await readAudio(page)).remote > -40, 10_000);
      await sleep(2000);

      // Sample the page's analysis for a second; the median rejects a single odd reading.
      const readings: PageAudio[] = [];
      for (let i = 0; i < 6; i++) {
        readings.push(await readAudio(page));
        await sleep(200);
      }
      const frequency = median(readings.map((r) => r.frequency));
      const remoteDb = median(readings.map((r) => r.remote));
      const localDb = median(readings.map((r) => r.local));
      expect(readings.every((r) => r.state === 'connected')).toBe(true);
      expect(localDb).toBeGreaterThan(-15); // the fake microphone plays the WAV (-9 dBFS)
      // The tone came back: FFT bins are ~11 Hz wide, the page interpolates the peak (measured within 0.5 Hz).
      expect(Math.abs(frequency - TONE_HZ)).toBeLessThan(2);
      for (const r of readings) expect(Math.abs(r.frequency - TONE_HZ)).toBeLessThan(5);
      expect(remoteDb).toBeGreaterThan(-20); // well above silence (-∞), near the -9 dBFS sent

      // The server's view: one session, connected, packets in and out, the chosen codec.
      const listed = await sessions();
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

      // The page's own stats (refreshed every second) agree; then the artefact.
      await until('the page to show the negotiated codec', async () => ((await page.textContent('#negotiated')) ?? '').startsWith(pageCodec), 5_000);
      const [packetsIn, packetsOut] = ((await page.textContent('#packets')) ?? '').split('/').map((s) => Number.parseInt(s, 10));
      expect(packetsIn).toBeGreaterThan(100);
      expect(packetsOut).toBeGreaterThan(100);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, screenshot), fullPage: true });
      expect(pageErrors).toEqual([]);

      // Stop hangs up on the page's side: Chromium sends a DTLS close_notify,
      // and the server closes the session at once (not after its watchdog's ~15 s).
      await page.click('#stop');
      expect(await page.textContent('#state')).toBe('idle');
      const hungUp = performance.now();
      while (server.sessions.size > 0 && performance.now() - hungUp < 3000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.sessions.size).toBe(0);
    } finally {
      await context?.close();
      await Promise.all(server.sessions.list().map((s) => s.close()));
    }
  });
});
