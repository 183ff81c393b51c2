import createDebug from 'debug';
import type { Pcm } from '../../core/validate';
import { AudioFrame } from '../audio-frame';
import { PacingClock } from '../clock';
import { MediaStreamTrack } from '../media-stream-track';
import type { AudioFileSource } from './audio-file-source';
import { PlayerError } from './player-error';

const log = createDebug('voxrtc:player');

/** How a {@link MediaPlayerTrack} gets its audio. */
export interface PlayerTrackInit {
  /** The file, for messages. */
  path: string;
  sampleRate: number;
  channels: number;
  /** Samples per channel in each frame. */
  samplesPerFrame: number;
  loop: boolean;
  /** Opens the file for reading (called on the first recv()). */
  open: () => Promise<AudioFileSource>;
  /** Hears an error that ended playback. */
  onError: (error: PlayerError) => void;
}

/**
 * The audio of a {@link MediaPlayer}: frames of the file, one every frame
 * duration on an absolute clock ({@link PacingClock}), with contiguous pts
 * counted in samples (time base 1/sampleRate). Looping continues the pts.
 * The last frame of a file that is not looped may be shorter; the track
 * ends (`'ended'`) when the next frame would be due. A read error ends the
 * track too, after `recv()` rejects with it.
 */
export class MediaPlayerTrack extends MediaStreamTrack {
  /** Samples per second of the frames. */
  readonly sampleRate: number;
  /** Channels of the frames. */
  readonly channels: number;
  /** Samples per channel in each frame (the last one of an unlooped file may be shorter). */
  readonly samplesPerFrame: number;
  private readonly init: PlayerTrackInit;
  private readonly clock: PacingClock;
  private readonly abort = new AbortController();
  private source: Promise<AudioFileSource> | undefined;
  private closed: Promise<void> | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private pts = 0;
  private loopCount = 0;

  /** @internal Created by {@link MediaPlayer}. */
  constructor(init: PlayerTrackInit) {
    super();
    this.init = init;
    this.sampleRate = init.sampleRate;
    this.channels = init.channels;
    this.samplesPerFrame = init.samplesPerFrame;
    this.clock = new PacingClock((init.samplesPerFrame * 1000) / init.sampleRate);
  }

  /** Times playback has wrapped around to the start of the file. */
  get loops(): number {
    return this.loopCount;
  }

  /** The next frame, when it is due. Calls are served one at a time, in order. */
  recv(): Promise<AudioFrame> {
    const next = this.turn.then(() => this.produce());
    this.turn = next.catch(() => undefined);
    return next;
  }

  /** @internal Resolves when the file handle has been released (after the track ended). */
  released(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }

  protected override onStop(): void {
    this.abort.abort();
    const source = this.source;
    this.closed = source ? source.then((s) => s.close()).catch((error: Error) => log('%s: closing failed: %s', this.init.path, error.message)) : Promise.resolve();
  }

  private get ended(): boolean {
    return this.readyState === 'ended';
  }

  private async produce(): Promise<AudioFrame> {
    if (this.ended) throw this.endedError();
    try {
      await this.clock.next(this.abort.signal);
    } catch {
      throw this.endedError();
    }
    let pcm: Pcm | null;
    try {
      pcm = await this.readFrame();
    } catch (error) {
      if (this.ended) throw this.endedError();
      const e = error instanceof PlayerError ? error : new PlayerError(this.init.path, `cannot read it: ${(error as Error).message}`, 'ERR_VOXRTC_PLAYER_OPEN', error);
      log('%s', e.message);
      this.stop();
      this.init.onError(e);
      throw e;
    }
    if (this.ended) throw this.endedError();
    if (pcm === null) {
      log('%s: end of file after %d samples', this.init.path, this.pts);
      this.stop();
      throw this.endedError();
    }
    const frame = new AudioFrame({ data: pcm, sampleRate: this.sampleRate, channels: this.channels, pts: this.pts });
    this.pts += frame.samplesPerChannel;
    return frame;
  }

  /** One frame of samples: across the file's end when looping; null at the end otherwise. */
  private async readFrame(): Promise<Pcm | null> {
    this.source ??= this.init.open();
    const source = await this.source;
    const n = this.samplesPerFrame;
    const first = await source.read(n);
    if (!this.init.loop) return first;
    const parts: Pcm[] = first ? [first] : [];
    let have = first ? first.length / this.channels : 0;
    while (have < n) {
      await source.rewind();
      this.loopCount++;
      const more = await source.read(n - have);
      if (more === null) throw new PlayerError(this.init.path, 'there is no audio in it to loop', 'ERR_VOXRTC_PLAYER_CORRUPT');
      parts.push(more);
      have += more.length / this.channels;
    }
    return parts.length === 1 ? parts[0] : join(parts);
  }
}

function join(parts: Pcm[]): Pcm {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = parts[0] instanceof Float32Array ? new Float32Array(length) : new Int16Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
