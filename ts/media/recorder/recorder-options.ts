import { extname } from 'node:path';
import { Writable } from 'node:stream';
import type { OpusApplication } from '../../core/opus-encoder';
import { checkBoolean, checkInteger, checkOneOf, checkOptions, describe, invalidRange, invalidType } from '../../core/validate';

/** File formats the recorder writes. */
export type RecordingFormat = 'wav' | 'ogg';

/** Options for {@link MediaRecorder}. */
export interface MediaRecorderOptions {
  /** `'wav'` (16-bit PCM) or `'ogg'` (Ogg Opus). Default: from the file's extension (.wav; .ogg or .opus); required for a stream or another extension. */
  format?: RecordingFormat;
  /** WAV only: the file's sample rate, 8000–192000. Default: the first frame's. (Ogg Opus is always 48000 Hz.) */
  sampleRate?: number;
  /** Channels: 1–8 for WAV, 1 or 2 for Ogg. Default: the first frame's (at most 2 for Ogg). */
  channels?: number;
  /** A pts jump larger than this (either way) is a discontinuity, not a gap. Seconds, > 0. Default 30. */
  maxGapSeconds?: number;
  /** The write queue holds at most about this much audio when the disk is slow. Seconds, ≥ 1. Default 30. */
  maxQueueSeconds?: number;
  /** Ogg only: Opus bitrate in bits per second (6000–512000) or `'auto'`. Default `'auto'`. */
  bitrate?: number | 'auto';
  /** Ogg only: Opus tuning. Default `'audio'` (faithful; `'voip'` favours speech intelligibility). */
  application?: OpusApplication;
  /** fdatasync the file after each flush (about once a second), so even a power cut loses at most about a second. Default false. */
  fsync?: boolean;
}

/** The options after validation, with defaults. */
export interface ResolvedRecorderOptions {
  format: RecordingFormat;
  sampleRate: number | undefined;
  channels: number | undefined;
  maxGapSeconds: number;
  maxQueueSeconds: number;
  bitrate: number | 'auto';
  application: OpusApplication;
  fsync: boolean;
}

const WHERE = 'MediaRecorder';
const KEYS = ['format', 'sampleRate', 'channels', 'maxGapSeconds', 'maxQueueSeconds', 'bitrate', 'application', 'fsync'];
const FORMAT_BY_EXTENSION: Record<string, RecordingFormat> = { '.wav': 'wav', '.ogg': 'ogg', '.opus': 'ogg' };

/** Checks the destination: a non-empty path or a Writable. */
export function checkDestination(value: unknown): string | Writable {
  if (typeof value === 'string') {
    if (value.length === 0) throw invalidRange(WHERE, 'pathOrWritable', 'a file path or a Writable stream', 'an empty string');
    return value;
  }
  if (value instanceof Writable) return value;
  throw invalidType(WHERE, 'pathOrWritable', 'a file path (string) or a Writable stream', value);
}

/** Validates the options and fills in defaults. */
export function resolveOptions(destination: string | Writable, options: unknown): ResolvedRecorderOptions {
  const o = checkOptions(WHERE, options, KEYS);
  const format = resolveFormat(destination, o.format);
  const sampleRate = o.sampleRate === undefined ? undefined : checkInteger(WHERE, 'options.sampleRate', o.sampleRate, 8000, 192000);
  if (format === 'ogg' && sampleRate !== undefined && sampleRate !== 48000) {
    throw invalidRange(WHERE, 'options.sampleRate', 'omitted or 48000 for Ogg Opus (Opus always encodes at 48000 Hz; the source rate is recorded in the header)', String(sampleRate));
  }
  const channels =
    o.channels === undefined ? undefined : format === 'ogg' ? checkOneOf(WHERE, 'options.channels', o.channels, [1, 2]) : checkInteger(WHERE, 'options.channels', o.channels, 1, 8);
  if (format === 'wav' && (o.bitrate !== undefined || o.application !== undefined)) {
    throw invalidType(WHERE, o.bitrate !== undefined ? 'options.bitrate' : 'options.application', "omitted for format 'wav' (it is an Ogg Opus setting)", o.bitrate ?? o.application);
  }
  return {
    format,
    sampleRate,
    channels,
    maxGapSeconds: checkSeconds('options.maxGapSeconds', o.maxGapSeconds ?? 30, 0.001),
    maxQueueSeconds: checkSeconds('options.maxQueueSeconds', o.maxQueueSeconds ?? 30, 1),
    bitrate: checkBitrate(o.bitrate ?? 'auto'),
    application: checkOneOf(WHERE, 'options.application', o.application ?? 'audio', ['voip', 'audio', 'lowdelay'] as const),
    fsync: checkBoolean(WHERE, 'options.fsync', o.fsync ?? false),
  };
}

function resolveFormat(destination: string | Writable, value: unknown): RecordingFormat {
  if (value !== undefined) return checkOneOf(WHERE, 'options.format', value, ['wav', 'ogg'] as const);
  if (typeof destination === 'string') {
    const format = FORMAT_BY_EXTENSION[extname(destination).toLowerCase()];
    if (format) return format;
    throw invalidType(
      WHERE,
      'options.format',
      `'wav' or 'ogg' when the file name does not end in .wav, .ogg or .opus (${JSON.stringify(destination)} does not)`,
      value,
    );
  }
  throw invalidType(WHERE, 'options.format', "'wav' or 'ogg' when recording to a stream", value);
}

function checkSeconds(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') throw invalidType(WHERE, name, `a number of seconds ≥ ${min}`, value);
  if (!Number.isFinite(value) || value < min) throw invalidRange(WHERE, name, `a finite number of seconds ≥ ${min}`, describe(value));
  return value;
}

function checkBitrate(value: unknown): number | 'auto' {
  if (value === 'auto') return value;
  if (typeof value !== 'number') throw invalidType(WHERE, 'options.bitrate', "a number of bits per second or 'auto'", value);
  return checkInteger(WHERE, 'options.bitrate', value, 6000, 512000);
}
