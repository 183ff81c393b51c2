/**
 * Counts events per key (a client IP) in a sliding one-minute window.
 * Used to limit offers per client; memory is bounded by pruning keys whose
 * window is empty.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastPrune = 0;

  /**
   * @param perMinute - Events allowed per key in any 60 s window.
   * @param now - Clock in ms (for tests).
   */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records one event for `key` if it is allowed.
   * @returns 0 when allowed, otherwise the seconds until the next event would be allowed.
   */
  take(key: string): number {
    const now = this.now();
    const windowStart = now - 60_000;
    this.prune(windowStart, now);
    const list = (this.hits.get(key) ?? []).filter((t) => t > windowStart);
    if (list.length >= this.perMinute) {
      this.hits.set(key, list);
      return Math.max(1, Math.ceil((list[0] - windowStart) / 1000));
    }
    list.push(now);
    this.hits.set(key, list);
    return 0;
  }

  private prune(windowStart: number, now: number): void {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [key, list] of this.hits) if (list.every((t) => t <= windowStart)) this.hits.delete(key);
  }
}
