import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BookSide } from './book-side';

test('bids are kept best (highest) first, asks lowest first', () => {
  const bids = new BookSide('bid');
  const asks = new BookSide('ask');
  for (const p of [5, 9, 7, 1]) {
    bids.set(p, p * 10);
    asks.set(p, p * 10);
  }
  assert.deepEqual(
    bids.levels().map(([p]) => p),
    [9, 7, 5, 1],
  );
  assert.deepEqual(
    asks.levels().map(([p]) => p),
    [1, 5, 7, 9],
  );
  assert.equal(bids.best(), 9);
  assert.equal(asks.best(), 1);
  assert.deepEqual(bids.levels(2), [
    [9, 90],
    [7, 70],
  ]);
});

test('size 0 removes; removing an absent level is a no-op; sizes are absolute', () => {
  const s = new BookSide('ask');
  s.set(10, 3);
  s.set(10, 4);
  assert.equal(s.get(10), 4);
  s.set(11, 0);
  assert.equal(s.length, 1);
  s.set(10, 0);
  assert.equal(s.length, 0);
  assert.equal(s.best(), undefined);
  assert.equal(s.get(10), 0);
});
