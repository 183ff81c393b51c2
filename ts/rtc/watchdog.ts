/** Connection states a watchdog follows (the RTCPeerConnection ones). */
export type WatchedState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** Deadlines of a {@link SessionWatchdog}, in milliseconds. */
export interface WatchdogOptions {
  /** A session not connected this long after it started is closed. */
  connectTimeoutMs: number;
  /** A session disconnected (or silent, see `mediaTimeoutMs`) this long is closed. */
  disconnectGraceMs: number;
  /** A connected session that receives no media for this long counts as disconnected. 0 disables. */
  mediaTimeoutMs: number;
}

/**
 * Closes ghost sessions: the fix for peer connections that never connect, or
 * that stay "connected" after the peer vanished. Calls `expire(reason)` once,
 * when a deadline passes; every timer is cleared by {@link stop}.
 */
export class SessionWatchdog {
  private connectTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private mediaTimer: NodeJS.Timeout | undefined;
  private lastMediaMs = performance.now();
  private state: WatchedState = 'new';
  private done = false;

  constructor(
    private readonly options: WatchdogOptions,
    private readonly expire: (reason: string) => void,
  ) {
    this.connectTimer = setTimeout(() => this.fire(`not connected within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
    this.connectTimer.unref?.();
  }

  /** Follows a connection state change. */
  onState(state: WatchedState): void {
    if (this.done) return;
    this.state = state;
    if (state === 'connected') {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      this.lastMediaMs = performance.now();
      this.armMediaCheck();
    } else if (state === 'disconnected') {
      this.startGrace('disconnected');
    } else if (state === 'failed') {
      this.fire('the connection failed');
    }
  }

  /** Media arrived (any packet): the peer is alive. */
  onMedia(): void {
    this.lastMediaMs = performance.now();
    if (this.graceTimer !== undefined && this.state === 'connected') {
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
    }
  }

  /** Clears every timer; the watchdog never fires after this. */
  stop(): void {
    this.done = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.mediaTimer);
    this.connectTimer = this.graceTimer = this.mediaTimer = undefined;
  }

  private armMediaCheck(): void {
    const timeout = this.options.mediaTimeoutMs;
    if (timeout <= 0 || this.done) return;
    clearTimeout(this.mediaTimer);
    const check = (): void => {
      if (this.done) return;
      const silentFor = performance.now() - this.lastMediaMs;
      if (silentFor >= timeout && this.state === 'connected' && this.graceTimer === undefined) {
        this.startGrace(`no media for ${Math.round(silentFor)} ms`);
      }
      this.mediaTimer = setTimeout(check, Math.min(1000, timeout));
      this.mediaTimer.unref?.();
    };
    this.mediaTimer = setTimeout(check, Math.min(1000, timeout));
    this.mediaTimer.unref?.();
  }

  private startGrace(why: string): void {
    if (this.graceTimer !== undefined || this.done) return;
    const grace = this.options.disconnectGraceMs;
    this.graceTimer = setTimeout(() => this.fire(`${why} for more than ${grace} ms`), grace);
    this.graceTimer.unref?.();
  }

  private fire(reason: string): void {
    if (this.done) return;
    this.stop();
    this.expire(reason);
  }
}
