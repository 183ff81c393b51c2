import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { PeerSession } from '../rtc/peer-session';
import { HttpError } from './http-error';
import type { SessionHost } from './session-host';

const log = createDebug('voxrtc:server');

/** Messages a client sends on `/ws`. */
export type ClientMessage =
  | { type: 'offer'; sdp: string }
  | { type: 'candidate'; candidate?: unknown }
  | { type: 'close' }
  | { type: 'ping' };

/** Messages the server sends on `/ws`. */
export type ServerMessage =
  | { type: 'answer'; sdp: string; sessionId: string }
  | { type: 'state'; state: string; sessionId: string }
  | { type: 'closed'; reason: string; sessionId: string }
  | { type: 'ack'; of: 'candidate'; note: string }
  | { type: 'pong' }
  | { type: 'error'; status: number; message: string };

/**
 * The WebSocket signaling endpoint. One session per socket at a time:
 *
 * - `{ type: 'offer', sdp }` → `{ type: 'answer', sdp, sessionId }`, then the
 *   session's events: `{ type: 'state', state }` and `{ type: 'closed', reason }`.
 * - `{ type: 'close' }` closes the session (the socket stays open for another offer);
 *   closing the socket closes its session.
 * - `{ type: 'candidate' }` is acknowledged (`{ type: 'ack', of: 'candidate' }`)
 *   and ignored: the answer already carries every server candidate
 *   (gathering completes before it is sent), and werift's answerer gathers the
 *   peer's usable candidates from its offer; browsers that trickle also put
 *   their candidates in the offer once gathering is done, so send the offer
 *   after `icegatheringstate` is `complete` (as the demo page does).
 * - Renegotiation (a second offer while a session is open) is refused with
 *   `{ type: 'error', status: 409 }`: close the session and send a new offer.
 * - Problems come back as `{ type: 'error', status, message }` with the HTTP
 *   status `POST /offer` would use (400, 429, 503, …); the socket stays open.
 */
export class SignalingSocketServer {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly host: SessionHost,
    maxPayload: number,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload });
  }

  /** Handles an HTTP upgrade to `/ws`: authorizes it, then accepts the socket (or answers with the HTTP error). */
  async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      if (this.host.isClosing) throw new HttpError(503, 'the server is shutting down');
      await this.host.authorize(request);
    } catch (error) {
      const e = error instanceof HttpError ? error : new HttpError(500, String(error));
      const body = JSON.stringify({ error: e.message });
      socket.end(`HTTP/1.1 ${e.status} ${statusText(e.status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.attach(ws, request));
  }

  /** Closes every socket (1001, going away). Their sessions close with them. */
  close(): void {
    for (const ws of this.wss.clients) ws.close(1001, 'server closing');
    this.wss.close();
  }

  private attach(ws: WebSocket, request: IncomingMessage): void {
    let session: PeerSession | undefined;
    let negotiating = false;
    const send = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const fail = (status: number, message: string): void => send({ type: 'error', status, message });
    log('ws: connected from %s', request.socket.remoteAddress);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      void (async () => {
        if (isBinary) return fail(400, 'binary messages are not understood; send JSON text');
        let message: ClientMessage;
        try {
          message = JSON.parse(rawToString(data)) as ClientMessage;
        } catch (error) {
          return fail(400, `malformed JSON: ${(error as Error).message}`);
        }
        if (message === null || typeof message !== 'object' || typeof message.type !== 'string') {
          return fail(400, "expected a JSON object with a 'type': 'offer', 'candidate', 'close' or 'ping'");
        }
        switch (message.type) {
          case 'offer': {
            if (session || negotiating) {
              return fail(409, 'this socket already has a session and renegotiation is not supported; send { "type": "close" } first, then a new offer');
            }
            negotiating = true;
            try {
              this.host.admit(request);
              const opened = await this.host.open({ type: 'offer', sdp: message.sdp }, { request, transport: 'websocket' });
              const current = opened.session;
              if (ws.readyState !== ws.OPEN) {
                await current.close('the WebSocket closed during negotiation');
                return;
              }
              session = current;
              current.on('connectionstatechange', (state: string) => {
                if (state !== 'closed') send({ type: 'state', state, sessionId: current.id });
              });
              current.once('closed', (reason: string) => {
                send({ type: 'closed', reason, sessionId: current.id });
                if (session === current) session = undefined;
              });
              send({ type: 'answer', sdp: opened.answer.sdp, sessionId: current.id });
            } catch (error) {
              const e = error instanceof HttpError ? error : new HttpError(500, (error as Error).message);
              fail(e.status, e.message);
            } finally {
              negotiating = false;
            }
            return;
          }
          case 'candidate':
            return send({ type: 'ack', of: 'candidate', note: 'ignored: the answer carries all server candidates and the offer must carry the client\'s (no trickle ICE)' });
          case 'close':
            if (session) await session.close('closed by the client');
            return;
          case 'ping':
            return send({ type: 'pong' });
          default:
            return fail(400, `unknown message type ${JSON.stringify((message as { type: string }).type).slice(0, 60)}; expected 'offer', 'candidate', 'close' or 'ping'`);
        }
      })();
    });
    ws.on('close', () => {
      log('ws: disconnected%s', session ? ` (closing session ${session.id})` : '');
      void session?.close('the WebSocket closed');
    });
    ws.on('error', (error) => log('ws: %s', error.message));
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function statusText(status: number): string {
  return ({ 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}
