/**
 * Conflation: `conflate_ms` delivers at most one update per channel per interval, always the
 * latest, marked `"conflated":true`; a slow consumer is conflated (latest wins) for
 * SLOW_CONSUMER_GRACE_MS before the 4008 close, and recovers if it reads again in time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectFor, type ConflationMark, type DataMessage } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { gatewayMetrics } from '../src/metrics';
import { publishTob, serverSubjects, tob } from './support/fixtures';
import { gateway, useServers, type TestGateway } from './support/servers';
import { WsTestClient } from './support/ws-client';

const env = useServers();

async function interest(gw: TestGateway, symbol: string): Promise<void> {
  const subject = subjectFor('tob', 'binance', symbol);
  await waitFor(async () => (await serverSubjects(env.nats.monitorUrl!, gw.natsName)).includes(subject), {
    message: `NATS interest in ${subject}`,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Publishes 50 updates per millisecond from `seq` until `done()`; returns the next seq. */
async function flood(symbol: string, seq: number, done: () => boolean): Promise<number> {
  while (!done()) {
    if (seq > 200_000) throw new Error('condition not reached after 200k updates');
    for (const end = seq + 50; seq < end; seq++) publishTob(env.pub, tob(symbol, seq));
    await sleep(1);
  }
  return seq;
}

/** Seqs strictly increase; every step other than +1 is on a message marked conflated. */
function assertHonest(msgs: (DataMessage & ConflationMark)[]): void {
  assert.equal(msgs[0]?.type, 'snapshot');
  for (let i = 1; i < msgs.length; i++) {
    const [prev, m] = [msgs[i - 1]!, msgs[i]!];
    assert.ok(m.seq > prev.seq, `seq increases at ${i}`);
    if (m.seq !== prev.seq + 1) assert.equal(m.conflated, true, `jump at ${i} is marked`);
  }
}

test('conflate_ms: at most one update per interval, always the latest, marked conflated', async (t) => {
  const gw = await gateway(t, env);
  const ch = 'tob.binance.NEAR-USDT';
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  const arrivals: number[] = [];
  c.ws.on('message', (d) => {
    if (String(d).startsWith('{"type":"update"')) arrivals.push(Date.now());
  });
  c.send({ op: 'subscribe', id: 1, channels: [ch], conflate_ms: 100 });
  await interest(gw, 'NEAR-USDT');
  publishTob(env.pub, tob('NEAR-USDT', 1));
  await c.waitFor((m) => m.type === 'snapshot', 'snapshot');
  for (let s = 2; s <= 120; s++) {
    publishTob(env.pub, tob('NEAR-USDT', s));
    await sleep(3);
  }
  const msgs = c.data(ch) as (DataMessage & ConflationMark)[];
  const snapSeq = msgs[0]!.seq;
  const lastSeq = snapSeq + 119;
  await c.waitFor((m) => m.type === 'update' && m.seq === lastSeq, 'the latest update', 2000);
  const updates = c.data(ch).slice(1) as (DataMessage & ConflationMark)[];
  assert.ok(updates.every((m) => m.conflated === true));
  assertHonest(c.data(ch));
  assert.ok(updates.length < 119 / 5, `conflated: ${updates.length} updates for 119`);
  for (let i = 1; i < arrivals.length; i++)
    assert.ok(arrivals[i]! - arrivals[i - 1]! >= 90, `interval ${i}: ${arrivals[i]! - arrivals[i - 1]!} ms`);
  assert.ok(gatewayMetrics.conflatedOf('ws', 'conflate_ms') > 0);
});

test('a slow consumer is conflated first and closed with 4008 if still over the cap after the grace', async (t) => {
  const gw = await gateway(t, env, { maxOutboundBytes: 64 * 1024, slowConsumerGraceMs: 300 });
  const ch = 'tob.binance.ICP-USDT';
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({ op: 'subscribe', channels: [ch] });
  await interest(gw, 'ICP-USDT');
  const conflating = gatewayMetrics.slowConsumerOf('ws', 'conflating');
  const closes = gatewayMetrics.closesOf('ws', 'slow_consumer');
  c.ws.pause();
  const seq = await flood(
    'ICP-USDT',
    1,
    () => gatewayMetrics.slowConsumerOf('ws', 'conflating') > conflating,
  );
  const since = Date.now();
  assert.equal(gatewayMetrics.closesOf('ws', 'slow_consumer'), closes, 'not closed at once');
  await flood('ICP-USDT', seq, () => gatewayMetrics.closesOf('ws', 'slow_consumer') > closes);
  assert.ok(Date.now() - since >= 250, 'closed after the grace');
  c.ws.resume();
  await c.closed();
  assert.equal(c.closeCode, 4008);
  assertHonest(c.data(ch));
});

test('a slow consumer that reads again within the grace stays open, with marked jumps only', async (t) => {
  // generous grace and wait: draining the kernel buffers after resume() takes a while on a loaded CI box
  const gw = await gateway(t, env, { maxOutboundBytes: 64 * 1024, slowConsumerGraceMs: 20_000 });
  const ch = 'tob.binance.FIL-USDT';
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({ op: 'subscribe', channels: [ch] });
  await interest(gw, 'FIL-USDT');
  const conflating = gatewayMetrics.slowConsumerOf('ws', 'conflating');
  const recovered = gatewayMetrics.slowConsumerOf('ws', 'recovered');
  c.ws.pause();
  const seq = await flood(
    'FIL-USDT',
    1,
    () => gatewayMetrics.slowConsumerOf('ws', 'conflating') > conflating,
  );
  c.ws.resume();
  await waitFor(() => gatewayMetrics.slowConsumerOf('ws', 'recovered') > recovered, {
    timeoutMs: 20_000,
    message: 'recovered',
  });
  publishTob(env.pub, tob('FIL-USDT', seq));
  const total = seq; // published seqs 1..seq: the gateway's seq for the channel reaches `total`
  await c.waitFor((m) => m.type === 'update' && m.seq === total, 'the live update after recovery');
  assert.equal(c.closeCode, undefined);
  const msgs = c.data(ch) as (DataMessage & ConflationMark)[];
  assertHonest(msgs);
  assert.ok(
    msgs.some((m) => m.conflated === true),
    'some updates were conflated',
  );
  assert.notEqual(msgs[msgs.length - 1]!.conflated, true, 'live again: unmarked');
});
