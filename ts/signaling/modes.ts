import * as path from 'node:path';
import createDebug from 'debug';
import type { PeerSessionOptions } from '../rtc/peer-session';
import type { RemoteAudioTrack } from '../rtc/remote-audio-track';
import { AudioSource } from '../media/audio-source';
import { MediaBlackHole } from '../media/black-hole';
import { MediaPlayer } from '../media/player/media-player';
import { MediaRecorder } from '../media/recorder/media-recorder';
import type { SessionHandler } from './options';

const log = createDebug('voxrtc:server');

/** What `voxrtc serve` does with each session. */
export type ServeMode = 'echo' | 'play' | 'record';

/** Options for {@link createMode}. */
export interface ModeOptions {
  /** Default `'echo'`. */
  mode?: ServeMode;
  /** `play`: a WAV or Ogg Opus file, played in a loop to every caller. */
  play?: string;
  /** `record`: where to record each caller (.wav or .ogg/.opus); see {@link recordingPath}. */
  recordTo?: string;
}

/** A mode, ready to give to {@link createServer}: its session handler and the session options it needs. */
export interface ModeSetup {
  mode: ServeMode;
  onSession: SessionHandler;
  session: PeerSessionOptions;
  /** One line for the console, e.g. `echo (16 kHz mono voice-agent path)`. */
  description: string;
}

/** Echo mode's incoming format: what a speech-to-text engine wants. */
export const ECHO_RECEIVE = { sampleRate: 16000, channels: 1 } as const;

/**
 * Builds a mode's session handler.
 * @throws Error when a required file option is missing or (for `play`) the file cannot be played.
 */
export function createMode(options: ModeOptions = {}): ModeSetup {
  const mode = options.mode ?? 'echo';
  switch (mode) {
    case 'echo':
      return { mode, onSession: echoSession, session: { receive: { ...ECHO_RECEIVE } }, description: 'echo (voice-agent path: decoded to 16 kHz mono, encoded from 16 kHz at the 48 kHz Opus clock)' };
    case 'play': {
      const file = options.play;
      if (!file) throw new Error("mode 'play' needs a file: --play FILE (WAV or Ogg Opus)");
      const probe = new MediaPlayer(file); // throws a PlayerError now, not at the first call
      void probe.stop();
      return { mode, onSession: playSession(file), session: {}, description: `play ${file} (${probe.format}, ${probe.sampleRate} Hz, looped)` };
    }
    case 'record': {
      const file = options.recordTo;
      if (!file) throw new Error("mode 'record' needs a destination: --record-to FILE (.wav, .ogg or .opus)");
      if (!/\.(wav|ogg|opus)$/i.test(file)) throw new Error(`--record-to ${file}: the file name must end in .wav, .ogg or .opus (it chooses the format)`);
      return { mode, onSession: recordSession(file), session: {}, description: `record to ${file} (one file per session)` };
    }
    default:
      throw new Error(`unknown mode ${JSON.stringify(mode)}: expected echo, play or record`);
  }
}

/**
 * Echo through the voice-agent path: the remote track delivers 16 kHz mono
 * frames (`receive` option), the way a speech-to-text engine takes them, and
 * is sent straight back: the sender hands them to Opus at 16 kHz, which
 * codes them at its 48 kHz RTP clock itself (no resampling in between).
 * As a remote track sent back out it is live audio (see
 * `AudioSenderOptions.live`): a stall or a burst is dropped, not queued, so
 * the echo's delay stays at about one packet.
 */
export const echoSession: SessionHandler = async (session) => {
  const [remote, ...others] = session.remoteTracks;
  session.addTrack(remote);
  const discard = await discardTracks(others);
  return async () => {
    await discard?.stop();
  };
};

/** Plays `file` (looped) to each caller: one player per session; incoming audio is consumed and discarded. */
export function playSession(file: string): SessionHandler {
  return async (session) => {
    const player = new MediaPlayer(file, { loop: true });
    player.on('error', (error) => log('%s: player: %s', session.id, error.message));
    session.addTrack(player.audio);
    const discard = await discardTracks(session.remoteTracks);
    return async () => {
      await player.stop();
      await discard?.stop();
    };
  };
}

/**
 * The file for the `n`-th recorded session (1-based): `file` itself for the
 * first, then `name-2.wav`, `name-3.wav`, … so concurrent and later sessions
 * never share a file.
 */
export function recordingPath(file: string, n: number): string {
  if (n <= 1) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${n}${ext}`;
}

/**
 * Records each caller's audio to its own file (see {@link recordingPath}) and
 * sends silence back, so the call is sendrecv. The cleanup finalizes the file.
 */
export function recordSession(file: string): SessionHandler {
  let count = 0;
  return async (session) => {
    const [remote, ...others] = session.remoteTracks;
    const target = recordingPath(file, ++count);
    const recorder = new MediaRecorder(target);
    recorder.on('error', (error) => log('%s: recorder: %s', session.id, error.message));
    recorder.on('warning', (warning) => log('%s: recorder: %s', session.id, warning.message));
    recorder.addTrack(remote);
    await recorder.start();
    log('%s: recording to %s', session.id, target);
    const silence = new AudioSource({ sampleRate: 48000, channels: 1 });
    session.addTrack(silence.track);
    const discard = await discardTracks(others);
    return async () => {
      await recorder.stop();
      silence.close();
      await discard?.stop();
      log('%s: recording finished: %s', session.id, target);
    };
  };
}

/** Consumes tracks nobody else reads, so their frames do not pile up. */
async function discardTracks(tracks: readonly RemoteAudioTrack[]): Promise<MediaBlackHole | undefined> {
  if (tracks.length === 0) return undefined;
  const hole = new MediaBlackHole();
  for (const track of tracks) hole.addTrack(track);
  await hole.start();
  return hole;
}
