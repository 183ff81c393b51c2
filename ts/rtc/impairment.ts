import { checkInteger, checkOptions, invalidRange } from '../core/validate';

/** A simulated bad network for incoming packets: for testing how an application copes. */
export interface ImpairmentOptions {
  /** Share of packets dropped, 0 to 1. Default 0. */
  loss?: number;
  /** Share of packets delivered twice, 0 to 1. Default 0. */
  duplicate?: number;
  /** Share of packets held back behind the next one (reordered), 0 to 1. Default 0. */
  reorder?: number;
  /** Extra delay per packet, uniformly random from 0 to this many ms (jitter). Default 0. */
  jitterMs?: number;
  /** Seed of the pseudo-random choices, for repeatable runs. Default 1. */
  seed?: number;
}

/** What an {@link Impairment} did so far. */
export interface ImpairmentStats {
  passed: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/**
 * Drops, duplicates, reorders and delays packets on their way to `deliver`,
 * with a seeded generator so a test run can be repeated exactly. Timers are
 * cleared by {@link stop}.
 */
export class Impairment<P> {
  private readonly loss: number;
  private readonly duplicate: number;
  private readonly reorder: number;
  private readonly jitterMs: number;
  private state: number;
  private held: P | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly counts: ImpairmentStats = { passed: 0, dropped: 0, duplicated: 0, reordered: 0 };

  constructor(
    options: ImpairmentOptions,
    private readonly deliver: (packet: P) => void,
  ) {
    const where = 'Impairment';
    const o = checkOptions(where, options, ['loss', 'duplicate', 'reorder', 'jitterMs', 'seed']);
    this.loss = share(where, 'options.loss', o.loss);
    this.duplicate = share(where, 'options.duplicate', o.duplicate);
    this.reorder = share(where, 'options.reorder', o.reorder);
    this.jitterMs = checkInteger(where, 'options.jitterMs', o.jitterMs ?? 0, 0, 10_000);
    this.state = checkInteger(where, 'options.seed', o.seed ?? 1, 0, 2 ** 31) || 1;
  }

  /** Counts of what happened to the packets so far. */
  get stats(): ImpairmentStats {
    return { ...this.counts };
  }

  /** Takes one packet. */
  push(packet: P): void {
    if (this.stopped) return;
    if (this.random() < this.loss) {
      this.counts.dropped++;
      return;
    }
    if (this.held === undefined && this.random() < this.reorder) {
      this.held = packet; // goes out after the next packet
      this.counts.reordered++;
      return;
    }
    this.send(packet);
    if (this.random() < this.duplicate) {
      this.counts.duplicated++;
      this.send(packet);
    }
    if (this.held !== undefined) {
      const held = this.held;
      this.held = undefined;
      this.send(held);
    }
  }

  /** Drops whatever is in flight and clears every timer. */
  stop(): void {
    this.stopped = true;
    this.held = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private send(packet: P): void {
    this.counts.passed++;
    if (this.jitterMs === 0) {
      this.deliver(packet);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) this.deliver(packet);
    }, this.random() * this.jitterMs);
    this.timers.add(timer);
  }

  /** xorshift32 in [0, 1). */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 2 ** 32;
  }
}

function share(where: string, name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalidRange(where, name, 'a share from 0 to 1', String(value));
  return value;
}
