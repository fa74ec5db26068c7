/**
 * SSE carries the same data messages as WebSocket (same JSON text), with `event:` and
 * `id: <ch>:<epoch>:<seq>`, heartbeats, and HTTP 400 answers for bad channel lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectFor, type DataMessage, type ErrorMessage } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { publishTob, seedRedis, serverSubjects, tob } from './support/fixtures';
import { gateway, useServers } from './support/servers';
import { SseTestClient } from './support/sse-client';
import { WsTestClient } from './support/ws-client';

const env = useServers();

test('SSE receives the same snapshot and update payloads as WebSocket, with ids', async (t) => {
  const gw = await gateway(t, env, { heartbeatMs: 100 });
  const ch = 'tob.binance.ADA-USDT';
  await seedRedis(env.redis.url, tob('ADA-USDT', 50));
  const ws = await WsTestClient.open(gw.port);
  ws.send({ op: 'subscribe', channels: [ch] });
  await ws.waitFor((m) => m.type === 'snapshot', 'ws snapshot');
  const sse = await SseTestClient.open(gw.port, `${ch}`);
  t.after(() => (ws.close(), sse.close()));
  assert.equal(sse.status, 200);
  assert.equal(sse.headers['content-type'], 'text/event-stream');
  assert.equal(sse.headers['cache-control'], 'no-cache');
  assert.equal(sse.headers['x-accel-buffering'], 'no');

  const [welcome] = await sse.waitEvents((e) => e.event === 'welcome', 1, 'welcome');
  assert.equal((JSON.parse(welcome!.data) as { protocol: number }).protocol, 1);
  const [snap] = await sse.waitEvents((e) => e.event === 'snapshot', 1, 'snapshot');
  const snapMsg = JSON.parse(snap!.data) as DataMessage;
  assert.equal(snap!.id, `${ch}:${snapMsg.epoch}:${snapMsg.seq}`);
  assert.equal(
    snap!.data,
    ws.raw.find((r) => r.startsWith('{"type":"snapshot"')),
    'same snapshot JSON',
  );

  await waitFor(async () =>
    (await serverSubjects(env.nats.monitorUrl!, gw.natsName)).includes(
      subjectFor('tob', 'binance', 'ADA-USDT'),
    ),
  );
  for (let s = 51; s <= 60; s++) publishTob(env.pub, tob('ADA-USDT', s));
  const updates = await sse.waitEvents((e) => e.event === 'update', 10, 'updates');
  await ws.waitCount((m) => m.type === 'update', 10, 'ws updates');
  assert.deepEqual(
    updates.map((e) => e.data),
    ws.raw.filter((r) => r.startsWith('{"type":"update"')),
  );
  assert.deepEqual(
    updates.map((e) => e.id),
    updates.map((e, i) => `${ch}:${snapMsg.epoch}:${snapMsg.seq + 1 + i}`),
  );
  await waitFor(() => sse.comments.some((c) => /^: hb \d+$/.test(c)), { message: 'heartbeat comment' });
});

test('SSE rejects bad channel lists with HTTP 400 and the WebSocket error codes', async (t) => {
  const gw = await gateway(t, env, { maxSubscriptions: 2 });
  const cases: [string, string][] = [
    ['', 'bad_request'],
    ['tob.binance.BTC-USDT,nonsense', 'invalid_channel'],
    ['tob.binance.BTC-USDT,tob.okx.BTC-USDT,tob.kraken.BTC-USD', 'too_many_subscriptions'],
  ];
  for (const [channels, code] of cases) {
    const c = await SseTestClient.open(gw.port, channels);
    await c.waitEnded();
    assert.equal(c.status, 400, channels);
    const body = JSON.parse(c.body) as ErrorMessage;
    assert.equal(body.type, 'error');
    assert.equal(body.code, code, channels);
  }
  assert.equal(gw.stats().channels, 0, 'nothing was subscribed');
});

test('closing the SSE response leaves its channels', async (t) => {
  const gw = await gateway(t, env);
  const sse = await SseTestClient.open(gw.port, 'status.binance.DOGE-USDT');
  await waitFor(() => gw.stats().channels === 1);
  sse.close();
  await waitFor(() => gw.stats().channels === 0 && gw.stats().sseConnections === 0, {
    message: 'channel released',
  });
});
