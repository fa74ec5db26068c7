import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot } from '@tickmesh/contracts';
import { BookState } from './book-state';

const snap = (epoch: number, seq: number): BookSnapshot => ({
  type: 'book.snapshot',
  venue: 'binance',
  symbol: 'BTC-USDT',
  epoch,
  seq,
  venueTs: 1,
  recvTs: 2,
  bids: [
    ['100.00', '1.0'],
    ['99.00', '2.0'],
  ],
  asks: [['101.00', '1.5']],
});
const delta = (
  epoch: number,
  prevSeq: number,
  seq: number,
  bids: [string, string][] = [],
  asks: [string, string][] = [],
): BookDelta => ({
  type: 'book.delta',
  venue: 'binance',
  symbol: 'BTC-USDT',
  epoch,
  seq,
  prevSeq,
  venueTs: 3,
  recvTs: 4,
  bids,
  asks,
});

test('a delta before any snapshot asks for one and is replayed on top of it', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  assert.equal(b.state, 'snapshotting');
  assert.equal(b.applyDelta(delta(1, 10, 12, [['100.00', '5.0']]), 0).kind, 'need-snapshot');
  assert.equal(b.applySnapshot(snap(1, 10), 0).kind, 'applied');
  assert.equal(b.seq, 12);
  assert.deepEqual(b.book.bestBid(), ['100.00', '5.0']);
  assert.equal(b.state, 'live');
});

test('a continuity break makes the book resyncing until a snapshot restores it', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(1, 10), 0);
  assert.deepEqual(b.applyDelta(delta(1, 10, 11, [], [['101.00', '0']]), 0), {
    kind: 'applied',
    tobChanged: true,
  });
  const r = b.applyDelta(delta(1, 12, 13), 0);
  assert.equal(r.kind, 'need-snapshot');
  assert.equal(b.state, 'resyncing');
  assert.equal(b.tob().state, 'resyncing', 'the top of book is published as not live');
  b.applySnapshot(snap(2, 50), 0);
  assert.equal(b.state, 'live');
  assert.equal(b.epoch, 2);
});

test('messages of an older epoch and already-covered deltas are ignored', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(2, 10), 0);
  assert.equal(b.applyDelta(delta(1, 10, 11), 0).kind, 'ignored');
  assert.equal(b.applyDelta(delta(2, 9, 10), 0).kind, 'ignored');
  assert.equal(b.applySnapshot(snap(1, 99), 0).kind, 'ignored');
});

test('state mirrors the ingestor and goes stale without updates', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(1, 10), 0);
  assert.deepEqual(b.onFeedState('resyncing', 1), { changed: true, needSnapshot: false });
  assert.equal(b.state, 'resyncing');
  assert.deepEqual(
    b.onFeedState('live', 2),
    { changed: false, needSnapshot: true },
    'new epoch needs its snapshot',
  );
  assert.equal(b.state, 'resyncing', 'still not live without the new epoch snapshot');
  b.applySnapshot(snap(2, 20), 1000);
  assert.equal(b.checkFresh(1000 + 5_000_000, 10_000_000), false);
  assert.equal(b.checkFresh(1000 + 20_000_000, 10_000_000), true);
  assert.equal(b.state, 'stale');
  assert.deepEqual(b.applyDelta(delta(2, 20, 21), 30_000_000), { kind: 'applied', tobChanged: true });
  assert.equal(b.state, 'live');
});

test('top of book carries exact wire text and freshness fields', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(3, 10), 7);
  assert.deepEqual(b.tob(), {
    type: 'tob',
    venue: 'binance',
    symbol: 'BTC-USDT',
    bidPx: '100.00',
    bidSz: '1.0',
    askPx: '101.00',
    askSz: '1.5',
    epoch: 3,
    seq: 10,
    state: 'live',
    venueTs: 1,
    recvTs: 2,
    bookTs: 7,
  });
});

test('a crossed book is not live; a crossed verifying snapshot keeps it so until it uncrosses', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(1, 10), 0);
  assert.equal(b.checkCrossed(true), 'ok');
  b.applyDelta(delta(1, 10, 11, [['101.50', '1']]), 0);
  assert.equal(b.checkCrossed(false), 'crossed');
  assert.equal(b.state, 'resyncing');
  assert.equal(b.continuous, false, 'the next snapshot replaces the book whatever its seq');

  const crossedSnap = { ...snap(1, 11), bids: [['101.50', '1'] as [string, string]] };
  assert.equal(b.applySnapshot(crossedSnap, 0).kind, 'applied');
  assert.equal(b.checkCrossed(true), 'snapshot-crossed');
  assert.equal(b.state, 'resyncing', 'the venue book itself is crossed: still not live');
  b.applyDelta(delta(1, 11, 12, [['100.00', '2']]), 0);
  assert.equal(b.checkCrossed(false), 'still-crossed');
  b.applyDelta(delta(1, 12, 13, [['101.50', '0']]), 0);
  assert.equal(b.checkCrossed(false), 'uncrossed');
  assert.equal(b.state, 'live');
});

test('a clean verifying snapshot makes a crossed book live again', () => {
  const b = new BookState('binance', 'BTC-USDT', 100);
  b.applySnapshot(snap(1, 10), 0);
  b.applyDelta(delta(1, 10, 11, [], [['99.00', '1']]), 0);
  assert.equal(b.checkCrossed(false), 'crossed');
  b.applySnapshot(snap(1, 11), 0);
  assert.equal(b.checkCrossed(true), 'uncrossed');
  assert.equal(b.state, 'live');
});
