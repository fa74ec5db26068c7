import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats } from '@tickmesh/test-harness';
import { LocalWeightBudget, NatsKvWeightBudget } from './budget';
import { RestClient, RestError } from './rest';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

/** 200 for everything; counts what reached the "venue" */
async function venue(): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const { url, server } = await serve((_req, res) => {
    hits++;
    res.end('{}');
  });
  return { url, hits: () => hits, server };
}

test('the local budget grants up to its weight and then says how long to wait', async () => {
  const b = new LocalWeightBudget(100);
  assert.equal(await b.take(60), 0);
  assert.ok((await b.take(60)) > 0);
  await b.block(Date.now() + 5000);
  assert.ok(b.peek(1) > 4000);
});

test('NATS KV budget: two replicas together never exceed the weight per window', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());
  const ncs: NatsConnection[] = [await connect({ servers: nats.url }), await connect({ servers: nats.url })];
  t.after(() => Promise.all(ncs.map((nc) => nc.close())));
  const v = await venue();
  t.after(() => v.server.close());
  const W = 10;
  // a window long enough that the test never crosses into the next one
  const windowMs = 10 * 60_000;
  const clients = ncs.map(
    (nc) =>
      new RestClient({
        baseUrl: v.url,
        weightPerMinute: W,
        budget: new NatsKvWeightBudget(nc, {
          venue: 'share-test',
          weightPerMinute: W,
          windowMs,
          timeoutMs: 5000,
        }),
      }),
  );
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, (_, i) => clients[i % 2]!.get(`/r${i}`, 1)),
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r) => r.status === 'rejected');
  assert.equal(v.hits(), ok, 'every granted request reached the venue');
  assert.equal(ok, W, 'exactly the shared budget was granted');
  for (const r of refused) {
    assert.ok(r.reason instanceof RestError);
    assert.equal(r.reason.status, 0);
    assert.ok((r.reason.retryAfterMs ?? 0) > 0);
  }
  // both replicas see the exhausted window
  for (const c of clients) await assert.rejects(c.get('/more', 1), /budget exhausted/);
  assert.equal(v.hits(), W);
});

test('NATS KV budget: a 429 seen by one replica blocks the other', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());
  const ncs: NatsConnection[] = [await connect({ servers: nats.url }), await connect({ servers: nats.url })];
  t.after(() => Promise.all(ncs.map((nc) => nc.close())));
  let hits = 0;
  const { url, server } = await serve((_req, res) => {
    hits++;
    res.writeHead(429, { 'retry-after': '30' }).end('{"code":-1003}');
  });
  t.after(() => server.close());
  const [a, b] = ncs.map(
    (nc) =>
      new RestClient({
        baseUrl: url,
        weightPerMinute: 6000,
        budget: new NatsKvWeightBudget(nc, { venue: 'block-test', weightPerMinute: 6000, timeoutMs: 5000 }),
      }),
  ) as [RestClient, RestClient];
  await assert.rejects(a.get('/x', 1), (err: unknown) => err instanceof RestError && err.status === 429);
  assert.equal(hits, 1);
  await assert.rejects(b.get('/y', 1), (err: unknown) => {
    assert.ok(err instanceof RestError);
    assert.equal(err.status, 0, 'refused locally, never sent');
    assert.ok((err.retryAfterMs ?? 0) > 29_000);
    return true;
  });
  assert.equal(hits, 1, 'the other replica never reached the venue');
});

test('NATS KV budget: with KV unavailable it falls back to the local budget', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.after(() => nc.close());
  const v = await venue();
  t.after(() => v.server.close());
  const budget = new NatsKvWeightBudget(nc, { venue: 'fallback-test', weightPerMinute: 3, timeoutMs: 300 });
  const rest = new RestClient({ baseUrl: v.url, weightPerMinute: 3, budget });
  assert.equal(await rest.get('/a', 1), '{}');
  assert.equal(budget.degraded, false);
  await nats.stop();
  // NATS is down: requests still go out, within the local budget
  const started = Date.now();
  assert.equal(await rest.get('/b', 1), '{}');
  assert.ok(Date.now() - started < 2000, 'a dead NATS does not block the feed');
  assert.equal(budget.degraded, true);
  assert.equal(await rest.get('/c', 1), '{}');
  assert.equal(await rest.get('/d', 1), '{}');
  await assert.rejects(rest.get('/e', 1), /budget exhausted/);
  assert.equal(v.hits(), 4);
});

test('NATS KV budget on a connection without JetStream falls back at once', async (t) => {
  const nats = await startNats({ jetstream: false });
  t.after(() => nats.stop());
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  let connects = 0;
  // the connecting form: called on first use
  const budget = new NatsKvWeightBudget(
    () => {
      connects++;
      return Promise.resolve(nc);
    },
    { venue: 'nojs', weightPerMinute: 1, timeoutMs: 2000 },
  );
  assert.equal(await budget.take(1), 0);
  assert.equal(budget.degraded, true);
  assert.ok((await budget.take(1)) > 0, 'the local fallback budget applies');
  assert.equal(connects, 1);
});
