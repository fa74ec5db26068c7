import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resolveSymbol } from '../../market/instrument';
import { krakenNative, krakenSpec } from './index';
import { bookChecksum, bookMessage, qtyText, rfc3339, tradeMessage, type TickLevel } from './wire';

const doc = JSON.parse(
  readFileSync(
    new URL(
      '../../../../../libs/venues/test/fixtures/kraken/v2-book-checksum-doc-example.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as { rawMessage: string; wireLevels: { bids: string[][]; asks: string[][] } };

// BTC/USD at the doc's precisions: price 1 decimal, qty 8 (tick 0.1, step 0.00000001)
const spec = {
  ...resolveSymbol({
    native: 'BTCUSD',
    base: 'BTC',
    quote: 'USD',
    startPrice: '45284.0',
    tickSize: '0.1',
    stepSize: '0.00000001',
    priceDecimals: 1,
    sizeDecimals: 8,
  }),
  native: 'BTC/USD',
};
const ticks = (side: string[][]): TickLevel[] =>
  side.map(([p, q]): TickLevel => [Math.round(Number(p) * 10), Math.round(Number(q) * 1e8)]);

test('the doc example is reproduced byte for byte, with the documented checksum', () => {
  const bids = ticks(doc.wireLevels.bids);
  const asks = ticks(doc.wireLevels.asks);
  const checksum = bookChecksum(spec, bids, asks);
  assert.equal(checksum, 3310070434);
  const text = bookMessage({ type: 'snapshot', spec, bids, asks, checksum, sendUs: 1696613755440295 });
  assert.equal(text, doc.rawMessage);
});

test('JSON numbers carry the instrument decimals; deletes are qty 0; time is RFC 3339 with µs', () => {
  const t = bookMessage({
    type: 'update',
    spec,
    bids: [[452810, 0]],
    asks: [[452852, 10000000]],
    checksum: 1,
    sendUs: 0,
  });
  assert.equal(
    t,
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":45281.0,"qty":0}],"asks":[{"price":45285.2,"qty":0.10000000}],"checksum":1,"timestamp":"1970-01-01T00:00:00.000000Z"}]}',
  );
  assert.equal(qtyText(spec, 1), '0.00000001');
  assert.equal(rfc3339(1696613755440295), '2023-10-06T17:35:55.440295Z');
  assert.equal(rfc3339(1_000_001), '1970-01-01T00:00:01.000001Z');
  assert.equal(
    tradeMessage('update', spec, [
      { trade: { symbol: 'BTC/USD', id: 7, ticks: 452852, lots: 27625, takerSide: 'sell' }, sendUs: 5 },
    ]),
    '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":45285.2,"qty":0.00027625,"ord_type":"market","trade_id":7,"timestamp":"1970-01-01T00:00:00.000005Z"}]}',
  );
});

test('simulator symbols become v2 natives with tick decimals and 8 qty decimals', () => {
  const s = krakenSpec(resolveSymbol({ native: 'BTCUSDT', base: 'BTC', quote: 'USDT' }));
  assert.deepEqual(
    [s.native, s.priceDecimals, s.sizeDecimals, s.tickSize, s.stepSize],
    ['BTC/USDT', 2, 8, '0.01', '0.00001000'],
  );
  assert.equal(krakenNative({ base: 'XBT', quote: 'USD' }), 'BTC/USD');
});
