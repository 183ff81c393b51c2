import createDebug from 'debug';
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
  private wake: (() => void) | undefined;
  private stopped: Promise<void> = new Promise((resolve) => (this.wake = resolve));

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
    this.stopped = new Promise((resolve) => (this.wake = resolve));
    for (const sink of this.sinks) this.run(sink);
  }

  /** Stops consuming (a read in progress is abandoned). The tracks are not stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    this.wake?.();
    await Promise.all(this.sinks.map((sink) => sink.running));
  }

  /** Frames consumed per track id. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.sinks.map((sink) => [sink.track.id, sink.frames]));
  }

  private run(sink: Sink): void {
    if (sink.running) return;
    sink.running = (async () => {
      log('consuming %s', sink.track.describe());
      try {
        while (!this.stopping && sink.track.readyState === 'live') {
          const read = sink.track.recv();
          read.catch(() => undefined); // an abandoned read must not become an unhandled rejection
          const frame = await Promise.race([read, this.stopped]);
          if (frame === undefined) break;
          sink.frames++;
        }
      } catch (error) {
        if (!(error instanceof MediaStreamError)) log('%s: %s', sink.track.describe(), (error as Error).message);
      } finally {
        sink.running = undefined;
      }
    })();
  }
}
