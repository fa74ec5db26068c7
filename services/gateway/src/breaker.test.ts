import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisServerHandle } from '@tickmesh/test-harness';
import { breakerMetrics, SnapshotBreaker } from './breaker';

process.env['LOG_LEVEL'] ??= 'warn';

let redis: RedisServerHandle;
before(async () => {
  redis = await startRedis({ name: 'breaker' });
});
after(() => redis.stop());

function client(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
}

type Tob = Record<string, string>;

/** The snapshot read as the store would do it through the breaker: throw on failure, undefined when absent. */
function reader(r: Redis, counter: { calls: number }) {
  return (key: string) => async (): Promise<Tob | undefined> => {
    counter.calls++;
    const h = await r.hgetall(key);
    return Object.keys(h).length === 0 ? undefined : h;
  };
}

test('Redis stopped: fallback to the last value, breaker opens and short-circuits; restarted: half-open → closed', async (t) => {
  if (redis.external) return t.skip('external Redis cannot be stopped');
  const r = client(redis.url);
  const seed = client(redis.url);
  const b = new SnapshotBreaker<Tob>({ name: 'redis_test', failures: 3, halfOpenMs: 200, timeoutMs: 500 });
  t.after(() => {
    b.dispose();
    r.disconnect();
    seed.disconnect();
  });
  const counter = { calls: 0 };
  const read = reader(r, counter);
  await waitFor(() => r.status === 'ready' && seed.status === 'ready');
  await seed.hset('tob:binance:BTC-USDT', { bidPx: '97000.1', askPx: '97000.2' });

  assert.deepEqual(await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT')), {
    source: 'live',
    value: { bidPx: '97000.1', askPx: '97000.2' },
  });
  assert.deepEqual(await b.read('tob.binance.ETH-USDT', read('tob:binance:ETH-USDT')), {
    source: 'live',
    value: undefined,
  });
  assert.equal(b.state, 'closed');

  await redis.stop();
  await waitFor(() => r.status !== 'ready', { message: 'client saw Redis go' });
  const hit = await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT'));
  assert.deepEqual(hit, {
    source: 'fallback',
    value: { bidPx: '97000.1', askPx: '97000.2' },
    error: 'failure',
  });
  const miss = await b.read('tob.binance.ETH-USDT', read('tob:binance:ETH-USDT'));
  assert.deepEqual(miss, { source: 'none', value: undefined, error: 'failure' });
  await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT'));
  assert.equal(b.state, 'open', 'three consecutive failures');
  assert.equal(breakerMetrics.transitionsOf('redis_test', 'open'), 1);

  const callsWhenOpened = counter.calls;
  const shorted = await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT'));
  assert.equal(shorted.source, 'fallback');
  assert.equal(shorted.error, 'open');
  assert.equal(counter.calls, callsWhenOpened, 'open: Redis not touched');
  assert.ok(breakerMetrics.callsOf('redis_test', 'short_circuit') >= 1);
  assert.ok(breakerMetrics.fallbacksOf('redis_test', 'hit') >= 2);

  await redis.restart();
  await waitFor(() => r.status === 'ready' && seed.status === 'ready', { message: 'clients reconnected' });
  await seed.hset('tob:binance:BTC-USDT', { bidPx: '97001.0', askPx: '97001.5' });
  // after BREAKER_HALF_OPEN_MS the next read is the trial; it succeeds and closes the breaker
  await waitFor(
    async () => (await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT'))).source === 'live',
    {
      message: 'breaker closed again after the restart',
    },
  );
  assert.equal(b.state, 'closed');
  assert.equal(breakerMetrics.transitionsOf('redis_test', 'half-open'), 1);
  assert.equal(breakerMetrics.transitionsOf('redis_test', 'closed'), 1);
  assert.deepEqual(await b.read('tob.binance.BTC-USDT', read('tob:binance:BTC-USDT')), {
    source: 'live',
    value: { bidPx: '97001.0', askPx: '97001.5' },
  });
});

test('a hanging Redis (CLIENT PAUSE) times out at BREAKER_TIMEOUT_MS and serves the fallback', async (t) => {
  const r = client(redis.url);
  const admin = client(redis.url);
  const b = new SnapshotBreaker<Tob>({ name: 'redis_hang', failures: 5, halfOpenMs: 1000, timeoutMs: 100 });
  t.after(() => {
    b.dispose();
    r.disconnect();
    admin.disconnect();
  });
  await waitFor(() => r.status === 'ready' && admin.status === 'ready');
  b.remember('tob.okx.BTC-USDT', { bidPx: '1' });
  await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
  const started = performance.now();
  const res = await b.read('tob.okx.BTC-USDT', reader(r, { calls: 0 })('tob:okx:BTC-USDT'));
  assert.ok(performance.now() - started < 450, 'answered at the deadline');
  assert.deepEqual(res, { source: 'fallback', value: { bidPx: '1' }, error: 'timeout' });
  assert.equal(breakerMetrics.callsOf('redis_hang', 'timeout'), 1);
  assert.equal(b.state, 'closed', 'one timeout of five allowed');
});

test('SamplingBreaker variant, injected fallback source, isolate(), bounded memory', async () => {
  const hub = new Map([['a', 'from-hub']]);
  const b = new SnapshotBreaker<string>({
    name: 'sampling',
    failures: 1,
    halfOpenMs: 60_000,
    timeoutMs: 1000,
    sampling: { threshold: 0.5, durationMs: 10_000, minimumRps: 0 },
    fallback: (k) => hub.get(k),
  });
  const fail = (): Promise<string> => Promise.reject(new Error('down'));
  assert.deepEqual(await b.read('a', fail), { source: 'fallback', value: 'from-hub', error: 'failure' });
  const iso = b.isolate();
  assert.equal(b.state, 'isolated');
  assert.deepEqual(await b.read('b', () => Promise.resolve('x')), {
    source: 'none',
    value: undefined,
    error: 'open',
  });
  iso.dispose();
  assert.equal(b.state, 'closed');
  b.dispose();

  const small = new SnapshotBreaker<number>({
    name: 'small',
    failures: 9,
    halfOpenMs: 10,
    timeoutMs: 100,
    maxRemembered: 2,
  });
  small.remember('x', 1);
  small.remember('y', 2);
  small.remember('x', 3); // refresh x: y is now the oldest
  small.remember('z', 4);
  const down = (): Promise<number> => Promise.reject(new Error('down'));
  assert.equal((await small.read('y', down)).source, 'none');
  assert.deepEqual(await small.read('x', down), { source: 'fallback', value: 3, error: 'failure' });
  small.dispose();
});
