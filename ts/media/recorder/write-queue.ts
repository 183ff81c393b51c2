import { types } from 'node:util';
import type { ByteSink } from './byte-sink';

/** One queued write. */
export type WriteOp =
  | { readonly kind: 'append'; readonly data: Uint8Array }
  | { readonly kind: 'zeros'; length: number }
  | { readonly kind: 'patch'; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'sync' };

/**
 * The bounded queue between the recorder (which must keep reading its track)
 * and the sink (which may be slow). Operations run one at a time, in order.
 * The bound is on the bytes held in memory: runs of zeros (silence) are
 * counted by length only and hold none, so they do not count.
 *
 * `onResult` hears how each operation went; the queue itself never throws.
 */
export class WriteQueue {
  /** Bytes held in memory above which the queue is {@link full}. Set once the format is known. */
  limitBytes = Number.POSITIVE_INFINITY;
  private readonly sink: ByteSink;
  private readonly onResult: (error: Error | undefined, op: WriteOp) => void;
  /** Operations in order; a slot is cleared once its operation has run, so written data is not held. */
  private readonly ops: Array<WriteOp | undefined> = [];
  private head = 0;
  private bytes = 0;
  private running: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];

  constructor(sink: ByteSink, onResult: (error: Error | undefined, op: WriteOp) => void) {
    this.sink = sink;
    this.onResult = onResult;
  }

  /** Bytes of data waiting to be written. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Operations waiting (including the one in progress). */
  get length(): number {
    return this.ops.length - this.head;
  }

  /** True while the data waiting exceeds {@link limitBytes}. */
  get full(): boolean {
    return this.bytes > this.limitBytes;
  }

  /** Queues an operation and starts writing if idle. */
  push(op: WriteOp): void {
    const last = this.ops.length > this.head + 1 ? this.ops[this.ops.length - 1] : undefined; // (not the one running)
    if (op.kind === 'zeros' && last?.kind === 'zeros') {
      last.length += op.length; // not yet started: merge the runs
    } else {
      this.ops.push(op);
    }
    this.bytes += weight(op);
    this.running ??= this.run();
  }

  /** Resolves as soon as the queue is not {@link full}. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when every operation queued so far has run. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    while (this.head < this.ops.length) {
      const op = this.ops[this.head] as WriteOp;
      let failure: Error | undefined;
      try {
        await this.execute(op);
      } catch (error) {
        failure = types.isNativeError(error) ? error : new Error(String(error)); // fs errors may come from another realm
      }
      this.ops[this.head++] = undefined;
      this.bytes -= weight(op);
      if (this.head > 256 && this.head * 2 > this.ops.length) {
        this.ops.splice(0, this.head);
        this.head = 0;
      }
      this.onResult(failure, op);
      if (!this.full && this.roomWaiters.length > 0) {
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
    this.ops.length = 0;
    this.head = 0;
    this.running = undefined;
  }

  private execute(op: WriteOp): Promise<void> {
    switch (op.kind) {
      case 'append':
        return this.sink.append(op.data);
      case 'zeros':
        return this.sink.appendZeros(op.length);
      case 'patch':
        return this.sink.patch(op.position, op.data);
      case 'sync':
        return this.sink.sync();
    }
  }
}

function weight(op: WriteOp): number {
  return op.kind === 'append' || op.kind === 'patch' ? op.data.length : 0;
}
