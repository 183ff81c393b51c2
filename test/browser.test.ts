/**
 * A real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) opens the demo page served by `createServer` in echo mode,
 * with its microphone faked from a 440 Hz WAV tone. The page connects, the
 * server echoes through the 16 kHz voice-agent path, and the audio the page
 * receives back is analysed in the page (Web Audio, `window.voxrtcDemo`): it
 * must carry the tone, loud. `/sessions` must show the one session with
 * packets flowing both ways. Once for Opus and once for PCMU.
 * (test/firefox.test.ts does the same in Firefox.)
 *
 * Artefact: a screenshot of the connected page in test-artifacts/
 * (demo-connected.png for Opus, demo-connected-pcmu.png for PCMU).
 *
 * Chromium is never downloaded: without it the test fails and says to run
 * scripts/setup.sh (which installs Debian's chromium package).
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import type { SignalingServer } from '../ts/signaling/server';
import { tempDir } from './helpers/audio-files';
import { checkEchoCall, requireTool, startEchoServer, type DemoPage } from './helpers/browser';

jest.setTimeout(60_000);

const CHROMIUM = process.env.VOXRTC_CHROMIUM ?? '/usr/bin/chromium';
const TONE_HZ = 440;

let tmp: ReturnType<typeof tempDir> | undefined;
let server: SignalingServer | undefined;
let browser: Browser | undefined;
let baseUrl = '';

beforeAll(async () => {
  requireTool(CHROMIUM, 'Chromium (Debian package chromium)');
  requireTool('/usr/bin/sox', 'sox (Debian package sox)');
  tmp = tempDir('browser');
  // The fake microphone: 10 s of a 440 Hz tone at half scale (-9 dBFS RMS), 48 kHz mono 16-bit. Chromium loops it.
  const wav = tmp.file('tone-440.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '10', 'sine', String(TONE_HZ), 'vol', '0.5']);

  ({ server, baseUrl } = await startEchoServer());

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

describe('the demo page in headless Chromium against `voxrtc serve` (echo mode)', () => {
  test.each([
    ['opus', 'opus/48000', 'opus', 'demo-connected.png'],
    ['PCMU', 'PCMU/8000', 'PCMU', 'demo-connected-pcmu.png'],
  ])('codec=%s: connects; the 440 Hz tone from the fake microphone comes back through the server, loud; /sessions shows packets both ways', async (codec, serverCodec, pageCodec, screenshot) => {
    if (!browser || !server) throw new Error('setup failed (see beforeAll)');
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext({ viewport: { width: 960, height: 720 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const demo: DemoPage = {
        goto: async (url) => void (await page.goto(url)),
        evaluate: (expression) => page.evaluate(expression),
        click: (selector) => page.click(selector),
        screenshot: async (file) => void (await page.screenshot({ path: file, fullPage: true })),
      };
      await checkEchoCall(demo, server, baseUrl, pageErrors, {
        codec,
        serverCodec,
        pageCodec,
        toneHz: TONE_HZ,
        maxMedianErrorHz: 2,
        maxReadingErrorHz: 5,
        minLocalDb: -15, // the fake microphone plays the WAV (-9 dBFS)
        minRemoteDb: -20, // well above silence (-∞), near the -9 dBFS sent
        screenshot,
      });
    } finally {
      await context?.close();
      await Promise.all(server.sessions.list().map((s) => s.close()));
    }
  });
});
