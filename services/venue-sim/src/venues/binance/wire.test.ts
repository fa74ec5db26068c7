import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BookSide } from '../../market/book-side';
import { resolveSymbol } from '../../market/instrument';
import { bookJson, depthEvent, depthTail, timeIn, tradeEvent, tradeParts, wrap } from './wire';

const BNB = resolveSymbol({
  native: 'BNBBTC',
  base: 'BNB',
  quote: 'BTC',
  startPrice: '0.0025',
  tickSize: '0.000001',
  stepSize: '0.01',
});

test('depth events have the venue field order, 8-place decimals and parse as JSON', () => {
  const tail = depthTail(BNB, {
    symbol: 'BNBBTC',
    firstId: 157,
    lastId: 160,
    changes: [
      { side: 'bid', ticks: 2400, lots: 1000 },
      { side: 'ask', ticks: 2600, lots: 10000 },
      { side: 'ask', ticks: 2700, lots: 0 },
    ],
  });
  const text = depthEvent(1672515782136, tail);
  assert.equal(
    text,
    '{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.00240000","10.00000000"]],"a":[["0.00260000","100.00000000"],["0.00270000","0.00000000"]]}',
  );
  assert.deepEqual(Object.keys(JSON.parse(text) as object), ['e', 'E', 's', 'U', 'u', 'b', 'a']);
  assert.equal(wrap('bnbbtc@depth@100ms', '{"x":1}'), '{"stream":"bnbbtc@depth@100ms","data":{"x":1}}');
});

test('trade events: m is true when the taker sold', () => {
  const p = tradeParts(BNB, { symbol: 'BNBBTC', id: 12345, ticks: 1000, lots: 10000, takerSide: 'sell' });
  const text = tradeEvent(1672515782136, 1672515782135, p);
  assert.equal(
    text,
    '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.00100000","q":"100.00000000","T":1672515782135,"m":true,"M":true}',
  );
  const buy = tradeParts(BNB, { symbol: 'BNBBTC', id: 1, ticks: 1000, lots: 1, takerSide: 'buy' });
  assert.equal((JSON.parse(tradeEvent(1, 1, buy)) as { m: boolean }).m, false);
});

test('REST book shape, truncated to the limit', () => {
  const bids = new BookSide('bid');
  const asks = new BookSide('ask');
  bids.set(4_000_000, 43100);
  bids.set(3_999_999, 1);
  asks.set(4_000_002, 1200);
  assert.equal(
    bookJson(BNB, 1027024, bids, asks, 1),
    '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}',
  );
});

test('time unit conversion truncates µs to ms', () => {
  assert.equal(timeIn(1_700_000_000_123_999, false), 1_700_000_000_123);
  assert.equal(timeIn(1_700_000_000_123_999, true), 1_700_000_000_123_999);
});
