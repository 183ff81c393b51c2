/**
 * The audio codecs voxrtc negotiates, as plain data shared by the receive and
 * send paths: Opus (RFC 7587), PCMU and PCMA (G.711, RFC 3551).
 * @packageDocumentation
 */
import { checkInteger, checkOneOf, describe, invalidRange, invalidType } from '../core/validate';

/** The codec names voxrtc supports, spelled as in SDP. */
export type AudioCodecName = 'opus' | 'PCMU' | 'PCMA';

/** One negotiated audio codec: what an `a=rtpmap` (and `a=fmtp`) line says. */
export interface AudioCodec {
  /** `'opus'`, `'PCMU'` or `'PCMA'`. */
  name: AudioCodecName;
  /** RTP payload type, 0 to 127 (dynamic for Opus, 0 for PCMU, 8 for PCMA). */
  payloadType: number;
  /** RTP clock rate in Hz: 48000 for Opus, 8000 for G.711. */
  clockRate: number;
  /** Channels from the rtpmap line: always 2 for Opus (RFC 7587), 1 for G.711. */
  channels: number;
  /** fmtp parameters, for example `{ useinbandfec: '1', minptime: '10' }`. */
  parameters?: Record<string, string>;
}

/** Opus as browsers offer it: payload type 111, 48 kHz, "/2", in-band FEC on. */
export const OPUS: Readonly<AudioCodec> = Object.freeze({
  name: 'opus',
  payloadType: 111,
  clockRate: 48000,
  channels: 2,
  parameters: Object.freeze({ minptime: '10', useinbandfec: '1' }) as Record<string, string>,
});

/** G.711 µ-law: static payload type 0, 8 kHz mono. */
export const PCMU: Readonly<AudioCodec> = Object.freeze({ name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 });

/** G.711 A-law: static payload type 8, 8 kHz mono. */
export const PCMA: Readonly<AudioCodec> = Object.freeze({ name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });

const NAMES: readonly AudioCodecName[] = ['opus', 'PCMU', 'PCMA'];

/**
 * RTP timestamp units (samples at the clock rate) in one packet of `ptimeMs`.
 * @example `samplesPerPacket(OPUS, 20) // 960`, `samplesPerPacket(PCMU, 20) // 160`
 * @throws RangeError when `ptimeMs` is not 2.5 to 120 ms or does not give a whole number of samples.
 */
export function samplesPerPacket(codec: AudioCodec, ptimeMs = 20): number {
  const where = 'samplesPerPacket';
  const c = checkCodec(where, 'codec', codec);
  if (typeof ptimeMs !== 'number' || !(ptimeMs >= 2.5 && ptimeMs <= 120)) {
    throw invalidRange(where, 'ptimeMs', 'a packet duration from 2.5 to 120 ms', describe(ptimeMs));
  }
  const samples = (c.clockRate * ptimeMs) / 1000;
  if (!Number.isInteger(samples)) {
    throw invalidRange(where, 'ptimeMs', `a whole number of samples at ${c.clockRate} Hz`, `${ptimeMs} (${samples} samples)`);
  }
  return samples;
}

/**
 * Parses fmtp parameters: `'minptime=10;useinbandfec=1'` → `{ minptime: '10', useinbandfec: '1' }`.
 * Accepts a whole `a=fmtp:111 …` line too (the prefix is skipped). Names are
 * lower-cased (they are case-insensitive), values trimmed; a name without
 * `=` maps to `''`.
 * @throws TypeError when `fmtp` is not a string.
 */
export function parseFmtp(fmtp: string): Record<string, string> {
  if (typeof fmtp !== 'string') throw invalidType('parseFmtp', 'fmtp', 'a string', fmtp);
  const body = fmtp.trim().replace(/^(?:a=)?fmtp:\s*\d+\s+/i, '');
  const out: Record<string, string> = {};
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (key) out[key] = eq < 0 ? '' : part.slice(eq + 1).trim();
  }
  return out;
}

/** The inverse of {@link parseFmtp}: `{ minptime: '10', useinbandfec: '1' }` → `'minptime=10;useinbandfec=1'`. */
export function formatFmtp(parameters: Record<string, string>): string {
  return Object.entries(parameters)
    .map(([key, value]) => (value === '' ? key : `${key}=${value}`))
    .join(';');
}

/**
 * Validates an {@link AudioCodec} at a public boundary and returns it.
 * @throws TypeError or RangeError naming the field (`${name}.clockRate`, …), what it must be and what it was.
 */
export function checkCodec(where: string, name: string, value: unknown): AudioCodec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidType(where, name, 'an AudioCodec { name, payloadType, clockRate, channels }', value);
  }
  const o = value as Record<string, unknown>;
  const codecName = checkOneOf(where, `${name}.name`, o.name, NAMES);
  checkInteger(where, `${name}.payloadType`, o.payloadType, 0, 127);
  const clockRate = checkInteger(where, `${name}.clockRate`, o.clockRate, 8000, 192000);
  const channels = checkInteger(where, `${name}.channels`, o.channels, 1, 8);
  if (codecName === 'opus' && clockRate !== 48000) throw invalidRange(where, `${name}.clockRate`, '48000 for Opus (RFC 7587)', String(clockRate));
  if (codecName !== 'opus' && (clockRate !== 8000 || channels !== 1)) {
    throw invalidRange(where, name, `8000 Hz mono for ${codecName}`, `${clockRate} Hz × ${channels}`);
  }
  if (codecName === 'opus' && channels > 2) throw invalidRange(where, `${name}.channels`, '1 or 2 for Opus', String(channels));
  if (o.parameters !== undefined) {
    const p = o.parameters;
    if (p === null || typeof p !== 'object' || Array.isArray(p) || Object.values(p).some((v) => typeof v !== 'string')) {
      throw invalidType(where, `${name}.parameters`, 'an object of string values (fmtp parameters)', p);
    }
  }
  return value as AudioCodec;
}
