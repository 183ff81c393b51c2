import { types } from 'node:util';
import type { Pcm } from '../core/validate';

/**
 * The same samples seen through this realm's `Int16Array` / `Float32Array`
 * (no copy). The native addon creates its arrays in the main realm; code that
 * runs in another one (a `vm` context, a jest sandbox) would otherwise fail
 * `instanceof` checks on them.
 */
export function localPcm(value: Pcm): Pcm {
  if (value instanceof Int16Array || value instanceof Float32Array) return value;
  const v = value as Int16Array | Float32Array;
  return types.isFloat32Array(v) ? new Float32Array(v.buffer, v.byteOffset, v.length) : new Int16Array(v.buffer, v.byteOffset, v.length);
}
