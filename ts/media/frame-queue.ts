import type { AudioFrame } from './audio-frame';

/**
 * A bounded first-in first-out queue of frames with asynchronous reads.
 * When full, a push drops the oldest frame (never blocks, never grows), and
 * the drop is counted. Reads that wait are served in the order they were
 * made (an abandoned read — a relay gone idle, a stopped black hole — must
 * not make the next reader fail). Closing it makes the pending and later
 * reads settle with `undefined`.
 */
export class FrameQueue {
  /** Most frames held at once. */
  readonly capacity: number;
  private readonly frames: AudioFrame[] = [];
  private head = 0;
  private waiters: Array<(frame: AudioFrame | undefined) => void> = [];
  private isEnded = false;
  private isClosed = false;
  private dropCount = 0;
  private pushCount = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`FrameQueue: capacity must be an integer ≥ 1; got ${capacity}`);
    this.capacity = capacity;
  }

  /** Frames waiting to be read. */
  get size(): number {
    return this.frames.length - this.head;
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
    if (this.size >= this.capacity) {
      this.head++;
      this.dropCount++;
      kept = false;
    }
    this.frames.push(frame);
    this.compact();
    return kept;
  }

  /** The oldest frame, waiting for one if empty; `undefined` once closed. Waiting reads are served in order. */
  shift(): Promise<AudioFrame | undefined> {
    if (this.size > 0) {
      const frame = this.frames[this.head++];
      this.compact();
      return Promise.resolve(frame);
    }
    if (this.isClosed || this.isEnded) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  /** Drops every queued frame (not counted as drops); returns how many. */
  clear(): number {
    const n = this.size;
    this.frames.length = 0;
    this.head = 0;
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

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }
}
