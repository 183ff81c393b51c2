import { types } from 'node:util';
import { f32ToS16Into, s16ToF32Into, interleaveInto, deinterleaveInto, remixInto, type RemixOptions } from '../core/convert';
import {
  type Pcm,
  checkInteger,
  checkOneOf,
  checkOptions,
  describe,
  invalidRange,
  invalidType,
} from '../core/validate';

/** Sample format of an {@link AudioFrame}: signed 16-bit integers or 32-bit floats (nominal -1..1). */
export type AudioFormat = 's16' | 'f32';
/** Sample layout: `'interleaved'` (L R L R …) or `'planar'` (L L … R R …). */
export type AudioLayout = 'interleaved' | 'planar';

/** A rational time base: one pts unit lasts `num / den` seconds. */
export interface TimeBase {
  readonly num: number;
  readonly den: number;
}

/** What {@link AudioFrame} is built from. */
export interface AudioFrameInit {
  /**
   * The samples: an `Int16Array` (s16), a `Float32Array` (f32), or a `Buffer`
   * of s16 little-endian samples (viewed, not copied).
   */
  data: Int16Array | Float32Array | Buffer;
  /** Samples per second per channel, 8000 to 192000. */
  sampleRate: number;
  /** Channels, 1 to 8. Default 1. */
  channels?: number;
  /** Must agree with `data` when given. Default: from `data`. */
  format?: AudioFormat;
  /** Default `'interleaved'`. */
  layout?: AudioLayout;
  /** When given, `data` must hold exactly `samplesPerChannel × channels` values. */
  samplesPerChannel?: number;
  /** Presentation time in `timeBase` units (an integer, may be negative). Default 0. */
  pts?: number;
  /** Default `{ num: 1, den: sampleRate }`: pts counts samples. */
  timeBase?: TimeBase;
}

const INIT_KEYS = ['data', 'sampleRate', 'channels', 'format', 'layout', 'samplesPerChannel', 'pts', 'timeBase'];

/**
 * What voxrtc's own per-frame paths (decoders, resamplers, sources) build
 * frames from: values they have already checked, handed over without an
 * options object and without checking them again (see {@link checkedFrame}).
 */
const EMPTY = new Int16Array(0);
class CheckedInit {
  data: Pcm = EMPTY;
  sampleRate = 48000;
  channels = 1;
  pts = 0;
}
const checkedInit = new CheckedInit();

/** `{ num: 1, den: rate }` per rate, shared by the frames {@link checkedFrame} makes (frozen: nothing can change it under another frame). */
const sampleTimeBases = new Map<number, TimeBase>();
function sampleTimeBase(rate: number): TimeBase {
  let timeBase = sampleTimeBases.get(rate);
  if (timeBase === undefined) sampleTimeBases.set(rate, (timeBase = Object.freeze({ num: 1, den: rate })));
  return timeBase;
}
const LAYOUTS: readonly AudioLayout[] = ['interleaved', 'planar'];
const FORMATS: readonly AudioFormat[] = ['s16', 'f32'];

/**
 * A block of audio with its timing. Construction validates everything — data
 * type, length, channels, layout, rate, pts — so a wrong frame cannot be built
 * silently.
 *
 * @example
 * ```ts
 * const frame = new AudioFrame({ data: new Int16Array(1920), sampleRate: 48000, channels: 2, pts: 0 });
 * frame.duration;                                  // 0.02 (seconds)
 * const mono16k = frame.to({ channels: 1, format: 'f32' });
 * ```
 */
export class AudioFrame {
  /** The samples; the type follows {@link format}. */
  readonly data: Pcm;
  /** `'s16'` (`Int16Array`) or `'f32'` (`Float32Array`). */
  readonly format: AudioFormat;
  /** How channels are arranged in {@link data}. */
  readonly layout: AudioLayout;
  /** Samples per second per channel. */
  readonly sampleRate: number;
  /** Number of channels. */
  readonly channels: number;
  /** Samples in each channel. */
  readonly samplesPerChannel: number;
  /** Presentation time in {@link timeBase} units. */
  readonly pts: number;
  /** Duration of one pts unit. */
  readonly timeBase: TimeBase;

  /** @throws TypeError or RangeError naming the field that is wrong and what it must be. */
  constructor(init: AudioFrameInit) {
    if (init instanceof CheckedInit) {
      // (an array of another realm, as the addon's are inside a vm context, is viewed as this realm's, as below)
      const data = init.data instanceof Int16Array || init.data instanceof Float32Array ? init.data : checkFrameData('AudioFrame', init.data);
      this.data = data;
      this.format = data instanceof Float32Array ? 'f32' : 's16';
      this.layout = 'interleaved';
      this.sampleRate = init.sampleRate;
      this.channels = init.channels;
      this.samplesPerChannel = data.length / init.channels;
      this.pts = init.pts;
      this.timeBase = sampleTimeBase(init.sampleRate);
      return;
    }
    const where = 'AudioFrame';
    if (init === null || typeof init !== 'object') throw invalidType(where, 'init', 'an object with data and sampleRate', init);
    const o = checkOptions(where, init, INIT_KEYS);
    const data = checkFrameData(where, o.data);
    this.sampleRate = checkInteger(where, 'sampleRate', o.sampleRate, 8000, 192000);
    this.channels = checkInteger(where, 'channels', o.channels ?? 1, 1, 8);
    const actual: AudioFormat = data instanceof Float32Array ? 'f32' : 's16';
    if (o.format !== undefined) {
      const format = checkOneOf(where, 'format', o.format, FORMATS);
      if (format !== actual) {
        throw invalidType(where, 'data', `${format === 'f32' ? 'a Float32Array' : 'an Int16Array or a Buffer'} for format '${format}'`, o.data);
      }
    }
    this.format = actual;
    this.layout = checkOneOf(where, 'layout', o.layout ?? 'interleaved', LAYOUTS);
    if (o.samplesPerChannel !== undefined) {
      const spc = checkInteger(where, 'samplesPerChannel', o.samplesPerChannel, 0, 2 ** 31 - 1);
      const expected = spc * this.channels;
      if (data.length !== expected) {
        throw invalidRange(
          where,
          'data',
          `samplesPerChannel × channels = ${spc} × ${this.channels} = ${expected} values`,
          `${data.length}`,
        );
      }
      this.samplesPerChannel = spc;
    } else {
      if (data.length % this.channels !== 0) {
        throw invalidRange(
          where,
          'data',
          `a whole number of ${this.channels}-channel frames (a multiple of ${this.channels} values)`,
          `${data.length} values`,
        );
      }
      this.samplesPerChannel = data.length / this.channels;
    }
    this.data = data;
    this.pts = checkPts(where, 'pts', o.pts ?? 0);
    this.timeBase = o.timeBase === undefined ? { num: 1, den: this.sampleRate } : checkTimeBase(where, o.timeBase);
  }

  /** Duration in seconds. */
  get duration(): number {
    return this.samplesPerChannel / this.sampleRate;
  }

  /** Presentation time in seconds (`pts × timeBase`). */
  get time(): number {
    return (this.pts * this.timeBase.num) / this.timeBase.den;
  }

  /** Duration in {@link timeBase} units (not rounded). */
  get ptsDuration(): number {
    return (this.duration * this.timeBase.den) / this.timeBase.num;
  }

  /**
   * A frame of digital silence.
   * @example `AudioFrame.silence({ sampleRate: 48000, channels: 2, samplesPerChannel: 960 })`
   */
  static silence(options: {
    sampleRate: number;
    samplesPerChannel: number;
    channels?: number;
    format?: AudioFormat;
    layout?: AudioLayout;
    pts?: number;
    timeBase?: TimeBase;
  }): AudioFrame {
    const where = 'AudioFrame.silence';
    const o = checkOptions(where, options, ['sampleRate', 'samplesPerChannel', 'channels', 'format', 'layout', 'pts', 'timeBase']);
    const channels = checkInteger(where, 'options.channels', o.channels ?? 1, 1, 8);
    const spc = checkInteger(where, 'options.samplesPerChannel', o.samplesPerChannel, 0, 2 ** 31 - 1);
    const format = checkOneOf(where, 'options.format', o.format ?? 's16', FORMATS);
    const length = spc * channels;
    return new AudioFrame({
      data: format === 'f32' ? new Float32Array(length) : new Int16Array(length),
      sampleRate: o.sampleRate as number,
      channels,
      layout: (o.layout as AudioLayout | undefined) ?? 'interleaved',
      samplesPerChannel: spc,
      pts: (o.pts as number | undefined) ?? 0,
      timeBase: o.timeBase as TimeBase | undefined,
    });
  }

  /**
   * A converted copy (through the native core): another format, layout and/or
   * channel count. Timing is kept. Returns `this` when nothing changes.
   * Sample-rate changes are an {@link AudioResampler}'s job.
   */
  to(target: { format?: AudioFormat; layout?: AudioLayout; channels?: number; matrix?: RemixOptions['matrix'] }): AudioFrame {
    const where = 'AudioFrame.to';
    const o = checkOptions(where, target, ['format', 'layout', 'channels', 'matrix']);
    const format = checkOneOf(where, 'target.format', o.format ?? this.format, FORMATS);
    const layout = checkOneOf(where, 'target.layout', o.layout ?? this.layout, LAYOUTS);
    const channels = checkInteger(where, 'target.channels', o.channels ?? this.channels, 1, 8);
    if (format === this.format && layout === this.layout && channels === this.channels) return this;

    // Work interleaved: remix and format conversion are defined on interleaved data.
    let data: Pcm = this.data;
    if (this.layout === 'planar' && this.channels > 1) {
      const out = data instanceof Float32Array ? new Float32Array(data.length) : new Int16Array(data.length);
      interleaveInto(data, out, this.channels);
      data = out;
    }
    if (channels !== this.channels) {
      const length = this.samplesPerChannel * channels;
      const out = data instanceof Float32Array ? new Float32Array(length) : new Int16Array(length);
      remixInto(data, out, { from: this.channels, to: channels, matrix: o.matrix as RemixOptions['matrix'] });
      data = out;
    }
    if (format === 'f32' && data instanceof Int16Array) {
      const out = new Float32Array(data.length);
      s16ToF32Into(data, out);
      data = out;
    } else if (format === 's16' && data instanceof Float32Array) {
      const out = new Int16Array(data.length);
      f32ToS16Into(data, out);
      data = out;
    }
    if (layout === 'planar' && channels > 1) {
      const out = data instanceof Float32Array ? new Float32Array(data.length) : new Int16Array(data.length);
      deinterleaveInto(data, out, channels);
      data = out;
    }
    if (data === this.data) data = data.slice();
    return this.derive({ data, channels, layout });
  }

  /** The same audio with another pts (the samples are shared, not copied). */
  withPts(pts: number): AudioFrame {
    return this.derive({ pts: checkPts('AudioFrame.withPts', 'pts', pts) });
  }

  /** One channel's samples as a new array. */
  channelData(channel: number): Pcm {
    const c = checkInteger('AudioFrame.channelData', 'channel', channel, 0, this.channels - 1);
    const n = this.samplesPerChannel;
    if (this.layout === 'planar' || this.channels === 1) return this.data.slice(c * n, (c + 1) * n);
    const out = this.data instanceof Float32Array ? new Float32Array(n) : new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.data[i * this.channels + c];
    return out;
  }

  /** A copy with some fields replaced; everything is validated again. */
  derive(changes: Partial<AudioFrameInit>): AudioFrame {
    return new AudioFrame({
      data: this.data,
      sampleRate: this.sampleRate,
      channels: this.channels,
      layout: this.layout,
      pts: this.pts,
      timeBase: this.timeBase,
      ...changes,
    });
  }

  /** A short description for logs, e.g. `AudioFrame(s16 interleaved 48000 Hz × 2, 960 samples, pts 1920)`. */
  toString(): string {
    return `AudioFrame(${this.format} ${this.layout} ${this.sampleRate} Hz × ${this.channels}, ${this.samplesPerChannel} samples, pts ${this.pts})`;
  }
}

/**
 * @internal An interleaved frame (time base 1/sampleRate) from values the
 * caller has already checked: `data` an Int16Array or Float32Array holding a
 * whole number of `channels`-channel samples, `sampleRate` 8000 to 192000,
 * `channels` 1 to 8, `pts` a safe integer. For voxrtc's per-frame paths,
 * where the public constructor's checks would run on every 20 ms of audio of
 * every call; everything else builds frames with `new AudioFrame(init)`.
 */
export function checkedFrame(data: Pcm, sampleRate: number, channels: number, pts: number): AudioFrame {
  const init = checkedInit;
  init.data = data;
  init.sampleRate = sampleRate;
  init.channels = channels;
  init.pts = pts;
  const frame = new AudioFrame(init as unknown as AudioFrameInit);
  init.data = EMPTY; // (holds no frame's samples between calls)
  return frame;
}

function checkFrameData(where: string, value: unknown): Pcm {
  if (value instanceof Int16Array || value instanceof Float32Array) return value;
  // A typed array of another realm (a vm context or a jest sandbox, where the
  // native addon's arrays come from the main realm): view it as this realm's
  // type, so the instanceof checks below and in the core hold. No copy.
  if (types.isInt16Array(value)) return new Int16Array(value.buffer, value.byteOffset, value.length);
  if (types.isFloat32Array(value)) return new Float32Array(value.buffer, value.byteOffset, value.length);
  if (Buffer.isBuffer(value)) {
    if (value.byteOffset % 2 !== 0) {
      throw invalidRange(where, 'data', 'a Buffer of s16 samples starting at an even byte offset (copy it: Buffer.from(buf))', `byteOffset ${value.byteOffset}`);
    }
    if (value.length % 2 !== 0) throw invalidRange(where, 'data', 'a Buffer of s16 samples (an even number of bytes)', `${value.length} bytes`);
    return new Int16Array(value.buffer, value.byteOffset, value.length / 2);
  }
  throw invalidType(where, 'data', 'an Int16Array, a Float32Array or a Buffer of s16 samples', value);
}

function checkPts(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(where, name, 'an integer', value);
  if (!Number.isSafeInteger(value)) throw invalidRange(where, name, 'a safe integer', describe(value));
  return value;
}

function checkTimeBase(where: string, value: unknown): TimeBase {
  if (value === null || typeof value !== 'object') throw invalidType(where, 'timeBase', 'an object { num, den }', value);
  const t = value as Record<string, unknown>;
  const num = checkInteger(where, 'timeBase.num', t.num, 1, 2 ** 31 - 1);
  const den = checkInteger(where, 'timeBase.den', t.den, 1, 2 ** 31 - 1);
  return { num, den };
}
