/** A tick this close (ms) counts as due: timers cannot do better. */
const EARLY_MS = 0.05;

interface Wait {
  due: number;
  /** The timer wakes this long after `due` (see {@link PacingClock.next}'s lateMs). */
  lateMs: number;
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

  /** When tick `tick` is due on the schedule as it is now (performance.now() ms); NaN before the first tick. */
  dueMs(tick: number): number {
    return this.startMs === undefined ? NaN : this.startMs + tick * this.intervalMs;
  }

  /**
   * Resolves when the next tick is due (at once for the first tick, or when
   * late) and returns the tick's index. `signal` aborts the wait (rejects
   * with an `AbortError`). One wait at a time.
   *
   * `lateMs` (default 0) is for a live source that is expected to end the
   * wait itself with {@link hurry} when its audio arrives: the timer is set
   * `lateMs` after the tick is due, so audio that arrives in time, or up to
   * `lateMs` late, is handled on its arrival and no timer wakes the process
   * for it. Without a hurry the tick resolves `lateMs` after it was due.
   */
  next(signal?: AbortSignal, lateMs = 0): Promise<number> {
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
      const wait: Wait = { due, lateMs, resolve, reject, timer: undefined };
      this.waiting = wait;
      this.arm(wait, due + lateMs - now);
    });
  }

  /**
   * Ends the wait in progress at once if its tick is due within `earlyMs`
   * (or is already due: a wait set with `lateMs`), and returns true;
   * otherwise the wait resolves when its tick is due (see
   * {@link wakeOnTime}), and hurry returns false. For a live
   * source (audio that arrives in real time, paced by the far end): the
   * frame that has just arrived is sent in the same turn of the event loop,
   * at most `earlyMs` ahead of the schedule, and the timer that would have
   * woken the process for it is cleared. With `earlyMs` at most one
   * interval, tick k + 1 is never handed out before tick k was due, so the
   * schedule still holds: never more than one interval ahead, no drift.
   */
  hurry(earlyMs: number): boolean {
    const wait = this.waiting;
    if (wait === undefined) return false;
    if (wait.due - performance.now() > earlyMs) {
      this.wakeOnTime(); // too early to go now: it goes when due, not lateMs after
      return false;
    }
    clearTimeout(wait.timer);
    this.waiting = undefined;
    wait.resolve(this.tick++);
    return true;
  }

  /**
   * The wait in progress (if any) resolves when its tick is due, not
   * `lateMs` after (see {@link next}): for when the live source that was
   * expected to hurry it is gone or has nothing more.
   */
  wakeOnTime(): void {
    const wait = this.waiting;
    if (wait === undefined || wait.lateMs === 0) return;
    wait.lateMs = 0;
    clearTimeout(wait.timer);
    this.arm(wait, wait.due - performance.now());
  }

  /**
   * Moves the schedule by `ms` (later when positive, earlier when negative):
   * for a source that sets the phase itself (live audio, paced by the far
   * end). Between ticks only (not while a wait is in progress).
   * @throws Error while a wait is in progress.
   */
  shift(ms: number): void {
    if (this.waiting !== undefined) throw new Error('PacingClock.shift: a wait is in progress; shift between ticks');
    if (this.startMs !== undefined) this.startMs += ms;
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
      const left = wait.due + wait.lateMs - performance.now();
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
