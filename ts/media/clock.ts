/** A tick this close (ms) counts as due: timers cannot do better. */
const EARLY_MS = 0.05;

interface Wait {
  due: number;
  resolve: (tick: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

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
  private waiting: Wait | undefined;
  private signal: AbortSignal | undefined;

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
   * late) and returns the tick's index. `signal` aborts the wait (rejects
   * with an `AbortError`). One wait at a time.
   */
  next(signal?: AbortSignal): Promise<number> {
    if (signal) this.watch(signal);
    if (signal?.aborted) return Promise.reject(abortError());
    const now = performance.now();
    if (this.startMs === undefined) this.startMs = now;
    let due = this.startMs + this.tick * this.intervalMs;
    if (now - due > this.maxLagMs) {
      // Fell far behind: restart the schedule from now.
      this.startMs = now - this.tick * this.intervalMs;
      due = now;
      this.slipCount++;
    }
    if (due - now <= EARLY_MS) return Promise.resolve(this.tick++);
    return new Promise<number>((resolve, reject) => {
      const wait: Wait = { due, resolve, reject, timer: undefined };
      this.waiting = wait;
      this.arm(wait, due - now);
    });
  }

  /**
   * Ends the wait in progress at once if its tick is due within `earlyMs`,
   * and returns true; otherwise does nothing and returns false. For a live
   * source (audio that arrives in real time, paced by the far end): the
   * frame that has just arrived is sent in the same turn of the event loop,
   * at most `earlyMs` ahead of the schedule, and the timer that would have
   * woken the process for it is cleared. With `earlyMs` at most one
   * interval, tick k + 1 is never handed out before tick k was due, so the
   * schedule still holds: never more than one interval ahead, no drift.
   */
  hurry(earlyMs: number): boolean {
    const wait = this.waiting;
    if (wait === undefined || wait.due - performance.now() > earlyMs) return false;
    clearTimeout(wait.timer);
    this.waiting = undefined;
    wait.resolve(this.tick++);
    return true;
  }

  /** Forgets the schedule: the next tick is due at once. */
  reset(): void {
    this.startMs = undefined;
    this.tick = 0;
  }

  /**
   * Node's timers run on a whole-millisecond clock and may fire up to ~1 ms
   * early: a timer that fires early is set again for what is left, so a tick
   * is never early. (Plain timers, not timers/promises: no promise and no
   * abort listener per tick, which matters with hundreds of clocks.)
   */
  private arm(wait: Wait, ms: number): void {
    wait.timer = setTimeout(() => {
      const left = wait.due - performance.now();
      if (left > EARLY_MS) {
        this.arm(wait, left);
        return;
      }
      this.waiting = undefined;
      wait.resolve(this.tick++);
    }, Math.max(1, Math.ceil(ms)));
  }

  /** Listens to a signal once (the same signal is usually passed to every call). */
  private watch(signal: AbortSignal): void {
    if (this.signal === signal) return;
    this.signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const wait = this.waiting;
        if (!wait || this.signal !== signal) return;
        this.waiting = undefined;
        clearTimeout(wait.timer);
        wait.reject(abortError());
      },
      { once: true },
    );
  }

}
