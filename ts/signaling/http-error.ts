import type { ServerResponse } from 'node:http';

/**
 * An error that becomes an HTTP response: its status, its message as
 * `{ "error": message }`, and optional headers (e.g. `Retry-After`, `Allow`).
 */
export class HttpError extends Error {
  /**
   * @param status - HTTP status code, e.g. 400.
   * @param message - What went wrong, for the client.
   * @param headers - Extra response headers.
   */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Writes `body` as JSON with `status` (and `headers`); does nothing if the response was already sent. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Writes an error response: an {@link HttpError}'s status and message, or 500 for anything else. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: error.message }, error.headers);
  } else {
    sendJson(res, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)}` });
  }
}
