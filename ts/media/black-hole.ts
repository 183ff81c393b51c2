import createDebug from 'debug';
import type { AudioFrame } from './audio-frame';
import { MediaStreamError, type MediaStreamTrack } from './media-stream-track';
import { invalidType } from '../core/validate';

const log = createDebug('voxrtc:blackhole');

interface Sink {
  readonly track: MediaStreamTrack;
  frames: number;
  running: Promise<void> | undefined;
}

/**
 * Consumes tracks and discards their frames, so nothing upstream piles up —
 * the fix for a remote track nobody reads. Like aiortc's, but reading starts
 * with {@link start} and {@link stop} waits until every reader has let go.
 *
 * ```ts
 * const hole = new MediaBlackHole();
 * hole.addTrack(remoteTrack);
 * await hole.start();
 * ```
 */
export class MediaBlackHole {
  private readonly sinks: Sink[] = [];
  private started = false;
  private stopping = false;
  /** Resolve the reads in progress with `undefined` (one per sink, removed when its read settles). */
  private readonly stopListeners = new Set<() => void>();

  /** Adds a track to consume (at once if already started). */
  addTrack(track: MediaStreamTrack): void {
    if (track === null || typeof track !== 'object' || typeof (track as MediaStreamTrack).recv !== 'function') {
      throw invalidType('MediaBlackHole.addTrack', 'track', 'a MediaStreamTrack', track);
    }
    if (this.sinks.some((sink) => sink.track === track)) return;
    const sink: Sink = { track, frames: 0, running: undefined };
    this.sinks.push(sink);
    if (this.started && !this.stopping) this.run(sink);
  }

  /** Starts consuming every added track. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    for (const sink of this.sinks) this.run(sink);
  }

  /** Stops consuming (a read in progress is abandoned). The tracks are not stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    for (const abandon of this.stopListeners) abandon();
    this.stopListeners.clear();
    await Promise.all(this.sinks.map((sink) => sink.running));
  }

  /** Frames consumed per track id. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.sinks.map((sink) => [sink.track.id, sink.frames]));
  }

  /**
   * The track's next frame, or `undefined` as soon as {@link stop} is called.
   * (Not `Promise.race` with one long-lived stop promise: every race would add
   * a reaction to it that keeps its frame alive until stop() — a leak of every
   * frame consumed, in the object meant to keep memory flat.)
   */
  private readUnlessStopped(track: MediaStreamTrack): Promise<AudioFrame | undefined> {
    return new Promise((resolve, reject) => {
      const abandon = (): void => resolve(undefined);
      this.stopListeners.add(abandon);
      track.recv().then(
        (frame) => {
          this.stopListeners.delete(abandon);
          resolve(frame);
        },
        (error: unknown) => {
          this.stopListeners.delete(abandon);
          reject(error); // (after an abandon this is a no-op: no unhandled rejection)
        },
      );
    });
  }

  private run(sink: Sink): void {
    if (sink.running) return;
    sink.running = (async () => {
      log('consuming %s', sink.track.describe());
      let abandoned = false;
      try {
        while (!this.stopping && sink.track.readyState === 'live') {
          const frame = await this.readUnlessStopped(sink.track);
          if (frame === undefined) {
            abandoned = true;
            break;
          }
          sink.frames++;
          // A track that answers at once must not starve timers and I/O.
          if (sink.frames % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (error) {
        if (!(error instanceof MediaStreamError)) log('%s: %s', sink.track.describe(), (error as Error).message);
      } finally {
        sink.running = undefined;
        // start() came again before this loop had wound down (stop() not awaited): go on reading.
        if (abandoned && this.started && !this.stopping) this.run(sink);
      }
    })();
  }
}
