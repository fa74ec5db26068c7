import { test } from 'node:test';
import assert from 'node:assert/strict';
import Decimal from 'decimal.js';
import { addDecimal, OrderBook } from '@tickmesh/book';
import { compareDecimal, type Level } from '@tickmesh/contracts';
import { addExact, aggregateSide, comparePrice, consolidate, sumExact, type SourceTop } from './consolidate';

const src = (source: string, bids: Level[], asks: Level[]): SourceTop => ({
  source,
  bids,
  asks,
  venueTs: 1,
  bookTs: 2,
});

test('sizes at one price are summed exactly across venues and spellings', () => {
  const bids = aggregateSide(
    [
      [['100.10', '0.1'], ['100.00', '1']],
      [['100.1', '0.2'], ['99.9', '5']],
    ],
    ['binance', 'okx'],
    'bid',
    10,
  ); // prettier-ignore
  assert.deepEqual(bids, [
    ['100.1', '0.3', [['binance', '0.1'], ['okx', '0.2']]],
    ['100', '1', [['binance', '1']]],
    ['99.9', '5', [['okx', '5']]],
  ]); // prettier-ignore
});

test('asks merge lowest first and stop at the requested depth', () => {
  const asks = aggregateSide(
    [
      [
        ['5', '1'],
        ['7', '1'],
      ],
      [
        ['6', '2'],
        ['7.0', '3'],
      ],
    ],
    ['a', 'b'],
    'ask',
    2,
  );
  assert.deepEqual(asks, [
    ['5', '1', [['a', '1']]],
    ['6', '2', [['b', '2']]],
  ]);
});

test('NBBO names the largest source at the best price, ties to the first source', () => {
  const c = consolidate({
    symbol: 'BTC-USD',
    depth: 5,
    included: [
      src('binance', [['100', '1']], [['101', '2']]),
      src('coinbase', [['100.0', '3']], [['101.00', '2.0']]),
    ],
    excluded: [{ venue: 'okx', state: 'stale' }],
    ts: 9,
  });
  assert.deepEqual(c.nbbo, {
    bidPx: '100',
    bidSz: '4',
    bidVenue: 'coinbase',
    askPx: '101',
    askSz: '4',
    askVenue: 'binance',
  });
  assert.equal(c.crossed, false);
  assert.equal(c.locked, false);
  assert.deepEqual(c.venues, ['binance', 'coinbase']);
  assert.deepEqual(c.excluded, [{ venue: 'okx', state: 'stale' }]);
  assert.equal(c.ts, 9);
});

test('crossed and locked are judged across venues', () => {
  const crossed = consolidate({
    symbol: 'BTC-USD',
    depth: 5,
    included: [src('a', [['102', '1']], [['103', '1']]), src('b', [['100', '1']], [['101', '1']])],
    excluded: [],
    ts: 0,
  });
  assert.equal(crossed.crossed, true);
  assert.equal(crossed.locked, false);
  const locked = consolidate({
    symbol: 'BTC-USD',
    depth: 5,
    included: [src('a', [['101.0', '1']], [['103', '1']]), src('b', [['100', '1']], [['101', '1']])],
    excluded: [],
    ts: 0,
  });
  assert.equal(locked.locked, true);
  assert.equal(locked.crossed, false);
});

test('no live member gives empty sides and an empty NBBO', () => {
  const c = consolidate({ symbol: 'BTC-USD', depth: 3, included: [], excluded: [], ts: 0 });
  assert.deepEqual(c.bids, []);
  assert.equal(c.nbbo.bidPx, '');
  assert.equal(c.nbbo.askVenue, '');
  assert.equal(c.crossed || c.locked, false);
});

// ------------------------------------------------------------- independent check on random books

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A price on a 0.05 grid around 100, spelled with 2 to 4 decimals (same value, other text). */
function price(r: () => number, ticks: number): string {
  return new Decimal(100).plus(new Decimal(ticks).times('0.05')).toFixed(2 + Math.floor(r() * 3));
}

function randomVenueBook(r: () => number): { bids: Level[]; asks: Level[] } {
  const mid = Math.floor(r() * 10) - 5; // venues disagree a little, so cross-venue crossing happens
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 0; i < 3 + Math.floor(r() * 25); i++) {
    const size = new Decimal(Math.floor(r() * 10_000) + 1).div(1000).toFixed(3 + Math.floor(r() * 3));
    if (r() < 0.5) bids.push([price(r, mid - 1 - Math.floor(r() * 30)), size]);
    else asks.push([price(r, mid + 1 + Math.floor(r() * 30)), size]);
  }
  return { bids, asks };
}

/** Naive reference from the FULL books: last spelling per price wins (snapshot semantics). */
function referenceSide(books: Map<string, { bids: Level[]; asks: Level[] }>, side: 'bids' | 'asks') {
  const byPrice = new Map<string, { px: Decimal; total: Decimal; sources: Map<string, Decimal> }>();
  for (const [source, book] of books) {
    const own = new Map<string, Decimal>();
    for (const [p, s] of book[side]) own.set(new Decimal(p).toString(), new Decimal(s));
    for (const [key, size] of own) {
      const e = byPrice.get(key) ?? { px: new Decimal(key), total: new Decimal(0), sources: new Map() };
      e.total = e.total.plus(size);
      e.sources.set(source, size);
      byPrice.set(key, e);
    }
  }
  const levels = [...byPrice.values()].sort((x, y) => (side === 'bids' ? y.px.cmp(x.px) : x.px.cmp(y.px)));
  return levels;
}

test('for random books the NBBO and levels equal a naive reference over the full books', () => {
  const r = rng(20240611);
  for (let round = 0; round < 300; round++) {
    const depth = 1 + Math.floor(r() * 12);
    const books = new Map<string, { bids: Level[]; asks: Level[] }>();
    const venues = ['binance', 'bitstamp', 'coinbase', 'kraken', 'okx'].slice(0, 1 + Math.floor(r() * 5));
    for (const v of venues) books.set(v, randomVenueBook(r));
    const included = venues.map((v) => {
      const ob = new OrderBook();
      ob.applySnapshot(books.get(v)!.bids, books.get(v)!.asks);
      const top = ob.top(depth);
      return src(v, top.bids, top.asks);
    });
    const c = consolidate({ symbol: 'BTC-USD', depth, included, excluded: [], ts: 0 });

    for (const side of ['bids', 'asks'] as const) {
      const ref = referenceSide(books, side).slice(0, depth);
      const got = c[side];
      assert.equal(got.length, ref.length, `round ${round} ${side} length`);
      ref.forEach((e, i) => {
        const [px, total, sources] = got[i]!;
        assert.ok(new Decimal(px).eq(e.px), `round ${round} ${side}[${i}] price ${px} != ${e.px}`);
        assert.ok(
          new Decimal(total).eq(e.total),
          `round ${round} ${side}[${i}] total ${total} != ${e.total}`,
        );
        assert.deepEqual(
          sources.map(([s]) => s),
          [...e.sources.keys()].sort(),
          `round ${round} sources`,
        );
      });
      const best = ref[0];
      const n = c.nbbo;
      const [px, sz, venue] =
        side === 'bids' ? [n.bidPx, n.bidSz, n.bidVenue] : [n.askPx, n.askSz, n.askVenue];
      if (best === undefined) {
        assert.deepEqual([px, sz, venue], ['', '', '']);
        continue;
      }
      assert.ok(new Decimal(px).eq(best.px) && new Decimal(sz).eq(best.total), `round ${round} nbbo ${side}`);
      let largest = '';
      for (const [s, size] of [...best.sources].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (largest === '' || size.gt(best.sources.get(largest)!)) largest = s;
      }
      assert.equal(venue, largest, `round ${round} nbbo ${side} venue`);
    }
    const refBid = referenceSide(books, 'bids')[0]?.px;
    const refAsk = referenceSide(books, 'asks')[0]?.px;
    const cmp = refBid !== undefined && refAsk !== undefined ? refBid.cmp(refAsk) : -1;
    assert.equal(c.crossed, cmp > 0, `round ${round} crossed`);
    assert.equal(c.locked, cmp === 0, `round ${round} locked`);
  }
});

test('addExact and comparePrice agree with decimal.js on random and edge-case decimal text', () => {
  const edge = [
    '0',
    '0.0',
    '000.000',
    '1',
    '1.5',
    '1.50',
    '9.99999999',
    '0.00000001',
    '123456789012345678901234567890.123456789',
  ];
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const random = (): string => {
    const int = String(Math.floor(next() * 10 ** Math.floor(next() * 8)));
    const frac = Math.floor(next() * 10);
    return frac === 0 ? int : `${int}.${String(Math.floor(next() * 10 ** frac)).padStart(frac, '0')}`;
  };
  const values = [...edge, ...Array.from({ length: 300 }, random)];
  for (let i = 0; i < values.length; i++) {
    const a = values[i]!;
    const b = values[(i * 7 + 3) % values.length]!;
    assert.equal(addExact(a, b), addDecimal(a, b), `${a} + ${b}`);
    assert.equal(Math.sign(comparePrice(a, b)), Math.sign(compareDecimal(a, b)), `${a} <=> ${b}`);
  }
  // beyond double precision: equal doubles, different values, resolved exactly
  assert.equal(comparePrice('0.10000000000000000001', '0.1'), 1);
  assert.equal(comparePrice('1.0', '1'), 0);
  assert.throws(() => addExact('1e5', '1'), RangeError);
  // many operands, mixed scales, both the double and the BigInt path
  for (let i = 0; i + 5 <= values.length; i += 5) {
    const xs = values.slice(i, i + 5);
    assert.equal(
      sumExact(xs),
      xs.reduce((acc, x) => addDecimal(acc, x)),
      xs.join(' + '),
    );
  }
  assert.equal(sumExact(['99999999999999.9', '0.1']), '100000000000000');
});
