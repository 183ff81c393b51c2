import createDebug from 'debug';
import type { AudioFrame } from './audio-frame';
import { FrameQueue } from './frame-queue';
import { MediaStreamError, MediaStreamTrack, kOwner, kRead, type TrackInternals } from './media-stream-track';
import { checkBoolean, checkInteger, checkOptions, invalidType } from '../core/validate';

const log = createDebug('voxrtc:relay');

/** Options for {@link MediaRelay}. */
export interface MediaRelayOptions {
  /**
   * Also stop a source when its last subscriber stops (and on {@link MediaRelay.stop}).
   * Use it for generated sources that would otherwise produce forever. Default false.
   */
  stopSourceWhenIdle?: boolean;
}

/** Options for {@link MediaRelay.subscribe}. */
export interface SubscribeOptions {
  /** true: every frame in order, up to `maxQueue` waiting; false: only the latest frame. Default true. */
  buffered?: boolean;
  /** Frames a buffered subscriber may fall behind before its oldest are dropped. Default 50 (1 s of 20 ms frames). */
  maxQueue?: number;
}

/** One source and the pump that reads it for its subscribers. */
class RelayedSource {
  readonly subscribers = new Set<RelayTrack>();
  private pumping: Promise<void> | undefined;
  /** When the source ends on its own, subscribers read out what is queued, then end. */
  readonly onSourceEnded = (): void => this.finishAll();

  constructor(
    readonly relay: MediaRelay,
    readonly track: MediaStreamTrack,
  ) {
    track.once('ended', this.onSourceEnded);
  }

  start(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    const read = (this.track as unknown as TrackInternals)[kRead];
    log('pulling %s for %d subscriber(s)', this.track.describe(), this.subscribers.size);
    let sinceYield = 0;
    while (this.subscribers.size > 0) {
      let frame: AudioFrame;
      try {
        frame = await read();
      } catch (error) {
        if (!(error instanceof MediaStreamError)) log('%s failed: %s', this.track.describe(), (error as Error).message);
        this.finishAll();
        return;
      }
      if (this.track.readyState === 'ended') {
        this.finishAll();
        return;
      }
      for (const subscriber of this.subscribers) subscriber.deliver(frame);
      // A source that answers at once must not starve the event loop: give
      // I/O and timers a turn every few frames.
      if (++sinceYield >= 16) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    log('stopped pulling %s: no subscribers', this.track.describe());
  }

  /** Ends every subscriber now; queued frames are dropped. */
  endAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.stop();
  }

  /** The source has ended: every subscriber plays out its queue, then ends. */
  finishAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.finish();
  }
}

/**
 * A track fed by a {@link MediaRelay}: an independent copy of the source's
 * frames with its own bounded queue. Stopping it unsubscribes it.
 */
export class RelayTrack extends MediaStreamTrack {
  private readonly queue: FrameQueue;

  /** @internal */
  constructor(
    private readonly source: RelayedSource,
    options: { buffered: boolean; maxQueue: number },
  ) {
    super();
    this.queue = new FrameQueue(options.buffered ? options.maxQueue : 1);
  }

  /** The source track this relays. */
  get sourceTrack(): MediaStreamTrack {
    return this.source.track;
  }

  /** Frames dropped because this subscriber fell behind (buffered) or was overtaken (unbuffered). */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Frames waiting in this subscriber's queue. */
  get queued(): number {
    return this.queue.size;
  }

  /**
   * The next frame of the source. Starts the relay pulling the source on the
   * first call. After the source ends, the frames still queued come first,
   * then the track ends. Frames are shared between subscribers: treat them
   * as read-only.
   */
  async recv(): Promise<AudioFrame> {
    this.source.start();
    const frame = await this.queue.shift();
    if (frame === undefined) {
      this.stop();
      throw this.endedError();
    }
    return frame;
  }

  /** @internal The source ended: no more frames will come; the queue plays out. */
  finish(): void {
    this.queue.end();
    this.source.relay.unsubscribe(this);
  }

  /** @internal Called by the pump. */
  deliver(frame: AudioFrame): void {
    // Unbuffered: the queue holds one frame, so this push replaces an unread
    // frame and counts it in `dropped` (clearing first would hide the count).
    this.queue.push(frame);
  }

  protected override onStop(): void {
    this.queue.close();
    this.source.relay.unsubscribe(this);
  }
}

/**
 * Fans one track out to several independent subscribers — e.g. record a
 * caller while also sending their audio to speech-to-text.
 *
 * Unlike aiortc's relay it has an end: it stops pulling a source when the
 * source's last subscriber stops, {@link stop} ends every subscriber, and with
 * `stopSourceWhenIdle` the source itself is stopped too. While a relay owns a
 * source, reading the source directly throws (it would steal frames); read a
 * subscription instead.
 */
export class MediaRelay {
  private readonly sources = new Map<MediaStreamTrack, RelayedSource>();
  private readonly stopSourceWhenIdle: boolean;

  constructor(options: MediaRelayOptions = {}) {
    const o = checkOptions('MediaRelay', options, ['stopSourceWhenIdle']);
    this.stopSourceWhenIdle = checkBoolean('MediaRelay', 'options.stopSourceWhenIdle', o.stopSourceWhenIdle ?? false);
  }

  /** Returns a new track carrying `track`'s frames. The relay pulls `track` while it has subscribers. */
  subscribe(track: MediaStreamTrack, options: SubscribeOptions = {}): RelayTrack {
    const where = 'MediaRelay.subscribe';
    if (!(track instanceof MediaStreamTrack)) throw invalidType(where, 'track', 'a MediaStreamTrack', track);
    const o = checkOptions(where, options, ['buffered', 'maxQueue']);
    const buffered = checkBoolean(where, 'options.buffered', o.buffered ?? true);
    const maxQueue = checkInteger(where, 'options.maxQueue', o.maxQueue ?? 50, 1, 100000);
    if (track.readyState === 'ended') throw new MediaStreamError(`${where}: ${track.describe()} has ended`);
    const internals = track as unknown as TrackInternals;
    let source = this.sources.get(track);
    if (!source) {
      if (internals[kOwner] !== undefined) {
        throw new MediaStreamError(`${where}: ${track.describe()} is already read by ${internals[kOwner]}; subscribe through that relay`, 'ERR_VOXRTC_TRACK_OWNED');
      }
      source = new RelayedSource(this, track);
      this.sources.set(track, source);
      internals[kOwner] = 'a MediaRelay';
    }
    const subscriber = new RelayTrack(source, { buffered, maxQueue });
    source.subscribers.add(subscriber);
    log('subscribed %s to %s', subscriber.describe(), track.describe());
    return subscriber;
  }

  /** Ends every subscriber (and, with `stopSourceWhenIdle`, every source). */
  stop(): void {
    for (const source of [...this.sources.values()]) source.endAll();
  }

  /** @internal Called when a subscriber stops. */
  unsubscribe(subscriber: RelayTrack): void {
    const track = subscriber.sourceTrack;
    const source = this.sources.get(track);
    if (!source) return;
    source.subscribers.delete(subscriber);
    if (source.subscribers.size > 0) return;
    // Idle: release the source (the pump sees no subscribers and stops).
    this.sources.delete(track);
    track.off('ended', source.onSourceEnded);
    (track as unknown as TrackInternals)[kOwner] = undefined;
    if (this.stopSourceWhenIdle) {
      log('stopping idle source %s', track.describe());
      track.stop();
    }
  }
}
