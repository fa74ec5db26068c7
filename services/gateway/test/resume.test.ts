/**
 * Resume: a client that reconnects with its last (epoch, seq) per channel gets `resumed` and
 * exactly the updates it missed, or `not_recovered` and a fresh snapshot; never a gap or a
 * duplicate. Channels linger after their last subscriber (CHANNEL_LINGER_MS) so a reconnect can
 * resume; SSE resumes from `Last-Event-ID`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectFor, type DataMessage } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { publishTob, serverSubjects, tob } from './support/fixtures';
import { gateway, useServers, type TestGateway } from './support/servers';
import { SseTestClient } from './support/sse-client';
import { WsTestClient } from './support/ws-client';

const env = useServers();

async function natsInterest(gw: TestGateway, subject: string): Promise<void> {
  await waitFor(async () => (await serverSubjects(env.nats.monitorUrl!, gw.natsName)).includes(subject), {
    timeoutMs: 5000,
    message: `NATS subscription ${subject}`,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Subscribes, publishes seq 1..n and waits for the snapshot plus n-1 updates. */
async function subscribed(gw: TestGateway, ch: string, symbol: string, n: number): Promise<WsTestClient> {
  const c = await WsTestClient.open(gw.port);
  c.send({ op: 'subscribe', channels: [ch] });
  await natsInterest(gw, subjectFor('tob', 'binance', symbol));
  for (let s = 1; s <= n; s++) publishTob(env.pub, tob(symbol, s));
  await c.waitCount((m) => m.type === 'snapshot' || m.type === 'update', n, 'first messages');
  return c;
}

function last(c: WsTestClient, ch: string): DataMessage {
  const d = c.data(ch);
  return d[d.length - 1]!;
}

test('resume across a killed socket: the union of seqs is contiguous, without duplicates', async (t) => {
  const gw = await gateway(t, env, { channelLingerMs: 5000 });
  const ch = 'tob.binance.BTC-USDT';
  const a = await subscribed(gw, ch, 'BTC-USDT', 1);
  const epoch = a.data(ch)[0]!.epoch;

  // A stream of updates; the socket dies in the middle of it.
  let publishing = true;
  const stream = (async () => {
    for (let s = 2; s <= 400; s++) {
      publishTob(env.pub, tob('BTC-USDT', s));
      if (s % 10 === 0) await sleep(2);
    }
    publishing = false;
  })();
  await a.waitCount((m) => m.type === 'update', 50, 'updates before the kill');
  a.ws.terminate();
  await a.closed();
  assert.ok(publishing, 'the socket died mid-stream');
  const before = a.data(ch);
  const pos = before[before.length - 1]!;

  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', id: 1, channels: [ch], resume: { [ch]: { epoch, seq: pos.seq } } });
  await stream;
  await b.waitFor((m) => (m.type === 'update' || m.type === 'snapshot') && m.seq === 400, 'the last update');

  const resumed = b.messages.find((m) => m.type === 'resumed');
  assert.ok(resumed !== undefined && resumed.type === 'resumed');
  assert.equal(resumed.ch, ch);
  assert.equal(resumed.epoch, epoch);
  assert.equal(resumed.from, pos.seq + 1);
  assert.ok(resumed.to >= pos.seq);
  const types = b.messages.map((m) => m.type);
  assert.ok(types.indexOf('ack') < types.indexOf('resumed'), 'ack, then resumed');
  assert.equal(b.data(ch).filter((m) => m.type === 'snapshot').length, 0, 'no snapshot on resume');

  const seqs = [...before, ...b.data(ch)].map((m) => m.seq);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => seqs[0]! + i),
    'contiguous, no duplicates',
  );
  assert.equal(seqs[seqs.length - 1], 400);
  assert.ok(b.data(ch).every((m) => m.epoch === epoch));
});

test('a resume with nothing missed gets an empty resumed range, then live updates', async (t) => {
  const gw = await gateway(t, env, { channelLingerMs: 5000 });
  const ch = 'tob.binance.XRP-USDT';
  const a = await subscribed(gw, ch, 'XRP-USDT', 3);
  const pos = last(a, ch);
  a.close();
  await a.closed();
  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', channels: [ch], resume: { [ch]: { epoch: pos.epoch, seq: pos.seq } } });
  await b.waitFor((m) => m.type === 'resumed', 'resumed');
  publishTob(env.pub, tob('XRP-USDT', 4));
  const u = await b.waitFor((m) => m.type === 'update', 'live update');
  assert.deepEqual(
    b.messages.find((m) => m.type === 'resumed'),
    { type: 'resumed', ch, epoch: pos.epoch, from: pos.seq + 1, to: pos.seq },
  );
  assert.equal(u.type === 'update' && u.seq, pos.seq + 1);
});

test('not_recovered "epoch changed" after the linger expired, then a fresh snapshot', async (t) => {
  const gw = await gateway(t, env, { channelLingerMs: 50 });
  const ch = 'tob.binance.LTC-USDT';
  const a = await subscribed(gw, ch, 'LTC-USDT', 3);
  const pos = last(a, ch);
  a.close();
  await waitFor(() => gw.stats().channels === 0, {
    timeoutMs: 5000,
    message: 'channel dropped after linger',
  });

  const b = await WsTestClient.open(gw.port);
  t.after(() => b.close());
  b.send({ op: 'subscribe', channels: [ch], resume: { [ch]: { epoch: pos.epoch, seq: pos.seq } } });
  await b.waitFor((m) => m.type === 'not_recovered', 'not_recovered');
  await natsInterest(gw, subjectFor('tob', 'binance', 'LTC-USDT'));
  publishTob(env.pub, tob('LTC-USDT', 4));
  const snap = await b.waitFor((m) => m.type === 'snapshot', 'fresh snapshot');
  assert.deepEqual(
    b.messages.find((m) => m.type === 'not_recovered'),
    {
      type: 'not_recovered',
      ch,
      reason: 'epoch changed',
    },
  );
  assert.ok(snap.type === 'snapshot' && snap.epoch !== pos.epoch);
  assert.equal(b.messages.filter((m) => m.type === 'resumed').length, 0);
});

test('not_recovered "too old" when the history no longer holds every missed update', async (t) => {
  const gw = await gateway(t, env, { channelLingerMs: 5000, historySize: 5 });
  const ch = 'tob.binance.DOGE-USDT';
  const keeper = await subscribed(gw, ch, 'DOGE-USDT', 2);
  t.after(() => keeper.close());
  const pos = last(keeper, ch); // seq 2
  for (let s = 3; s <= 12; s++) publishTob(env.pub, tob('DOGE-USDT', s));
  await keeper.waitFor((m) => m.type === 'update' && m.seq === 12, 'seq 12');

  // 10 missed, 5 kept: no partial replay.
  const old = await WsTestClient.open(gw.port);
  t.after(() => old.close());
  old.send({ op: 'subscribe', channels: [ch], resume: { [ch]: { epoch: pos.epoch, seq: pos.seq } } });
  const snap = await old.waitFor((m) => m.type === 'snapshot', 'snapshot');
  assert.deepEqual(
    old.messages.find((m) => m.type === 'not_recovered'),
    {
      type: 'not_recovered',
      ch,
      reason: 'too old',
    },
  );
  assert.ok(snap.type === 'snapshot' && snap.seq === 12 && snap.epoch === pos.epoch);
  assert.equal(old.data(ch).length, 1, 'only the snapshot');

  // 4 missed, 5 kept: the exact tail, same bytes as live.
  const recent = await WsTestClient.open(gw.port);
  t.after(() => recent.close());
  recent.send({ op: 'subscribe', channels: [ch], resume: { [ch]: { epoch: pos.epoch, seq: 8 } } });
  await recent.waitCount((m) => m.type === 'update', 4, 'replay 9..12');
  assert.deepEqual(
    recent.data(ch).map((m) => m.seq),
    [9, 10, 11, 12],
  );
  const replayRaw = recent.raw.filter((r) => r.startsWith('{"type":"update"'));
  const liveRaw = keeper.raw.filter((r) => r.startsWith('{"type":"update"')).slice(-4);
  assert.deepEqual(replayRaw, liveRaw, 'identical bytes');

  // A position ahead of the channel cannot be honoured either.
  const ahead = await WsTestClient.open(gw.port);
  t.after(() => ahead.close());
  ahead.send({ op: 'subscribe', channels: [ch], resume: { [ch]: { epoch: pos.epoch, seq: 99 } } });
  await ahead.waitFor((m) => m.type === 'snapshot', 'snapshot');
  assert.deepEqual(
    ahead.messages.find((m) => m.type === 'not_recovered'),
    {
      type: 'not_recovered',
      ch,
      reason: 'unknown position',
    },
  );
});

test('SSE resumes from Last-Event-ID (header, or the lastEventId query parameter)', async (t) => {
  const gw = await gateway(t, env, { channelLingerMs: 5000 });
  const ch = 'tob.binance.ETC-USDT';
  const keeper = await subscribed(gw, ch, 'ETC-USDT', 3);
  t.after(() => keeper.close());
  const first = await SseTestClient.open(gw.port, ch);
  await first.waitEvents((e) => e.event === 'snapshot', 1, 'snapshot');
  for (let s = 4; s <= 6; s++) publishTob(env.pub, tob('ETC-USDT', s));
  const got = await first.waitEvents((e) => e.event === 'update', 3, 'updates');
  first.close();
  const lastId = got[got.length - 1]!.id!; // seq 6
  for (let s = 7; s <= 9; s++) publishTob(env.pub, tob('ETC-USDT', s));
  await keeper.waitFor((m) => m.type === 'update' && m.seq === 9, 'seq 9');

  const again = await SseTestClient.open(gw.port, ch, { 'Last-Event-ID': lastId });
  t.after(() => again.close());
  const [resumed] = await again.waitEvents((e) => e.event === 'resumed', 1, 'resumed');
  const epoch = Number(lastId.split(':')[1]);
  assert.deepEqual(JSON.parse(resumed!.data), { type: 'resumed', ch, epoch, from: 7, to: 9 });
  const replay = await again.waitEvents((e) => e.event === 'update', 3, 'replayed updates');
  assert.deepEqual(
    replay.map((e) => e.id),
    [7, 8, 9].map((s) => `${ch}:${epoch}:${s}`),
  );
  assert.equal(again.events.filter((e) => e.event === 'snapshot').length, 0);

  // Query fallback, composite form: this channel is resumed, an unknown position is not.
  const other = 'tob.binance.BCH-USDT';
  const q = await SseTestClient.open(
    gw.port,
    `${ch},${other}`,
    {},
    `&lastEventId=${encodeURIComponent(`${ch}:${epoch}:8,${other}:1:1`)}`,
  );
  t.after(() => q.close());
  const [r2] = await q.waitEvents((e) => e.event === 'resumed', 1, 'resumed');
  assert.deepEqual(JSON.parse(r2!.data), { type: 'resumed', ch, epoch, from: 9, to: 9 });
  const [nr] = await q.waitEvents((e) => e.event === 'not_recovered', 1, 'not_recovered');
  assert.deepEqual(JSON.parse(nr!.data), { type: 'not_recovered', ch: other, reason: 'epoch changed' });
});
