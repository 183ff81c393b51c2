/**
 * A sliding window of recent measurements (milliseconds) with percentiles,
 * for latency statistics: constant memory, O(1) per sample, sorting only
 * when asked.
 * @packageDocumentation
 */

/** Percentiles of the samples in a {@link LatencyWindow}. */
export interface LatencySummary {
  /** Median, ms (0 when empty). */
  p50: number;
  /** 99th percentile, ms (0 when empty). */
  p99: number;
  /** Largest, ms (0 when empty). */
  max: number;
  /** Samples in the window. */
  count: number;
}

/** The last `size` measurements. */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly size = 500) {
    this.values = new Float64Array(size);
  }

  /** Records one measurement. */
  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  /** The mean of the window (0 when empty). */
  mean(): number {
    if (this.filled === 0) return 0;
    let sum = 0;
    for (let i = 0; i < this.filled; i++) sum += this.values[i];
    return sum / this.filled;
  }

  /** p50, p99 and max of the window (nearest-rank). */
  summary(): LatencySummary {
    const n = this.filled;
    if (n === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
    const sorted = this.values.slice(0, n).sort();
    const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
    return { p50: rank(0.5), p99: rank(0.99), max: sorted[n - 1], count: n };
  }
}
