/**
 * The benchmark's input: real (synthesized) English speech, made once with
 * espeak-ng and sox (about 25 s of text, looped if shorter), cut to exactly
 * SPEECH_SECONDS and written as raw s16le mono at 48, 44.1, 24 and 16 kHz (24 kHz
 * feeds the media benchmark's AudioSource, as text-to-speech would).
 * Every implementation processes these samples.
 *
 *   node build/bench-js/bench/speech.js [DIR]    (default build/bench/speech)
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SPEECH_RATES = [48000, 44100, 24000, 16000] as const;
export type SpeechRate = (typeof SPEECH_RATES)[number];

/** Seconds of audio in every file: 1200 frames of 20 ms. */
export const SPEECH_SECONDS = 24;

const TEXT = [
  'Hello, and thank you for calling.',
  'The quick brown fox jumps over the lazy dog, while six thick thistle sticks shift in the breeze.',
  'Please hold while we connect you to the next available agent.',
  'A voice call carries twenty milliseconds of audio in every packet, fifty packets each second.',
  'Real speech has pauses, plosives, hissing consonants and long open vowels.',
].join(' ');

const VOICE = ['-v', 'en', '-s', '150'];

export interface SpeechFiles {
  dir: string;
  files: Record<SpeechRate, string>;
}

function recipe(): string {
  return JSON.stringify({ text: TEXT, voice: VOICE, seconds: SPEECH_SECONDS, rates: SPEECH_RATES, version: 1 });
}

function fileFor(dir: string, rate: SpeechRate): string {
  return path.join(dir, `speech-${rate}.s16`);
}

/** Makes the speech files in `dir` unless they are there already (from the same recipe). */
export function ensureSpeech(dir: string, log: (line: string) => void = () => {}): SpeechFiles {
  const files = Object.fromEntries(SPEECH_RATES.map((rate) => [rate, fileFor(dir, rate)])) as Record<SpeechRate, string>;
  const stamp = path.join(dir, 'recipe.sha1');
  const digest = crypto.createHash('sha1').update(recipe()).digest('hex');
  const complete = SPEECH_RATES.every((rate) => {
    try {
      return fs.statSync(files[rate]).size === rate * SPEECH_SECONDS * 2;
    } catch {
      return false;
    }
  });
  if (complete && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return { dir, files };

  log(`making ${SPEECH_SECONDS} s of speech in ${dir} (espeak-ng + sox)`);
  fs.mkdirSync(dir, { recursive: true });
  const spoken = path.join(dir, 'spoken.wav');
  const looped = path.join(dir, 'looped.wav');
  try {
    execFileSync('espeak-ng', [...VOICE, '-w', spoken, TEXT], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    throw new Error(`espeak-ng failed (is it installed? apt-get install espeak-ng): ${(error as Error).message}`);
  }
  // Loop the phrase (with its natural pauses) and cut it to exactly SPEECH_SECONDS.
  // -D: no dither, so the files are the same on every machine.
  execFileSync('sox', ['-D', spoken, looped, 'gain', '-n', '-1', 'repeat', '3', 'trim', '0', String(SPEECH_SECONDS)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const rate of SPEECH_RATES) {
    execFileSync(
      'sox',
      ['-D', looped, '-t', 'raw', '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', files[rate]],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const size = fs.statSync(files[rate]).size;
    if (size !== rate * SPEECH_SECONDS * 2) throw new Error(`sox wrote ${size} bytes to ${files[rate]}; expected ${rate * SPEECH_SECONDS * 2}`);
  }
  fs.rmSync(looped);
  fs.writeFileSync(stamp, digest);
  return { dir, files };
}

/** Reads a raw s16le file as samples. */
export function readS16(file: string): Int16Array {
  const bytes = fs.readFileSync(file);
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(2 * i);
  return samples;
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? path.join('build', 'bench', 'speech'));
  const { files } = ensureSpeech(dir, (line) => process.stderr.write(`${line}\n`));
  for (const rate of SPEECH_RATES) process.stdout.write(`${files[rate]}\n`);
}
