import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FairValuePath, fairValueKey } from './fair-value';
import { resolveSymbol } from './instrument';
import { SymbolModel, type ModelParams } from './symbol-model';

const BTC = resolveSymbol({ native: 'BTCUSDT', base: 'BTC', quote: 'USDT' });
const PARAMS: ModelParams = {
  seed: 7,
  levelsPerUpdate: 3,
  bookLevels: 80,
  minBookLevels: 50,
  maxBookLevels: 120,
  sharedPrice: true,
  pathSeed: 1,
};

test('the path key is base-quote plus start price and tick, whatever the wire decimals', () => {
  const venueStyle = resolveSymbol({
    native: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    priceDecimals: 2,
    sizeDecimals: 5,
  });
  assert.equal(fairValueKey(BTC), 'BTC-USDT@60000/0.01');
  assert.equal(fairValueKey(venueStyle), fairValueKey(BTC));
  const other = resolveSymbol({ native: 'BTCUSD', base: 'BTC', quote: 'USD' });
  assert.notEqual(fairValueKey(other), fairValueKey(BTC));
  const otherStart = resolveSymbol({ native: 'XBTUSDT', base: 'BTC', quote: 'USDT', startPrice: '50000' });
  assert.notEqual(fairValueKey(otherStart), fairValueKey(BTC));
});

test('the path is a pure function of (seed, key): same steps for every cursor, moves by ≤ 1 tick', () => {
  const a = new FairValuePath(1, BTC);
  const b = new FairValuePath(
    1,
    resolveSymbol({ native: 'BTCUSDT', base: 'BTC', quote: 'USDT', priceDecimals: 2 }),
  );
  const c = new FairValuePath(2, BTC);
  let prev = a.ticks;
  let differs = false;
  for (let i = 0; i < 5000; i++) {
    const v = a.next();
    assert.equal(b.next(), v);
    if (c.next() !== v) differs = true;
    assert.ok(Math.abs(v - prev) <= 1);
    prev = v;
  }
  assert.equal(a.index, 5000);
  assert.ok(differs, 'another seed gives another path');
  assert.notEqual(a.ticks, BTC.startTicks);
});

test('shared price: never crosses, keeps level counts, updates reproduce the book, touch tracks the path', () => {
  const m = new SymbolModel(BTC, PARAMS);
  const mirror = { bid: new Map(m.bids.levels()), ask: new Map(m.asks.levels()) };
  let last = m.updateId;
  const mids = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const u = m.nextUpdate();
    assert.equal(u.firstId, last + 1);
    last = u.lastId;
    assert.ok(u.changes.length >= PARAMS.levelsPerUpdate);
    for (const c of u.changes) {
      assert.ok(Number.isInteger(c.lots) && c.lots >= 0 && c.ticks >= 1);
      if (c.lots === 0) mirror[c.side].delete(c.ticks);
      else mirror[c.side].set(c.ticks, c.lots);
    }
    const bid = m.bids.best()!;
    const ask = m.asks.best()!;
    assert.ok(bid < ask, `crossed at update ${i}`);
    // offset ≤ 1, half-spread ≤ 1: the touch stays within 2 ticks of its band around the path
    const fair = m.fairTicks!;
    assert.ok(bid <= fair + 1 && ask >= fair - 1, `outside the band at update ${i}`);
    assert.ok(ask - bid <= 8, `spread ${ask - bid} at update ${i}`);
    mids.add(bid + ask);
    for (const side of [m.bids, m.asks]) {
      assert.ok(side.length >= PARAMS.minBookLevels && side.length <= PARAMS.maxBookLevels);
    }
  }
  assert.deepEqual(
    [...mirror.bid].sort((x, y) => y[0] - x[0]),
    m.bids.levels(),
  );
  assert.deepEqual(
    [...mirror.ask].sort((x, y) => x[0] - y[0]),
    m.asks.levels(),
  );
  assert.ok(mids.size > 20, `only ${mids.size} distinct mids`);
});

test('shared price: same seeds → same books; the venue seed still makes each book its own', () => {
  const run = (p: ModelParams): unknown[] => {
    const m = new SymbolModel(BTC, p);
    return Array.from({ length: 1000 }, () => m.nextUpdate());
  };
  assert.deepEqual(run(PARAMS), run(PARAMS));
  assert.notDeepEqual(run({ ...PARAMS, seed: 8 }), run(PARAMS));
  assert.equal(new SymbolModel(BTC, { ...PARAMS, sharedPrice: false }).fairTicks, undefined);
});
