import type { IncomingMessage } from 'node:http';
import createDebug from 'debug';
import { PeerSession, type SessionDescription } from '../rtc/peer-session';
import { SessionRegistry } from '../rtc/session-registry';
import { HttpError } from './http-error';
import type { ResolvedServerOptions, SessionCleanup, SessionContext } from './options';
import { RateLimiter } from './rate-limiter';

const log = createDebug('voxrtc:server');

/** The client's IP address, for rate limiting and logs. */
export function clientAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/**
 * Opens the server's sessions and keeps them accountable: admission
 * (shutdown, session limit, per-client rate limit, `authorize`), answering
 * an offer through the application's `onSession`, and the cleanups it
 * returns — which {@link closeAll} awaits, so recordings are finalized.
 * Shared by `POST /offer` and the WebSocket endpoint.
 */
export class SessionHost {
  /** The server's open sessions (each PeerSession joins it on creation and leaves it when closed). */
  readonly registry = new SessionRegistry<PeerSession>();
  private readonly limiter: RateLimiter | undefined;
  private readonly cleanups = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly options: ResolvedServerOptions) {
    this.limiter = options.offersPerMinute > 0 ? new RateLimiter(options.offersPerMinute) : undefined;
  }

  /** True once {@link closeAll} was called: no new sessions. */
  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * Runs the `authorize` hook.
   * @throws HttpError 403 when it returns false, 401 (with its message) when it throws.
   */
  async authorize(request: IncomingMessage): Promise<void> {
    const hook = this.options.authorize;
    if (!hook) return;
    let allowed: boolean;
    try {
      allowed = await hook(request);
    } catch (error) {
      throw new HttpError(401, `unauthorized: ${(error as Error)?.message ?? String(error)}`);
    }
    if (allowed !== true) throw new HttpError(403, 'forbidden: the authorize hook refused this request');
  }

  /**
   * Checks that one more offer from this client may be answered now.
   * @throws HttpError 503 (shutting down, or the session limit is reached), 429 with Retry-After (rate limit).
   */
  admit(request: IncomingMessage): void {
    if (this.closing) throw new HttpError(503, 'the server is shutting down', { 'retry-after': '5' });
    if (this.registry.size >= this.options.maxSessions) {
      throw new HttpError(503, `too many sessions: ${this.registry.size} open, the limit is ${this.options.maxSessions}`, { 'retry-after': '5' });
    }
    const wait = this.limiter?.take(clientAddress(request)) ?? 0;
    if (wait > 0) {
      throw new HttpError(429, `too many offers from ${clientAddress(request)}: the limit is ${this.options.offersPerMinute} per minute; retry in ${wait} s`, {
        'retry-after': String(wait),
      });
    }
  }

  /**
   * Answers an offer (aiortc's JSON shape `{ sdp, type: 'offer' }`) with a new
   * PeerSession, running `onSession` between offer and answer.
   * @throws HttpError 400 naming what is wrong with the offer; 500 when `onSession` throws. The session is closed either way.
   */
  async open(offer: unknown, context: SessionContext): Promise<{ session: PeerSession; answer: SessionDescription }> {
    if (offer === null || typeof offer !== 'object' || Array.isArray(offer)) {
      throw new HttpError(400, `expected an offer { "sdp": "v=0…", "type": "offer" }, got ${Array.isArray(offer) ? 'an array' : offer === null ? 'null' : typeof offer}`);
    }
    const { type, sdp } = offer as Record<string, unknown>;
    const session = new PeerSession({ ...this.options.session, registry: this.registry });
    let cleanup: SessionCleanup | undefined;
    let closed = false;
    session.once('closed', (reason: string) => {
      closed = true;
      log('%s: closed (%s)', session.id, reason);
      if (cleanup) this.runCleanup(session, cleanup);
    });
    let handlerError: unknown;
    try {
      const answer = await session.answer({ type, sdp } as SessionDescription, async (s) => {
        try {
          const result = await this.options.onSession?.(s, context);
          if (typeof result === 'function') {
            cleanup = result;
            if (closed) this.runCleanup(session, cleanup); // closed while the handler ran
          }
        } catch (error) {
          handlerError = error;
          throw error;
        }
      });
      log('%s: answered an offer from %s over %s', session.id, clientAddress(context.request), context.transport);
      return { session, answer };
    } catch (error) {
      await session.close();
      if (handlerError !== undefined) {
        throw new HttpError(500, `the session handler failed: ${(handlerError as Error)?.message ?? String(handlerError)}`);
      }
      if (this.closing) throw new HttpError(503, 'the server is shutting down');
      throw new HttpError(400, `bad offer: ${(error as Error).message}`);
    }
  }

  /** Closes every session (awaiting each PeerSession.close()) and awaits every cleanup (recordings finalized). */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all(this.registry.list().map((s) => s.close('the server is closing')));
    while (this.cleanups.size > 0) await Promise.all([...this.cleanups]);
  }

  private runCleanup(session: PeerSession, cleanup: SessionCleanup): void {
    const done = (async () => {
      try {
        await cleanup();
      } catch (error) {
        log('%s: cleanup failed: %s', session.id, (error as Error).message);
      }
    })();
    this.cleanups.add(done);
    void done.finally(() => this.cleanups.delete(done));
  }
}
