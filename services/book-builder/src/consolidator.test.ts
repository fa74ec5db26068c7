import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot, ConsolidatedBook, Level } from '@tickmesh/contracts';
import { BookState } from './book-state';
import { Consolidator } from './consolidator';
import { parseEquivalences } from './equivalence';

/** Lets the Coalescer's setImmediate flush run (it was scheduled before this one). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function liveBook(venue: string, symbol: string, bids: Level[], asks: Level[]): BookState {
  const b = new BookState(venue, symbol, 1000);
  const s: BookSnapshot = {
    type: 'book.snapshot',
    venue,
    symbol,
    epoch: 1,
    seq: 1,
    venueTs: 5,
    recvTs: 6,
    bids,
    asks,
  };
  b.applySnapshot(s, 7);
  return b;
}

function delta(b: BookState, bids: Level[], asks: Level[]): BookDelta {
  const d: BookDelta = {
    type: 'book.delta',
    venue: b.venue,
    symbol: b.symbol,
    epoch: b.epoch,
    seq: b.seq + 1,
    prevSeq: b.seq,
    venueTs: 8,
    recvTs: 9,
    bids,
    asks,
  };
  const r = b.applyDelta(d, 10);
  assert.equal(r.kind, 'applied');
  return d;
}

function setup(depth: number, equivalent = '') {
  const out: ConsolidatedBook[] = [];
  const c = new Consolidator({
    depth,
    equivalences: parseEquivalences(equivalent),
    intervalMs: 0,
    publish: (book) => out.push(book),
  });
  return { c, out };
}

const ladder = (from: number, step: number, n: number): Level[] =>
  Array.from({ length: n }, (_, i) => [String(from + step * i), '1'] as Level);

test('a delta recomputes only when it touches a member top N', async () => {
  const { c, out } = setup(3);
  const b = liveBook('binance', 'BTC-USDT', ladder(100, -1, 6), ladder(101, 1, 6));
  const m = c.join(b);
  await nextTurn();
  assert.equal(out.length, 1, 'joining computes once');
  assert.deepEqual(
    out[0]!.bids.map((l) => l[0]),
    ['100', '99', '98'],
  );

  const outside = delta(b, [['96', '5']], [['105', '0']]);
  c.onLevels(m, outside.bids, outside.asks);
  await nextTurn();
  assert.equal(out.length, 1, 'levels beyond the 3rd best change nothing');

  const boundary = delta(b, [['98', '2']], []);
  c.onLevels(m, boundary.bids, boundary.asks);
  await nextTurn();
  assert.equal(out.length, 2, 'the N-th level is inside the top N');
  assert.deepEqual(out[1]!.bids[2], ['98', '2', [['binance', '2']]]);

  const inside = delta(b, [], [['102.5', '4']]);
  c.onLevels(m, inside.bids, inside.asks);
  await nextTurn();
  assert.equal(out.length, 3);
  assert.deepEqual(
    out[2]!.asks.map((l) => l[0]),
    ['101', '102', '102.5'],
  );
});

test('a side shorter than N recomputes on any change of that side', async () => {
  const { c, out } = setup(5);
  const b = liveBook('okx', 'BTC-USDT', ladder(100, -1, 2), ladder(101, 1, 8));
  const m = c.join(b);
  await nextTurn();
  const d = delta(b, [['50', '1']], []);
  c.onLevels(m, d.bids, d.asks);
  await nextTurn();
  assert.equal(out.length, 2);
  assert.equal(out[1]!.bids.length, 3);
});

test('many changes in one turn give one recompute per symbol', async () => {
  const { c, out } = setup(2);
  const a = c.join(liveBook('binance', 'BTC-USDT', [['100', '1']], [['101', '1']]));
  const b = c.join(liveBook('okx', 'BTC-USDT', [['100', '2']], [['102', '1']]));
  const e = c.join(liveBook('okx', 'ETH-USDT', [['10', '2']], [['11', '1']]));
  for (let i = 0; i < 50; i++) {
    c.touch(a);
    c.touch(b);
    c.touch(e);
  }
  await nextTurn();
  assert.deepEqual(out.map((o) => o.symbol).sort(), ['BTC-USDT', 'ETH-USDT']);
  assert.deepEqual(out.find((o) => o.symbol === 'BTC-USDT')!.nbbo, {
    bidPx: '100',
    bidSz: '3',
    bidVenue: 'okx',
    askPx: '101',
    askSz: '1',
    askVenue: 'binance',
  });
});

test('stale and not-live members are excluded with their state, and rejoin when live', async () => {
  const { c, out } = setup(5);
  const a = liveBook('binance', 'BTC-USDT', [['100', '1']], [['101', '1']]);
  const b = liveBook('okx', 'BTC-USDT', [['100.5', '1']], [['101.5', '1']]);
  const ma = c.join(a);
  const mb = c.join(b);
  await nextTurn();
  assert.equal(out.at(-1)!.nbbo.bidVenue, 'okx');

  assert.equal(b.checkFresh(60_000_010, 60_000_000), true);
  c.touch(mb);
  assert.equal(a.onFeedState('resyncing', 1).changed, true);
  c.touch(ma);
  await nextTurn();
  const none = out.at(-1)!;
  assert.deepEqual(none.venues, []);
  assert.deepEqual(none.excluded, [
    { venue: 'binance', state: 'resyncing' },
    { venue: 'okx', state: 'stale' },
  ]);
  assert.equal(none.nbbo.bidPx, '');
  const published = out.length;
  c.touch(ma); // e.g. a top-of-book change while still resyncing: nothing new to publish
  await nextTurn();
  assert.equal(out.length, published, 'an excluded member in the same state changes nothing');

  const d = delta(b, [['100.6', '1']], []);
  c.onLevels(mb, d.bids, d.asks); // ignored while excluded: the state change below brings it back
  c.touch(mb);
  await nextTurn();
  assert.deepEqual(out.at(-1)!.venues, ['okx']);
  assert.equal(out.at(-1)!.nbbo.bidPx, '100.6');
});

test('equivalent quotes feed one consolidated book with venue:SYMBOL sources', async () => {
  const { c, out } = setup(5, 'USDT=USD');
  c.join(liveBook('binance', 'BTC-USDT', [['100', '1']], [['101', '1']]));
  c.join(liveBook('coinbase', 'BTC-USD', [['100.00', '2']], [['100.5', '1']]));
  c.join(liveBook('binance', 'BTC-USDC', [['99', '1']], [['102', '1']]));
  await nextTurn();
  assert.deepEqual(c.symbols.sort(), ['BTC-USD', 'BTC-USDC']);
  const usd = out.find((o) => o.symbol === 'BTC-USD')!;
  assert.deepEqual(usd.venues, ['binance:BTC-USDT', 'coinbase']);
  assert.deepEqual(usd.bids[0], [
    '100',
    '3',
    [
      ['binance:BTC-USDT', '1'],
      ['coinbase', '2'],
    ],
  ]);
  assert.equal(usd.nbbo.askVenue, 'coinbase');
});
