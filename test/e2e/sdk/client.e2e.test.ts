/**
 * The client against the real gateway (in-process), NATS and Redis: subscribe and receive,
 * several handlers per channel, unsubscribe, errors, ping, streams, and reconnection across a
 * gateway restart on the same port with a fresh snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { TobData } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import {
  TickmeshClient,
  TickmeshError,
  type ClientState,
  type DataMessage,
  type GapEvent,
} from '@tickmesh/client';
import { publishTob, seedRedis, startTestGateway, tob, useServers } from './gateway-env';

const env = useServers();

function client(port: number): TickmeshClient {
  return new TickmeshClient({
    url: `ws://127.0.0.1:${port}/ws`,
    WebSocket,
    reconnect: { baseMs: 20, capMs: 200 },
  });
}

/** Publishes one update at a time until `done()`: the gateway's NATS interest is asynchronous. */
async function publishUntil(symbol: string, from: number, done: () => boolean): Promise<number> {
  let seq = from;
  await waitFor(
    () => {
      if (!done()) publishTob(env, tob(symbol, seq++));
      return done();
    },
    { intervalMs: 10, message: `${symbol} delivered` },
  );
  return seq;
}

test('subscribe resolves on ack and delivers the snapshot then updates, typed by channel kind', async (t) => {
  const gw = await startTestGateway(env);
  t.after(() => gw.close());
  await seedRedis(env, tob('BTC-USDT', 10));
  const c = client(gw.port);
  t.after(() => c.close());
  await c.connect();
  assert.equal(c.state, 'open');

  const got: DataMessage<TobData>[] = [];
  const gaps: GapEvent[] = [];
  c.on('gap', (g) => gaps.push(g));
  const sub = await c.subscribe('tob.binance.BTC-USDT', (m) => got.push(m));
  assert.equal(sub.channel, 'tob.binance.BTC-USDT');
  await waitFor(() => got.length === 1, { message: 'snapshot' });
  assert.equal(got[0]!.type, 'snapshot');
  assert.equal(got[0]!.data.bidPx, '110.00'); // TobData, from Redis
  await publishUntil('BTC-USDT', 11, () => got.length >= 4);
  assert.deepEqual(
    got.slice(1).map((m) => [m.type, m.seq - got[0]!.seq]),
    got.slice(1).map((_, i) => ['update', i + 1]),
  );
  assert.deepEqual(gaps, []);
  assert.ok((await c.ping()) >= 0);
});

test('a refused channel rejects subscribe with the gateway error code', async (t) => {
  const gw = await startTestGateway(env);
  t.after(() => gw.close());
  const c = client(gw.port);
  t.after(() => c.close());
  await c.connect();
  await assert.rejects(
    c.subscribe('nonsense', () => undefined),
    (err: unknown) => {
      assert.ok(err instanceof TickmeshError);
      assert.equal(err.code, 'invalid_channel');
      assert.equal(err.channel, 'nonsense');
      return true;
    },
  );
});

test('handlers share one server subscription; the last unsubscribe ends it', async (t) => {
  const gw = await startTestGateway(env);
  t.after(() => gw.close());
  const c = client(gw.port);
  t.after(() => c.close());
  await c.connect();
  const a: DataMessage[] = [];
  const b: DataMessage[] = [];
  const subA = await c.subscribe('tob.binance.ETH-USDT', (m) => a.push(m));
  const next = await publishUntil('ETH-USDT', 1, () => a.length >= 1);
  const subB = await c.subscribe('tob.binance.ETH-USDT', (m) => b.push(m));
  assert.equal(b[0]?.type, 'snapshot', 'a late handler starts from a snapshot');
  assert.equal(b[0]?.seq, a.at(-1)!.seq);

  await subA.unsubscribe();
  const countA = a.length;
  await publishUntil('ETH-USDT', next, () => b.length >= 3);
  assert.equal(a.length, countA, 'no delivery after unsubscribe');
  assert.equal(gw.stats().channels, 1);
  await subB.unsubscribe();
  await waitFor(() => gw.stats().channels === 0, { message: 'gateway channel released' });
});

test('stream() iterates messages and unsubscribes when the loop ends', async (t) => {
  const gw = await startTestGateway(env);
  t.after(() => gw.close());
  const c = client(gw.port);
  t.after(() => c.close());
  await c.connect();
  const seen: number[] = [];
  let stop = false;
  const pub = publishUntil('SOL-USDT', 1, () => stop);
  for await (const m of c.stream('tob.binance.SOL-USDT')) {
    seen.push(m.seq);
    if (seen.length === 3) break;
  }
  stop = true;
  await pub;
  assert.equal(seen.length, 3);
  assert.deepEqual(seen, [seen[0]!, seen[0]! + 1, seen[0]! + 2]);
  await waitFor(() => gw.stats().channels === 0, { message: 'stream unsubscribed' });
});

test('after a gateway restart on the same port the client reconnects and gets a fresh snapshot', async (t) => {
  const first = await startTestGateway(env);
  const port = first.port;
  await seedRedis(env, tob('XRP-USDT', 5));
  const c = client(port);
  t.after(() => c.close());
  const states: ClientState[] = [];
  c.on('state', (s) => states.push(s));
  const gaps: GapEvent[] = [];
  c.on('gap', (g) => gaps.push(g));
  await c.connect();
  const got: DataMessage<TobData>[] = [];
  await c.subscribe('tob.binance.XRP-USDT', (m) => got.push(m));
  await waitFor(() => got.length === 1, { message: 'first snapshot' });

  await first.close();
  await waitFor(() => c.state === 'reconnecting', { message: 'client noticed the restart' });
  await seedRedis(env, tob('XRP-USDT', 6));
  const second = await startTestGateway(env, { gatewayPort: port });
  t.after(() => second.close());
  await waitFor(() => got.length === 2, { timeoutMs: 10_000, message: 'snapshot after reconnect' });
  assert.equal(got[1]!.type, 'snapshot');
  assert.equal(got[1]!.data.seq, 6, 'the new gateway read Redis');
  assert.notEqual(got[1]!.epoch, got[0]!.epoch, 'a new sequence space');
  assert.equal(c.state, 'open');
  assert.deepEqual(states.slice(0, 2), ['connecting', 'open']);
  assert.ok(states.includes('reconnecting'));
  assert.equal(states.at(-1), 'open');

  await publishUntil('XRP-USDT', 7, () => got.length >= 3);
  assert.deepEqual([got[2]!.type, got[2]!.seq], ['update', got[1]!.seq + 1]);
  assert.deepEqual(gaps, []);

  c.close();
  assert.equal(c.state, 'closed');
  await assert.rejects(c.ping(), (e: unknown) => e instanceof TickmeshError && e.code === 'disconnected');
});
