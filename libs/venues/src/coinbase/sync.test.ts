import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Level } from '@tickmesh/contracts';
import { parseFrame, type L2Event } from './parse';
import { ConnectionSequence } from './sequence';
import { CoinbaseBookSync } from './sync';

const ev = (type: 'snapshot' | 'update', bids: Level[] = [], asks: Level[] = [], venueTs = 7): L2Event => ({
  type,
  productId: 'BTC-USD',
  bids,
  asks,
  venueTs,
});

test('rule 1: updates before the first snapshot are buffered without a snapshot request, and not kept', () => {
  const s = new CoinbaseBookSync();
  assert.deepEqual(s.onUpdate(ev('update', [['100', '1']])), { kind: 'buffered', needSnapshot: false });
  assert.deepEqual(s.onUpdate(ev('snapshot', [['99', '1']], [['101', '1']], 9)), {
    kind: 'live',
    seq: 1,
    venueTs: 9,
  });
  assert.deepEqual(s.book.top(), { bids: [['99', '1']], asks: [['101', '1']] });
});

test('rule 2: a snapshot replaces the book whenever it comes and starts a new epoch (live)', () => {
  const s = new CoinbaseBookSync();
  s.onUpdate(
    ev(
      'snapshot',
      [
        ['99', '1'],
        ['98', '2'],
      ],
      [['101', '1']],
    ),
  );
  s.onUpdate(ev('update', [['99.5', '3']]));
  const step = s.onUpdate(
    ev(
      'snapshot',
      [['97', '5']],
      [
        ['102', '1'],
        ['103', '0'],
      ],
    ),
  );
  assert.deepEqual(step, { kind: 'live', seq: 3, venueTs: 7 });
  assert.deepEqual(
    s.book.top(),
    { bids: [['97', '5']], asks: [['102', '1']] },
    'zero sizes in a snapshot are not levels',
  );
});

test('rule 3: new_quantity is absolute; "0" in any spelling removes; unknown prices insert; absent deletes are no-ops', () => {
  const s = new CoinbaseBookSync();
  s.onUpdate(
    ev(
      'snapshot',
      [
        ['100.00', '1'],
        ['99.00', '2'],
      ],
      [['101.00', '1']],
    ),
  );
  const step = s.onUpdate(
    ev(
      'update',
      [
        ['100.00', '0.5'],
        ['99.00', '0.00000000'],
        ['98.50', '4'],
        ['10', '0'],
      ],
      [['101.00', '0']],
    ),
  );
  assert.deepEqual(step, {
    kind: 'applied',
    seq: 2,
    prevSeq: 1,
    venueTs: 7,
    bids: [
      ['100.00', '0.5'],
      ['99.00', '0.00000000'],
      ['98.50', '4'],
      ['10', '0'],
    ],
    asks: [['101.00', '0']],
  });
  assert.deepEqual(s.book.top(), {
    bids: [
      ['100.00', '0.5'],
      ['98.50', '4'],
    ],
    asks: [],
  });
});

test('normalized seq: +1 per applied update and per live snapshot, strictly increasing across resets', () => {
  const s = new CoinbaseBookSync();
  const seqs: number[] = [];
  const take = (step: ReturnType<CoinbaseBookSync['onUpdate']>): void => {
    if (step.kind === 'live' || step.kind === 'applied') seqs.push(step.seq);
  };
  take(s.onUpdate(ev('snapshot', [['1', '1']], [['2', '1']])));
  take(s.onUpdate(ev('update', [['1', '2']])));
  take(s.onUpdate(ev('update', [['1', '3']])));
  s.reset();
  assert.equal(s.book.depth().bids, 0);
  assert.deepEqual(s.onUpdate(ev('update', [['1', '4']])), { kind: 'buffered', needSnapshot: false });
  take(s.onUpdate(ev('snapshot', [['1', '1']], [['2', '1']])));
  take(s.onUpdate(ev('update', [['1', '5']])));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
  assert.equal(s.seq, 5);
});

test('an empty update is ignored; the REST book is never used; a bad level leaves the book untouched', () => {
  const s = new CoinbaseBookSync();
  s.onUpdate(ev('snapshot', [['1', '1']], [['2', '1']]));
  assert.equal(s.onUpdate(ev('update')).kind, 'ignored');
  assert.equal(s.onSnapshot({ productId: 'BTC-USD', bids: [], asks: [], venueTs: 0 }).kind, 'ignored');
  assert.throws(() =>
    s.onUpdate(
      ev('update', [
        ['1', '2'],
        ['x', '1'],
      ]),
    ),
  );
  assert.deepEqual(s.book.top(), { bids: [['1', '1']], asks: [['2', '1']] });
  assert.equal(s.seq, 1);
});

test('synthetic sequence sample: the book after sequence_num 4, and the jump to 6 is not applied', () => {
  const sample = JSON.parse(
    readFileSync(
      new URL('../../test/fixtures/coinbase/advanced-trade-synthetic-sequence.json', import.meta.url),
      'utf8',
    ),
  ) as {
    connection1: unknown[];
    expected: {
      afterSequence4: { bids: Level[]; asks: Level[]; bestBid: Level; bestAsk: Level };
      gapAtSequenceNum: number;
      lastSequenceNumBeforeGap: number;
    };
  };
  const tracker = new ConnectionSequence<L2Event>();
  const sync = new CoinbaseBookSync();
  const gaps: string[] = [];
  for (const m of sample.connection1) {
    const events = tracker.onFrame(parseFrame(JSON.stringify(m)));
    for (const e of events) {
      if (e.kind === 'connection-gap') {
        gaps.push(e.reason);
        sync.reset();
      }
      if (e.kind === 'book') sync.onUpdate(e.update);
    }
    if ((m as { sequence_num: number }).sequence_num === 4) {
      const want = sample.expected.afterSequence4;
      assert.deepEqual(sync.book.top(), { bids: want.bids, asks: want.asks });
      assert.deepEqual([sync.book.bestBid(), sync.book.bestAsk()], [want.bestBid, want.bestAsk]);
    }
  }
  assert.deepEqual(gaps, [
    `coinbase:sequence_num jump: ${sample.expected.gapAtSequenceNum} after ${sample.expected.lastSequenceNumBeforeGap} (1 message lost on this connection)`,
  ]);
  assert.equal(sync.book.depth().bids, 0, 'the book is discarded, not patched by the update at 6');
});
