/**
 * aiortc (Debian's python3-aiortc) as a client of the signaling server, the
 * way aiortc's own examples use a server: the Python peer POSTs its offer to
 * http://127.0.0.1:<port>/offer itself (urllib) and applies the answer.
 * - echo mode (createServer with the echo mode from modes.ts): aiortc sends a
 *   440 Hz tone and hears it back through the 16 kHz voice-agent path;
 * - `voxrtc serve --record-to FILE` (the CLI, as a child process, run from
 *   its TypeScript source by test/fixtures/voxrtc-cli.js): the file holds the
 *   tone for as long as aiortc sent it, and SIGTERM right after the call
 *   leaves it finalized.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { PeerSession } from '../ts/rtc/peer-session';
import { createServer, type SignalingServer } from '../ts/signaling/server';
import { createMode } from '../ts/signaling/modes';
import { measureFrequency, rmsDb, toneLevelDb } from './helpers/audio';
import { decodeWithSox, slice, soxiDuration, tempDir } from './helpers/audio-files';

jest.setTimeout(60_000);

const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || fs.existsSync(p)) ?? 'python3';
const CLIENT = path.join(__dirname, 'fixtures', 'aiortc_http_client.py');
const CLI = path.join(__dirname, 'fixtures', 'voxrtc-cli.js');

interface ClientResult {
  status: number;
  error?: string;
  state: string;
  received: { frequency: number; rms_db: number; seconds: number; sample_rate: number; frames: number };
  tone_started: number;
  tone_until: number;
}

/** Runs the aiortc client against `offerUrl`; resolves with the line it prints. */
function runClient(offerUrl: string, args: string[]): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT, offerUrl, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ClientResult);
      } catch {
        reject(new Error(`aiortc client exited (${code}) without a result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

const servers: SignalingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('aiortc POSTs its offer to /offer', () => {
  test.each([['opus'], ['PCMU']])('echo mode: aiortc sends 440 Hz and hears 440 Hz back (%s)', async (codec) => {
    const mode = createMode({ mode: 'echo' });
    const server = createServer({ port: 0, onSession: mode.onSession, session: mode.session });
    servers.push(server);
    const { url } = await server.listen();
    // The server's session may close as soon as aiortc hangs up (if werift notices its close): keep hold of it.
    let session: PeerSession | undefined;
    const watch = setInterval(() => (session ??= server.sessions.list()[0]), 10);
    const result = await runClient(`${url}offer`, ['--frequency', '440', '--seconds', '3', '--codec', codec]).finally(() => clearInterval(watch));
    expect(result.status).toBe(200);
    expect(result.state).toBe('connected');
    expect(result.received.seconds).toBeGreaterThan(2.5);
    expect(Math.abs(result.received.frequency - 440)).toBeLessThan(2);
    expect(result.received.rms_db).toBeGreaterThan(-20); // sent at 0.4 of full scale (-11 dBFS), 1 s of silence after it
    expect(session!.stats().remoteTracks[0].packetsReceived).toBeGreaterThan(150);
  });

  test('an error comes back to aiortc as aiortc expects it: a status and a JSON reason', async () => {
    const server = createServer({ port: 0, maxSessions: 1 });
    servers.push(server);
    const { url } = await server.listen();
    const first = runClient(`${url}offer`, ['--seconds', '2', '--tail', '0']);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => server.sessions.size > 0 && (clearInterval(poll), resolve()), 20);
    });
    const second = await runClient(`${url}offer`, ['--seconds', '1']);
    expect(second.status).toBe(503);
    expect(second.error).toMatch(/too many sessions/);
    expect((await first).status).toBe(200);
  });
});

describe('voxrtc serve --record-to', () => {
  test('the recorded file holds the tone for the duration of the call; SIGTERM after it finalizes the file', async () => {
    const tmp = tempDir('server-aiortc');
    const file = tmp.file('call.wav');
    const cli = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--record-to', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      cli.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const output: string[] = [];
      const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: cli.stdout }).on('line', (line) => {
          output.push(line);
          const m = /listening on (http:\/\/\S+)/.exec(line);
          if (m) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`voxrtc serve exited (${code}):\n${output.join('\n')}\n${stderr}`)));
      });
      const toneSeconds = 3;
      const result = await runClient(`${url}offer`, ['--frequency', '440', '--seconds', String(toneSeconds), '--tail', '0']);
      expect(result.status).toBe(200);
      expect(result.state).toBe('connected');
      // Whether the server's side of the call is still open here depends on whether werift noticed aiortc's
      // close; either way, SIGTERM right now must leave a finalized file.
      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.join('\n')).toMatch(/closing [01] session\(s\)[\s\S]*closed/);

      const duration = soxiDuration(file);
      expect(duration).toBeGreaterThan(toneSeconds - 0.2);
      expect(duration).toBeLessThan(toneSeconds + 2);
      const samples = decodeWithSox(file);
      // The tone, window by window (50 ms): present from the start of the file for as long as aiortc sent it.
      const windows: boolean[] = [];
      for (let t = 0; t + 0.05 <= duration; t += 0.05) windows.push(toneLevelDb(slice(samples, 48000, 1, t, t + 0.05), 48000, 440) > -20);
      const first = windows.indexOf(true);
      const last = windows.lastIndexOf(true);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first * 0.05).toBeLessThan(0.2);
      const heldSeconds = (last - first + 1) * 0.05;
      expect(heldSeconds).toBeGreaterThan(toneSeconds - 0.15);
      expect(heldSeconds).toBeLessThan(toneSeconds + 0.15);
      expect(windows.slice(first, last + 1).every(Boolean)).toBe(true); // no gap inside the call
      const middle = slice(samples, 48000, 1, 0.5, toneSeconds - 0.5);
      expect(Math.abs(measureFrequency(middle, 48000) - 440)).toBeLessThan(2);
      expect(rmsDb(middle)).toBeGreaterThan(-14);
    } finally {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
      tmp.remove();
    }
  });
});
