import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An absolute pacing clock: frame k is due at `start + k × interval`, so small
 * timer errors never add up (no drift over hours). When the process falls
 * more than `maxLagMs` behind (a blocked event loop), the schedule moves
 * forward instead of bursting every missed frame at once; {@link slips}
 * counts such moves.
 */
export class PacingClock {
  /** Milliseconds between ticks. */
  readonly intervalMs: number;
  private readonly maxLagMs: number;
  private startMs: number | undefined;
  private tick = 0;
  private slipCount = 0;

  constructor(intervalMs: number, options: { maxLagMs?: number } = {}) {
    this.intervalMs = intervalMs;
    this.maxLagMs = options.maxLagMs ?? 200;
  }

  /** Times the schedule was moved forward after a long stall. */
  get slips(): number {
    return this.slipCount;
  }

  /** Ticks handed out so far. */
  get ticks(): number {
    return this.tick;
  }

  /**
   * Resolves when the next tick is due (at once for the first tick, or when
   * late) and returns the tick's index. `signal` aborts the wait.
   */
  async next(signal?: AbortSignal): Promise<number> {
    const now = performance.now();
    if (this.startMs === undefined) this.startMs = now;
    let due = this.startMs + this.tick * this.intervalMs;
    if (now - due > this.maxLagMs) {
      // Fell far behind: restart the schedule from now.
      this.startMs = now - this.tick * this.intervalMs;
      due = now;
      this.slipCount++;
    }
    // Node's timers run on a whole-millisecond clock and may fire up to ~1 ms
    // early: sleep again for what is left, so a tick is never early.
    for (let wait = due - now; wait > 0.05; wait = due - performance.now()) {
      await sleep(Math.max(1, Math.ceil(wait)), undefined, signal ? { signal } : undefined);
    }
    return this.tick++;
  }

  /** Forgets the schedule: the next tick is due at once. */
  reset(): void {
    this.startMs = undefined;
    this.tick = 0;
  }
}
