import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BookSide } from './book-side';

function side(
  kind: 'bid' | 'ask',
  levels: Array<[string, string]>,
  maxDepth?: number,
  slack?: number,
): BookSide {
  const s = new BookSide(kind, maxDepth, slack);
  for (const [p, q] of levels) s.set(p, q);
  return s;
}

test('bids are ordered descending and asks ascending, best first', () => {
  const levels: Array<[string, string]> = [
    ['100.5', '1'],
    ['99', '2'],
    ['101', '3'],
    ['100.25', '4'],
  ];
  assert.deepEqual(side('bid', levels).top(), [
    ['101', '3'],
    ['100.5', '1'],
    ['100.25', '4'],
    ['99', '2'],
  ]);
  assert.deepEqual(side('ask', levels).top(), [
    ['99', '2'],
    ['100.25', '4'],
    ['100.5', '1'],
    ['101', '3'],
  ]);
});

test('orders prices exactly where doubles cannot tell them apart', () => {
  const levels: Array<[string, string]> = [
    ['0.10000000000000000002', '3'],
    ['0.1', '1'],
    ['0.10000000000000000001', '2'],
  ];
  assert.equal(Number(levels[0]![0]), Number(levels[1]![0]), 'the test needs equal doubles');
  assert.deepEqual(
    side('ask', levels)
      .top()
      .map((l) => l[0]),
    ['0.1', '0.10000000000000000001', '0.10000000000000000002'],
  );
  assert.deepEqual(
    side('bid', levels)
      .top()
      .map((l) => l[0]),
    ['0.10000000000000000002', '0.10000000000000000001', '0.1'],
  );
});

test('equal-valued spellings hit the same level and the latest wire text is kept', () => {
  const s = side('bid', [['27000.10', '1.0']]);
  s.set('27000.1', '2.50');
  assert.deepEqual(s.top(), [['27000.1', '2.50']]);
  s.set('027000.100', '3');
  assert.deepEqual(s.top(), [['027000.100', '3']]);
  assert.deepEqual(s.get('27000.1000'), ['027000.100', '3']);
  assert.equal(s.depth, 1);
});

test('a zero size in any spelling removes the level; removing an absent level is a no-op', () => {
  for (const zero of ['0', '0.0', '0.00000000', '000', '00.000']) {
    const s = side('ask', [
      ['1.5', '1'],
      ['2', '1'],
    ]);
    s.set('1.50', zero);
    assert.deepEqual(s.top(), [['2', '1']], zero);
    s.set('3', zero);
    assert.deepEqual(s.top(), [['2', '1']], zero);
  }
});

test('maxDepth trims the worst levels in batches and never returns levels beyond maxDepth', () => {
  const s = new BookSide('bid', 5, 3);
  for (let i = 1; i <= 20; i++) s.set(String(i), '1');
  assert.equal(s.depth, 5);
  assert.deepEqual(
    s.top(100).map((l) => l[0]),
    ['20', '19', '18', '17', '16'],
  );
  assert.deepEqual(
    [...s.levels()].map((l) => l[0]),
    ['20', '19', '18', '17', '16'],
  );
  assert.equal(s.get('15'), undefined, 'a slack level is not visible');
  // removing a visible level lets a retained slack level move up into view
  s.set('20', '0');
  assert.deepEqual(
    s.top().map((l) => l[0]),
    ['19', '18', '17', '16', '15'],
  );
});

test('maxDepth trimming never loses a level inside maxDepth', () => {
  const s = new BookSide('ask', 10, 4);
  // worst-first inserts force a trim on every batch; the 10 lowest prices must survive
  for (let i = 100; i >= 1; i--) s.set(`${i}.0`, String(i));
  assert.deepEqual(
    s.top().map((l) => l[0]),
    Array.from({ length: 10 }, (_, i) => `${i + 1}.0`),
  );
  // better levels arriving later push older ones out only beyond maxDepth
  for (let i = 1; i <= 5; i++) s.set(`0.${i}`, '1');
  assert.deepEqual(
    s.top().map((l) => l[0]),
    ['0.1', '0.2', '0.3', '0.4', '0.5', '1.0', '2.0', '3.0', '4.0', '5.0'],
  );
});

test('replace sorts any input order, lets a later duplicate win and drops zero sizes', () => {
  const s = side('bid', [['500', '9']]);
  s.replace([
    ['1', '1'],
    ['3', '3'],
    ['2.0', '2'],
    ['2', '2.5'],
    ['4', '0.000'],
    ['3.00', '0'],
  ]);
  assert.deepEqual(s.top(), [
    ['2', '2.5'],
    ['1', '1'],
  ]);
});

test('replace keeps only the best maxDepth levels', () => {
  const s = new BookSide('ask', 2, 10);
  s.replace([
    ['3', '1'],
    ['1', '1'],
    ['2', '1'],
    ['4', '1'],
  ]);
  assert.deepEqual(s.top(), [
    ['1', '1'],
    ['2', '1'],
  ]);
  assert.equal(s.depth, 2);
});

test('best and top hand out copies, so callers cannot corrupt the book', () => {
  const s = side('bid', [['1', '1']]);
  const best = s.best()!;
  best[1] = '999';
  s.top()[0]![0] = '7';
  assert.deepEqual(s.best(), ['1', '1']);
  assert.equal(s.bestPrice(), '1');
  assert.equal(s.bestSize(), '1');
});

test('compareBest compares bid and ask tops exactly and is undefined for an empty side', () => {
  const bids = side('bid', [['0.10000000000000000001', '1']]);
  const asks = side('ask', [['0.1', '1']]);
  assert.ok(BookSide.compareBest(bids, asks)! > 0);
  asks.set('0.10000000000000000001', '1');
  asks.set('0.1', '0');
  assert.equal(BookSide.compareBest(bids, asks), 0);
  asks.clear();
  assert.equal(BookSide.compareBest(bids, asks), undefined);
});
