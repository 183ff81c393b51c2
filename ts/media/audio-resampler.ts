import createDebug from 'debug';
import { AudioFrame, checkedFrame, type AudioFormat, type AudioLayout } from './audio-frame';
import { Resampler, type ResamplerQuality } from '../core/resampler';
import { f32ToS16, s16ToF32 } from '../core/convert';
import { type Pcm, checkInteger, checkOneOf, checkOptions, closedError, invalidType } from '../core/validate';

const log = createDebug('voxrtc:resampler');

/** Options for {@link AudioResampler}; anything left out follows the first input frame. */
export interface AudioResamplerOptions {
  /** Output sample format. */
  format?: AudioFormat;
  /** Output layout. Default `'interleaved'`. */
  layout?: AudioLayout;
  /** Output channels, 1 to 8 (down/up-mixed with the default matrix). */
  channels?: number;
  /** Output sample rate, 8000 to 192000. */
  rate?: number;
  /** Samples per channel in every output frame; without it each input frame gives what it gives. */
  frameSize?: number;
  /** libsamplerate converter. Default `'medium'`. */
  quality?: ResamplerQuality;
  /**
   * What a pts gap in the input does: `'fill'` (default) inserts silence so
   * the output timeline stays continuous; `'reset'` starts a new stream at the
   * new pts. Gaps longer than `maxGapSeconds`, and pts that go backwards,
   * always reset. Nothing ever throws on timing.
   */
  gap?: 'fill' | 'reset';
  /** Longest gap filled with silence, in seconds. Default 5. */
  maxGapSeconds?: number;
}

interface Stream {
  inputRate: number;
  inputChannels: number;
  resampler: Resampler | undefined; // undefined when the rates are equal
  nextInputSample: number; // expected pts of the next input frame, in input samples
  outputAnchor: number; // output pts of this stream's first output sample
  outputSamples: number; // output samples (per channel) produced in this stream
}

/**
 * Converts frames to another rate, format, layout and channel count — frames
 * in, frames out — keeping time: output pts are the input's, rescaled to the
 * output rate (time base 1/rate). Input with gaps or jumps in pts never makes
 * it throw: gaps are filled or the stream resets (see {@link AudioResamplerOptions.gap}).
 *
 * ```ts
 * const toStt = new AudioResampler({ rate: 16000, channels: 1, format: 's16', frameSize: 320 });
 * for await (const frame of track) for (const f of toStt.resample(frame)) stt.write(f.data);
 * ```
 */
export class AudioResampler {
  private readonly options: Required<Pick<AudioResamplerOptions, 'quality' | 'gap' | 'maxGapSeconds'>> &
    Omit<AudioResamplerOptions, 'quality' | 'gap' | 'maxGapSeconds'>;
  private stream: Stream | undefined;
  private target: { format: AudioFormat; layout: AudioLayout; channels: number; rate: number } | undefined;
  private pending: Pcm[] = []; // interleaved output samples not yet framed
  private pendingSamples = 0; // per channel
  private pendingPts = 0; // output pts of the first pending sample
  private isClosed = false;
  private gapsFilled = 0;
  private resets = 0;

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options: AudioResamplerOptions = {}) {
    const where = 'AudioResampler';
    const o = checkOptions(where, options, ['format', 'layout', 'channels', 'rate', 'frameSize', 'quality', 'gap', 'maxGapSeconds']);
    const maxGap = o.maxGapSeconds ?? 5;
    if (typeof maxGap !== 'number' || !(maxGap >= 0 && maxGap <= 3600)) {
      throw invalidType(where, 'options.maxGapSeconds', 'a number of seconds from 0 to 3600', maxGap);
    }
    this.options = {
      format: o.format === undefined ? undefined : checkOneOf(where, 'options.format', o.format, ['s16', 'f32'] as const),
      layout: o.layout === undefined ? undefined : checkOneOf(where, 'options.layout', o.layout, ['interleaved', 'planar'] as const),
      channels: o.channels === undefined ? undefined : checkInteger(where, 'options.channels', o.channels, 1, 8),
      rate: o.rate === undefined ? undefined : checkInteger(where, 'options.rate', o.rate, 8000, 192000),
      frameSize: o.frameSize === undefined ? undefined : checkInteger(where, 'options.frameSize', o.frameSize, 1, 192000),
      quality: checkOneOf(where, 'options.quality', o.quality ?? 'medium', ['fastest', 'medium', 'best'] as const),
      gap: checkOneOf(where, 'options.gap', o.gap ?? 'fill', ['fill', 'reset'] as const),
      maxGapSeconds: maxGap,
    };
  }

  /** Gaps filled with silence so far. */
  get filledGaps(): number {
    return this.gapsFilled;
  }

  /** Times the stream restarted (a long gap, pts going backwards, or a change of input rate or channels). */
  get streamResets(): number {
    return this.resets;
  }

  /** Converts one frame; returns zero or more output frames. */
  resample(frame: AudioFrame): AudioFrame[] {
    const where = 'AudioResampler.resample';
    if (this.isClosed) throw closedError(where, 'resampler');
    if (!(frame instanceof AudioFrame)) throw invalidType(where, 'frame', 'an AudioFrame', frame);
    const target = (this.target ??= {
      format: this.options.format ?? frame.format,
      layout: this.options.layout ?? 'interleaved',
      channels: this.options.channels ?? frame.channels,
      rate: this.options.rate ?? frame.sampleRate,
    });
    const out: AudioFrame[] = [];
    const ptsSamples = Math.round(frame.time * frame.sampleRate);

    let stream = this.stream;
    if (stream && (stream.inputRate !== frame.sampleRate || stream.inputChannels !== frame.channels)) {
      log('input changed to %d Hz × %d: new stream', frame.sampleRate, frame.channels);
      this.endStream(out);
      this.resets++;
      stream = undefined;
    }
    if (stream) {
      const gap = ptsSamples - stream.nextInputSample;
      const tolerance = 1;
      if (gap > tolerance && this.options.gap === 'fill' && gap <= this.options.maxGapSeconds * frame.sampleRate) {
        this.gapsFilled++;
        log('filling a gap of %d samples', gap);
        this.feed(stream, new Float32Array(gap * target.channels), out);
      } else if (Math.abs(gap) > tolerance) {
        log('pts jump of %d samples: new stream', gap);
        this.endStream(out);
        this.resets++;
        stream = undefined;
      }
    }
    if (!stream) stream = this.startStream(frame, ptsSamples, target.rate);
    const interleaved =
      frame.channels === target.channels && (frame.layout === 'interleaved' || frame.channels === 1)
        ? frame.data
        : frame.to({ layout: 'interleaved', channels: target.channels }).data;
    this.feed(stream, interleaved, out);
    stream.nextInputSample = ptsSamples + frame.samplesPerChannel;
    return out;
  }

  /** Returns what is still held (the filter's tail and a last, shorter frame) and ends the stream. */
  flush(): AudioFrame[] {
    if (this.isClosed) throw closedError('AudioResampler.flush', 'resampler');
    const out: AudioFrame[] = [];
    this.endStream(out);
    return out;
  }

  /** Frees the native resampler. Safe to call twice. */
  close(): void {
    this.isClosed = true;
    this.stream?.resampler?.close();
    this.stream = undefined;
    this.pending = [];
    this.pendingSamples = 0;
  }

  private startStream(frame: AudioFrame, ptsSamples: number, outputRate: number): Stream {
    const resampler =
      frame.sampleRate === outputRate
        ? undefined
        : new Resampler({
            inputRate: frame.sampleRate,
            outputRate,
            channels: this.target!.channels,
            quality: this.options.quality,
          });
    const stream: Stream = {
      inputRate: frame.sampleRate,
      inputChannels: frame.channels,
      resampler,
      nextInputSample: ptsSamples,
      outputAnchor: Math.round((ptsSamples * outputRate) / frame.sampleRate),
      outputSamples: 0,
    };
    this.stream = stream;
    this.pendingPts = stream.outputAnchor;
    return stream;
  }

  private endStream(out: AudioFrame[]): void {
    const stream = this.stream;
    if (!stream) return;
    if (stream.resampler) {
      const tail = stream.resampler.flush();
      this.collect(stream, tail, out);
      stream.resampler.close();
    }
    this.emitPending(out, true);
    this.stream = undefined;
    // (not counted in `resets` here: flush() ends a stream too, and is no restart)
  }

  /** `input` is interleaved with the target's channel count. */
  private feed(stream: Stream, input: Pcm, out: AudioFrame[]): void {
    const samples = this.toTargetFormat(input);
    const produced = stream.resampler ? stream.resampler.process(samples) : samples;
    this.collect(stream, produced, out);
  }

  private collect(stream: Stream, samples: Pcm, out: AudioFrame[]): void {
    const t = this.target!;
    const frames = samples.length / t.channels;
    if (frames === 0) return;
    stream.outputSamples += frames;
    this.pending.push(this.toTargetFormat(samples));
    this.pendingSamples += frames;
    this.emitPending(out, false);
  }

  private emitPending(out: AudioFrame[], all: boolean): void {
    const t = this.target;
    if (!t || this.pendingSamples === 0) return;
    const size = this.options.frameSize;
    const joined = concat(this.pending, t.format);
    let offset = 0; // in frames
    const take = (n: number): void => {
      // (all that is pending, in one piece: its samples as they are, shared with the frame they came in, as AudioFrame.to() shares them)
      const whole = offset === 0 && n * t.channels === joined.length;
      const data = whole ? joined : joined.slice(offset * t.channels, (offset + n) * t.channels);
      const frame = checkedFrame(data, t.rate, t.channels, this.pendingPts);
      out.push(t.layout === 'planar' && t.channels > 1 ? frame.to({ layout: 'planar' }) : frame);
      this.pendingPts += n;
      offset += n;
    };
    if (size === undefined) {
      take(this.pendingSamples);
    } else {
      while (this.pendingSamples - offset >= size) take(size);
      if (all && this.pendingSamples - offset > 0) take(this.pendingSamples - offset);
    }
    const rest = this.pendingSamples - offset;
    this.pending = rest > 0 ? [joined.slice(offset * t.channels)] : [];
    this.pendingSamples = rest;
  }

  private toTargetFormat(samples: Pcm): Pcm {
    const format = this.target!.format;
    if (format === 'f32' && samples instanceof Int16Array) return s16ToF32(samples);
    if (format === 's16' && samples instanceof Float32Array) return f32ToS16(samples);
    return samples;
  }
}

function concat(parts: Pcm[], format: AudioFormat): Pcm {
  if (parts.length === 1) return parts[0];
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = format === 'f32' ? new Float32Array(length) : new Int16Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
