import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFrame, type CoinbaseFrameEvent, type L2Event } from './parse';
import { checkSequence, ConnectionSequence } from './sequence';

test('checkSequence: the documented rule', () => {
  assert.deepEqual(checkSequence(undefined, 0), { kind: 'first' });
  assert.deepEqual(checkSequence(undefined, 17), { kind: 'first' });
  assert.deepEqual(checkSequence(4, 5), { kind: 'next' });
  assert.deepEqual(checkSequence(4, 4), { kind: 'old', last: 4 });
  assert.deepEqual(checkSequence(4, 2), { kind: 'old', last: 4 });
  assert.deepEqual(checkSequence(4, 6), { kind: 'gap', last: 4, missing: 1 });
  assert.deepEqual(checkSequence(0, 10), { kind: 'gap', last: 0, missing: 9 });
});

const book: CoinbaseFrameEvent = {
  kind: 'book',
  native: 'BTC-USD',
  update: { type: 'update', productId: 'BTC-USD', bids: [['1', '1']], asks: [], venueTs: 0 },
};
const trade: CoinbaseFrameEvent = {
  kind: 'trade',
  native: 'BTC-USD',
  trade: { id: '1', price: '1', size: '1', side: 'buy', venueTs: 0 },
};
const seq = (n: number): CoinbaseFrameEvent => ({ kind: 'connection-seq', seq: n });

test('ConnectionSequence: baseline, +1 passes, old frames dropped whole, a jump replaces book events by a gap', () => {
  const t = new ConnectionSequence<L2Event>();
  assert.deepEqual(t.onFrame([seq(0), { kind: 'ack', id: null }]), [{ kind: 'ack', id: null }]);
  assert.deepEqual(t.onFrame([seq(1), book]), [book]);
  assert.deepEqual(t.onFrame([seq(1), book]), [
    { kind: 'ignored', reason: 'coinbase:sequence_num 1 <= last 1 (duplicate or out of order)' },
  ]);
  assert.deepEqual(
    t.onFrame([{ kind: 'error', message: 'x' }]),
    [{ kind: 'error', message: 'x' }],
    'errors are not numbered',
  );
  assert.equal(t.last, 1);
  assert.deepEqual(t.onFrame([seq(4), book, trade]), [
    {
      kind: 'connection-gap',
      reason: 'coinbase:sequence_num jump: 4 after 1 (2 messages lost on this connection)',
    },
    trade,
  ]);
  assert.equal(t.gaps, 1);
  assert.deepEqual(t.onFrame([seq(5), book]), [book], 'the jump is the new baseline');
  assert.deepEqual(t.onFrame([book]), [book], 'frames without a number pass untouched');
});

test('the synthetic sample: one gap (5 lost) on connection 1, none on a new connection starting at 0', () => {
  const s = JSON.parse(
    readFileSync(
      new URL('../../test/fixtures/coinbase/advanced-trade-synthetic-sequence.json', import.meta.url),
      'utf8',
    ),
  ) as { connection1: unknown[]; connection2: { firstMessage: unknown } };
  const c1 = new ConnectionSequence<L2Event>();
  const out = s.connection1.flatMap((m) => c1.onFrame(parseFrame(JSON.stringify(m))));
  assert.deepEqual(
    out.filter((e) => e.kind === 'connection-gap').map((e) => e.kind === 'connection-gap' && e.reason),
    ['coinbase:sequence_num jump: 6 after 4 (1 message lost on this connection)'],
  );
  // per-channel tracking would flag l2_data 1 → 3 as a gap; per connection it is continuous
  assert.equal(
    out.filter((e) => e.kind === 'book').length,
    2,
    'snapshot (1) and update (3) pass, 6 does not',
  );
  const c2 = new ConnectionSequence<L2Event>();
  assert.deepEqual(c2.onFrame(parseFrame(JSON.stringify(s.connection2.firstMessage))), [
    { kind: 'ack', id: null },
  ]);
  assert.equal(c2.gaps, 0);
});
