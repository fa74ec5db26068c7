/**
 * The protection layer wired end to end (docs/gateway-security.md), against real nats-server and
 * redis-server: JWT auth (header, query, first message), channel grants (explicit, wildcard,
 * list, SSE), token expiry, connect and operation rate limits (shared over two gateways through
 * Redis; Redis down → in-memory), the must-subscribe guard, the adaptive snapshot limit
 * (`overloaded` / 503) and the Redis circuit breaker with its fallback. Short timeouts throughout;
 * conditions are awaited, never slept on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { SignJWT, type JWTPayload } from 'jose';
import {
  ERROR_CODES,
  type AckMessage,
  type DataMessage,
  type ErrorMessage,
  type ListMessage,
} from '@tickmesh/contracts';
import { health, metrics } from '@tickmesh/observability';
import { startRedis, waitFor } from '@tickmesh/test-harness';
import { authMetrics } from '../src/auth';
import { breakerMetrics } from '../src/breaker';
import { guardMetrics } from '../src/connection-guards';
import { gatewayMetrics } from '../src/metrics';
import { protectionConfig, type ProtectionConfig } from '../src/protection-config';
import { rateLimitMetrics } from '../src/rate-limits';
import { publishStatus, publishTob, seedRedis, status, tob } from './support/fixtures';
import { gateway, useServers } from './support/servers';
import { SseTestClient } from './support/sse-client';
import { WsTestClient } from './support/ws-client';

const env = useServers();

const SECRET = 'protection-test-secret-of-at-least-32-bytes';
let prefixes = 0;

/** Protection config from environment-style strings (everything off unless set). */
function protect(vars: Record<string, string>): ProtectionConfig {
  return protectionConfig({
    RATE_CONNECT_PER_IP: '0',
    RATE_CONNECT_PER_KEY: '0',
    RATE_OPS_PER_CONN: '0',
    MUST_SUBSCRIBE_MS: '0',
    SNAPSHOT_CONCURRENCY: 'off',
    RATE_REDIS_PREFIX: `test:rl:${process.pid}:${++prefixes}`,
    ...vars,
  });
}

const HS256 = { AUTH_MODE: 'hs256', JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_S: '0' };

function token(payload: JWTPayload, expSeconds = 3600): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

const bearer = (t: string): { headers: Record<string, string> } => ({
  headers: { Authorization: `Bearer ${t}` },
});
const isData = (m: { type: string }): m is DataMessage => m.type === 'snapshot' || m.type === 'update';

// ─── (a) authentication and grants ──────────────────────────────────────────────────────────────

test('auth: an op before auth → unauthorized + 4001; no auth within AUTH_TIMEOUT_MS → 4001 auth timeout', async (t) => {
  const gw = await gateway(t, env, {}, protect({ ...HS256, AUTH_TIMEOUT_MS: '300' }));
  const early = await WsTestClient.open(gw.port);
  const idle = await WsTestClient.open(gw.port);
  t.after(() => (early.close(), idle.close()));
  early.send({ op: 'subscribe', id: 7, channels: ['tob.binance.BTC-USDT'] });
  const err = (await early.waitFor((m) => m.type === 'error', 'unauthorized')) as ErrorMessage;
  assert.equal(err.code, 'unauthorized');
  assert.equal(err.id, 7);
  await early.closed();
  assert.equal(early.closeCode, 4001);
  assert.equal(early.messages.filter((m) => m.type === 'ack').length, 0);

  const timeouts = guardMetrics.closesOf('auth_timeout');
  await idle.closed();
  assert.equal(idle.closeCode, 4001);
  assert.equal(idle.closeReason, 'auth timeout');
  assert.equal(guardMetrics.closesOf('auth_timeout'), timeouts + 1);
  assert.equal(gatewayMetrics.closesOf('ws', 'auth_timeout') > 0, true);
});

test('auth: a token in the header, the query or the first message each open a working connection', async (t) => {
  const gw = await gateway(t, env, {}, protect({ ...HS256, AUTH_TIMEOUT_MS: '2000' }));
  const jwt = await token({ sub: 'acct-1', channels: ['*'] });
  const viaHeader = await WsTestClient.open(gw.port, bearer(jwt));
  const viaQuery = await WsTestClient.open(gw.port, {}, `/ws?token=${encodeURIComponent(jwt)}`);
  const viaMessage = await WsTestClient.open(gw.port);
  t.after(() => (viaHeader.close(), viaQuery.close(), viaMessage.close()));
  // first-message auth: ops sent right behind it wait for its verification, then run in order
  viaMessage.send({ op: 'auth', id: 'a', token: jwt });
  viaMessage.send({ op: 'subscribe', id: 1, channels: ['status.binance.BTC-USDT'] });
  const authAck = (await viaMessage.waitFor(
    (m) => m.type === 'ack' && m.op === 'auth',
    'auth ack',
  )) as AckMessage;
  assert.equal(authAck.id, 'a');
  for (const c of [viaHeader, viaQuery])
    c.send({ op: 'subscribe', id: 1, channels: ['status.binance.BTC-USDT'] });
  for (const c of [viaHeader, viaQuery, viaMessage]) {
    const ack = (await c.waitFor((m) => m.type === 'ack' && m.id === 1, 'subscribe ack')) as AckMessage;
    assert.deepEqual(ack.channels, ['status.binance.BTC-USDT']);
  }
  assert.ok(
    viaMessage.messages.indexOf(authAck) <
      viaMessage.messages.findIndex((m) => m.type === 'ack' && m.id === 1),
  );
  await waitFor(
    () => {
      publishStatus(env.pub, status('BTC-USDT', 'live'));
      return [viaHeader, viaQuery, viaMessage].every((c) => c.data('status.binance.BTC-USDT').length > 0);
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'status delivered on all three' },
  );
  // a bad token in the first message: unauthorized, then 4001
  const bad = await WsTestClient.open(gw.port);
  t.after(() => bad.close());
  bad.send({ op: 'auth', id: 2, token: `${jwt.slice(0, -4)}AAAA` });
  const err = (await bad.waitFor((m) => m.type === 'error', 'bad token')) as ErrorMessage;
  assert.deepEqual([err.code, err.id], ['unauthorized', 2]);
  await bad.closed();
  assert.equal(bad.closeCode, 4001);
});

test('grants: tob.binance.* gets binance data, forbidden for bybit, zero bybit frames even via tob.*.BTC-USDT', async (t) => {
  const gw = await gateway(t, env, {}, protect(HS256));
  const c = await WsTestClient.open(
    gw.port,
    bearer(await token({ sub: 'acct-2', channels: ['tob.binance.*'] })),
  );
  t.after(() => c.close());
  await waitFor(
    () => {
      publishStatus(env.pub, status('BTC-USDT', 'live'));
      publishStatus(env.pub, status('BTC-USDT', 'live', 'bybit'));
      publishStatus(env.pub, status('ETH-USDT', 'live', 'bybit'));
      c.send({ op: 'list', id: 'l' });
      return c.messages.some((m) => m.type === 'list' && m.instruments.some((i) => i.symbol === 'BTC-USDT'));
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'instruments known' },
  );
  // list: only instruments the token may see a channel of
  const lists = c.messages.filter((m): m is ListMessage => m.type === 'list');
  for (const l of lists)
    assert.ok(
      l.instruments.every((i) => i.venue === 'binance'),
      JSON.stringify(l),
    );

  const before = authMetrics.forbiddenCount();
  c.send({
    op: 'subscribe',
    id: 1,
    channels: ['tob.*.BTC-USDT', 'tob.bybit.BTC-USDT', 'status.binance.BTC-USDT'],
  });
  const ack = (await c.waitFor((m) => m.type === 'ack' && m.id === 1, 'ack')) as AckMessage;
  assert.deepEqual(ack.channels, ['tob.binance.BTC-USDT']);
  assert.deepEqual(ack.expanded, { 'tob.*.BTC-USDT': ['tob.binance.BTC-USDT'] });
  const errs = c
    .errors()
    .filter((e) => e.id === 1)
    .map((e) => [e.code, e.channel]);
  assert.deepEqual(errs, [
    ['forbidden', 'tob.bybit.BTC-USDT'],
    ['forbidden', 'status.binance.BTC-USDT'],
  ]);
  assert.equal(authMetrics.forbiddenCount(), before + 2);
  // a wildcard the grant filters to nothing, and a resume position for a refused channel
  c.send({
    op: 'subscribe',
    id: 2,
    channels: ['tob.bybit.*', 'tob.bybit.ETH-USDT'],
    resume: { 'tob.bybit.ETH-USDT': { epoch: 1, seq: 1 } },
  });
  await c.waitFor((m) => m.type === 'ack' && m.id === 2, 'ack 2');
  assert.deepEqual(
    c
      .errors()
      .filter((e) => e.id === 2)
      .map((e) => [e.code, e.channel]),
    [
      ['forbidden', 'tob.bybit.*'],
      ['forbidden', 'tob.bybit.ETH-USDT'],
    ],
  );

  let seq = 0;
  await waitFor(
    () => {
      seq++;
      publishTob(env.pub, tob('BTC-USDT', seq));
      publishTob(env.pub, tob('BTC-USDT', seq, 'bybit'));
      publishTob(env.pub, tob('ETH-USDT', seq, 'bybit'));
      return c.data('tob.binance.BTC-USDT').length >= 3;
    },
    { timeoutMs: 5000, intervalMs: 20, message: 'binance tob delivered' },
  );
  const chans = new Set(c.messages.filter(isData).map((m) => m.ch));
  assert.deepEqual([...chans], ['tob.binance.BTC-USDT']);
  assert.ok(!c.raw.some((r) => r.includes('"ch":"tob.bybit')), 'no bybit frame');

  // GET /api/instruments needs a token when auth is on, and is filtered by it
  assert.equal((await fetch(`http://127.0.0.1:${gw.port}/api/instruments`)).status, 401);
  const res = await fetch(
    `http://127.0.0.1:${gw.port}/api/instruments`,
    bearer(await token({ channels: ['*.bybit.*'] })),
  );
  const body = (await res.json()) as { instruments: { venue: string }[] };
  assert.ok(body.instruments.length >= 2 && body.instruments.every((i) => i.venue === 'bybit'));
});

test('auth refresh: a narrower token ends the channels it no longer grants', async (t) => {
  const gw = await gateway(t, env, {}, protect(HS256));
  const c = await WsTestClient.open(gw.port, bearer(await token({ channels: ['*'] })));
  t.after(() => c.close());
  c.send({ op: 'subscribe', id: 1, channels: ['status.binance.BTC-USDT', 'status.okx.BTC-USDT'] });
  await c.waitFor((m) => m.type === 'ack' && m.id === 1, 'ack');
  c.send({ op: 'auth', id: 2, token: await token({ channels: ['status.binance.*'] }) });
  await c.waitFor((m) => m.type === 'ack' && m.op === 'auth', 'auth ack');
  const err = c.errors().find((e) => e.code === 'forbidden')!;
  assert.equal(err.channel, 'status.okx.BTC-USDT');
  const mark = c.messages.length;
  await waitFor(
    () => {
      publishStatus(env.pub, status('BTC-USDT', 'live'));
      publishStatus(env.pub, status('BTC-USDT', 'live', 'okx'));
      return c.messages.slice(mark).some((m) => isData(m) && m.ch === 'status.binance.BTC-USDT');
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'binance status after refresh' },
  );
  assert.ok(!c.messages.slice(mark).some((m) => isData(m) && m.ch === 'status.okx.BTC-USDT'));
});

test('auth: expired tokens are refused (401 upgrade, unauthorized op); a token that expires closes 4001', async (t) => {
  const gw = await gateway(t, env, {}, protect(HS256));
  const expired = await token({ channels: ['*'] }, -10);
  const r = await WsTestClient.refusal(gw.port, bearer(expired));
  assert.equal(r.status, 401);
  assert.match(String(r.headers['www-authenticate']), /invalid_token/);
  assert.equal((JSON.parse(r.body) as ErrorMessage).code, 'unauthorized');
  const before = authMetrics.resultOf('expired');
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({ op: 'auth', token: expired });
  await c.closed();
  assert.equal(c.closeCode, 4001);
  assert.equal(c.errors()[0]?.code, 'unauthorized');
  assert.ok(authMetrics.resultOf('expired') >= before + 1);

  // exp is whole seconds: a token valid for 1–2 s more
  const short = await new SignJWT({ channels: ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
    .sign(new TextEncoder().encode(SECRET));
  const s = await WsTestClient.open(gw.port, bearer(short));
  t.after(() => s.close());
  s.send({ op: 'subscribe', channels: ['status.binance.BTC-USDT'] });
  await s.closed(4000);
  assert.deepEqual([s.closeCode, s.closeReason], [4001, 'token expired']);
});

test('SSE: 401 without a token, 403 for a channel not granted, 200 with a granted one', async (t) => {
  const gw = await gateway(t, env, {}, protect(HS256));
  const none = await SseTestClient.open(gw.port, 'tob.binance.BTC-USDT');
  await none.waitEnded();
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="tickmesh"');
  assert.equal((JSON.parse(none.body) as ErrorMessage).code, 'unauthorized');

  const jwt = await token({ channels: ['tob.binance.*'] });
  const denied = await SseTestClient.open(
    gw.port,
    'tob.binance.BTC-USDT,tob.bybit.BTC-USDT',
    bearer(jwt).headers,
  );
  await denied.waitEnded();
  assert.equal(denied.status, 403);
  const body = JSON.parse(denied.body) as ErrorMessage;
  assert.deepEqual([body.code, body.channel], ['forbidden', 'tob.bybit.BTC-USDT']);

  const ok = await SseTestClient.open(
    gw.port,
    'tob.binance.BTC-USDT',
    {},
    `&token=${encodeURIComponent(jwt)}`,
  );
  t.after(() => ok.close());
  assert.equal(ok.status, 200);
  await waitFor(
    () => {
      publishTob(env.pub, tob('BTC-USDT', 50));
      return ok.events.some((e) => e.event === 'snapshot' || e.event === 'update');
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'SSE data with a query token' },
  );
});

// ─── (b) rate limits ────────────────────────────────────────────────────────────────────────────

test('connect rate per IP is shared by two gateways through Redis: the 4th upgrade gets 429 + Retry-After', async (t) => {
  const p = protect({ RATE_CONNECT_PER_IP: '3' });
  const a = await gateway(t, env, {}, p);
  const b = await gateway(t, env, {}, p);
  await waitFor(() => a.stats().rateLimiter === 'ready' && b.stats().rateLimiter === 'ready', {
    timeoutMs: 5000,
    message: 'rate limiter Redis ready',
  });
  const before = rateLimitMetrics.limitedOf('connect_ip');
  const fallbacks = rateLimitMetrics.fallbacksOf('ip');
  const c1 = await WsTestClient.open(a.port);
  const c2 = await WsTestClient.open(b.port);
  const c3 = await WsTestClient.open(a.port);
  t.after(() => (c1.close(), c2.close(), c3.close()));
  const r = await WsTestClient.refusal(b.port);
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) >= 1, String(r.headers['retry-after']));
  const body = JSON.parse(r.body) as ErrorMessage;
  assert.equal(body.code, 'rate_limited');
  assert.ok((body.retryAfterMs ?? 0) > 0);
  // SSE counts against the same limit
  const sse = await SseTestClient.open(a.port, 'tob.binance.BTC-USDT');
  await sse.waitEnded();
  assert.equal(sse.status, 429);
  assert.equal(rateLimitMetrics.limitedOf('connect_ip'), before + 2);
  assert.equal(rateLimitMetrics.fallbacksOf('ip'), fallbacks, 'Redis answered every check');
});

test('ops rate: over RATE_OPS_PER_CONN → rate_limited with retryAfterMs, then 4029', async (t) => {
  const gw = await gateway(t, env, {}, protect({ RATE_OPS_PER_CONN: '5', RATE_OPS_BURST: '5' }));
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  for (let i = 0; i < 40; i++) c.send({ op: 'ping', id: i });
  await c.closed();
  assert.equal(c.closeCode, 4029);
  const limited = c.errors().filter((e) => e.code === 'rate_limited');
  assert.ok(limited.length >= 10, `${limited.length} refusals`);
  assert.ok(limited.every((e) => (e.retryAfterMs ?? 0) > 0));
  // each refusal names the refused op, so a client knows which request failed
  const pongIds = new Set(c.messages.filter((m) => m.type === 'pong').map((m) => (m as { id?: number }).id));
  for (const e of limited) {
    assert.equal(typeof e.id, 'number');
    assert.ok(!pongIds.has(e.id as number), `op ${String(e.id)} both answered and refused`);
  }
  const pongs = c.messages.filter((m) => m.type === 'pong').length;
  assert.ok(pongs >= 5 && pongs < 10, `${pongs} pongs (burst 5)`);
  assert.ok(gatewayMetrics.closesOf('ws', 'rate_limited') >= 1);
});

test('Redis down: connects are still admitted by the in-memory limiter, and nothing crashes', async (t) => {
  const redis = await startRedis({ name: 'rl-outage' });
  t.after(() => redis.stop());
  const gw = await gateway(
    t,
    env,
    { redisUrl: redis.url },
    protect({ RATE_CONNECT_PER_IP: '100', RATE_REDIS_TIMEOUT_MS: '50' }),
  );
  const up = await WsTestClient.open(gw.port);
  t.after(() => up.close());
  await redis.stop();
  const fallbacks = rateLimitMetrics.fallbacksOf('ip');
  const clients = await Promise.all([0, 1, 2].map(() => WsTestClient.open(gw.port)));
  t.after(() => clients.forEach((c) => c.close()));
  assert.ok(rateLimitMetrics.fallbacksOf('ip') >= fallbacks + 3, 'answered from memory');
  const sse = await SseTestClient.open(gw.port, 'status.binance.BTC-USDT');
  t.after(() => sse.close());
  assert.equal(sse.status, 200);
  clients[0]!.send({ op: 'subscribe', id: 1, channels: ['tob.binance.SOL-USDT'] });
  await clients[0]!.waitFor((m) => m.type === 'ack', 'ack while Redis is down');
  up.send({ op: 'ping', id: 'p' });
  await up.waitFor((m) => m.type === 'pong', 'old connection still served');
});

// ─── (c) guards ─────────────────────────────────────────────────────────────────────────────────

test('must-subscribe: no subscription within MUST_SUBSCRIBE_MS → 4010; subscribed connections stay', async (t) => {
  const gw = await gateway(t, env, {}, protect({ MUST_SUBSCRIBE_MS: '250' }));
  const idle = await WsTestClient.open(gw.port);
  const busy = await WsTestClient.open(gw.port);
  const quitter = await WsTestClient.open(gw.port);
  t.after(() => (idle.close(), busy.close(), quitter.close()));
  busy.send({ op: 'subscribe', id: 1, channels: ['status.binance.BTC-USDT'] });
  quitter.send({ op: 'subscribe', id: 1, channels: ['status.binance.BTC-USDT'] });
  await quitter.waitFor((m) => m.type === 'ack', 'ack');
  quitter.send({ op: 'unsubscribe', id: 2, channels: ['status.binance.BTC-USDT'] });
  await idle.closed();
  assert.deepEqual([idle.closeCode, idle.closeReason], [4010, 'subscribe timeout']);
  await quitter.closed(); // the guard re-arms after the last unsubscribe
  assert.equal(quitter.closeCode, 4010);
  busy.send({ op: 'ping', id: 'p' });
  await busy.waitFor((m) => m.type === 'pong', 'subscribed connection alive');
  assert.equal(busy.closeCode, undefined);
});

// ─── (d) adaptive snapshot limit ────────────────────────────────────────────────────────────────

test('overload: with the snapshot limit at 1 and Redis paused, extra cold subscriptions get overloaded / 503', async (t) => {
  const redis = await startRedis({ name: 'slow-redis' });
  t.after(() => redis.stop());
  const gw = await gateway(
    t,
    env,
    { redisUrl: redis.url, snapshotTimeoutMs: 3000 },
    protect({
      SNAPSHOT_CONCURRENCY: 'gradient2',
      SNAPSHOT_CONCURRENCY_MIN: '1',
      SNAPSHOT_CONCURRENCY_MAX: '1',
      SNAPSHOT_CONCURRENCY_INITIAL: '1',
      BREAKER_TIMEOUT_MS: '3000',
    }),
  );
  await waitFor(() => health.readiness().components['redis']?.ready === true, {
    timeoutMs: 5000,
    message: 'redis ready',
  });
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  await admin.call('CLIENT', 'PAUSE', '1500', 'ALL'); // every HGETALL hangs until the pause ends
  admin.disconnect();

  c.send({
    op: 'subscribe',
    id: 1,
    channels: ['tob.binance.COLD1-USDT', 'tob.binance.COLD2-USDT', 'status.binance.BTC-USDT'],
  });
  const ack = (await c.waitFor((m) => m.type === 'ack' && m.id === 1, 'ack')) as AckMessage;
  assert.deepEqual(ack.channels, ['tob.binance.COLD1-USDT', 'status.binance.BTC-USDT']);
  const err = c.errors().find((e) => e.id === 1)!;
  assert.deepEqual([err.code, err.channel], ['overloaded', 'tob.binance.COLD2-USDT']);
  assert.ok((err.retryAfterMs ?? 0) > 0);

  const sse = await SseTestClient.open(gw.port, 'tob.binance.COLD3-USDT');
  await sse.waitEnded();
  assert.equal(sse.status, 503);
  assert.equal(sse.headers['retry-after'], '1');
  assert.equal((JSON.parse(sse.body) as ErrorMessage).code, 'overloaded');

  // the read completes after the pause; the permit is back and the retry succeeds
  await waitFor(
    () => {
      c.send({ op: 'subscribe', id: 9, channels: ['tob.binance.COLD2-USDT'] });
      return c.messages.some((m) => m.type === 'ack' && m.id === 9 && m.channels.length === 1);
    },
    { timeoutMs: 6000, intervalMs: 200, message: 'subscribe accepted after the pause' },
  );
});

// ─── (e) circuit breaker ────────────────────────────────────────────────────────────────────────

function breakerGauge(): number | undefined {
  const m = /tickmesh_gateway_breaker_state\{breaker="redis_snapshot"\} (\d+)/.exec(metrics.render());
  return m === null ? undefined : Number(m[1]);
}

test('breaker: Redis down → the last value serves the snapshot (fallback), breaker open; Redis back → closed', async (t) => {
  const redis = await startRedis({ name: 'breaker-redis' });
  t.after(() => redis.stop());
  const gw = await gateway(
    t,
    env,
    { redisUrl: redis.url, snapshotTimeoutMs: 200 },
    protect({ BREAKER_FAILURES: '1', BREAKER_HALF_OPEN_MS: '300', BREAKER_TIMEOUT_MS: '200' }),
  );
  await waitFor(() => health.readiness().components['redis']?.ready === true, {
    timeoutMs: 5000,
    message: 'redis ready',
  });
  await seedRedis(redis.url, tob('DOT-USDT', 7));
  const a = await WsTestClient.open(gw.port);
  a.send({ op: 'subscribe', channels: ['tob.binance.DOT-USDT'] });
  const first = (await a.waitFor(isDataOf('tob.binance.DOT-USDT'), 'snapshot from Redis')) as DataMessage;
  a.close(); // linger 0: the channel is dropped, its value kept for the breaker
  await waitFor(() => gw.stats().channels === 0, { timeoutMs: 5000, message: 'channel dropped' });

  await redis.stop();
  await waitFor(() => health.readiness().components['redis']?.ready === false, {
    timeoutMs: 5000,
    message: 'redis down',
  });
  const hits = breakerMetrics.fallbacksOf('redis_snapshot', 'hit');
  const opened = breakerMetrics.transitionsOf('redis_snapshot', 'open');
  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', channels: ['tob.binance.DOT-USDT'] });
  const snap = (await b.waitFor(isDataOf('tob.binance.DOT-USDT'), 'fallback snapshot')) as DataMessage;
  assert.equal(snap.type, 'snapshot');
  assert.deepEqual(snap.data, first.data, 'the last value, exact decimal text');
  assert.equal(breakerMetrics.fallbacksOf('redis_snapshot', 'hit'), hits + 1);
  assert.equal(breakerMetrics.transitionsOf('redis_snapshot', 'open'), opened + 1);
  assert.equal(breakerGauge(), 1);

  await redis.restart();
  await waitFor(() => health.readiness().components['redis']?.ready === true, {
    timeoutMs: 5000,
    message: 'redis back',
  });
  await seedRedis(redis.url, tob('LINK-USDT', 3));
  // after BREAKER_HALF_OPEN_MS the next read is the trial; it succeeds and closes the breaker
  await waitFor(
    () => {
      if (b.data('tob.binance.LINK-USDT').length === 0) {
        b.send({ op: 'unsubscribe', channels: ['tob.binance.LINK-USDT'] });
        b.send({ op: 'subscribe', channels: ['tob.binance.LINK-USDT'] });
      }
      return breakerGauge() === 0 && b.data('tob.binance.LINK-USDT').length > 0;
    },
    { timeoutMs: 5000, intervalMs: 100, message: 'breaker closed and a live read served' },
  );
});

function isDataOf(ch: string) {
  return (m: { type: string }): boolean => isData(m) && m.ch === ch;
}

// ─── (f) fuzz with auth on ──────────────────────────────────────────────────────────────────────

/** mulberry32, seeded: a failing run replays with FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: mutated valid ops (auth on) get known error codes or documented closes; the gateway stays up', async (t) => {
  const gw = await gateway(t, env, { maxInboundBytes: 2048 }, protect({ ...HS256, AUTH_TIMEOUT_MS: '5000' }));
  const jwt = await token({ sub: 'fuzz', channels: ['*.binance.*'] });
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const rand = prng(seed);
  const valid = [
    { op: 'subscribe', id: 1, channels: ['tob.binance.BTC-USDT', 'tob.*.BTC-USDT'], depth: 10 },
    {
      op: 'subscribe',
      id: 2,
      channels: ['book.binance.BTC-USDT'],
      resume: { 'book.binance.BTC-USDT': { epoch: 1, seq: 2 } },
    },
    { op: 'unsubscribe', id: 3, channels: ['tob.binance.BTC-USDT'] },
    { op: 'ping', id: 'p' },
    { op: 'list', id: 4 },
    { op: 'auth', id: 5, token: jwt },
  ].map((o) => JSON.stringify(o));
  const mutate = (s: string): string | Buffer => {
    const b = Buffer.from(s);
    switch (Math.floor(rand() * 6)) {
      case 0: // flip a byte
        b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        return b.toString('latin1');
      case 1: // truncate
        return s.slice(0, Math.floor(rand() * s.length));
      case 2: // insert random bytes (often invalid UTF-8 → 1007)
        return Buffer.concat([b.subarray(0, 5), randomBytes(1 + Math.floor(rand() * 8)), b.subarray(5)]);
      case 3: // oversize (→ 1009)
        return s.replace('"id"', `"x":"${'y'.repeat(2100)}","id"`);
      case 4: // swap a value's type
        return s.replace(
          /"channels":\[[^\]]*\]/,
          pick(['"channels":7', '"channels":[null]', '"channels":[]']),
        );
      default: // the op name
        return s.replace(/"op":"[a-z]+"/, `"op":"${pick(['auth', 'subscribe', 'AUTH', '', 'list '])}"`);
    }
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const known = new Set<string>(ERROR_CODES);
  const documented = new Set([1007, 1009, 4001, 4029, 1000]);
  let c = await WsTestClient.open(gw.port, bearer(jwt));
  const all: WsTestClient[] = [c];
  t.after(() => all.forEach((x) => x.close()));
  for (let i = 0; i < 250; i++) {
    if (c.closeCode !== undefined || c.ws.readyState !== c.ws.OPEN) {
      await c.closed();
      assert.ok(documented.has(c.closeCode!), `close ${c.closeCode} ${c.closeReason}`);
      c = await WsTestClient.open(gw.port, bearer(jwt));
      all.push(c);
    }
    const frame = mutate(pick(valid));
    // bytes go out as text frames mostly (invalid UTF-8 → 1007), sometimes as binary (bad_request)
    if (Buffer.isBuffer(frame)) c.ws.send(frame, { binary: rand() < 0.3 });
    else c.send(frame);
    // a ping after each frame: its pong (or the close) says the frame was fully handled
    c.send({ op: 'ping', id: `sync-${i}` });
    await waitFor(
      () => c.closeCode !== undefined || c.messages.some((m) => m.type === 'pong' && m.id === `sync-${i}`),
      {
        timeoutMs: 5000,
        intervalMs: 2,
        message: 'sync ping',
      },
    );
  }
  const codes = new Map<string, number>();
  for (const x of all)
    for (const e of x.errors()) {
      assert.ok(known.has(e.code), `unknown error code ${e.code}`);
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
  const closes = all.map((x) => x.closeCode).filter((x) => x !== undefined);
  t.diagnostic(
    `${all.length} connections, closes ${JSON.stringify(closes)}, errors ${JSON.stringify([...codes])}`,
  );
  assert.ok((codes.get('bad_request') ?? 0) > 0, 'malformed ops were answered');
  const last = await WsTestClient.open(gw.port, bearer(jwt));
  all.push(last);
  last.send({ op: 'subscribe', id: 'after', channels: ['status.binance.BTC-USDT'] });
  const ack = (await last.waitFor(
    (m) => m.type === 'ack' && m.id === 'after',
    'ack after fuzz',
  )) as AckMessage;
  assert.deepEqual(ack.channels, ['status.binance.BTC-USDT']);
});
