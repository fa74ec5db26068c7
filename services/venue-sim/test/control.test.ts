/** The /sim control API: health, stats, ground truth, fault injection and its validation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, startSimulator, type Simulator } from '../src/index';
import { getJson, obj, postJson, TestClient } from './support/client';

async function sim(t: { after: (fn: () => Promise<void>) => void }): Promise<Simulator> {
  const s = await startSimulator({ port: 0, autoStart: false, logger: silentLogger });
  t.after(() => s.close());
  return s;
}

test('health and stats', async (t) => {
  const s = await sim(t);
  const health = await getJson(`${s.url}/sim/health`);
  assert.equal(health.status, 200);
  assert.equal(obj(health.body)['status'], 'ok');
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  t.after(() => c.close());
  s.generateUpdates('BTCUSDT', 4);
  s.generateTrades('BTCUSDT', 2);
  await c.until(() => (c.messages.length === 4 ? true : undefined));
  const stats = obj(obj(obj((await getJson(`${s.url}/sim/stats`)).body)['venues'])['binance']);
  assert.equal(stats['connections'], 1);
  assert.equal(stats['generatorRunning'], false);
  const btc = obj(obj(stats['symbols'])['BTCUSDT']);
  assert.deepEqual(
    [
      btc['updatesGenerated'],
      btc['depthSent'],
      btc['depthDropped'],
      btc['tradesGenerated'],
      btc['framesSent'],
    ],
    [4, 4, 0, 2, 4],
  );
  assert.equal(btc['lastUpdateId'], s.market.model('BTCUSDT')!.updateId);
});

test('ground truth book: full model book at the last generated update id', async (t) => {
  const s = await sim(t);
  s.generateUpdates('ETHUSDT', 10);
  const r = await getJson(`${s.url}/sim/binance/book?symbol=ETHUSDT`);
  assert.equal(r.status, 200);
  const book = obj(r.body);
  assert.equal(book['lastUpdateId'], s.market.model('ETHUSDT')!.updateId);
  assert.equal((book['bids'] as unknown[]).length, s.market.model('ETHUSDT')!.bids.length);
  assert.equal((await getJson(`${s.url}/sim/binance/book`)).status, 400);
  assert.equal((await getJson(`${s.url}/sim/binance/book?symbol=DOGEUSDT`)).status, 400);
  assert.equal((await getJson(`${s.url}/sim/nosuchvenue/book?symbol=ETHUSDT`)).status, 404);
});

test('malformed control requests get 400 with a message, never a crash', async (t) => {
  const s = await sim(t);
  const bad = async (body: unknown, pattern: RegExp): Promise<void> => {
    const r = await postJson(`${s.url}/sim/faults`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(obj(r.body)['error'] as string, pattern);
  };
  await bad('{not json', /not valid JSON/);
  await bad('', /not valid JSON/);
  await bad([1, 2], /JSON object/);
  await bad({ venue: 'binance', kind: 'meteor' }, /"kind" must be one of/);
  await bad({ venue: 'bitmex', kind: 'pause' }, /unknown venue/);
  await bad({ venue: 'binance', kind: 'gap', symbol: 'BTCUSDT', count: -1 }, /"count"/);
  await bad({ venue: 'binance', kind: 'gap', symbol: 'btcusdt' }, /unknown symbol/);
  await bad({ venue: 'binance', kind: 'corrupt-checksum', symbol: 'BTCUSDT' }, /sends no book checksum/);
  const big = await postJson(`${s.url}/sim/faults`, 'x'.repeat(100_000));
  assert.equal(big.status, 413);
  assert.equal((await getJson(`${s.url}/sim/faults`)).status, 405);
  assert.equal((await getJson(`${s.url}/sim/nothing`)).status, 404);
  assert.equal((await getJson(`${s.url}/sim/health`)).status, 200);
});

test('disconnect closes every connection with 1001', async (t) => {
  const s = await sim(t);
  const a = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  const b = await TestClient.open(`${s.wsUrl}/stream?streams=ethusdt@trade`);
  const r = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'disconnect' });
  assert.deepEqual(r, {
    status: 200,
    body: { scheduled: { kind: 'disconnect', venue: 'binance', code: 1001, closed: 2 } },
  });
  assert.equal(await a.closed(), 1001);
  assert.equal(await b.closed(), 1001);
});

test('pause and resume the generator per symbol', async (t) => {
  const s = await sim(t);
  s.start();
  const r = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'pause', symbol: 'SOLUSDT' });
  assert.deepEqual(obj(r.body)['scheduled'], {
    kind: 'pause',
    venue: 'binance',
    symbol: 'SOLUSDT',
    symbols: ['SOLUSDT'],
  });
  const symbols = async () =>
    obj(obj(obj(obj((await getJson(`${s.url}/sim/stats`)).body)['venues'])['binance'])['symbols']);
  assert.equal(obj((await symbols())['SOLUSDT'])['paused'], true);
  assert.equal(obj((await symbols())['BTCUSDT'])['paused'], false);
  const all = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'resume' });
  assert.deepEqual(obj(obj(all.body)['scheduled'])['symbols'], ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  assert.equal(obj((await symbols())['SOLUSDT'])['paused'], false);
});
