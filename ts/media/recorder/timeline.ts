import type { TimeBase } from '../audio-frame';

/** What the timeline decided for one frame. */
export interface Placement {
  /**
   * - `'first'`: the first frame; it anchors the timeline.
   * - `'contiguous'`: starts where the written audio ends (within rounding).
   * - `'gap'`: starts later; {@link silence} samples of silence go first.
   * - `'overlap'`: starts earlier; its first {@link drop} samples are dropped.
   * - `'discontinuity'`: jumped by more than the limit either way; no silence,
   *   nothing dropped, the timeline re-anchors at this frame.
   */
  readonly kind: 'first' | 'contiguous' | 'gap' | 'overlap' | 'discontinuity';
  /** Samples (at the timeline's rate) of silence to write before the frame. */
  readonly silence: number;
  /** Samples (at the timeline's rate, may be fractional) to drop from the frame's start; at most its duration. */
  readonly drop: number;
  /** The frame's start minus the written end, in seconds (0 for `'first'`). */
  readonly offsetSeconds: number;
}

/**
 * The recorder's timeline rule. The first frame's pts anchors the timeline at
 * sample 0 of the file; each later frame belongs at
 * `anchor sample + (frame time − anchor time) × rate`, and is compared with
 * the end of what has been written:
 * - later (a gap) → the gap is filled with silence, so the file's duration
 *   follows the track's clock;
 * - earlier by at most `maxOverlapSeconds` (an overlap: a duplicate or a
 *   frame that came twice) → the part already covered is dropped;
 * - later by more than `maxGapSeconds`, or earlier by more than
 *   `maxOverlapSeconds` → a discontinuity (a timestamp reset or wrap, not a
 *   real gap): nothing is filled or dropped and the timeline re-anchors at
 *   that frame, at the written end. A source that restarts its pts therefore
 *   loses nothing.
 * Differences within `toleranceSamples` (pts rounding) count as contiguous;
 * they do not accumulate, because every frame is placed from the anchor.
 *
 * Times are compared exactly (BigInt rationals), so any time base and any
 * safe-integer pts work, and time bases may change from frame to frame.
 */
export class Timeline {
  /** Samples per second of the file. */
  readonly sampleRate: number;
  private readonly maxGapSamples: number;
  private readonly maxOverlapSamples: number;
  private readonly tolerance: number;
  private anchor: { pts: bigint; num: bigint; den: bigint; sample: number } | undefined;
  private written = 0;

  constructor(
    sampleRate: number,
    maxGapSeconds: number,
    toleranceSamples = Math.max(1, Math.round(sampleRate / 1000)),
    maxOverlapSeconds = Math.min(1, maxGapSeconds),
  ) {
    this.sampleRate = sampleRate;
    this.maxGapSamples = maxGapSeconds * sampleRate;
    this.maxOverlapSamples = maxOverlapSeconds * sampleRate;
    this.tolerance = toleranceSamples;
  }

  /** Samples (fractional) the timeline has placed so far: the written end. */
  get end(): number {
    return this.written;
  }

  /**
   * Places a frame of `duration` samples (at the timeline's rate; may be
   * fractional when the frame's rate differs) that starts at `pts` × `timeBase`.
   */
  place(pts: number, timeBase: TimeBase, duration: number): Placement {
    const p = BigInt(pts);
    const num = BigInt(timeBase.num);
    const den = BigInt(timeBase.den);
    if (this.anchor === undefined) {
      this.anchor = { pts: p, num, den, sample: 0 };
      this.written = duration;
      return { kind: 'first', silence: 0, drop: 0, offsetSeconds: 0 };
    }
    const a = this.anchor;
    // (frame time − anchor time) × rate, exactly, then to a double with 1/1024-sample resolution.
    const numerator = (p * num * a.den - a.pts * a.num * den) * BigInt(this.sampleRate) * 1024n;
    const expected = a.sample + Number(numerator / (den * a.den)) / 1024;
    const offset = expected - this.written;
    const offsetSeconds = offset / this.sampleRate;
    if (offset > this.maxGapSamples || -offset > this.maxOverlapSamples) {
      this.anchor = { pts: p, num, den, sample: this.written };
      this.written += duration;
      return { kind: 'discontinuity', silence: 0, drop: 0, offsetSeconds };
    }
    if (Math.abs(offset) <= this.tolerance) {
      this.written += duration;
      return { kind: 'contiguous', silence: 0, drop: 0, offsetSeconds };
    }
    if (offset > 0) {
      const silence = Math.round(offset);
      this.written += silence + duration;
      return { kind: 'gap', silence, drop: 0, offsetSeconds };
    }
    const drop = Math.min(duration, -offset);
    this.written += duration - drop;
    return { kind: 'overlap', silence: 0, drop, offsetSeconds };
  }
}
