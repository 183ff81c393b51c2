/**
 * Where a recording's bytes go: a file (seekable: headers can be patched in
 * place) or a stream (append only).
 */
export interface ByteSink {
  /** True when {@link patch} works (a file); false for a stream. */
  readonly seekable: boolean;
  /** For messages: the file's path or "the stream". */
  readonly description: string;
  /** Appends bytes after everything appended so far. */
  append(data: Uint8Array): Promise<void>;
  /** Appends `length` zero bytes. */
  appendZeros(length: number): Promise<void>;
  /** Overwrites bytes at `position` (seekable sinks only). */
  patch(position: number, data: Uint8Array): Promise<void>;
  /** Asks the OS to put written data on the storage device (fdatasync); a no-op for streams. */
  sync(): Promise<void>;
  /** Releases the file handle or ends the stream. Safe to call twice. */
  close(): Promise<void>;
}

/** A shared block of zeros for writing silence; never modified. */
export const ZEROS = Buffer.alloc(64 * 1024);
