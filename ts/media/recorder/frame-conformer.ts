import { Resampler } from '../../core/resampler';
import { localPcm, type Pcm } from '../../core/validate';
import type { AudioFrame } from '../audio-frame';

/** The format a file's samples are in. */
export interface FileFormat {
  readonly sampleRate: number;
  readonly channels: number;
  readonly format: 's16' | 'f32';
}

/**
 * Brings frames of any format to the file's: sample type, interleaving and
 * channel count through {@link AudioFrame.to}, sample rate through a
 * streaming {@link Resampler} kept while the input rate stays the same. A
 * change of input rate flushes the old resampler's tail first, so nothing is
 * lost or reordered. Call {@link flush} before a deliberate break (silence,
 * a discontinuity, the end).
 */
export class FrameConformer {
  readonly target: FileFormat;
  private resampler: Resampler | undefined;

  constructor(target: FileFormat) {
    this.target = target;
  }

  /** The frame's samples in the file's format, preceded by any tail the last rate change released. */
  convert(frame: AudioFrame): Pcm[] {
    const { sampleRate, channels, format } = this.target;
    const data = frame.to({ format, layout: 'interleaved', channels }).data;
    if (frame.sampleRate === sampleRate) {
      const tail = this.flush();
      return tail.length > 0 ? [...tail, data] : [data];
    }
    const out = this.resampler?.inputRate === frame.sampleRate ? [] : this.flush();
    this.resampler ??= new Resampler({ inputRate: frame.sampleRate, outputRate: sampleRate, channels, quality: 'medium' });
    const converted = localPcm(this.resampler.process(data));
    if (converted.length > 0) out.push(converted);
    return out;
  }

  /** The resampler's remaining output (if one is in use), after which it is released. */
  flush(): Pcm[] {
    const resampler = this.resampler;
    if (!resampler) return [];
    this.resampler = undefined;
    const tail = localPcm(resampler.flush());
    resampler.close();
    return tail.length > 0 ? [tail] : [];
  }

  /** Releases the resampler without its tail. */
  close(): void {
    this.resampler?.close();
    this.resampler = undefined;
  }
}
