import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON.
 * @throws HttpError 413 when the body is larger (by `content-length` or by what
 *   arrives), 400 when it is not valid JSON (with the parser's reason).
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume(); // discard, so the connection can answer
    throw new HttpError(413, `request body too large: ${declared} bytes (the limit is ${maxBytes})`, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new HttpError(413, `request body too large: more than ${maxBytes} bytes`, { connection: 'close' });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'malformed JSON: the request body is empty; send { "sdp": "v=0…", "type": "offer" }');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
}
