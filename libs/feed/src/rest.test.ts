import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { RestClient, RestError } from './rest';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

test('429 with Retry-After blocks every request until it passes', async (t) => {
  let hits = 0;
  const { url, server } = await serve((_req, res) => {
    hits++;
    res.writeHead(429, { 'retry-after': '30' }).end('{"code":-1003}');
  });
  t.after(() => server.close());
  const rest = new RestClient({ baseUrl: url, weightPerMinute: 6000 });
  await assert.rejects(rest.get('/api/v3/depth?symbol=X', 5), (err: unknown) => {
    assert.ok(err instanceof RestError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, 30_000);
    return true;
  });
  await assert.rejects(rest.get('/api/v3/depth?symbol=Y', 5), /budget exhausted|retry/);
  assert.equal(hits, 1, 'the blocked request never reached the venue');
  assert.ok(rest.waitFor(5) > 29_000);
});

test('the weight budget refuses requests beyond it instead of storming the venue', async (t) => {
  let hits = 0;
  const { url, server } = await serve((_req, res) => {
    hits++;
    res.end('{}');
  });
  t.after(() => server.close());
  const rest = new RestClient({ baseUrl: url, weightPerMinute: 100 });
  assert.equal(await rest.get('/a', 50), '{}');
  assert.equal(await rest.get('/b', 50), '{}');
  await assert.rejects(rest.get('/c', 50), RestError);
  assert.equal(hits, 2);
  assert.ok(rest.waitFor(50) > 0);
});

test('HTTP errors carry the status and body; network errors are RestErrors', async (t) => {
  const { url, server } = await serve((_req, res) =>
    res.writeHead(400).end('{"code":-1121,"msg":"Invalid symbol."}'),
  );
  const rest = new RestClient({ baseUrl: url, weightPerMinute: 6000 });
  await assert.rejects(rest.get('/x', 1), /HTTP 400.*Invalid symbol/);
  await new Promise<void>((r) => server.close(() => r()));
  t.after(() => undefined);
  await assert.rejects(rest.get('/x', 1), RestError);
});
