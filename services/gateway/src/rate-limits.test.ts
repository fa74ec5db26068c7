import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisServerHandle } from '@tickmesh/test-harness';
import type { RateLimitConfig } from './protection-config';
import { clientIp, OpsBucket, RateLimits, rateLimitMetrics, retryAfterSeconds } from './rate-limits';

process.env['LOG_LEVEL'] ??= 'warn';

let redis: RedisServerHandle;
before(async () => {
  redis = await startRedis({ name: 'rate-limits' });
});
after(() => redis.stop());

let prefixN = 0;
function cfg(over: Partial<RateLimitConfig> = {}): RateLimitConfig {
  return {
    connectPerIp: 3,
    connectPerKey: 2,
    opsPerConn: 5,
    opsBurst: 5,
    redisPrefix: `test:${process.pid}:${++prefixN}`,
    redisTimeoutMs: 200,
    trustProxy: false,
    ...over,
  };
}

async function ready(rl: RateLimits): Promise<void> {
  await waitFor(() => rl.redisStatus === 'ready', { message: 'rate limiter Redis ready' });
}

test('per-IP connect limit holds across two replicas sharing Redis, with retry-after', async (t) => {
  const c = cfg();
  const a = new RateLimits(c, { redis: redis.url });
  const b = new RateLimits(c, { redis: redis.url });
  t.after(() => {
    a.close();
    b.close();
  });
  await Promise.all([ready(a), ready(b)]);
  const before = rateLimitMetrics.limitedOf('connect_ip');
  assert.deepEqual(await a.checkConnect('10.0.0.1'), { ok: true });
  assert.deepEqual(await b.checkConnect('10.0.0.1'), { ok: true });
  assert.deepEqual(await a.checkConnect('10.0.0.1'), { ok: true });
  const r = await b.checkConnect('10.0.0.1');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.reason, 'connect_ip');
  assert.ok(r.retryAfterMs > 0 && r.retryAfterMs <= 60_000, `retryAfterMs ${r.retryAfterMs}`);
  assert.deepEqual(await b.checkConnect('10.0.0.2'), { ok: true }, 'other IPs unaffected');
  assert.equal(rateLimitMetrics.limitedOf('connect_ip'), before + 1);
  assert.equal(rateLimitMetrics.fallbacksOf('ip'), 0, 'Redis answered');
});

test('per-key connect limit (JWT sub) across IPs', async (t) => {
  const a = new RateLimits(cfg({ connectPerIp: 100 }), { redis: redis.url });
  t.after(() => a.close());
  await ready(a);
  assert.equal((await a.checkConnect('10.1.0.1', 'sub-1')).ok, true);
  assert.equal((await a.checkConnect('10.1.0.2', 'sub-1')).ok, true);
  const r = await a.checkConnect('10.1.0.3', 'sub-1');
  assert.equal(r.ok ? 'ok' : r.reason, 'connect_key');
  assert.equal((await a.checkConnect('10.1.0.3', 'sub-2')).ok, true);
  assert.equal((await a.checkConnect('10.1.0.3')).ok, true, 'no key: only the IP limit');
  const k = await a.checkKey('sub-1');
  assert.equal(k.ok ? 'ok' : k.reason, 'connect_key', 'checkKey: the key limit alone');
});

test('0 disables a limit', async (t) => {
  const a = new RateLimits(cfg({ connectPerIp: 0, connectPerKey: 0, opsPerConn: 0 }), { redis: redis.url });
  t.after(() => a.close());
  for (let i = 0; i < 10; i++) assert.equal((await a.checkConnect('10.2.0.1', 'k')).ok, true);
  const ops = a.opsBucket();
  for (let i = 0; i < 100; i++) assert.equal(ops.take(), undefined);
});

test('Redis stopped: checks answer at once from memory (still limited per replica); restarted: Redis again', async (t) => {
  if (redis.external) return t.skip('external Redis cannot be stopped');
  const a = new RateLimits(cfg({ connectPerIp: 2 }), { redis: redis.url });
  t.after(() => a.close());
  await ready(a);
  const fb = rateLimitMetrics.fallbacksOf('ip');
  await redis.stop();
  await waitFor(() => a.redisStatus !== 'ready', { message: 'client noticed Redis down' });

  const started = performance.now();
  assert.equal((await a.checkConnect('10.3.0.1')).ok, true);
  assert.equal((await a.checkConnect('10.3.0.1')).ok, true);
  const r = await a.checkConnect('10.3.0.1');
  assert.ok(performance.now() - started < 1000, 'no wait on a dead Redis');
  assert.equal(r.ok ? 'ok' : r.reason, 'connect_ip', 'memory limiter still limits');
  assert.equal(rateLimitMetrics.fallbacksOf('ip'), fb + 3);
  assert.equal(rateLimitMetrics.errorsOf('ip'), 0);

  await redis.restart();
  await ready(a);
  // the restarted Redis is empty: a fresh window, answered by Redis (no more fallbacks)
  assert.equal((await a.checkConnect('10.3.0.1')).ok, true);
  assert.equal(rateLimitMetrics.fallbacksOf('ip'), fb + 3);
});

test('Redis hanging (CLIENT PAUSE): answered by memory after RATE_REDIS_TIMEOUT_MS, not held', async (t) => {
  const a = new RateLimits(cfg({ connectPerIp: 5, redisTimeoutMs: 100 }), { redis: redis.url });
  const admin = new Redis(redis.url);
  t.after(() => {
    admin.disconnect();
    a.close();
  });
  await ready(a);
  const fb = rateLimitMetrics.fallbacksOf('ip');
  await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
  const started = performance.now();
  assert.equal((await a.checkConnect('10.5.0.1')).ok, true);
  const took = performance.now() - started;
  assert.ok(took < 500, `answered in ${Math.round(took)} ms`);
  assert.equal(rateLimitMetrics.fallbacksOf('ip'), fb + 1);
});

test('Redis unreachable from the start: never blocks, memory limits apply', async (t) => {
  const a = new RateLimits(cfg({ connectPerIp: 1 }), { redis: 'redis://127.0.0.1:1' });
  t.after(() => a.close());
  assert.equal((await a.checkConnect('10.4.0.1')).ok, true);
  assert.equal((await a.checkConnect('10.4.0.1')).ok, false);
});

test('OpsBucket: burst of perSecond, refill over time, retry-after, close after repeated refusals', () => {
  let t = 0;
  const b = new OpsBucket(5, () => t, 3);
  for (let i = 0; i < 5; i++) assert.equal(b.take(), undefined, `op ${i}`);
  const r = b.take();
  assert.deepEqual(r, { retryAfterMs: 200, close: false });
  t += 100;
  assert.deepEqual(b.take(), { retryAfterMs: 100, close: false });
  assert.equal(b.take()?.close, true, 'third refusal in a row');
  t += 200;
  assert.equal(b.take(), undefined, 'refilled');
  t += 10_000;
  for (let i = 0; i < 5; i++) assert.equal(b.take(), undefined);
  assert.notEqual(b.take(), undefined, 'burst capped at perSecond');
});

test('OpsBucket with a burst: a burst of `burst` ops after a quiet period, then the rate', () => {
  let t = 0;
  const b = new OpsBucket(20, () => t, 40, 100);
  for (let i = 0; i < 100; i++) assert.equal(b.take(), undefined, `op ${i} of the burst`);
  assert.deepEqual(b.take(), { retryAfterMs: 50, close: false }, 'burst spent: one op per 50 ms');
  t += 50;
  assert.equal(b.take(), undefined, 'refilled at the rate');
  t += 60_000;
  for (let i = 0; i < 100; i++) assert.equal(b.take(), undefined);
  assert.notEqual(b.take(), undefined, 'capacity capped at the burst');
});

test('clientIp: socket address, IPv4-mapped unwrapped, X-Forwarded-For only when trusted', () => {
  const req = (addr: string, xff?: string) => ({
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    socket: { remoteAddress: addr } as never,
  });
  assert.equal(clientIp(req('::ffff:192.0.2.1'), false), '192.0.2.1');
  assert.equal(clientIp(req('2001:db8::1'), false), '2001:db8::1');
  assert.equal(clientIp(req('10.0.0.9', '203.0.113.7, 10.0.0.1'), false), '10.0.0.9');
  assert.equal(clientIp(req('10.0.0.9', '203.0.113.7, 10.0.0.1'), true), '203.0.113.7');
  assert.equal(retryAfterSeconds(1), '1');
  assert.equal(retryAfterSeconds(1500), '2');
});
