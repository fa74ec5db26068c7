import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal, type Level } from '@tickmesh/contracts';
import { prng, randomLevels, ReferenceBook, WIDE } from '../test/reference-book';
import { BookError } from './book-error';
import { OrderBook } from './order-book';

test('a snapshot then deltas produce the exact expected book', () => {
  const book = new OrderBook();
  book.applySnapshot(
    [
      ['27000.10', '1.5'],
      ['26999.9', '2'],
      ['26999.50', '3'],
    ],
    [
      ['27000.2', '0.5'],
      ['27000.30', '1'],
      ['27001', '4'],
    ],
  );
  book.applyDelta(
    [
      ['26999.9', '0'],
      ['27000.15', '0.25'],
      ['26999.5', '3.10'],
    ],
    [
      ['27000.2', '0.75'],
      ['27001.0', '0.0'],
    ],
  );
  book.applyDelta([], [['27000.25', '9']]);
  assert.deepEqual(book.top(), {
    bids: [
      ['27000.15', '0.25'],
      ['27000.10', '1.5'],
      ['26999.5', '3.10'],
    ],
    asks: [
      ['27000.2', '0.75'],
      ['27000.25', '9'],
      ['27000.30', '1'],
    ],
  });
  assert.deepEqual(book.bestBid(), ['27000.15', '0.25']);
  assert.deepEqual(book.bestAsk(), ['27000.2', '0.75']);
  assert.deepEqual(book.depth(), { bids: 3, asks: 3 });
  assert.deepEqual(book.top(1), { bids: [['27000.15', '0.25']], asks: [['27000.2', '0.75']] });
  assert.deepEqual(
    [...book.levels('ask')].map((l) => l[0]),
    ['27000.2', '27000.25', '27000.30'],
  );
});

test('a snapshot replaces the previous book and seq/epoch stay with the owner', () => {
  const book = new OrderBook();
  book.seq = 41;
  book.epoch = 3;
  book.applySnapshot([['1', '1']], [['2', '1']]);
  book.applySnapshot([['5', '1']], []);
  assert.deepEqual(book.top(), { bids: [['5', '1']], asks: [] });
  assert.equal(book.bestAsk(), undefined);
  book.clear();
  assert.deepEqual(book.depth(), { bids: 0, asks: 0 });
  assert.equal(book.bestBid(), undefined);
  assert.deepEqual([book.seq, book.epoch], [41, 3]);
});

test('isCrossed detects best bid >= best ask exactly', () => {
  const book = new OrderBook();
  assert.equal(book.isCrossed(), false, 'empty book');
  book.applySnapshot([['0.1', '1']], [['0.10000000000000000001', '1']]);
  assert.equal(book.isCrossed(), false, 'one unit in the 20th decimal apart');
  book.applyLevels('bid', [['0.10000000000000000001', '1']]);
  assert.equal(book.isCrossed(), true, 'locked (equal) counts as crossed');
  book.applyLevels('bid', [
    ['0.100000000000000000010', '0'],
    ['0.1', '0'],
  ]);
  assert.equal(book.isCrossed(), false, 'bid side empty');
  book.applyLevels('bid', [['0.2', '1']]);
  assert.equal(book.isCrossed(), true);
});

test('invalid input throws BookError and leaves the book unchanged', () => {
  const book = new OrderBook();
  book.applySnapshot([['10', '1']], [['11', '1']]);
  const before = book.top();
  const bad: Array<[Level[], Level[], unknown]> = [
    [[['9', '1']], [['12', '-1']], '-1'],
    [
      [
        ['9', '1'],
        ['1e3', '1'],
      ],
      [],
      '1e3',
    ],
    [
      [['9', '1']],
      [
        ['12', '1'],
        [' 13', '1'],
      ],
      ' 13',
    ],
    [[['10', '0']], [['12', '']], ''],
    [[['10', '0']], [['12', 5 as unknown as string]], 5],
  ];
  for (const [bids, asks, value] of bad) {
    assert.throws(
      () => book.applyDelta(bids, asks),
      (e: unknown) => e instanceof BookError && e.name === 'BookError' && e.value === value,
    );
    assert.deepEqual(book.top(), before);
  }
  assert.throws(
    () =>
      book.applyLevels('ask', [
        ['12', '1'],
        ['x', '1'],
      ]),
    BookError,
  );
  assert.throws(() => book.applySnapshot([['1', '1']], [['2', '1.']]), BookError);
  assert.throws(() => book.applyDelta([['1'] as unknown as Level], []), BookError);
  assert.deepEqual(book.top(), before);
});

test('applyDelta reports bestChanged only when best price or size text changes', () => {
  const book = new OrderBook();
  book.applySnapshot(
    [
      ['10', '1'],
      ['9', '1'],
    ],
    [
      ['11', '1'],
      ['12', '1'],
    ],
  );
  assert.equal(
    book.applyDelta(
      [['9', '5']],
      [
        ['12', '0'],
        ['13', '2'],
      ],
    ),
    false,
    'below the top',
  );
  assert.equal(book.applyDelta([], []), false, 'empty delta');
  assert.equal(book.applyDelta([['10', '1']], []), false, 'same size again');
  assert.equal(book.applyDelta([['10', '2']], []), true, 'best bid size');
  assert.equal(book.applyDelta([], [['10.5', '1']]), true, 'new best ask');
  assert.equal(book.applyDelta([['10', '0']], []), true, 'best bid removed');
  assert.equal(book.applyDelta([['9.0', '5']], []), true, 'new spelling of the best price is republished');
  assert.equal(
    book.applyDelta(
      [],
      [
        ['10.5', '3'],
        ['10.5', '1'],
      ],
    ),
    false,
    'changed and changed back',
  );
  assert.equal(book.applyLevels('ask', [['10.4', '1']]), true);
  assert.equal(book.applyLevels('bid', [['1', '1']]), false);
});

test('maxDepth is validated and limits top, depth and levels', () => {
  assert.throws(() => new OrderBook({ maxDepth: 0 }), RangeError);
  assert.throws(() => new OrderBook({ maxDepth: 1.5 }), RangeError);
  assert.throws(() => new OrderBook({ maxDepth: 5, trimSlack: -1 }), RangeError);
  const book = new OrderBook({ maxDepth: 3, trimSlack: 2 });
  assert.equal(book.maxDepth, 3);
  book.applyDelta(
    [
      ['1', '1'],
      ['2', '1'],
      ['3', '1'],
      ['4', '1'],
      ['5', '1'],
    ],
    [],
  );
  assert.deepEqual(book.depth(), { bids: 3, asks: 0 });
  assert.deepEqual(
    book.top(10).bids.map((l) => l[0]),
    ['5', '4', '3'],
  );
  assert.deepEqual([...book.levels('bid')].length, 3);
  assert.deepEqual(book.bids.get('2'), undefined);
  assert.deepEqual(book.bids.get('4.0'), ['4', '1']);
});

// ---------------------------------------------------------------- randomized model check

interface ModelOptions {
  maxDepth?: number;
  slack?: number;
  pool?: readonly string[];
}

function runModel(seed: number, ops: number, { maxDepth, slack, pool }: ModelOptions = {}): void {
  const rand = prng(seed);
  const book = new OrderBook(maxDepth === undefined ? {} : { maxDepth, trimSlack: slack });
  const ref = new ReferenceBook(maxDepth, maxDepth === undefined ? 0 : slack);
  const bestText = (): string[] => [String(ref.sorted('bid')[0]), String(ref.sorted('ask')[0])];
  let before = bestText();
  for (let op = 0; op < ops; op++) {
    const r = rand();
    const bids = randomLevels(rand, Math.floor(rand() * 6), pool);
    const asks = randomLevels(rand, Math.floor(rand() * 6), pool);
    const ctx = `seed ${seed} op ${op}`;
    if (r < 0.03) {
      book.applySnapshot(bids, asks);
      ref.snapshot(bids, asks);
    } else if (r < 0.06) {
      asks.push(['27000.1', '-1']);
      assert.throws(() => book.applyDelta(bids, asks), BookError, ctx);
    } else {
      const changed = book.applyDelta(bids, asks);
      for (const l of bids) ref.set('bid', l);
      for (const l of asks) ref.set('ask', l);
      const after = bestText();
      assert.equal(changed, before[0] !== after[0] || before[1] !== after[1], `bestChanged, ${ctx}`);
    }
    const bids2 = ref.sorted('bid');
    const asks2 = ref.sorted('ask');
    before = [String(bids2[0]), String(asks2[0])];
    assert.deepEqual(book.top(), { bids: bids2.slice(0, maxDepth), asks: asks2.slice(0, maxDepth) }, ctx);
    const rb = bids2[0];
    const ra = asks2[0];
    const crossed = rb !== undefined && ra !== undefined && compareDecimal(rb[0], ra[0]) >= 0;
    assert.equal(book.isCrossed(), crossed, ctx);
  }
}

test('matches a naive reference book over thousands of random operations', () => {
  for (const seed of [1, 2, 3]) runModel(seed, 3000);
  runModel(4, 2000, { pool: WIDE });
});

test('matches the reference with maxDepth trimming over random operations', () => {
  for (const seed of [11, 12]) runModel(seed, 3000, { maxDepth: 4, slack: 3 });
  runModel(13, 3000, { maxDepth: 1, slack: 0 });
  runModel(14, 2000, { maxDepth: 40, slack: 10, pool: WIDE });
});

test('with only non-zero updates, a trimmed book shows exactly the unbounded top maxDepth', () => {
  const rand = prng(99);
  const trimmed = new OrderBook({ maxDepth: 5, trimSlack: 2 });
  const full = new OrderBook();
  for (let op = 0; op < 2000; op++) {
    const levels = randomLevels(rand, 1 + Math.floor(rand() * 4)).map(([p]): Level => [
      p,
      String(1 + Math.floor(rand() * 9)),
    ]);
    const side = rand() < 0.5 ? 'bid' : 'ask';
    assert.equal(trimmed.applyLevels(side, levels), full.applyLevels(side, levels));
    assert.deepEqual(trimmed.top(), full.top(5), `op ${op}`);
  }
});

test('trimTo cuts each side to its best N levels and reports the cut levels as deletes', () => {
  const book = new OrderBook();
  book.applySnapshot(
    [['100', '1'], ['99', '2'], ['98', '3']],
    [['101', '1'], ['102', '2']],
  ); // prettier-ignore
  const bids: [string, string][] = [['100', '1']];
  const asks: [string, string][] = [];
  book.trimTo(2, bids, asks);
  assert.deepEqual(book.top(), {
    bids: [
      ['100', '1'],
      ['99', '2'],
    ],
    asks: [
      ['101', '1'],
      ['102', '2'],
    ],
  });
  assert.deepEqual(
    bids,
    [
      ['100', '1'],
      ['98', '0'],
    ],
    'appended after what the delta already had',
  );
  assert.deepEqual(asks, [], 'a side within the depth is untouched');
});
