/** Binance REST market-data endpoints over real HTTP. */
import assert from 'node:assert/strict';
import { test, before, after } from 'node:test';
import { silentLogger, startSimulator, type Simulator } from '../src/index';
import { getJson, obj } from './support/client';

let s: Simulator;
before(async () => {
  s = await startSimulator({ port: 0, seed: 9, autoStart: false, bookLevels: 300, logger: silentLogger });
  s.generateUpdates('BTCUSDT', 100);
});
after(() => s.close());

type Book = { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };

test('depth: top 100 levels by default at the current update id, best first, uncrossed', async () => {
  const r = await getJson(`${s.url}/api/v3/depth?symbol=BTCUSDT`);
  assert.equal(r.status, 200);
  const book = r.body as Book;
  assert.deepEqual(Object.keys(book), ['lastUpdateId', 'bids', 'asks']);
  assert.equal(book.lastUpdateId, s.market.model('BTCUSDT')!.updateId);
  assert.equal(book.bids.length, 100);
  assert.equal(book.asks.length, 100);
  const px = (l: [string, string]) => Number(l[0]);
  for (let i = 1; i < 100; i++) {
    assert.ok(px(book.bids[i]!) < px(book.bids[i - 1]!));
    assert.ok(px(book.asks[i]!) > px(book.asks[i - 1]!));
  }
  assert.ok(px(book.bids[0]!) < px(book.asks[0]!));
  assert.match(book.bids[0]![0], /^\d+\.\d{8}$/);
});

test('depth: limit truncates; limits above 5000 are capped; the full book equals the ground truth', async () => {
  const five = (await getJson(`${s.url}/api/v3/depth?symbol=BTCUSDT&limit=5`)).body as Book;
  assert.equal(five.bids.length, 5);
  const all = await getJson(`${s.url}/api/v3/depth?symbol=BTCUSDT&limit=100000`);
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, JSON.parse(s.groundTruth('BTCUSDT')!));
});

test('depth: unknown symbol → 400 -1121; missing symbol → -1102; bad limit → -1100', async () => {
  assert.deepEqual(await getJson(`${s.url}/api/v3/depth?symbol=DOGEUSDT`), {
    status: 400,
    body: { code: -1121, msg: 'Invalid symbol.' },
  });
  const missing = await getJson(`${s.url}/api/v3/depth`);
  assert.equal(missing.status, 400);
  assert.equal(obj(missing.body)['code'], -1102);
  const bad = await getJson(`${s.url}/api/v3/depth?symbol=BTCUSDT&limit=ten`);
  assert.equal(bad.status, 400);
  assert.equal(obj(bad.body)['code'], -1100);
});

test('exchangeInfo lists every symbol with explicit assets and filters', async () => {
  const r = await getJson(`${s.url}/api/v3/exchangeInfo`);
  assert.equal(r.status, 200);
  const body = obj(r.body);
  assert.equal(body['timezone'], 'UTC');
  assert.equal(typeof body['serverTime'], 'number');
  const symbols = body['symbols'] as Record<string, unknown>[];
  assert.deepEqual(
    symbols.map((x) => [x['symbol'], x['status'], x['baseAsset'], x['quoteAsset']]),
    [
      ['BTCUSDT', 'TRADING', 'BTC', 'USDT'],
      ['ETHUSDT', 'TRADING', 'ETH', 'USDT'],
      ['SOLUSDT', 'TRADING', 'SOL', 'USDT'],
    ],
  );
  const filters = symbols[0]!['filters'] as Record<string, unknown>[];
  assert.deepEqual(filters.find((f) => f['filterType'] === 'PRICE_FILTER')?.['tickSize'], '0.01000000');
  assert.deepEqual(filters.find((f) => f['filterType'] === 'LOT_SIZE')?.['stepSize'], '0.00001000');
});

test('exchangeInfo filters by symbol= and symbols=', async () => {
  const one = obj((await getJson(`${s.url}/api/v3/exchangeInfo?symbol=ETHUSDT`)).body);
  assert.deepEqual(
    (one['symbols'] as Record<string, unknown>[]).map((x) => x['symbol']),
    ['ETHUSDT'],
  );
  const two = obj(
    (await getJson(`${s.url}/api/v3/exchangeInfo?symbols=${encodeURIComponent('["SOLUSDT","BTCUSDT"]')}`))
      .body,
  );
  assert.deepEqual(
    (two['symbols'] as Record<string, unknown>[]).map((x) => x['symbol']),
    ['SOLUSDT', 'BTCUSDT'],
  );
  assert.equal((await getJson(`${s.url}/api/v3/exchangeInfo?symbol=DOGEUSDT`)).status, 400);
  assert.equal((await getJson(`${s.url}/api/v3/exchangeInfo?symbols=BTCUSDT`)).status, 400);
});

test('ping, time and unknown paths', async () => {
  assert.deepEqual(await getJson(`${s.url}/api/v3/ping`), { status: 200, body: {} });
  const time = obj((await getJson(`${s.url}/api/v3/time`)).body);
  assert.ok(Math.abs((time['serverTime'] as number) - Date.now()) < 5000);
  assert.equal((await getJson(`${s.url}/api/v3/klines`)).status, 404);
  assert.equal((await getJson(`${s.url}/nothing/here`)).status, 404);
});
