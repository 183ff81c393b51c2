/**
 * Interoperability with a WebRTC implementation voxrtc did not write: aiortc
 * (Debian's python3-aiortc) offers a call and sends a tone; voxrtc answers
 * and echoes what it hears; aiortc must receive the tone back.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { PeerSession, SessionRegistry } from '../ts/index';

jest.setTimeout(60_000);

const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || fs.existsSync(p)) ?? 'python3';
const PEER = path.join(__dirname, 'fixtures', 'aiortc_tone_peer.py');

interface PeerResult {
  received: { frequency: number; rms_db: number; seconds: number; sample_rate: number; frames: number };
  state: string;
}

/** Runs the aiortc peer; `answer` turns its offer into voxrtc's answer. */
async function runAiortc(args: string[], answer: (offer: { type: 'offer'; sdp: string }) => Promise<{ type: string; sdp: string }>): Promise<PeerResult> {
  const child = spawn(PYTHON, [PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = readline.createInterface({ input: child.stdout });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`aiortc peer exited (${code}) before answering:\n${stderr}`)));
    });
  try {
    const offer = JSON.parse(await next()) as { type: 'offer'; sdp: string };
    expect(offer.type).toBe('offer');
    child.stdin.write(`${JSON.stringify(await answer(offer))}\n`);
    return JSON.parse(await next()) as PeerResult;
  } finally {
    child.kill();
  }
}

describe('aiortc as the offering peer', () => {
  test.each([['opus'], ['PCMU']])('sends a 440 Hz tone; voxrtc answers and echoes it; aiortc hears 440 Hz back (%s)', async (codec) => {
    const registry = new SessionRegistry<PeerSession>();
    const session = new PeerSession({ loopback: true, registry });
    try {
      const result = await runAiortc(['--frequency', '440', '--seconds', '3', '--codec', codec], (offer) =>
        session.answer(offer, (s) => {
          expect(s.remoteTracks).toHaveLength(1);
          s.addTrack(s.remoteTracks[0]); // echo
        }),
      );
      expect(result.state).toBe('connected');
      expect(result.received.seconds).toBeGreaterThan(2);
      expect(Math.abs(result.received.frequency - 440)).toBeLessThan(2);
      expect(result.received.rms_db).toBeGreaterThan(-20); // sent at 0.4 of full scale: -11 dBFS
      const stats = session.stats();
      expect(stats.remoteTracks[0].packetsReceived).toBeGreaterThan(100);
      expect(stats.senders[0].packetsSent).toBeGreaterThan(100);
    } finally {
      await session.close();
    }
    expect(registry.size).toBe(0);
  });
});
