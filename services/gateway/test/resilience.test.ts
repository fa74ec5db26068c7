/**
 * Failure behaviour: slow consumers are closed (4008 / ended stream) instead of buffering without
 * bound or skipping seqs, Redis outages degrade snapshots without errors, dead peers are
 * terminated, and shutdown closes clients with 1012.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectFor, type DataMessage } from '@tickmesh/contracts';
import { health } from '@tickmesh/observability';
import { startRedis, waitFor } from '@tickmesh/test-harness';
import { WebSocket } from 'ws';
import { gatewayMetrics } from '../src/metrics';
import { publishTob, seedRedis, serverSubjects, tob } from './support/fixtures';
import { gateway, useServers, type TestGateway } from './support/servers';
import { SseTestClient } from './support/sse-client';
import { WsTestClient } from './support/ws-client';

const env = useServers();

async function interest(gw: TestGateway, symbol: string): Promise<void> {
  const subject = subjectFor('tob', 'binance', symbol);
  await waitFor(async () => (await serverSubjects(env.nats.monitorUrl!, gw.natsName)).includes(subject), {
    message: `NATS interest in ${subject}`,
  });
}

/**
 * Publishes updates until `done()`, 50 per millisecond: a stream that fills the kernel buffers of a
 * reader that stopped, not a single-turn burst (queuing more than the cap within one event-loop
 * turn closes even a fast reader).
 */
async function flood(symbol: string, done: () => boolean): Promise<void> {
  for (let seq = 1; !done();) {
    if (seq > 200_000) throw new Error('no slow-consumer close after 200k updates');
    for (const end = seq + 50; seq < end; seq++) publishTob(env.pub, tob(symbol, seq));
    await new Promise((r) => setTimeout(r, 1));
  }
}

function assertContiguous(msgs: DataMessage[]): void {
  assert.equal(msgs[0]?.type, 'snapshot');
  msgs.forEach((m, i) => assert.equal(m.seq, msgs[0]!.seq + i, `seq at ${i}`));
}

test('a WebSocket client that stops reading is closed with 4008 after a gap-free prefix', async (t) => {
  const gw = await gateway(t, env, { maxOutboundBytes: 64 * 1024 });
  const ch = 'tob.binance.LTC-USDT';
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({ op: 'subscribe', channels: [ch] });
  await interest(gw, 'LTC-USDT');
  const before = gatewayMetrics.closesOf('ws', 'slow_consumer');
  c.ws.pause();
  await flood('LTC-USDT', () => gatewayMetrics.closesOf('ws', 'slow_consumer') > before);
  c.ws.resume();
  await c.closed();
  assert.equal(c.closeCode, 4008);
  assert.equal(c.closeReason, 'slow consumer');
  assertContiguous(c.data(ch));
  await waitFor(() => gw.stats().channels === 0, { message: 'slow consumer released its channel' });
});

test('an SSE client that stops reading has its response ended', async (t) => {
  const gw = await gateway(t, env, { maxOutboundBytes: 64 * 1024 });
  const ch = 'tob.binance.BCH-USDT';
  const sse = await SseTestClient.open(gw.port, ch);
  t.after(() => sse.close());
  await interest(gw, 'BCH-USDT');
  const before = gatewayMetrics.closesOf('sse', 'slow_consumer');
  sse.pause();
  await flood('BCH-USDT', () => gatewayMetrics.closesOf('sse', 'slow_consumer') > before);
  sse.resume();
  await sse.waitEnded();
  const data = sse.events.filter((e) => e.event !== 'welcome').map((e) => JSON.parse(e.data) as DataMessage);
  assertContiguous(data);
});

test('Redis down at subscribe: the last NATS value serves the snapshot, else the first update does', async (t) => {
  const redis = await startRedis({ name: 'redis-outage' });
  t.after(() => redis.stop());
  const gw = await gateway(t, env, { redisUrl: redis.url, snapshotTimeoutMs: 200 });
  const a = await WsTestClient.open(gw.port);
  t.after(() => a.close());
  a.send({ op: 'subscribe', channels: ['tob.binance.DOT-USDT'] });
  await interest(gw, 'DOT-USDT');
  publishTob(env.pub, tob('DOT-USDT', 1));
  publishTob(env.pub, tob('DOT-USDT', 2));
  await a.waitCount((m) => m.type === 'snapshot' || m.type === 'update', 2, 'DOT data');

  await redis.stop();
  await waitFor(() => health.readiness().components['redis']?.ready === false, {
    message: 'redis not ready',
  });
  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', channels: ['tob.binance.DOT-USDT', 'tob.binance.ATOM-USDT'] });
  const cached = (await b.waitFor((m) => m.type === 'snapshot', 'cached snapshot')) as DataMessage;
  assert.deepEqual(
    [cached.ch, cached.seq, cached.epoch],
    ['tob.binance.DOT-USDT', 2, a.data('tob.binance.DOT-USDT')[1]!.epoch],
  );
  await interest(gw, 'ATOM-USDT');
  assert.equal(b.data('tob.binance.ATOM-USDT').length, 0, 'no value anywhere: wait');
  publishTob(env.pub, tob('ATOM-USDT', 7));
  const first = (await b.waitFor(
    (m) => m.type === 'snapshot' && m.ch === 'tob.binance.ATOM-USDT',
    'first update',
  )) as DataMessage;
  assert.equal(first.seq, 1);

  await redis.restart();
  await waitFor(() => health.readiness().components['redis']?.ready === true, {
    timeoutMs: 10_000,
    message: 'redis back',
  });
  await seedRedis(redis.url, tob('AVAX-USDT', 3));
  b.send({ op: 'subscribe', channels: ['tob.binance.AVAX-USDT'] });
  await b.waitFor(
    (m) => m.type === 'snapshot' && m.ch === 'tob.binance.AVAX-USDT',
    'snapshot from Redis again',
  );
});

test('a connection that stops answering pings is terminated; a live one stays', async (t) => {
  const gw = await gateway(t, env, { wsPingMs: 100 });
  const before = gatewayMetrics.closesOf('ws', 'ping_timeout');
  const live = await WsTestClient.open(gw.port);
  const dead = await WsTestClient.open(gw.port, { autoPong: false });
  t.after(() => (live.close(), dead.close()));
  await dead.closed();
  assert.equal(dead.closeCode, 1006);
  assert.equal(gatewayMetrics.closesOf('ws', 'ping_timeout'), before + 1);
  live.send({ op: 'ping', id: 1 });
  await live.waitFor((m) => m.type === 'pong', 'live connection still served');
});

test('shutdown closes WebSockets with 1012, ends SSE streams and refuses new clients', async (t) => {
  const gw = await gateway(t, env);
  const ws = await WsTestClient.open(gw.port);
  const sse = await SseTestClient.open(gw.port, 'status.binance.BTC-USDT');
  await waitFor(() => gw.stats().sseConnections === 1);
  await gw.close();
  await ws.closed();
  assert.equal(ws.closeCode, 1012);
  await sse.waitEnded();
  assert.equal(health.readiness().components['gateway']?.ready, false);
  const refused = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`);
  const err = await new Promise<Error>((resolve) => refused.on('error', resolve));
  assert.match(err.message, /ECONNREFUSED/);
});
