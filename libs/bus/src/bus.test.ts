import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNats, waitFor } from '@tickmesh/test-harness';
import { encodeJson, type BookDelta, type WireMessage } from '@tickmesh/contracts';
import { metrics } from '@tickmesh/observability';
import { Bus } from './bus';

const delta = (seq: number): BookDelta => ({
  type: 'book.delta',
  venue: 'binance',
  symbol: 'BTC-USDT',
  epoch: 1,
  seq,
  prevSeq: seq - 1,
  venueTs: 1,
  recvTs: 2,
  bids: [['100.10', '1.5']],
  asks: [],
});

test('publishes and receives decoded messages through a real nats-server, in order', async (t) => {
  const nats = await startNats();
  const pub = await Bus.connect({ url: nats.url, name: 'test-pub' });
  const sub = await Bus.connect({ url: nats.url, name: 'test-sub', codec: 'json' });
  t.after(async () => {
    await pub.close();
    await sub.close();
    await nats.stop();
  });
  const got: WireMessage[] = [];
  let probes = 0;
  sub.subscribe('md.v1.book.binance.*', (m) => ((m as BookDelta).seq === 0 ? probes++ : got.push(m)));
  // the subscription is live once a probe (seq 0) round-trips
  await waitFor(
    () => {
      pub.publish('md.v1.book.binance.BTC-USDT', delta(0));
      return probes > 0;
    },
    { timeoutMs: 5000, message: 'subscription live' },
  );
  for (let i = 1; i <= 500; i++) pub.publish('md.v1.book.binance.BTC-USDT', delta(i));
  // a JSON-encoded publisher is understood by the same subscriber
  const jsonPub = await Bus.connect({ url: nats.url, name: 'json-pub', codec: 'json' });
  t.after(() => jsonPub.close());
  jsonPub.publishRaw('md.v1.book.binance.BTC-USDT', encodeJson(delta(501)));
  await waitFor(() => got.length === 501, { timeoutMs: 5000, message: () => `got ${got.length}/501` });
  assert.deepEqual(
    got.map((m) => (m as BookDelta).seq),
    Array.from({ length: 501 }, (_, i) => i + 1),
  );
  assert.deepEqual(got[0], delta(1));
});

test('undecodable payloads are counted and skipped; the subscription keeps working', async (t) => {
  const nats = await startNats();
  const bus = await Bus.connect({ url: nats.url, name: 'test' });
  t.after(async () => {
    await bus.close();
    await nats.stop();
  });
  const errors = metrics.counter('tickmesh_bus_decode_errors_total', '');
  const before = errors.labels().value;
  const got: WireMessage[] = [];
  bus.subscribe('md.v1.book.>', (m) => got.push(m));
  await waitFor(
    () => {
      bus.publish('md.v1.book.binance.BTC-USDT', delta(1));
      return got.length > 0;
    },
    { timeoutMs: 5000 },
  );
  bus.publishRaw('md.v1.book.binance.BTC-USDT', Buffer.from('garbage'));
  bus.publishRaw('md.v1.book.binance.BTC-USDT', Uint8Array.from([0xb7, 2, 1, 9]));
  bus.publish('md.v1.book.binance.BTC-USDT', delta(99));
  await waitFor(() => got.some((m) => (m as BookDelta).seq === 99), { timeoutMs: 5000 });
  assert.equal(errors.labels().value - before, 2);
});

test('starts while NATS is down, drops (and counts) publishes, then connects and recovers after a restart', async (t) => {
  const nats = await startNats();
  await nats.stop();
  const bus = Bus.start({ url: nats.url, name: 'early' });
  t.after(async () => {
    await bus.close();
    await nats.stop();
  });
  assert.equal(bus.state, 'connecting');
  assert.equal(bus.publish('md.v1.book.binance.BTC-USDT', delta(1)), false, 'dropped while down');
  const got: WireMessage[] = [];
  bus.subscribe('md.v1.book.>', (m) => got.push(m)); // registered before the connection exists
  await nats.restart();
  await bus.ready(10_000);
  await waitFor(
    () => {
      bus.publish('md.v1.book.binance.BTC-USDT', delta(2));
      return got.length > 0;
    },
    { timeoutMs: 5000, message: 'subscription made before connect delivers' },
  );

  const states: string[] = [];
  bus.onState((s) => states.push(s));
  await nats.kill();
  await waitFor(() => bus.state === 'reconnecting', { timeoutMs: 5000, message: 'notices the dead server' });
  await nats.restart();
  await waitFor(() => bus.state === 'connected', { timeoutMs: 10_000, message: 'reconnects' });
  got.length = 0;
  await waitFor(
    () => {
      bus.publish('md.v1.book.binance.BTC-USDT', delta(3));
      return got.length > 0;
    },
    { timeoutMs: 5000, message: 'subscription restored after reconnect' },
  );
  assert.deepEqual(states.slice(0, 2), ['reconnecting', 'connected']);
});
