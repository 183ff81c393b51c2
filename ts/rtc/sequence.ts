/**
 * Serial-number arithmetic for RTP (RFC 3550 §A.1, RFC 1982): 16-bit sequence
 * numbers and 32-bit timestamps wrap around, so "newer" and "how far apart"
 * are decided on the shortest way round, and an unwrapper turns the wrapping
 * values of one stream into ever-growing (extended) numbers.
 * @packageDocumentation
 */

const SEQ_MOD = 0x10000;
const TS_MOD = 0x100000000;

/** `a − b` for 16-bit sequence numbers, the short way round: −32768 to 32767. */
export function seqDiff(a: number, b: number): number {
  const d = (((a - b) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
  return d >= SEQ_MOD / 2 ? d - SEQ_MOD : d;
}

/** True when sequence number `a` comes after `b` (within half the number space). */
export function seqNewer(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** `a − b` for 32-bit RTP timestamps, the short way round: −2³¹ to 2³¹ − 1. */
export function tsDiff(a: number, b: number): number {
  const d = (((a - b) % TS_MOD) + TS_MOD) % TS_MOD;
  return d >= TS_MOD / 2 ? d - TS_MOD : d;
}

/** True when RTP timestamp `a` comes after `b` (within half the number space). */
export function tsNewer(a: number, b: number): boolean {
  return tsDiff(a, b) > 0;
}

/**
 * Turns a wrapping counter (`bits` wide) into an extended one: each value is
 * placed at the extended position nearest to the previous one, so values
 * arriving out of order across a wrap land on the right side of it. The
 * first value is extended to itself.
 *
 * @example
 * ```ts
 * const u = new Unwrapper(16);
 * u.unwrap(65535); // 65535
 * u.unwrap(0);     // 65536
 * u.unwrap(65534); // 65534 (late, before the wrap)
 * ```
 */
export class Unwrapper {
  private readonly modulus: number;
  private last: number | undefined;

  /** @param bits - Width of the wrapping counter: 16 for sequence numbers, 32 for timestamps. */
  constructor(bits: 16 | 32) {
    this.modulus = 2 ** bits;
  }

  /** The extended value of `value` (0 ≤ value < 2^bits). Moves the reference only forward. */
  unwrap(value: number): number {
    const extended = this.peek(value);
    if (this.last === undefined || extended > this.last) this.last = extended;
    return extended;
  }

  /** The extended value of `value` without moving the reference. */
  peek(value: number): number {
    if (this.last === undefined) return value;
    const m = this.modulus;
    let d = (((value - this.last) % m) + m) % m;
    if (d >= m / 2) d -= m;
    return this.last + d;
  }

  /** Forgets the stream: the next value starts afresh. */
  reset(): void {
    this.last = undefined;
  }
}

/** An {@link Unwrapper} for 16-bit RTP sequence numbers. */
export function sequenceUnwrapper(): Unwrapper {
  return new Unwrapper(16);
}

/** An {@link Unwrapper} for 32-bit RTP timestamps. */
export function timestampUnwrapper(): Unwrapper {
  return new Unwrapper(32);
}
