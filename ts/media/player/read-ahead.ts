import type { promises as fsp } from 'node:fs';

/**
 * Sequential reads of a byte range of a file with bounded read-ahead: at most
 * one block is being read ahead while the caller consumes the previous one,
 * so playback never waits on the disk in the common case and never holds
 * more than about two blocks.
 */
export class ReadAhead {
  private readonly handle: fsp.FileHandle;
  private readonly end: number;
  private readonly blockSize: number;
  private position: number;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Promise<Buffer> | undefined;

  /** Reads `[start, end)` of the file through `handle`, `blockSize` bytes at a time. */
  constructor(handle: fsp.FileHandle, start: number, end: number, blockSize: number) {
    this.handle = handle;
    this.position = start;
    this.end = end;
    this.blockSize = blockSize;
  }

  /** The next `length` bytes (fewer only at the end of the range). */
  async read(length: number): Promise<Buffer> {
    while (this.buffered.length < length && (this.pending !== undefined || this.position < this.end)) {
      const block = await (this.pending ?? this.startRead());
      this.pending = undefined;
      this.buffered = this.buffered.length === 0 ? block : Buffer.concat([this.buffered, block]);
    }
    const out = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(out.length);
    if (this.pending === undefined && this.position < this.end && this.buffered.length < this.blockSize / 2) {
      this.pending = this.startRead();
      this.pending.catch(() => undefined); // reported by the read that awaits it
    }
    return out;
  }

  /** Continues from `position`, dropping what was read ahead. */
  async seek(position: number): Promise<void> {
    await this.pending?.catch(() => undefined);
    this.pending = undefined;
    this.buffered = Buffer.alloc(0);
    this.position = position;
  }

  /** Waits for a read ahead in progress to settle (before the handle is closed). */
  async settle(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }

  private startRead(): Promise<Buffer> {
    const length = Math.min(this.blockSize, this.end - this.position);
    const position = this.position;
    this.position += length;
    return this.readFully(position, length);
  }

  private async readFully(position: number, length: number): Promise<Buffer> {
    const block = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(block, done, length - done, position + done);
      if (bytesRead === 0) break; // the file shrank
      done += bytesRead;
    }
    return done === length ? block : block.subarray(0, done);
  }
}
