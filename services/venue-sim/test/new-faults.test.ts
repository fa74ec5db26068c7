/**
 * Wire effects of the fault kinds duplicate, reorder, stall, rest-429 and shutdown: on Binance
 * through a real socket, and the shared `VenueFaults` state every venue routes its book messages
 * through (bybit, okx, coinbase, kraken are exercised end to end by test/e2e/fault-fuzz).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, startSimulator, type Simulator } from '../src/index';
import { VenueFaults } from '../src/venues/venue';
import { postJson, TestClient } from './support/client';

async function sim(t: { after: (fn: () => Promise<void>) => void }): Promise<Simulator> {
  const s = await startSimulator({ port: 0, autoStart: false, logger: silentLogger });
  t.after(() => s.close());
  return s;
}

const ids = (c: TestClient): number[] => c.messages.map((m) => m['u'] as number);

test('duplicate: the next N depth events are each sent twice (E: the send time of each copy)', async (t) => {
  const s = await sim(t);
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  t.after(() => c.close());
  const r = await postJson(`${s.url}/sim/faults`, {
    venue: 'binance',
    symbol: 'BTCUSDT',
    kind: 'duplicate',
    count: 2,
  });
  assert.equal(r.status, 200);
  s.generateUpdates('BTCUSDT', 3);
  await c.until(() => (c.messages.length === 5 ? true : undefined));
  const u = ids(c);
  assert.deepEqual([u[0], u[2], u[4]], [u[1], u[3], u[4]]);
  assert.deepEqual({ ...c.messages[0], E: 0 }, { ...c.messages[1], E: 0 });
  assert.ok(u[2]! > u[0]! && u[4]! > u[2]!);
});

test('reorder: the next two depth events arrive swapped, then the stream continues in order', async (t) => {
  const s = await sim(t);
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  t.after(() => c.close());
  assert.equal(
    (await postJson(`${s.url}/sim/faults`, { venue: 'binance', symbol: 'BTCUSDT', kind: 'reorder' })).status,
    200,
  );
  s.generateUpdates('BTCUSDT', 3);
  await c.until(() => (c.messages.length === 3 ? true : undefined));
  const u = ids(c);
  assert.ok(u[0]! > u[1]!, `swapped: ${u.join(',')}`);
  assert.equal(c.messages[0]!['U'], (c.messages[1]!['u'] as number) + 1);
  assert.ok(u[2]! > u[0]!);
});

test('stall: nothing arrives for ms while the socket stays open; then the held data flows', async (t) => {
  const s = await sim(t);
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  t.after(() => c.close());
  const r = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'stall', ms: 400 });
  assert.deepEqual(r.body, { scheduled: { kind: 'stall', venue: 'binance', ms: 400, stalled: 1 } });
  const t0 = performance.now();
  s.generateUpdates('BTCUSDT', 2);
  await c.until(() => (c.messages.length === 2 ? true : undefined));
  assert.ok(performance.now() - t0 >= 350, `held for ${performance.now() - t0} ms`);
  assert.equal(c.closeCode, undefined);
});

test('rest-429: the next N REST requests answer 429 with Retry-After, then normal answers', async (t) => {
  const s = await sim(t);
  const r = await postJson(`${s.url}/sim/faults`, {
    venue: 'binance',
    kind: 'rest-429',
    count: 2,
    retryAfterSec: 3,
  });
  assert.equal(r.status, 200);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${s.url}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.equal(((await res.json()) as { code: number }).code, -1003);
  }
  assert.equal((await fetch(`${s.url}/api/v3/depth?symbol=BTCUSDT&limit=5`)).status, 200);
  // other venues' REST is not affected
  assert.equal((await fetch(`${s.url}/api/v5/market/books?instId=BTC-USDT&sz=5`)).status, 200);
});

test('shutdown: Binance sends serverShutdown, then closes 1001; other venues close 1001', async (t) => {
  const s = await sim(t);
  const raw = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  const combined = await TestClient.open(`${s.wsUrl}/stream?streams=btcusdt@depth`);
  const r = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'shutdown' });
  assert.deepEqual(r.body, { scheduled: { kind: 'shutdown', venue: 'binance', closed: 2 } });
  assert.equal(await raw.closed(), 1001);
  assert.equal(await combined.closed(), 1001);
  assert.equal(raw.messages.at(-1)!['e'], 'serverShutdown');
  assert.equal(combined.messages.at(-1)!['stream'], '!serverShutdown');
  const kr = await TestClient.open(`${s.wsUrl}/v2`);
  assert.equal((await postJson(`${s.url}/sim/faults`, { venue: 'kraken', kind: 'shutdown' })).status, 200);
  assert.equal(await kr.closed(), 1001);
});

test('VenueFaults: duplicate, reorder and both together on one symbol', () => {
  const f = new VenueFaults();
  const out: string[] = [];
  const emit = (sym: string, m: string): number => f.emitBook(sym, () => (out.push(m), 1));
  f.duplicate('A', 1);
  f.reorder('B');
  assert.equal(emit('A', 'a1'), 2);
  assert.equal(emit('B', 'b1'), 0);
  emit('A', 'a2');
  assert.equal(emit('B', 'b2'), 2);
  emit('B', 'b3');
  assert.deepEqual(out, ['a1', 'a1', 'a2', 'b2', 'b1', 'b3']);
  out.length = 0;
  f.reorder('C');
  f.duplicate('C', 1);
  emit('C', 'c1');
  emit('C', 'c2');
  assert.deepEqual(out, ['c2', 'c2', 'c1']);
});
