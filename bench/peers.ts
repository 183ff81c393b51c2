/**
 * One adapter per implementation and operation. Each adapter's `create()`
 * builds its own object with the benchmark's settings and returns a runner
 * whose `run(from, to)` processes 20 ms frames of the input in order, keeping
 * state between frames, calls and passes (a stream).
 *
 * Every frame loop is written out per implementation (no shared per-frame
 * callback) so that V8 optimizes each loop for its own call and no
 * implementation pays for another's polymorphism. All inputs (frame views,
 * packets, Buffers) are prepared before timing; what a caller would have to do
 * per frame to use a library (copies, s16 <-> f32 conversion) is timed.
 */
import * as LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { OpusEncoder as DiscordOpus } from '@discordjs/opus';
import OpusScript = require('opusscript');
import { resample as waveResample } from 'wave-resampler';
import { OpusDecoder, OpusEncoder, Resampler, type ResamplerQuality } from '../ts';
import type { NativeBinding } from '../ts/core/native';

export const OPUS_RATE = 48000;
export const OPUS_FRAME = 960;
export const BITRATE = 32000;
export const MAX_PACKET = 4000;

// libopus request codes (opus_defines.h), for the peers that only take raw CTLs.
const OPUS_SET_APPLICATION = 4000;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_APPLICATION_VOIP = 2048;

/** Receives each output (packet or samples) of a fingerprinting pass. */
export type Collect = (output: ArrayBufferView) => void;

export interface Runner {
  /**
   * Processes frames [from, to) in order, continuing the stream; returns bytes
   * or samples produced. The first pass over all frames (on a fresh object)
   * gets `collect`, to fingerprint the output; it is also the warm-up. Timed
   * runs get nothing.
   */
  run(from: number, to: number, collect?: Collect): number;
  close(): void;
}

export type ImplKind = 'voxrtc' | 'voxrtc-raw' | 'peer';

export interface Impl {
  /** Row label. */
  name: string;
  kind: ImplKind;
  /** Footnote keys (see run.ts). */
  notes: string[];
  /** Whether the output can be fingerprinted against the C++ program's. */
  comparable: boolean;
  /** Adapters with the same key do the same work: measured once, shown in each group. */
  shareKey?: string;
  create(): Promise<Runner>;
}

// ---------------------------------------------------------------- inputs ----

export interface OpusInput {
  /** 20 ms frames of 48 kHz s16, views into one array. */
  frames: Int16Array[];
  /** The same frames as Buffers (for the libraries that take Buffers). */
  frameBuffers: Buffer[];
  /** The packets every decoder decodes, as Buffers (which are Uint8Arrays). */
  packets: Buffer[];
}

export interface ResampleInput {
  inputRate: number;
  outputRate: number;
  quality: ResamplerQuality;
  format: 'f32' | 's16';
  /** Samples per 20 ms chunk. */
  chunk: number;
  /** Output buffer length, the same formula as core_bench.cc. */
  capacity: number;
  s16: Int16Array[];
  f32: Float32Array[];
}

export function outputCapacity(chunk: number, inputRate: number, outputRate: number): number {
  return 2 * Math.floor((chunk * outputRate + inputRate - 1) / inputRate) + 256;
}

// ------------------------------------------------------------ opus encode ----

export function encodeImpls(input: OpusInput, complexity: number, raw: NativeBinding | null): Impl[] {
  const { frames, frameBuffers } = input;
  const options = {
    sampleRate: OPUS_RATE,
    channels: 1,
    application: 'voip',
    bitrate: BITRATE,
    complexity,
    fec: false,
    packetLossPercent: 0,
    dtx: false,
  } as const;

  const impls: Impl[] = [
    {
      name: 'voxrtc `encodeInto`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const encoder = new OpusEncoder(options);
        const out = new Uint8Array(MAX_PACKET);
        return {
          run(from: number, to: number, collect?: Collect) {
            let bytes = 0;
            for (let i = from; i < to; i++) {
              const n = encoder.encodeInto(frames[i], out);
              bytes += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return bytes;
          },
          close: () => encoder.close(),
        };
      },
    },
    {
      name: 'voxrtc `encode`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const encoder = new OpusEncoder(options);
        return {
          run(from: number, to: number, collect?: Collect) {
            let bytes = 0;
            for (let i = from; i < to; i++) {
              const packet = encoder.encode(frames[i]);
              bytes += packet.length;
              if (collect !== undefined) collect(packet);
            }
            return bytes;
          },
          close: () => encoder.close(),
        };
      },
    },
  ];
  if (raw !== null) {
    impls.push({
      name: 'voxrtc raw addon `encodeInto`',
      kind: 'voxrtc-raw',
      notes: ['raw'],
      comparable: true,
      async create() {
        const encoder = new raw.OpusEncoder(OPUS_RATE, 1, OPUS_APPLICATION_VOIP);
        encoder.setBitrate(BITRATE);
        encoder.setComplexity(complexity);
        encoder.setInbandFec(false);
        encoder.setPacketLossPercent(0);
        encoder.setDtx(false);
        const out = new Uint8Array(MAX_PACKET);
        return {
          run(from: number, to: number, collect?: Collect) {
            let bytes = 0;
            for (let i = from; i < to; i++) {
              const n = encoder.encodeInto(frames[i], out);
              bytes += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return bytes;
          },
          close: () => encoder.close(),
        };
      },
    });
  }
  impls.push(
    {
      name: '@discordjs/opus `encode`',
      kind: 'peer',
      notes: ['discord'],
      comparable: true,
      async create() {
        const encoder = new DiscordOpus(OPUS_RATE, 1);
        // Its encoder is created with application "audio"; switch it to voip
        // before the first frame (libopus allows that), then the same settings.
        encoder.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
        encoder.applyEncoderCTL(OPUS_SET_BITRATE, BITRATE);
        encoder.applyEncoderCTL(OPUS_SET_COMPLEXITY, complexity);
        encoder.applyEncoderCTL(OPUS_SET_INBAND_FEC, 0);
        encoder.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, 0);
        encoder.applyEncoderCTL(OPUS_SET_DTX, 0);
        return {
          run(from: number, to: number, collect?: Collect) {
            let bytes = 0;
            for (let i = from; i < to; i++) {
              const packet = encoder.encode(frameBuffers[i]);
              bytes += packet.length;
              if (collect !== undefined) collect(packet);
            }
            return bytes;
          },
          close() {},
        };
      },
    },
    {
      name: 'opusscript `encode` (wasm)',
      kind: 'peer',
      notes: ['opusscript'],
      comparable: true,
      async create() {
        const encoder = new OpusScript(OPUS_RATE, 1, OpusScript.Application.VOIP, { wasm: true });
        encoder.encoderCTL(OPUS_SET_BITRATE, BITRATE);
        encoder.encoderCTL(OPUS_SET_COMPLEXITY, complexity);
        encoder.encoderCTL(OPUS_SET_INBAND_FEC, 0);
        encoder.encoderCTL(OPUS_SET_PACKET_LOSS_PERC, 0);
        encoder.encoderCTL(OPUS_SET_DTX, 0);
        return {
          run(from: number, to: number, collect?: Collect) {
            let bytes = 0;
            for (let i = from; i < to; i++) {
              const packet = encoder.encode(frameBuffers[i], OPUS_FRAME);
              bytes += packet.length;
              if (collect !== undefined) collect(packet);
            }
            return bytes;
          },
          close: () => encoder.delete(),
        };
      },
    },
  );
  return impls;
}

// ------------------------------------------------------------ opus decode ----

export function decodeImpls(input: OpusInput, raw: NativeBinding | null): Impl[] {
  const { packets } = input;
  const impls: Impl[] = [
    {
      name: 'voxrtc `decodeInto`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const decoder = new OpusDecoder({ sampleRate: OPUS_RATE, channels: 1 });
        const out = new Int16Array(OPUS_FRAME);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const n = decoder.decodeInto(packets[i], out);
              samples += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return samples;
          },
          close: () => decoder.close(),
        };
      },
    },
    {
      name: 'voxrtc `decode`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const decoder = new OpusDecoder({ sampleRate: OPUS_RATE, channels: 1 });
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const pcm = decoder.decode(packets[i]);
              samples += pcm.length;
              if (collect !== undefined) collect(pcm);
            }
            return samples;
          },
          close: () => decoder.close(),
        };
      },
    },
  ];
  if (raw !== null) {
    impls.push({
      name: 'voxrtc raw addon `decodeInto`',
      kind: 'voxrtc-raw',
      notes: ['raw'],
      comparable: true,
      async create() {
        const decoder = new raw.OpusDecoder(OPUS_RATE, 1);
        const out = new Int16Array(OPUS_FRAME);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const n = decoder.decodeInto(packets[i], out, false);
              samples += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return samples;
          },
          close: () => decoder.close(),
        };
      },
    });
  }
  impls.push(
    {
      name: '@discordjs/opus `decode`',
      kind: 'peer',
      notes: ['discord-decode'],
      comparable: true,
      async create() {
        const decoder = new DiscordOpus(OPUS_RATE, 1);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const pcm = decoder.decode(packets[i]);
              samples += pcm.length >> 1;
              if (collect !== undefined) collect(pcm);
            }
            return samples;
          },
          close() {},
        };
      },
    },
    {
      name: 'opusscript `decode` (wasm)',
      kind: 'peer',
      notes: ['opusscript'],
      comparable: true,
      async create() {
        const decoder = new OpusScript(OPUS_RATE, 1, OpusScript.Application.VOIP, { wasm: true });
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const pcm = decoder.decode(packets[i]);
              samples += pcm.length >> 1;
              if (collect !== undefined) collect(pcm);
            }
            return samples;
          },
          close: () => decoder.delete(),
        };
      },
    },
  );
  return impls;
}

// --------------------------------------------------------------- resample ----

const QUALITY_CODES: Record<ResamplerQuality, 0 | 1 | 2> = { best: 0, medium: 1, fastest: 2 };

/** s16 -> f32 as libsamplerate's src_short_to_float_array and voxrtc do it. */
function s16ToF32(input: Int16Array, out: Float32Array): void {
  for (let i = 0; i < input.length; i++) out[i] = input[i] / 32768;
}

/** f32 -> s16 with clipping, as a JS caller would write it. */
function f32ToS16(input: ArrayLike<number>, out: Int16Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const v = input[i] * 32768;
    out[i] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v);
  }
}

export function resampleImpls(input: ResampleInput, raw: NativeBinding | null): Impl[] {
  return input.format === 'f32' ? resampleF32Impls(input, raw) : resampleS16Impls(input, raw);
}

/**
 * voxrtc's own resampling adapters (`processInto`, `process`, and the raw
 * addon's `processInto` when loaded) over `chunks` of one sample format;
 * `alloc` makes an output buffer of that format. Each loop calls one method of
 * one class whatever the format, so sharing it between s16 and f32 adds no
 * polymorphism to the timed calls.
 */
function voxrtcResampleImpls<T extends Int16Array | Float32Array>(
  input: ResampleInput,
  raw: NativeBinding | null,
  chunks: T[],
  alloc: (length: number) => T,
): Impl[] {
  const { inputRate, outputRate, quality, capacity } = input;
  const options = { inputRate, outputRate, channels: 1, quality };
  const impls: Impl[] = [
    {
      name: 'voxrtc `processInto`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const resampler = new Resampler(options);
        const out = alloc(capacity);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const n = resampler.processInto(chunks[i], out);
              samples += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return samples;
          },
          close: () => resampler.close(),
        };
      },
    },
    {
      name: 'voxrtc `process`',
      kind: 'voxrtc',
      notes: [],
      comparable: true,
      async create() {
        const resampler = new Resampler(options);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const out = resampler.process(chunks[i]);
              samples += out.length;
              if (collect !== undefined) collect(out);
            }
            return samples;
          },
          close: () => resampler.close(),
        };
      },
    },
  ];
  if (raw !== null) {
    impls.push({
      name: 'voxrtc raw addon `processInto`',
      kind: 'voxrtc-raw',
      notes: ['raw'],
      comparable: true,
      async create() {
        const resampler = new raw.Resampler(inputRate, outputRate, 1, QUALITY_CODES[quality]);
        const out = alloc(capacity);
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              const n = resampler.processInto(chunks[i], out, false);
              samples += n;
              if (collect !== undefined) collect(out.subarray(0, n));
            }
            return samples;
          },
          close: () => resampler.close(),
        };
      },
    });
  }
  return impls;
}

function resampleF32Impls(input: ResampleInput, raw: NativeBinding | null): Impl[] {
  const { inputRate, outputRate, quality, capacity } = input;
  const chunks = input.f32;
  const impls = voxrtcResampleImpls(input, raw, chunks, (length) => new Float32Array(length));
  impls.push(
    {
      name: 'libsamplerate-js `full`',
      kind: 'peer',
      notes: ['lsrjs'],
      comparable: true,
      async create() {
        const src = await LibSampleRate.create(1, inputRate, outputRate, { converterType: QUALITY_CODES[quality] });
        const out = new Float32Array(capacity);
        const written = { frames: 0 };
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              src.full(chunks[i], out, written);
              samples += written.frames;
              if (collect !== undefined) collect(out.subarray(0, written.frames));
            }
            return samples;
          },
          close: () => src.destroy(),
        };
      },
    },
    waveResamplerF32(input),
  );
  return impls;
}

function resampleS16Impls(input: ResampleInput, raw: NativeBinding | null): Impl[] {
  const { inputRate, outputRate, quality, capacity, chunk } = input;
  const chunks = input.s16;
  const impls = voxrtcResampleImpls(input, raw, chunks, (length) => new Int16Array(length));
  impls.push(
    {
      name: 'libsamplerate-js `full`',
      kind: 'peer',
      notes: ['lsrjs', 's16-convert'],
      comparable: true,
      async create() {
        const src = await LibSampleRate.create(1, inputRate, outputRate, { converterType: QUALITY_CODES[quality] });
        const inF = new Float32Array(chunk);
        const outF = new Float32Array(capacity);
        const out = new Int16Array(capacity);
        const written = { frames: 0 };
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              s16ToF32(chunks[i], inF);
              src.full(inF, outF, written);
              f32ToS16(outF, out, written.frames);
              samples += written.frames;
              if (collect !== undefined) collect(out.subarray(0, written.frames));
            }
            return samples;
          },
          close: () => src.destroy(),
        };
      },
    },
    {
      name: 'wave-resampler `resample` (sinc)',
      kind: 'peer',
      notes: ['wave', 's16-convert'],
      comparable: false,
      shareKey: `wave-resampler-${inputRate}-${outputRate}-s16`,
      async create() {
        const scratch = new Float32Array(chunk);
        const out = new Int16Array(capacity);
        const details = { method: 'sinc' };
        return {
          run(from: number, to: number, collect?: Collect) {
            let samples = 0;
            for (let i = from; i < to; i++) {
              s16ToF32(chunks[i], scratch);
              const resampled = waveResample(scratch, inputRate, outputRate, details);
              f32ToS16(resampled, out, resampled.length);
              samples += resampled.length;
              if (collect !== undefined) collect(out.subarray(0, resampled.length));
            }
            return samples;
          },
          close() {},
        };
      },
    },
  );
  return impls;
}

function waveResamplerF32(input: ResampleInput): Impl {
  const { inputRate, outputRate, chunk } = input;
  const chunks = input.f32;
  return {
    name: 'wave-resampler `resample` (sinc)',
    kind: 'peer',
    notes: ['wave'],
    comparable: false,
    shareKey: `wave-resampler-${inputRate}-${outputRate}-f32`,
    async create() {
      // It filters its input in place when downsampling: give it a copy.
      const scratch = new Float32Array(chunk);
      const details = { method: 'sinc' };
      return {
        run(from: number, to: number, collect?: Collect) {
          let samples = 0;
          for (let i = from; i < to; i++) {
            scratch.set(chunks[i]);
            const resampled = waveResample(scratch, inputRate, outputRate, details);
            samples += resampled.length;
            if (collect !== undefined) collect(resampled as Float64Array);
          }
          return samples;
        },
        close() {},
      };
    },
  };
}
