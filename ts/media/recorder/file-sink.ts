import { promises as fsp } from 'node:fs';
import type { ByteSink } from './byte-sink';
import { ZEROS } from './byte-sink';

/**
 * A file written with positional writes through a `fs.promises` FileHandle.
 * Appends go to offsets reserved when the call is made, so a failed write
 * leaves a hole (read back as zeros) and later data still lands where it
 * belongs.
 */
export class FileSink implements ByteSink {
  readonly seekable = true;
  readonly description: string;
  private handle: fsp.FileHandle | undefined;
  private end = 0;
  private closing: Promise<void> | undefined;

  private constructor(path: string, handle: fsp.FileHandle) {
    this.description = path;
    this.handle = handle;
  }

  /**
   * Creates (or truncates) `path` for writing.
   * @throws the `fs` error, its message prefixed with what was being done.
   */
  static async create(path: string): Promise<FileSink> {
    try {
      return new FileSink(path, await fsp.open(path, 'w'));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      e.message = `cannot create ${JSON.stringify(path)}: ${e.message}`;
      throw e;
    }
  }

  append(data: Uint8Array): Promise<void> {
    const position = this.end;
    this.end += data.length;
    return this.writeAt(data, position);
  }

  async appendZeros(length: number): Promise<void> {
    let position = this.end;
    this.end += length;
    let left = length;
    while (left > 0) {
      const n = Math.min(left, ZEROS.length);
      await this.writeAt(ZEROS.subarray(0, n), position);
      position += n;
      left -= n;
    }
  }

  patch(position: number, data: Uint8Array): Promise<void> {
    return this.writeAt(data, position);
  }

  async sync(): Promise<void> {
    await this.open().datasync();
  }

  close(): Promise<void> {
    if (!this.closing) {
      const handle = this.handle;
      this.handle = undefined;
      this.closing = handle ? handle.close() : Promise.resolve();
    }
    return this.closing;
  }

  private async writeAt(data: Uint8Array, position: number): Promise<void> {
    const handle = this.open();
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`writing ${this.description} made no progress`);
      done += bytesWritten;
    }
  }

  private open(): fsp.FileHandle {
    if (!this.handle) throw new Error(`${this.description} is already closed`);
    return this.handle;
  }
}
