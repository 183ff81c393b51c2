import { finished, type Writable } from 'node:stream';
import type { ByteSink } from './byte-sink';
import { ZEROS } from './byte-sink';

/**
 * A Writable the recording is streamed into, append only. Each write waits
 * for the stream's callback, so a slow stream slows the write queue (which is
 * bounded), never the track. The stream's `'error'` events are listened to
 * while the recording owns it (so they cannot crash the process); write
 * failures reach the recorder through the rejected writes.
 */
export class StreamSink implements ByteSink {
  readonly seekable = false;
  readonly description = 'the stream';
  private readonly stream: Writable;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly onError = (error: Error): void => {
    this.failure ??= error;
  };

  constructor(stream: Writable) {
    this.stream = stream;
    stream.on('error', this.onError);
  }

  append(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.stream;
      if (this.failure) return reject(this.failure);
      if (stream.destroyed || stream.writableEnded) return reject(new Error('the stream was ended or destroyed by someone else'));
      stream.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  async appendZeros(length: number): Promise<void> {
    let left = length;
    while (left > 0) {
      const n = Math.min(left, ZEROS.length);
      await this.append(ZEROS.subarray(0, n));
      left -= n;
    }
  }

  patch(): Promise<void> {
    return Promise.reject(new Error('a stream cannot be patched'));
  }

  async sync(): Promise<void> {}

  /** Ends the stream and waits until it has finished (or failed). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      const stream = this.stream;
      const done = (error?: Error | null): void => {
        stream.off('error', this.onError);
        if (error && error !== this.failure) reject(error);
        else resolve();
      };
      if (stream.destroyed || stream.writableFinished) return done();
      finished(stream, { readable: false }, (error) => done(error));
      if (!stream.writableEnded) stream.end();
    });
    return this.closing;
  }
}
