import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { checkBoolean, checkInteger, checkOptions, invalidRange, invalidType } from '../../core/validate';
import { reportError } from '../report-error';
import { MediaPlayerTrack } from './player-track';
import { PlayerError } from './player-error';
import { openAudioFile, probeAudioFile } from './probe-file';

const log = createDebug('voxrtc:player');

/** Options for {@link MediaPlayer}. */
export interface MediaPlayerOptions {
  /** Start again from the beginning at the end of the file, forever (pts stay contiguous). Default false. */
  loop?: boolean;
  /** Frame duration in milliseconds, 10 to 60. Default 20. */
  frameMs?: number;
}

/**
 * Plays a WAV or Ogg Opus file as a live audio track, in real time.
 *
 * ```ts
 * const player = new MediaPlayer('prompt.ogg', { loop: false });
 * pc.addTrack(player.audio);           // or: for await (const frame of player.audio) …
 * player.audio.once('ended', () => …); // the end of the file
 * await player.stop();                 // releases the file early
 * ```
 *
 * The format is recognised from the contents: WAV (PCM 8, 16, 24, 32-bit,
 * float 32 and 64-bit, WAVE_FORMAT_EXTENSIBLE, any chunks, 1–8 channels,
 * 8–192 kHz) gives frames at the file's rate (s16 for 8 and 16-bit files,
 * f32 otherwise); Ogg Opus (mono or stereo) gives s16 frames at 48 kHz with
 * the pre-skip removed and the end trimmed to the last granule position.
 * The file is read incrementally, about half a second ahead.
 *
 * Errors: a file that cannot be opened, is not WAV or Ogg Opus, or whose
 * header is damaged throws a {@link PlayerError} from the constructor. Damage
 * found during playback ends the track: `recv()` rejects with the
 * PlayerError and the player emits `'error'` with it (when someone listens).
 */
export class MediaPlayer extends EventEmitter {
  /** The file. */
  readonly path: string;
  /** `'wav'` or `'ogg'` (Opus), from the file's contents. */
  readonly format: 'wav' | 'ogg';
  /** Samples per second of the frames (48000 for Ogg Opus). */
  readonly sampleRate: number;
  /** Channels of the frames. */
  readonly channels: number;
  /** The file's duration in seconds (undefined for an Ogg file whose last page is unreadable). */
  readonly duration: number | undefined;
  /** The file's audio as a paced track. */
  readonly audio: MediaPlayerTrack;

  /**
   * Opens the file briefly to check it; the audio is read when the track is.
   * @throws TypeError or RangeError for bad arguments; {@link PlayerError} for a file that cannot be played.
   */
  constructor(path: string, options?: MediaPlayerOptions) {
    super();
    const where = 'MediaPlayer';
    if (typeof path !== 'string') throw invalidType(where, 'path', 'a file path (string)', path);
    if (path.length === 0) throw invalidRange(where, 'path', 'a file path', 'an empty string');
    const o = checkOptions(where, options, ['loop', 'frameMs']);
    const loop = checkBoolean(where, 'options.loop', o.loop ?? false);
    const frameMs = checkInteger(where, 'options.frameMs', o.frameMs ?? 20, 10, 60);
    const probe = probeAudioFile(path);
    this.path = path;
    this.format = probe.format;
    this.sampleRate = probe.sampleRate;
    this.channels = probe.channels;
    this.duration = probe.duration;
    const samplesPerFrame = Math.max(1, Math.round((probe.sampleRate * frameMs) / 1000));
    this.audio = new MediaPlayerTrack({
      path,
      sampleRate: probe.sampleRate,
      channels: probe.channels,
      samplesPerFrame,
      loop,
      open: () => openAudioFile(path, probe),
      onError: (error) => {
        if (this.listenerCount('error') > 0) reportError(this, error, log);
      },
    });
    log('%s: %s, %d Hz × %d, %s s%s', path, this.format, this.sampleRate, this.channels, this.duration?.toFixed(3) ?? '?', loop ? ', looping' : '');
  }

  /** Ends the track and resolves once the file handle and timers are released. Idempotent. */
  async stop(): Promise<void> {
    this.audio.stop();
    await this.audio.released();
  }

  override on(event: 'error', listener: (error: PlayerError) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }
}
