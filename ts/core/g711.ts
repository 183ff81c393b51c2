/**
 * G.711 (ITU-T): µ-law (PCMU) and A-law (PCMA), 8-bit codes ↔ s16 samples.
 * @packageDocumentation
 */
import { native } from './native';
import { checkBytes, checkInt16, invalidRange } from './validate';

type Codec = 'ulaw' | 'alaw';

function encodeWith(codec: Codec, where: string, input: unknown, out?: unknown): Uint8Array {
  const samples = checkInt16(where, 'input', input);
  const target = out === undefined ? new Uint8Array(samples.length) : checkBytes(where, 'out', out);
  if (target.length < samples.length) throw invalidRange(where, 'out', `at least ${samples.length} bytes`, `${target.length} bytes`);
  if (codec === 'ulaw') native().ulawEncodeInto(samples, target);
  else native().alawEncodeInto(samples, target);
  return target;
}

function decodeWith(codec: Codec, where: string, input: unknown, out?: unknown): Int16Array {
  const bytes = checkBytes(where, 'input', input);
  const target = out === undefined ? new Int16Array(bytes.length) : checkInt16(where, 'out', out);
  if (target.length < bytes.length) throw invalidRange(where, 'out', `at least ${bytes.length} values`, `${target.length} values`);
  if (codec === 'ulaw') native().ulawDecodeInto(bytes, target);
  else native().alawDecodeInto(bytes, target);
  return target;
}

/** s16 samples → µ-law codes, one byte per sample. */
export function ulawEncode(input: Int16Array | Buffer): Uint8Array {
  return encodeWith('ulaw', 'ulawEncode', input);
}
/** {@link ulawEncode} into `out` (at least as long as `input`). */
export function ulawEncodeInto(input: Int16Array | Buffer, out: Uint8Array): void {
  encodeWith('ulaw', 'ulawEncodeInto', input, out);
}
/** µ-law codes → s16 samples. */
export function ulawDecode(input: Uint8Array): Int16Array {
  return decodeWith('ulaw', 'ulawDecode', input);
}
/** {@link ulawDecode} into `out` (at least as long as `input`). */
export function ulawDecodeInto(input: Uint8Array, out: Int16Array): void {
  decodeWith('ulaw', 'ulawDecodeInto', input, out);
}
/** s16 samples → A-law codes, one byte per sample. */
export function alawEncode(input: Int16Array | Buffer): Uint8Array {
  return encodeWith('alaw', 'alawEncode', input);
}
/** {@link alawEncode} into `out` (at least as long as `input`). */
export function alawEncodeInto(input: Int16Array | Buffer, out: Uint8Array): void {
  encodeWith('alaw', 'alawEncodeInto', input, out);
}
/** A-law codes → s16 samples. */
export function alawDecode(input: Uint8Array): Int16Array {
  return decodeWith('alaw', 'alawDecode', input);
}
/** {@link alawDecode} into `out` (at least as long as `input`). */
export function alawDecodeInto(input: Uint8Array, out: Int16Array): void {
  decodeWith('alaw', 'alawDecodeInto', input, out);
}
