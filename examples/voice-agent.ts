/**
 * Voice agent skeleton: the caller's audio goes to speech-to-text as 16 kHz
 * mono frames; the agent's replies go back through an AudioSource; when the
 * caller starts talking over a reply, the reply stops (barge-in).
 *
 *   npm run example -- voice-agent        # http://127.0.0.1:8080/ (PORT=9000 to change)
 *   TTS=tone npm run example -- voice-agent   # replies as a tone even if espeak-ng is installed
 *
 * Two parts are stubs, clearly marked below, for you to replace:
 * - SpeechToText: here an energy-based voice-activity detector that
 *   "transcribes" an utterance by reporting how long it was. Plug in Whisper,
 *   Vosk or a cloud API behind the same three calls (write, onSpeechStart,
 *   onTranscript).
 * - TextToSpeech: espeak-ng if it is installed (TTS=espeak), else a tone
 *   (TTS=tone). Any engine that returns PCM at any sample rate fits.
 * The agent in between ("you spoke for 1.2 seconds") is yours to write too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { AudioSource, createServer } from '../ts';

// ───────────────────────── STUB: speech-to-text (replace me) ─────────────────────────

/** What a speech-to-text engine reports back. */
export interface SpeechToTextEvents {
  /** The caller started talking: the agent stops talking (barge-in). */
  onSpeechStart(): void;
  /** The caller finished an utterance; `text` is what they said. */
  onTranscript(text: string, info: { durationMs: number }): void;
}

/** A speech-to-text engine fed the caller's audio. */
export interface SpeechToText {
  /** 20 ms of the caller's audio: 320 samples, 16 kHz, mono, signed 16-bit. */
  write(pcm: Int16Array): void;
  close(): void;
}

/**
 * STUB. A voice-activity detector, not a recognizer: a frame is speech when
 * its level is above `thresholdDb`; `startFrames` speech frames in a row start
 * an utterance, `hangoverMs` of non-speech ends it, and the "transcript" is
 * the utterance's duration. Good enough to drive turn-taking in this example.
 */
export class EnergyVadSpeechToText implements SpeechToText {
  private speechRun = 0;
  private silenceMs = 0;
  private talking = false;
  private utteranceMs = 0;

  constructor(
    private readonly events: SpeechToTextEvents,
    private readonly options = { thresholdDb: -40, startFrames: 2, hangoverMs: 400, minUtteranceMs: 200 },
  ) {}

  write(pcm: Int16Array): void {
    const frameMs = (pcm.length / 16000) * 1000;
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
    const levelDb = 10 * Math.log10(sum / Math.max(1, pcm.length) / (32768 * 32768) + 1e-12);
    const speech = levelDb > this.options.thresholdDb;
    if (!this.talking) {
      this.speechRun = speech ? this.speechRun + 1 : 0;
      if (this.speechRun >= this.options.startFrames) {
        this.talking = true;
        this.silenceMs = 0;
        this.utteranceMs = this.speechRun * frameMs;
        this.events.onSpeechStart();
      }
      return;
    }
    this.utteranceMs += frameMs;
    this.silenceMs = speech ? 0 : this.silenceMs + frameMs;
    if (this.silenceMs >= this.options.hangoverMs) {
      this.talking = false;
      this.speechRun = 0;
      const durationMs = this.utteranceMs - this.silenceMs;
      if (durationMs >= this.options.minUtteranceMs) {
        this.events.onTranscript(`(an utterance of ${(durationMs / 1000).toFixed(2)} s)`, { durationMs });
      }
    }
  }

  close(): void {}
}

// ───────────────────────── STUB: text-to-speech (replace me) ─────────────────────────

/** A text-to-speech engine: PCM (mono, signed 16-bit) at any sample rate. */
export interface TextToSpeech {
  readonly name: string;
  synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }>;
}

/** espeak-ng, run once per reply (`espeak-ng --stdout` writes a WAV). */
class EspeakTextToSpeech implements TextToSpeech {
  readonly name = 'espeak-ng';
  synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn('espeak-ng', ['--stdout', '-s', '170', text], { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`espeak-ng exited with ${code}`));
        try {
          resolve(parseWav(Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
    });
  }
}

/** A tone instead of speech: 660 Hz, 60 ms per character of the reply (at most 4 s), with soft edges. */
class ToneTextToSpeech implements TextToSpeech {
  readonly name = 'tone (660 Hz)';
  async synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
    const sampleRate = 24000;
    const n = Math.round(Math.min(4, 0.06 * text.length) * sampleRate);
    const fade = Math.round(0.01 * sampleRate);
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const edge = Math.min(1, i / fade, (n - 1 - i) / fade);
      pcm[i] = Math.round(0.3 * 32767 * edge * Math.sin((2 * Math.PI * 660 * i) / sampleRate));
    }
    return { pcm, sampleRate };
  }
}

/** The samples of a 16-bit mono WAV (a streamed WAV's sizes may be unknown: the data runs to the end). */
function parseWav(wav: Buffer): { pcm: Int16Array; sampleRate: number } {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let sampleRate = 0;
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') sampleRate = wav.readUInt32LE(at + 12);
    if (id === 'data') {
      const end = size === 0 || size === 0xffffffff || at + 8 + size > wav.length ? wav.length : at + 8 + size;
      const data = Buffer.from(wav.subarray(at + 8, end - ((end - at - 8) % 2))); // copied: aligned
      return { pcm: new Int16Array(data.buffer, data.byteOffset, data.length / 2), sampleRate };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV without data');
}

function chooseTextToSpeech(): TextToSpeech {
  const wanted = process.env.TTS;
  const haveEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
  if (wanted === 'espeak' && !haveEspeak) throw new Error('TTS=espeak but espeak-ng is not installed (apt-get install espeak-ng)');
  if (wanted !== undefined && wanted !== 'espeak' && wanted !== 'tone') throw new Error(`TTS=${wanted}: expected espeak or tone`);
  return wanted === 'tone' || !haveEspeak ? new ToneTextToSpeech() : new EspeakTextToSpeech();
}

// ───────────────────────── the agent: wiring a call ─────────────────────────

async function main(): Promise<void> {
  const tts = chooseTextToSpeech();
  const server = createServer({
    host: '127.0.0.1',
    // Every remote track delivers what speech-to-text wants: 16 kHz mono s16, 20 ms frames.
    session: { receive: { sampleRate: 16000, channels: 1 } },
    onSession(session) {
      const name = session.id.slice(0, 8);
      const log = (message: string): void => console.log(`call ${name}: ${message}`);
      const [microphone] = session.remoteTracks;
      // The agent's voice: push PCM of any rate in, a paced 48 kHz track goes out.
      const voice = new AudioSource({ sampleRate: 48000 });
      session.addTrack(voice.track); // before the answer: the call is sendrecv
      let turn = 0; // a reply is dropped if the caller spoke again while it was being made

      const stt: SpeechToText = new EnergyVadSpeechToText({
        onSpeechStart() {
          turn++;
          const cleared = voice.clear(); // barge-in: silent from the next frame
          log(cleared > 0 ? `barge-in: the caller talks; cleared ${cleared.toFixed(2)} s of reply` : 'speech started');
        },
        onTranscript(text, { durationMs }) {
          log(`heard ${text} duration=${(durationMs / 1000).toFixed(2)}`);
          const myTurn = ++turn;
          const reply = `You spoke for ${(durationMs / 1000).toFixed(1)} seconds. Say something else.`;
          tts.synthesize(reply).then(
            ({ pcm, sampleRate }) => {
              if (myTurn !== turn || voice.track.readyState === 'ended') return;
              log(`replying: "${reply}" (${(pcm.length / sampleRate).toFixed(2)} s of ${tts.name})`);
              void voice.push(pcm, { sampleRate });
            },
            (error: Error) => log(`text-to-speech failed: ${error.message}`),
          );
        },
      });

      const listening = (async () => {
        for await (const frame of microphone) stt.write(frame.data as Int16Array);
      })();
      log('connected: listening');
      return async () => {
        voice.close();
        await listening; // the microphone track ends with the session
        stt.close();
        log('ended');
      };
    },
  });
  const { url } = await server.listen();
  console.log(`voice-agent example listening on ${url}`);
  console.log(`speech-to-text: energy VAD stub; text-to-speech: ${tts.name}; Ctrl+C to stop`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}

main().catch((error: Error) => {
  console.error(`voice-agent example: ${error.message}`);
  process.exit(1);
});
