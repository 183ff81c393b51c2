/**
 * Real speech for the tests: espeak-ng says a fixed sentence once per machine,
 * sox converts it to raw s16 at the rate and channel count asked for. The
 * files are cached in build/test-audio (written to a temporary name, then
 * renamed, so parallel jest workers never read a half-written file).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const TEXT =
  'The quick brown fox jumps over the lazy dog. ' +
  'Please call Stella and ask her to bring these things with her from the store.';

const DIR = path.resolve(__dirname, '..', '..', 'build', 'test-audio');
const memory = new Map<string, Int16Array>();

function requireTool(tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not installed' : `failed: ${(error as Error).message}`;
    throw new Error(
      `test/helpers/speech: ${tool} ${reason}. The audio tests need espeak-ng and sox; ` +
        'run the project setup (bash scripts/setup.sh), or apt-get install espeak-ng sox.',
    );
  }
}

function writeAtomically(target: string, make: (tmp: string) => void): void {
  if (fs.existsSync(target)) return;
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp${path.extname(target)}`;
  try {
    make(tmp);
    fs.renameSync(tmp, target);
  } finally {
    if (fs.existsSync(tmp)) fs.rmSync(tmp);
  }
}

/**
 * About 6 s of English speech (espeak-ng voice `en`, 160 words per minute)
 * as interleaved s16 samples at `rate` with `channels` identical channels.
 */
export function speech(rate: number, channels = 1): Int16Array {
  const key = `${rate}x${channels}`;
  const cached = memory.get(key);
  if (cached) return cached;
  fs.mkdirSync(DIR, { recursive: true });
  const wav = path.join(DIR, 'speech.wav');
  if (!fs.existsSync(wav)) requireTool('espeak-ng', ['--version']);
  writeAtomically(wav, (tmp) => execFileSync('espeak-ng', ['-v', 'en', '-s', '160', '-w', tmp, TEXT], { stdio: 'pipe' }));
  const raw = path.join(DIR, `speech-${rate}-${channels}ch.raw`);
  if (!fs.existsSync(raw)) requireTool('sox', ['--version']);
  writeAtomically(raw, (tmp) =>
    execFileSync('sox', ['-D', '-R', wav, '-r', String(rate), '-c', String(channels), '-b', '16', '-e', 'signed', '-t', 'raw', tmp], { stdio: 'pipe' }),
  );
  const bytes = fs.readFileSync(raw);
  const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  if (samples.length < rate * channels) throw new Error(`test/helpers/speech: ${raw} holds only ${samples.length} samples`);
  memory.set(key, samples);
  return samples;
}
