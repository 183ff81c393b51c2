/**
 * A first-in first-out queue of number pairs (a key and a value) in one flat
 * array, for per-packet bookkeeping: no object per entry, and the array is
 * compacted now and then instead of shifted on every removal.
 * @internal
 */
export class PairQueue {
  private readonly values: number[] = [];
  private head = 0;

  /** Pairs held. */
  get size(): number {
    return (this.values.length - this.head) / 2;
  }

  /** The oldest pair's key (undefined when empty). */
  get firstKey(): number | undefined {
    return this.head < this.values.length ? this.values[this.head] : undefined;
  }

  /** The oldest pair's value (undefined when empty). */
  get firstValue(): number | undefined {
    return this.head < this.values.length ? this.values[this.head + 1] : undefined;
  }

  push(key: number, value: number): void {
    this.values.push(key, value);
  }

  /** Drops the oldest pair. */
  shift(): void {
    if (this.head >= this.values.length) return;
    this.head += 2;
    if (this.head > 256 && this.head * 2 > this.values.length) {
      this.values.splice(0, this.head);
      this.head = 0;
    }
  }
}
