/**
 * Argument validation for the public API. Every check throws an error whose
 * message names the call, the argument, what was expected and what came, e.g.
 * `OpusEncoder: options.sampleRate must be one of 8000, 12000, 16000, 24000 or 48000; got 44100`.
 * @packageDocumentation
 */

import { types } from 'node:util';

/** Samples in one of the formats the audio core works on. */
export type Pcm = Int16Array | Float32Array;

interface CodedError extends Error {
  code: string;
}

function withCode<E extends Error>(error: E, code: string): E & CodedError {
  return Object.assign(error, { code });
}

/** A short human description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'string':
      return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      break;
  }
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (ArrayBuffer.isView(value)) {
    const name = types.isUint8Array(value) && Buffer.isBuffer(value) ? 'Buffer' : Object.prototype.toString.call(value).slice(8, -1);
    const article = /^(?:[AEIO]|Int)/.test(name) ? 'an' : 'a'; // "an Int16Array", "a Uint8Array"
    const length = (value as unknown as { length?: number }).length;
    return length === undefined ? `${article} ${name}` : `${article} ${name} of ${length} values`;
  }
  if (Array.isArray(value)) return `an Array of ${value.length} items`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function list(values: readonly unknown[]): string {
  const parts = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** A TypeError (code ERR_INVALID_ARG_TYPE) for an argument of the wrong kind. */
export function invalidType(where: string, name: string, expected: string, value: unknown): TypeError {
  return withCode(new TypeError(`${where}: ${name} must be ${expected}; got ${describe(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A RangeError (code ERR_OUT_OF_RANGE) for a value of the right kind but outside what is allowed. */
export function invalidRange(where: string, name: string, expected: string, got: string): RangeError {
  return withCode(new RangeError(`${where}: ${name} must be ${expected}; got ${got}`), 'ERR_OUT_OF_RANGE');
}

/** The error thrown when a closed object is used (a TypeError, code ERR_VOXRTC_CLOSED). */
export function closedError(where: string, what: string): TypeError {
  return withCode(new TypeError(`${where}: the ${what} is closed; create a new one`), 'ERR_VOXRTC_CLOSED');
}

/** `options` must be undefined or a plain object whose keys are all known. */
export function checkOptions(where: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw invalidType(where, 'options', 'an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw withCode(
        new TypeError(`${where}: options.${key} is not an option; known options are ${list(known)}`),
        'ERR_INVALID_ARG_VALUE',
      );
    }
    if ((value as Record<string, unknown>)[key] === null) {
      // `??` defaults would silently take null for "default": say so instead.
      throw withCode(new TypeError(`${where}: options.${key} must be a value, or left out for the default; got null`), 'ERR_INVALID_ARG_TYPE');
    }
  }
  return value as Record<string, unknown>;
}

/** An integer in [min, max]. */
export function checkInteger(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(where, name, `an integer from ${min} to ${max}`, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidRange(where, name, `an integer from ${min} to ${max}`, describe(value));
  }
  return value;
}

/** One of a fixed set of values. */
export function checkOneOf<T extends string | number>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    const expected = `one of ${list(allowed)}`;
    if (typeof value !== typeof allowed[0]) throw invalidType(where, name, expected, value);
    throw invalidRange(where, name, expected, describe(value));
  }
  return value as T;
}

/** A boolean. */
export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(where, name, 'a boolean', value);
  return value;
}

/**
 * Samples: an `Int16Array`, a `Float32Array`, or a `Buffer` of s16 little-endian
 * samples (viewed, not copied, as an `Int16Array`; it must start at an even
 * byte offset and hold an even number of bytes).
 */
export function checkPcm(where: string, name: string, value: unknown): Pcm {
  if (value instanceof Int16Array || value instanceof Float32Array) return value;
  if (types.isInt16Array(value) || types.isFloat32Array(value)) return localView(value);
  if (Buffer.isBuffer(value)) return bufferAsInt16(where, name, value);
  throw invalidType(where, name, 'an Int16Array, a Float32Array or a Buffer of s16 samples', value);
}

/** s16 samples: an `Int16Array`, or a `Buffer` of s16 little-endian samples. */
export function checkInt16(where: string, name: string, value: unknown): Int16Array {
  if (value instanceof Int16Array) return value;
  if (types.isInt16Array(value)) return localView(value) as Int16Array;
  if (Buffer.isBuffer(value)) return bufferAsInt16(where, name, value);
  throw invalidType(where, name, 'an Int16Array or a Buffer of s16 samples', value);
}

/** f32 samples. */
export function checkFloat32(where: string, name: string, value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (types.isFloat32Array(value)) return localView(value) as Float32Array;
  throw invalidType(where, name, 'a Float32Array', value);
}

/** Bytes: a `Uint8Array` (a `Buffer` is one). */
export function checkBytes(where: string, name: string, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (types.isUint8Array(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidType(where, name, 'a Uint8Array or a Buffer', value);
}

function bufferAsInt16(where: string, name: string, value: Buffer): Int16Array {
  if (value.byteOffset % 2 !== 0) {
    throw invalidRange(
      where,
      name,
      'a Buffer of s16 samples starting at an even byte offset (copy it first: Buffer.from(buf))',
      `byteOffset ${value.byteOffset}`,
    );
  }
  if (value.length % 2 !== 0) {
    throw invalidRange(where, name, 'a Buffer of s16 samples (an even number of bytes)', `${value.length} bytes`);
  }
  return new Int16Array(value.buffer, value.byteOffset, value.length / 2);
}

/**
 * The same samples through this realm's `Int16Array` / `Float32Array` (no
 * copy). Arrays made in another realm (a `vm` context, a test sandbox, the
 * addon's main realm seen from a sandbox) then pass every later check.
 */
function localView(value: Int16Array | Float32Array): Pcm {
  return types.isFloat32Array(value)
    ? new Float32Array(value.buffer, value.byteOffset, value.length)
    : new Int16Array(value.buffer, value.byteOffset, value.length);
}

/**
 * The same samples seen through this realm's `Int16Array` / `Float32Array`
 * (no copy). The native addon creates its arrays in the main realm; code that
 * runs in another one (a `vm` context, a jest sandbox) would otherwise fail
 * `instanceof` checks on them.
 */
export function localPcm(value: Pcm): Pcm {
  if (value instanceof Int16Array || value instanceof Float32Array) return value;
  return localView(value);
}

/** True for a `Float32Array` of any realm. */
export function isFloat32(value: unknown): value is Float32Array {
  return types.isFloat32Array(value);
}

/** True for an `Int16Array` of any realm. */
export function isInt16(value: unknown): value is Int16Array {
  return types.isInt16Array(value);
}

/** A zeroed array of the same sample type as `like`. */
export function allocLike(like: Pcm, length: number): Pcm {
  return types.isFloat32Array(like) ? new Float32Array(length) : new Int16Array(length);
}

/** Name of a sample array's format, for messages. */
export function formatOf(pcm: Pcm): 's16' | 'f32' {
  return types.isFloat32Array(pcm) ? 'f32' : 's16';
}
