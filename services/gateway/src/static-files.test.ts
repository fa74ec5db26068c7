import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  dashboardFromEnv,
  defaultDashboardDirs,
  fileKey,
  loadStaticFiles,
  StaticFilesError,
} from './static-files';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function build(): string {
  const root = mkdtempSync(join(tmpdir(), 'tm-static-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>tickmesh</title>' + ' '.repeat(600));
  writeFileSync(join(dist, 'assets', 'index-B4x_9Kz1.js'), 'console.log(1);'.repeat(100));
  writeFileSync(join(dist, 'assets', 'index-Dq2mP0aZ.css'), 'body{}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  writeFileSync(join(dist, '.hidden'), 'secret');
  writeFileSync(join(root, 'secret.txt'), 'outside the build');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'link.txt'));
  return root;
}

async function serveDir(dir: string): Promise<{
  server: Server;
  get: (p: string, h?: Record<string, string>, method?: string) => Promise<Answer>;
}> {
  const files = loadStaticFiles(dir);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!files.serve(req, res, path)) {
      res.writeHead(404);
      res.end('fallthrough');
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  // raw requests: fetch() would normalize `..` and decode gzip
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  return { server, get };
}

test('serves the build with content types, cache headers, ETags and gzip', async (t) => {
  const root = build();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { server, get } = await serveDir(join(root, 'dist'));
  t.after(() => server.close());

  const html = await get('/', { accept: 'text/html,application/xhtml+xml' });
  assert.equal(html.status, 200);
  assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(html.headers['cache-control'], 'no-cache');
  assert.match(String(html.headers['content-security-policy']), /default-src 'self'/);
  assert.match(html.body.toString(), /<title>tickmesh<\/title>/);

  const js = await get('/assets/index-B4x_9Kz1.js', { 'accept-encoding': 'gzip, br' });
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(js.body).toString(), 'console.log(1);'.repeat(100));
  assert.equal(js.headers['x-content-type-options'], 'nosniff');

  const plain = await get('/assets/index-B4x_9Kz1.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), 'console.log(1);'.repeat(100));

  const css = await get('/assets/index-Dq2mP0aZ.css');
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const svg = await get('/favicon.svg');
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.equal(svg.headers['cache-control'], 'no-cache', 'unhashed files are revalidated');

  const again = await get('/favicon.svg', { 'if-none-match': String(svg.headers.etag) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);

  const head = await get('/index.html', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers['content-length']) > 0);
  assert.equal(head.body.length, 0);
});

test('/ goes to the caller unless the client accepts HTML; unknown, hidden and outside paths too', async (t) => {
  const root = build();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { server, get } = await serveDir(join(root, 'dist'));
  t.after(() => server.close());

  for (const path of [
    '/',
    '/nope.js',
    '/.hidden',
    '/link.txt',
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/%00index.html',
    '/%E0%A4%A',
    '//index.html',
  ]) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.toString(), 'fallthrough', path);
  }
  assert.equal((await get('/index.html', {}, 'POST')).status, 404);
});

test('fileKey maps request paths to build-relative keys or refuses them', () => {
  assert.equal(fileKey('/'), 'index.html');
  assert.equal(fileKey('/assets/a-12345678.js'), 'assets/a-12345678.js');
  assert.equal(fileKey('/sub/'), 'sub/index.html');
  assert.equal(fileKey('/a%20b.txt'), 'a b.txt');
  for (const bad of ['/../x', '/a/./b', '/%2e%2e/x', '/a\\b', '/%00', 'x', '/%zz', '/a//b'])
    assert.equal(fileKey(bad), undefined, bad);
});

test('DASHBOARD / DASHBOARD_DIR select, disable or reject the build', (t) => {
  const root = build();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dist = join(root, 'dist');
  const missing = join(root, 'missing');

  assert.equal(dashboardFromEnv({ DASHBOARD: 'off', DASHBOARD_DIR: dist }), undefined);
  assert.equal(dashboardFromEnv({ DASHBOARD_DIR: dist })?.dir, dist);
  assert.equal(dashboardFromEnv({}, [missing, dist])?.dir, dist, 'first candidate with an index.html');
  assert.equal(dashboardFromEnv({}, [missing]), undefined, 'not built: the JSON index stays');
  assert.throws(() => dashboardFromEnv({ DASHBOARD_DIR: missing }), StaticFilesError);
  assert.throws(() => dashboardFromEnv({ DASHBOARD: 'maybe' }, [dist]), /DASHBOARD must be on or off/);

  // next to the bundle (image) first, then the repository layout
  assert.deepEqual(defaultDashboardDirs('file:///app/services/gateway/dist/main.mjs'), [
    '/app/services/gateway/dist/dashboard',
    '/app/services/dashboard/dist',
  ]);
});
