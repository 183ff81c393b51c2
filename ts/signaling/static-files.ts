import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerResponse } from 'node:http';
import createDebug from 'debug';
import { HttpError } from './http-error';

const log = createDebug('voxrtc:server');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The demo page's folder: `ts/signaling/public` in voxrtc's package. tsc
 * does not copy it into `dist/`, so it is found from the package root
 * (the folder whose package.json names voxrtc, walking up from this file),
 * which works whether this file runs from `ts/` or `dist/`.
 */
export function findPublicDir(): string {
  const beside = path.join(__dirname, 'public');
  if (fs.existsSync(path.join(beside, 'index.html'))) return beside;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'voxrtc') {
          return path.join(dir, 'ts', 'signaling', 'public');
        }
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return beside;
    dir = parent;
  }
}

/**
 * Serves a file from `root` for a URL path (`/` is `index.html`). Only
 * regular files inside `root` are served: encoded or plain `..`, NUL bytes,
 * backslashes, hidden files and symlinks leading out are all 404.
 * @throws HttpError 404 when there is no such file (or the path is not allowed).
 */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse, headOnly: boolean): Promise<void> {
  const notFound = new HttpError(404, `not found: ${urlPath.slice(0, 200)}`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    throw notFound;
  }
  if (decoded === '/') decoded = '/index.html';
  const segments = decoded.split('/').filter(Boolean);
  if (decoded.includes('\0') || decoded.includes('\\') || segments.some((s) => s === '..' || s.startsWith('.'))) {
    log('static: refused %j', urlPath);
    throw notFound;
  }
  const rootReal = await fs.promises.realpath(root).catch(() => root);
  const file = path.resolve(rootReal, ...segments);
  let real: string;
  try {
    real = await fs.promises.realpath(file);
  } catch {
    throw notFound;
  }
  if (!real.startsWith(rootReal + path.sep)) throw notFound;
  const stat = await fs.promises.stat(real);
  if (!stat.isFile()) throw notFound;
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    'content-length': stat.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (headOnly) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(real).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
  });
}
