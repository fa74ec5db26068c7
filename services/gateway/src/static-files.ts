/**
 * The dashboard's static files (services/dashboard, a Vite build) served on the client port.
 *
 * - Which directory: `DASHBOARD_DIR` when set (it must hold an index.html, or the gateway does not
 *   start); otherwise the first of `<bundle dir>/dashboard` (the image: the build copied next to
 *   services/gateway/dist/main.mjs) and `<bundle dir>/../../dashboard/dist` (the repository:
 *   services/dashboard/dist beside services/gateway/dist, or beside src/ under tsx) that holds an
 *   index.html. `DASHBOARD=off` disables it. Without a build, nothing changes: `GET /` keeps
 *   answering the JSON index.
 * - The files are read once at start into memory (a Vite build is a few hundred kB; the total is
 *   capped), so a request never touches the file system and no request path can reach a file
 *   outside the build: a path is only ever a key of that map. Rebuild the dashboard, restart the
 *   gateway.
 * - `GET /` serves index.html to browsers (`Accept: text/html`); other clients (curl, probes)
 *   still get the JSON index. Hashed assets (`assets/*-<hash>.*`) are cached for a year as
 *   immutable; everything else is `no-cache` with an ETag (304 on `If-None-Match`). Text files are
 *   gzipped once at load and sent compressed when the client accepts gzip.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createLogger } from '@tickmesh/observability';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.webmanifest',
]);
/** Vite's content-hashed file names: `assets/index-B4x_9Kz1.js` */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const HTML_HEADERS = {
  'X-Frame-Options': 'DENY',
  // the page only loads its own files and opens the gateway's own /ws
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

interface StaticFile {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
  cacheControl: string;
}

export interface StaticFiles {
  /** the directory the files were read from */
  readonly dir: string;
  readonly size: number;
  /**
   * Answers GET/HEAD for `pathname` when it names a file of the build (`/` and `/dir/` name
   * index.html; `/` only for clients that accept HTML). Returns false, having written nothing,
   * otherwise: the caller answers (404, JSON index, ...).
   */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
}

export class StaticFilesError extends Error {
  override readonly name = 'StaticFilesError';
}

/** Reads every file below `dir` into memory. Throws StaticFilesError when `dir` has no index.html. */
export function loadStaticFiles(dir: string): StaticFiles {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html')))
    throw new StaticFilesError(`${root} holds no index.html (build the dashboard first)`);
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      // dot files and symbolic links are never served
      if (entry.name.startsWith('.')) continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const body = readFileSync(p);
        total += body.length;
        if (total > MAX_TOTAL_BYTES)
          throw new StaticFilesError(
            `${root} holds more than ${MAX_TOTAL_BYTES} bytes; not a dashboard build?`,
          );
        const key = relative(root, p).split(sep).join('/');
        const ext = extname(key).toLowerCase();
        files.set(key, {
          body,
          gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
          type: CONTENT_TYPES[ext] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          cacheControl: HASHED.test(key) ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
      }
    }
  };
  walk(root);
  return {
    dir: root,
    size: files.size,
    serve(req, res, pathname) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (pathname === '/' && !acceptsHtml(req)) return false;
      const key = fileKey(pathname);
      const file = key === undefined ? undefined : files.get(key);
      if (file === undefined) return false;
      send(req, res, file);
      return true;
    },
  };
}

/** Map key of a request path: undefined for anything that is not a plain relative file path. */
export function fileKey(pathname: string): string | undefined {
  let p: string;
  try {
    p = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (!p.startsWith('/') || p.includes('\0') || p.includes('\\')) return undefined;
  if (p.endsWith('/')) p += 'index.html';
  const parts = p.slice(1).split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return parts.join('/');
}

function acceptsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const isHtml = file.type.startsWith('text/html');
  const headers: Record<string, string | number> = {
    'Content-Type': file.type,
    'Cache-Control': file.cacheControl,
    ETag: file.etag,
    ...SECURITY_HEADERS,
    ...(isHtml ? HTML_HEADERS : {}),
  };
  // `/` answers HTML or JSON by Accept; compressed or not by Accept-Encoding
  headers['Vary'] = isHtml ? 'Accept, Accept-Encoding' : 'Accept-Encoding';
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === file.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = file.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzip! : file.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Candidate build directories when DASHBOARD_DIR is not set (see the module comment). */
export function defaultDashboardDirs(moduleUrl: string = import.meta.url): string[] {
  const here = dirname(fileURLToPath(moduleUrl));
  return [join(here, 'dashboard'), join(here, '..', '..', 'dashboard', 'dist')];
}

/**
 * The dashboard per `DASHBOARD` / `DASHBOARD_DIR`: undefined when disabled or (with the default
 * directories) not built. Throws StaticFilesError for an invalid setting.
 */
export function dashboardFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  candidates: string[] = defaultDashboardDirs(),
): StaticFiles | undefined {
  const mode = (env['DASHBOARD'] ?? 'on').toLowerCase();
  if (mode === 'off' || mode === 'false' || mode === '0') return undefined;
  if (mode !== 'on' && mode !== 'true' && mode !== '1')
    throw new StaticFilesError(`DASHBOARD must be on or off, got ${JSON.stringify(env['DASHBOARD'])}`);
  const dir = env['DASHBOARD_DIR'];
  if (dir !== undefined && dir !== '') {
    try {
      const files = loadStaticFiles(dir);
      createLogger('dashboard').info({ dir: files.dir, files: files.size }, 'serving the dashboard at /');
      return files;
    } catch (err) {
      throw new StaticFilesError(`DASHBOARD_DIR: ${(err as Error).message}`);
    }
  }
  const log = createLogger('dashboard');
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (found === undefined) {
    log.info({ looked: candidates }, 'dashboard not built: GET / serves the JSON index');
    return undefined;
  }
  const files = loadStaticFiles(found);
  log.info({ dir: files.dir, files: files.size }, 'serving the dashboard at /');
  return files;
}
