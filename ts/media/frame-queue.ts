import type { AudioFrame } from './audio-frame';

/**
 * A bounded first-in first-out queue of frames with asynchronous reads.
 * When full, a push drops the oldest frame (never blocks, never grows), and
 * the drop is counted. The frames sit in a ring of `capacity` slots, and a
 * frame's slot is cleared when it leaves: the queue holds on to no frame it
 * has handed out or dropped. Reads that wait are served in the order they
 * were made (an abandoned read — a relay gone idle, a stopped black hole —
 * must not make the next reader fail). Closing it makes the pending and
 * later reads settle with `undefined`.
 */
export class FrameQueue {
  /** Most frames held at once. */
  readonly capacity: number;
  private readonly ring: Array<AudioFrame | undefined>;
  /** Slot of the oldest frame. */
  private head = 0;
  private count = 0;
  private waiters: Array<(frame: AudioFrame | undefined) => void> = [];
  private isEnded = false;
  private isClosed = false;
  private dropCount = 0;
  private pushCount = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`FrameQueue: capacity must be an integer ≥ 1; got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array<AudioFrame | undefined>(capacity).fill(undefined);
  }

  /** Frames waiting to be read. */
  get size(): number {
    return this.count;
  }

  /** Frames dropped because the queue was full. */
  get dropped(): number {
    return this.dropCount;
  }

  /** Frames pushed in all. */
  get pushed(): number {
    return this.pushCount;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Adds a frame; returns false (and counts a drop) if the oldest frame had to make room. Ignored after close. */
  push(frame: AudioFrame): boolean {
    if (this.isClosed || this.isEnded) return true;
    this.pushCount++;
    const resolve = this.waiters.shift();
    if (resolve) {
      resolve(frame);
      return true;
    }
    let kept = true;
    if (this.count === this.capacity) {
      this.take();
      this.dropCount++;
      kept = false;
    }
    this.ring[(this.head + this.count) % this.capacity] = frame;
    this.count++;
    return kept;
  }

  /** The oldest frame, waiting for one if empty; `undefined` once closed. Waiting reads are served in order. */
  shift(): Promise<AudioFrame | undefined> {
    if (this.count > 0) return Promise.resolve(this.take());
    if (this.isClosed || this.isEnded) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  /** Drops every queued frame (not counted as drops); returns how many. */
  clear(): number {
    const n = this.count;
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    return n;
  }

  /**
   * No more frames will come: later pushes are ignored, reads return what is
   * queued and then `undefined`.
   */
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    if (this.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(undefined);
  }

  /** Ends the queue: waiting reads get `undefined`, queued frames are discarded. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(undefined);
  }

  /** Removes and returns the oldest frame (the queue is not empty). */
  private take(): AudioFrame {
    const frame = this.ring[this.head] as AudioFrame;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return frame;
  }
}
