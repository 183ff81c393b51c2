import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import createDebug from 'debug';
import type { PeerSession } from '../rtc/peer-session';
import type { SessionRegistry } from '../rtc/session-registry';
import { MediaBlackHole } from '../media/black-hole';
import { HttpError, sendError, sendJson } from './http-error';
import { resolveServerOptions, type ServerOptions, type SessionHandler } from './options';
import { readJsonBody } from './read-body';
import { SessionHost } from './session-host';
import { findPublicDir, serveStatic } from './static-files';
import { SignalingSocketServer } from './websocket';

const log = createDebug('voxrtc:server');

/** Where a server listens. */
export interface ListenAddress {
  port: number;
  host: string;
  /** e.g. `http://127.0.0.1:8080/`. */
  url: string;
}

/** A signaling server: see {@link createServer}. */
export interface SignalingServer {
  /** Starts listening (default: the options' port and host). Resolves with the bound address. */
  listen(port?: number, host?: string): Promise<ListenAddress>;
  /** Closes every session (awaiting each), awaits every session cleanup (recordings finalized), closes sockets. Idempotent. */
  close(): Promise<void>;
  /** The open sessions. */
  readonly sessions: SessionRegistry<PeerSession>;
  /** The underlying Node HTTP server (to add routes or TLS termination in front). */
  readonly httpServer: http.Server;
}

/** Routes and the methods each allows. */
const ROUTES: Record<string, string[]> = {
  '/offer': ['POST'],
  '/healthz': ['GET', 'HEAD'],
  '/sessions': ['GET', 'HEAD'],
  '/ws': ['GET'],
};

/** Without `onSession`: consume incoming audio (so nothing piles up) and send nothing. */
const discardIncoming: SessionHandler = async (session) => {
  const hole = new MediaBlackHole();
  for (const track of session.remoteTracks) hole.addTrack(track);
  await hole.start();
  return () => hole.stop();
};

/**
 * Creates an HTTP + WebSocket signaling server for voxrtc sessions.
 *
 * ```ts
 * const server = createServer({
 *   onSession(session) {
 *     session.addTrack(session.remoteTracks[0]); // echo
 *   },
 * });
 * const { url } = await server.listen();
 * ```
 *
 * Endpoints:
 * - `POST /offer`: aiortc's JSON `{ "sdp", "type": "offer" }` → `{ "sdp", "type": "answer" }`.
 *   400 (malformed JSON or offer, with the reason), 401/403 (`authorize`),
 *   413 (body over `maxBodyBytes`), 429 (rate limit, `Retry-After`), 503 (`maxSessions`, shutting down).
 * - `GET /healthz`: `{ ok: true, sessions: n }`.
 * - `GET /sessions`: `[{ id, state, createdAt, stats }]` (authorized like `/offer`).
 * - `GET /ws`: WebSocket signaling (see {@link SignalingSocketServer}).
 * - `GET /` and its files: the demo page, only from the package's `ts/signaling/public` folder.
 * Anything else: 404; a known path with the wrong method: 405 with `Allow`.
 * Errors are JSON `{ "error": "…" }`.
 *
 * @throws TypeError or RangeError naming a bad option.
 */
export function createServer(options: ServerOptions = {}): SignalingServer {
  const o = resolveServerOptions(options);
  const host = new SessionHost({ ...o, onSession: o.onSession ?? discardIncoming });
  const sockets = new SignalingSocketServer(host, o.maxBodyBytes);
  const publicDir = findPublicDir();
  const cors: Record<string, string> = o.corsOrigin ? { 'access-control-allow-origin': o.corsOrigin, vary: 'Origin' } : {};

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawPath = (req.url ?? '/').split('?')[0];
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (method === 'OPTIONS' && o.corsOrigin) {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type, authorization', 'access-control-max-age': '600' });
      res.end();
      return;
    }
    const allowed = ROUTES[rawPath];
    if (allowed && !allowed.includes(method)) throw new HttpError(405, `${method} is not allowed on ${rawPath}; use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
    switch (rawPath) {
      case '/offer': {
        await host.authorize(req);
        const contentType = req.headers['content-type'] ?? '';
        if (contentType && !/^application\/json\b/i.test(contentType) && !/^text\/plain\b/i.test(contentType)) {
          throw new HttpError(415, `expected content-type application/json, got ${contentType.slice(0, 100)}`);
        }
        const body = await readJsonBody(req, o.maxBodyBytes);
        host.admit(req);
        const { answer } = await host.open(body, { request: req, transport: 'http' });
        sendJson(res, 200, { sdp: answer.sdp, type: answer.type });
        return;
      }
      case '/healthz':
        sendJson(res, 200, { ok: !host.isClosing, sessions: host.registry.size });
        return;
      case '/sessions':
        await host.authorize(req);
        sendJson(
          res,
          200,
          host.registry.list().map((s) => ({ id: s.id, state: s.connectionState, createdAt: new Date(s.createdAt).toISOString(), stats: s.stats() })),
        );
        return;
      case '/ws':
        throw new HttpError(426, 'this endpoint speaks WebSocket: connect with new WebSocket(url)', { upgrade: 'websocket' });
      default:
        if (!o.demoPage || (method !== 'GET' && method !== 'HEAD')) throw new HttpError(404, `not found: ${method} ${rawPath.slice(0, 200)}`);
        await serveStatic(publicDir, rawPath, res, method === 'HEAD');
    }
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof HttpError) || error.status >= 500) log('%s %s: %s', req.method, req.url, (error as Error).message);
      sendError(res, error);
    });
  });
  httpServer.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    void sockets.upgrade(req, socket, head);
  });
  httpServer.on('clientError', (error, socket) => {
    log('client error: %s', error.message);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  let closing: Promise<void> | undefined;
  return {
    sessions: host.registry,
    httpServer,
    listen(port = o.port, hostname = o.host) {
      return new Promise<ListenAddress>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException): void => {
          const hint = error.code === 'EADDRINUSE' ? ` (port ${port} is in use: choose another with --port or PORT)` : error.code === 'EACCES' ? ` (no permission to listen on port ${port})` : '';
          reject(new Error(`voxrtc server: cannot listen on ${hostname}:${port}: ${error.message}${hint}`));
        };
        httpServer.once('error', onError);
        httpServer.listen(port, hostname, () => {
          httpServer.off('error', onError);
          const address = httpServer.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          const result = { port: address.port, host: address.address, url: `http://${shown}:${address.port}/` };
          log('listening on %s', result.url);
          resolve(result);
        });
      });
    },
    close() {
      closing ??= (async () => {
        log('closing: %d session(s)', host.registry.size);
        sockets.close();
        await host.closeAll();
        await new Promise<void>((resolve) => {
          if (!httpServer.listening) return resolve();
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
        log('closed');
      })();
      return closing;
    },
  };
}
