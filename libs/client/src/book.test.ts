import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookViewData, DataMessage } from '@tickmesh/contracts';
import { BookViewState, compareDecimalText } from './book';

const msg = (type: 'snapshot' | 'update', seq: number, d: Partial<BookViewData>): DataMessage => ({
  type,
  ch: 'book.binance.BTC-USDT',
  seq,
  epoch: 1,
  data: { venue: 'binance', symbol: 'BTC-USDT', depth: 10, bookEpoch: 3, bookSeq: seq, state: 'live', bids: [], asks: [], ...d },
}); // prettier-ignore

test('exact decimal ordering of price text', () => {
  assert.ok(compareDecimalText('10', '9.99') > 0);
  assert.equal(compareDecimalText('1.50', '1.5'), 0);
  assert.ok(compareDecimalText('0.00000001', '0.0000001') < 0);
  assert.ok(compareDecimalText('100000000000000000001', '100000000000000000000.9') > 0);
});

test('a book view: snapshot, diffs (size 0 removes), a mid-stream snapshot replaces, best first', () => {
  const s = new BookViewState('binance', 'BTC-USDT', 2);
  assert.equal(s.apply(msg('update', 1, { bids: [['1', '1']] })), false, 'no update before a snapshot');
  s.apply(
    msg('snapshot', 1, {
      bids: [
        ['9.5', '1'],
        ['10', '2'],
      ],
      asks: [['11', '1']],
    }),
  );
  assert.deepEqual(s.view().bids, [
    ['10', '2'],
    ['9.5', '1'],
  ]);
  s.apply(
    msg('update', 2, {
      bids: [
        ['10', '0'],
        ['9.75', '3'],
        ['9', '1'],
      ],
      asks: [['10.5', '0.1']],
    }),
  );
  const v = s.view();
  assert.deepEqual(
    v.bids,
    [
      ['9.75', '3'],
      ['9.5', '1'],
    ],
    'trimmed to the asked depth',
  );
  assert.deepEqual(v.asks, [
    ['10.5', '0.1'],
    ['11', '1'],
  ]);
  assert.equal(v.bookSeq, 2);
  s.apply(msg('snapshot', 3, { bids: [['5', '5']], asks: [], state: 'live', bookEpoch: 4 }));
  assert.deepEqual(s.view(), {
    venue: 'binance', symbol: 'BTC-USDT', depth: 2, bookEpoch: 4, bookSeq: 3, state: 'live', bids: [['5', '5']], asks: [],
  }); // prettier-ignore
});
