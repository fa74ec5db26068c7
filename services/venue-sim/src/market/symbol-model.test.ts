import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSymbol } from './instrument';
import { SymbolModel, type BookUpdate, type ModelParams } from './symbol-model';

const BTC = resolveSymbol({ native: 'BTCUSDT', base: 'BTC', quote: 'USDT' });
const ETH = resolveSymbol({ native: 'ETHUSDT', base: 'ETH', quote: 'USDT' });
const PARAMS: ModelParams = {
  seed: 7,
  levelsPerUpdate: 3,
  bookLevels: 80,
  minBookLevels: 50,
  maxBookLevels: 120,
};

function run(model: SymbolModel, n: number): BookUpdate[] {
  return Array.from({ length: n }, () => model.nextUpdate());
}

test('same seed and symbol → identical initial book, updates and trades', () => {
  const a = new SymbolModel(BTC, PARAMS);
  const b = new SymbolModel(BTC, PARAMS);
  assert.deepEqual(a.bids.levels(), b.bids.levels());
  assert.deepEqual(run(a, 2000), run(b, 2000));
  assert.deepEqual(
    Array.from({ length: 50 }, () => a.nextTrade()),
    Array.from({ length: 50 }, () => b.nextTrade()),
  );
  assert.deepEqual(a.asks.levels(), b.asks.levels());
});

test('the book sequence does not depend on how trades interleave with updates', () => {
  const a = new SymbolModel(BTC, PARAMS);
  const b = new SymbolModel(BTC, PARAMS);
  const withTrades: BookUpdate[] = [];
  for (let i = 0; i < 500; i++) {
    if (i % 3 === 0) a.nextTrade();
    withTrades.push(a.nextUpdate());
  }
  assert.deepEqual(withTrades, run(b, 500));
});

test('a different seed or symbol gives a different sequence', () => {
  const base = run(new SymbolModel(BTC, PARAMS), 50);
  assert.notDeepEqual(run(new SymbolModel(BTC, { ...PARAMS, seed: 8 }), 50), base);
  const eth = run(new SymbolModel(ETH, PARAMS), 50);
  assert.notDeepEqual(
    eth.map((u) => u.changes),
    base.map((u) => u.changes),
  );
});

test('never crosses, keeps level counts in bounds, ids advance by 1–3 without holes', () => {
  const m = new SymbolModel(BTC, PARAMS);
  let last = m.updateId;
  for (let i = 0; i < 20_000; i++) {
    const u = m.nextUpdate();
    assert.equal(u.firstId, last + 1);
    assert.ok(u.lastId - u.firstId >= 0 && u.lastId - u.firstId <= 2);
    last = u.lastId;
    assert.ok(m.bids.best()! < m.asks.best()!, `crossed at update ${i}`);
    for (const side of [m.bids, m.asks]) {
      assert.ok(
        side.length >= PARAMS.minBookLevels && side.length <= PARAMS.maxBookLevels,
        `${side.side} has ${side.length}`,
      );
    }
  }
  assert.equal(m.updateId, last);
});

test('each update lists every touched level once, at least levelsPerUpdate of them', () => {
  const m = new SymbolModel(BTC, { ...PARAMS, levelsPerUpdate: 5 });
  for (const u of run(m, 2000)) {
    const keys = u.changes.map((c) => `${c.side}:${c.ticks}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(u.changes.length >= 5);
    for (const c of u.changes) assert.ok(Number.isInteger(c.lots) && c.lots >= 0 && c.ticks >= 1);
  }
});

test('applying the updates to a copy of the initial book reproduces the model exactly', () => {
  const m = new SymbolModel(BTC, PARAMS);
  const mirror = { bid: new Map(m.bids.levels()), ask: new Map(m.asks.levels()) };
  for (let i = 0; i < 5000; i++) {
    for (const c of m.nextUpdate().changes) {
      if (c.lots === 0) mirror[c.side].delete(c.ticks);
      else mirror[c.side].set(c.ticks, c.lots);
    }
    if (i % 500 === 0 || i === 4999) {
      assert.deepEqual(
        [...mirror.bid].sort((x, y) => y[0] - x[0]),
        m.bids.levels(),
      );
      assert.deepEqual(
        [...mirror.ask].sort((x, y) => x[0] - y[0]),
        m.asks.levels(),
      );
    }
  }
});

test('trades print at the touch with increasing ids and never change the book', () => {
  const m = new SymbolModel(BTC, PARAMS);
  m.nextUpdate();
  const before = [m.bids.levels(), m.asks.levels()];
  let lastId = -1;
  const sides = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const t = m.nextTrade();
    assert.ok(t.id > lastId);
    lastId = t.id;
    sides.add(t.takerSide);
    const touch = t.takerSide === 'buy' ? m.asks : m.bids;
    assert.equal(t.ticks, touch.best());
    assert.ok(t.lots >= 1 && t.lots <= touch.lotsAt(0));
  }
  assert.deepEqual(sides, new Set(['buy', 'sell']));
  assert.deepEqual([m.bids.levels(), m.asks.levels()], before);
});

test('the mid price moves over time', () => {
  const m = new SymbolModel(BTC, PARAMS);
  const mids = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    m.nextUpdate();
    mids.add(m.bids.best()! + m.asks.best()!);
  }
  assert.ok(mids.size > 20, `only ${mids.size} distinct mids`);
});
