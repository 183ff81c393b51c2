import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import type { AudioFrame } from './audio-frame';

const log = createDebug('voxrtc:track');

/** `'live'` until the track is stopped or its source ends; then `'ended'` for good. */
export type TrackState = 'live' | 'ended';

/**
 * Thrown (as a rejection of `recv()`) when a track has ended, and when a track
 * is read the wrong way (for example one that a relay owns).
 */
export class MediaStreamError extends Error {
  /** `ERR_VOXRTC_TRACK_ENDED` or `ERR_VOXRTC_TRACK_OWNED`. */
  readonly code: string;
  constructor(message: string, code = 'ERR_VOXRTC_TRACK_ENDED') {
    super(message);
    this.name = 'MediaStreamError';
    this.code = code;
  }
}

/** @internal The subclass's own recv(), bypassing the ownership guard (for voxrtc's own consumers). */
export const kRead: unique symbol = Symbol('voxrtc.read');
/** @internal Who owns the track (a relay), if anyone. */
export const kOwner: unique symbol = Symbol('voxrtc.owner');

/** @internal */
export interface TrackInternals {
  [kRead]: () => Promise<AudioFrame>;
  [kOwner]: string | undefined;
}

/**
 * An audio track: a source of {@link AudioFrame}s read one at a time with
 * `recv()` or with `for await (const frame of track)`.
 *
 * Process audio by subclassing and overriding `recv()`:
 * ```ts
 * class Louder extends MediaStreamTrack {
 *   constructor(private readonly source: MediaStreamTrack) { super(); }
 *   async recv(): Promise<AudioFrame> {
 *     const frame = await this.source.recv();
 *     const data = Int16Array.from(frame.data, (s) => Math.max(-32768, Math.min(32767, s * 2)));
 *     return frame.derive({ data });
 *   }
 * }
 * ```
 *
 * Events: `'ended'` once, when the track ends (by {@link stop} or because its source ended).
 */
export abstract class MediaStreamTrack extends EventEmitter {
  /** Always `'audio'`. */
  readonly kind = 'audio' as const;
  /** A unique id (a UUID unless given). */
  readonly id: string;
  private state: TrackState = 'live';
  private readCount = 0;

  constructor(options: { id?: string } = {}) {
    super();
    this.id = options.id ?? randomUUID();
    // Guard the subclass's recv(): ended and owned tracks reject with a clear
    // MediaStreamError, and voxrtc's consumers reach the raw method by symbol.
    const self = this as unknown as TrackInternals & { recv: () => Promise<AudioFrame> };
    if (typeof self.recv !== 'function') {
      throw new TypeError(`${this.constructor.name}: define recv() as a method of the class (not as a property)`);
    }
    const ownRecv = self.recv.bind(this);
    self[kRead] = () => {
      this.readCount++;
      return ownRecv();
    };
    self[kOwner] = undefined;
    self.recv = () => {
      this.readCount++;
      if (this.state === 'ended') return Promise.reject(this.endedError());
      const owner = self[kOwner];
      if (owner !== undefined) {
        return Promise.reject(
          new MediaStreamError(
            `${this.describe()} is read by ${owner}; reading it directly would steal its frames. ` +
              'Call relay.subscribe(track) and read the returned track instead.',
            'ERR_VOXRTC_TRACK_OWNED',
          ),
        );
      }
      return ownRecv();
    };
  }

  /** The next frame. Rejects with {@link MediaStreamError} once the track has ended. */
  abstract recv(): Promise<AudioFrame>;

  /**
   * Reads so far: `recv()` calls, and reads by a voxrtc consumer (sender,
   * relay). A track that has frames but was never read is reported in
   * session stats.
   */
  get reads(): number {
    return this.readCount;
  }

  /** `'live'` or `'ended'`. */
  get readyState(): TrackState {
    return this.state;
  }

  /** Ends the track: pending and later `recv()` calls reject, `'ended'` is emitted once. Idempotent. */
  stop(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    log('%s ended', this.describe());
    this.onStop();
    this.emit('ended');
  }

  /** Subclasses release what they hold here (timers, queues, sources). Called once, by {@link stop}. */
  protected onStop(): void {}

  /** The error `recv()` rejects with after the end. */
  protected endedError(): MediaStreamError {
    return new MediaStreamError(`${this.describe()} has ended`);
  }

  /** e.g. `AudioSource track 3f2a…` for messages and logs. */
  describe(): string {
    return `${this.constructor.name} track ${this.id}`;
  }

  /** Reads frames until the track ends; ends quietly on {@link MediaStreamError}. */
  async *[Symbol.asyncIterator](): AsyncGenerator<AudioFrame, void, undefined> {
    while (this.state === 'live') {
      let frame: AudioFrame;
      try {
        frame = await this.recv();
      } catch (error) {
        if (error instanceof MediaStreamError && error.code === 'ERR_VOXRTC_TRACK_ENDED') return;
        throw error;
      }
      yield frame;
    }
  }
}
