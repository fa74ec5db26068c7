/**
 * Channel delivery over WebSocket against real NATS and Redis: snapshot then updates, per-channel
 * seq, one serialization shared by all subscribers, and NATS interest that follows subscriptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectFor, type AckMessage, type DataMessage, type TobData } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { publishStatus, publishTob, seedRedis, serverSubjects, status, tob } from './support/fixtures';
import { gateway, useServers, type TestGateway } from './support/servers';
import { WsTestClient } from './support/ws-client';

const env = useServers();

async function natsInterest(gw: TestGateway, subject: string, present: boolean): Promise<void> {
  await waitFor(
    async () => (await serverSubjects(env.nats.monitorUrl!, gw.natsName)).includes(subject) === present,
    {
      timeoutMs: 5000,
      message: `NATS subscription ${subject} ${present ? 'present' : 'removed'} for ${gw.natsName}`,
    },
  );
}

test('subscribe answers with the Redis snapshot, then NATS updates with seq +1 each', async (t) => {
  const gw = await gateway(t, env);
  const ch = 'tob.binance.BTC-USDT';
  const { type: _type, ...stored } = tob('BTC-USDT', 100);
  await seedRedis(env.redis.url, { type: 'tob', ...stored });
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());

  c.send({ op: 'subscribe', id: 1, channels: [ch] });
  const ack = (await c.waitFor((m) => m.type === 'ack', 'ack')) as AckMessage;
  assert.deepEqual(ack, { type: 'ack', id: 1, op: 'subscribe', channels: [ch] });
  const snap = (await c.waitFor((m) => m.type === 'snapshot', 'snapshot')) as DataMessage<TobData>;
  assert.equal(snap.ch, ch);
  assert.deepEqual(snap.data, stored);
  assert.ok(Number.isInteger(snap.epoch) && snap.epoch > 0);
  assert.ok(c.messages.indexOf(ack) < c.messages.indexOf(snap), 'ack precedes the snapshot');

  await natsInterest(gw, subjectFor('tob', 'binance', 'BTC-USDT'), true);
  publishTob(env.pub, tob('BTC-USDT', 100)); // the book position Redis already had: not an update
  for (let s = 101; s <= 130; s++) publishTob(env.pub, tob('BTC-USDT', s));
  await c.waitCount((m) => m.type === 'update', 30, 'updates');

  const updates = c.data(ch).filter((m) => m.type === 'update') as DataMessage<TobData>[];
  assert.deepEqual(
    updates.map((m) => m.seq),
    Array.from({ length: 30 }, (_, i) => snap.seq + 1 + i),
  );
  assert.ok(updates.every((m) => m.epoch === snap.epoch));
  assert.deepEqual(
    updates.map((m) => m.data.seq),
    Array.from({ length: 30 }, (_, i) => 101 + i),
  );
  assert.equal(c.raw.at(-1), JSON.stringify(updates.at(-1)), 'frame layout is {type,ch,seq,epoch,data}');
});

test('two clients on one channel receive byte-identical frames', async (t) => {
  const gw = await gateway(t, env);
  const ch = 'tob.binance.ETH-USDT';
  const a = await WsTestClient.open(gw.port);
  const b = await WsTestClient.open(gw.port);
  t.after(() => (a.close(), b.close()));
  a.send({ op: 'subscribe', channels: [ch] });
  b.send({ op: 'subscribe', channels: [ch] });
  await a.waitFor((m) => m.type === 'ack', 'ack a');
  await b.waitFor((m) => m.type === 'ack', 'ack b');
  await natsInterest(gw, subjectFor('tob', 'binance', 'ETH-USDT'), true);

  for (let s = 1; s <= 20; s++) publishTob(env.pub, tob('ETH-USDT', s));
  const isData = (m: { type: string }): boolean => m.type === 'snapshot' || m.type === 'update';
  await a.waitCount(isData, 20, 'data a');
  await b.waitCount(isData, 20, 'data b');
  const frames = (c: WsTestClient): string[] => c.raw.filter((r) => r.includes(`"ch":"${ch}"`));
  assert.deepEqual(frames(a), frames(b));
  // No Redis value: the first update became the snapshot, and seq continues from it.
  const seqs = a.data(ch).map((m) => [m.type, m.seq]);
  assert.deepEqual(seqs[0], ['snapshot', 1]);
  assert.deepEqual(seqs[1], ['update', 2]);
});

test('unsubscribe stops delivery and the NATS subscription goes with the last subscriber', async (t) => {
  const gw = await gateway(t, env);
  const ch = 'tob.okx.SOL-USDT';
  const subject = subjectFor('tob', 'okx', 'SOL-USDT');
  const a = await WsTestClient.open(gw.port);
  const b = await WsTestClient.open(gw.port);
  t.after(() => (a.close(), b.close()));
  a.send({ op: 'subscribe', channels: [ch] });
  b.send({ op: 'subscribe', channels: [ch] });
  await natsInterest(gw, subject, true);
  publishTob(env.pub, tob('SOL-USDT', 1, 'okx'));
  await a.waitFor((m) => m.type === 'snapshot', 'snapshot a');
  await b.waitFor((m) => m.type === 'snapshot', 'snapshot b');

  a.send({ op: 'unsubscribe', id: 'u1', channels: [ch] });
  await a.waitFor((m) => m.type === 'ack' && m.op === 'unsubscribe', 'unsubscribe ack');
  publishTob(env.pub, tob('SOL-USDT', 2, 'okx'));
  await b.waitFor((m) => m.type === 'update', 'update b');
  assert.equal(a.data(ch).length, 1, 'nothing after the unsubscribe ack');
  assert.deepEqual(gw.stats().natsSubjects, [subject], 'b still holds the interest');

  b.close(); // a socket close leaves its channels like an unsubscribe
  await natsInterest(gw, subject, false);
  assert.equal(gw.stats().channels, 0);

  // A new subscription starts a new sequence space.
  a.send({ op: 'subscribe', channels: [ch] });
  await natsInterest(gw, subject, true);
  publishTob(env.pub, tob('SOL-USDT', 3, 'okx'));
  await a.waitCount((m) => m.type === 'snapshot', 2, 'second snapshot');
  const [first, second] = a.data(ch).filter((m) => m.type === 'snapshot');
  assert.notEqual(first!.epoch, second!.epoch);
});

test('status channels: the snapshot waits for the first status, later joiners get the cached one', async (t) => {
  const gw = await gateway(t, env);
  const ch = 'status.binance.XRP-USDT';
  const a = await WsTestClient.open(gw.port);
  t.after(() => a.close());
  a.send({ op: 'subscribe', id: 5, channels: [ch] });
  await a.waitFor((m) => m.type === 'ack', 'ack');
  await natsInterest(gw, subjectFor('status', 'binance', 'XRP-USDT'), true);
  assert.equal(a.data(ch).length, 0);

  publishStatus(env.pub, status('XRP-USDT', 'snapshotting'));
  publishStatus(env.pub, status('XRP-USDT', 'live'));
  await a.waitCount((m) => m.type === 'snapshot' || m.type === 'update', 2, 'status messages');
  const [snap, upd] = a.data(ch);
  assert.equal(snap!.type, 'snapshot');
  assert.equal((snap!.data as { state: string }).state, 'snapshotting');
  assert.deepEqual([upd!.type, upd!.seq], ['update', snap!.seq + 1]);

  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', channels: [ch] });
  const bSnap = (await b.waitFor((m) => m.type === 'snapshot', 'cached snapshot')) as DataMessage;
  assert.deepEqual([bSnap.seq, bSnap.epoch], [upd!.seq, upd!.epoch]);
  assert.deepEqual(bSnap.data, upd!.data);
});
