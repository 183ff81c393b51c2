import type { IncomingMessage } from 'node:http';
import type { PeerSession, PeerSessionOptions } from '../rtc/peer-session';
import { checkInteger, checkOptions, invalidType } from '../core/validate';

/** What {@link ServerOptions.onSession} learns about the session's origin. */
export interface SessionContext {
  /** The HTTP request that carried the offer (for WebSocket: the upgrade request). */
  request: IncomingMessage;
  /** `'http'` for `POST /offer`, `'websocket'` for `/ws`. */
  transport: 'http' | 'websocket';
}

/** Returned by a session handler: runs when the session closes; `server.close()` awaits it (finalize recordings here). */
export type SessionCleanup = () => void | Promise<void>;

/**
 * Decides what a session does. Runs inside `PeerSession.answer`'s handler:
 * after the offer is applied (read `session.remoteTracks`) and before the
 * answer is created (call `session.addTrack(...)` here, so the call is
 * sendrecv). May return a {@link SessionCleanup}. A throw fails the offer
 * with 500 and closes the session.
 */
export type SessionHandler = (session: PeerSession, context: SessionContext) => void | SessionCleanup | Promise<void | SessionCleanup>;

/** Options for {@link createServer}. */
export interface ServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to listen on (0: any free port). Default `PORT` from the environment, else 8080. */
  port?: number;
  /** The one place the application decides what each session does. Default: receive and discard. */
  onSession?: SessionHandler;
  /** Largest request body accepted (bytes); larger → 413. Also the largest WebSocket message. Default 65536. */
  maxBodyBytes?: number;
  /** Sessions open at once; more → 503. Default 100. */
  maxSessions?: number;
  /** Offers accepted per client IP per minute (HTTP and WebSocket together); more → 429 with Retry-After. `false` disables. Default `{ offersPerMinute: 30 }`. */
  rateLimit?: { offersPerMinute?: number } | false;
  /**
   * Decides whether a request may use the API (`POST /offer`, `GET /sessions`,
   * the `/ws` upgrade). `false` → 403; a throw → 401 with its message.
   * The demo page and `/healthz` stay public.
   */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /** CORS is off unless set: `{ origin: 'https://app.example' }` (or `'*'`) allows that origin. */
  cors?: { origin: string };
  /** Options for every {@link PeerSession} (e.g. `{ receive: { sampleRate: 16000 } }`, `portRange`, watchdog timeouts). */
  session?: PeerSessionOptions;
  /** Serve the demo page at `GET /`. Default true. */
  demoPage?: boolean;
}

/** The options after validation, with defaults. */
export interface ResolvedServerOptions {
  host: string;
  port: number;
  onSession: SessionHandler | undefined;
  maxBodyBytes: number;
  maxSessions: number;
  offersPerMinute: number; // 0: unlimited
  authorize: ServerOptions['authorize'];
  corsOrigin: string | undefined;
  session: PeerSessionOptions;
  demoPage: boolean;
}

/** Checks {@link ServerOptions} and fills in defaults. @throws TypeError or RangeError naming the option. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const where = 'createServer';
  const o = checkOptions(where, options, ['host', 'port', 'onSession', 'maxBodyBytes', 'maxSessions', 'rateLimit', 'authorize', 'cors', 'session', 'demoPage']);
  const envPort = process.env.PORT !== undefined && process.env.PORT !== '' ? Number(process.env.PORT) : undefined;
  const port = checkInteger(where, o.port !== undefined ? 'options.port' : 'the PORT environment variable', o.port ?? envPort ?? 8080, 0, 65535);
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw invalidType(where, 'options.host', 'a host name or IP address', o.host);
  for (const name of ['onSession', 'authorize'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw invalidType(where, `options.${name}`, 'a function', o[name]);
  }
  let offersPerMinute = 30;
  if (o.rateLimit === false) offersPerMinute = 0;
  else if (o.rateLimit !== undefined) {
    const r = checkOptions(where, o.rateLimit, ['offersPerMinute']);
    offersPerMinute = checkInteger(where, 'options.rateLimit.offersPerMinute', r.offersPerMinute ?? 30, 1, 1_000_000);
  }
  let corsOrigin: string | undefined;
  if (o.cors !== undefined) {
    const c = checkOptions(where, o.cors, ['origin']);
    if (typeof c.origin !== 'string' || !(c.origin === '*' || /^https?:\/\/[^/\s]+$/.test(c.origin))) {
      throw invalidType(where, 'options.cors.origin', "an origin such as 'https://app.example' (no path) or '*'", c.origin);
    }
    corsOrigin = c.origin;
  }
  if (o.session !== undefined && (o.session === null || typeof o.session !== 'object')) throw invalidType(where, 'options.session', 'PeerSession options (an object)', o.session);
  if (o.demoPage !== undefined && typeof o.demoPage !== 'boolean') throw invalidType(where, 'options.demoPage', 'a boolean', o.demoPage);
  return {
    host: (o.host as string | undefined) ?? '127.0.0.1',
    port,
    onSession: o.onSession as SessionHandler | undefined,
    maxBodyBytes: checkInteger(where, 'options.maxBodyBytes', o.maxBodyBytes ?? 65536, 256, 64 * 1024 * 1024),
    maxSessions: checkInteger(where, 'options.maxSessions', o.maxSessions ?? 100, 1, 1_000_000),
    offersPerMinute,
    authorize: o.authorize as ServerOptions['authorize'],
    corsOrigin,
    session: { ...(o.session as PeerSessionOptions | undefined) },
    demoPage: (o.demoPage as boolean | undefined) ?? true,
  };
}
