import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFrame, parseInstruments, parseSnapshot, rfc3339ToUs } from './parse';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/kraken/${name}`, import.meta.url), 'utf8')) as T;

const samples = fixture<{ samples: { name: string; rawText: string }[] }>('format-samples.json').samples;
const sample = (name: string): string => {
  const s = samples.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no sample ${name}`);
  return s.rawText;
};
const doc = fixture<{ rawMessage: string }>('v2-book-checksum-doc-example.json');

test('doc: the book snapshot keeps its exact numeric text, checksum and µs timestamp', () => {
  const events = parseFrame(doc.rawMessage, 1);
  assert.equal(events.length, 1);
  const [ev] = events;
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  assert.equal(ev.native, 'BTC/USD');
  const u = ev.update;
  assert.equal(u.type, 'snapshot');
  assert.equal(u.bids.length, 10);
  assert.deepEqual(u.bids[3], ['45281.0', '0.10000000']);
  assert.deepEqual(u.asks[0], ['45285.2', '0.00100000']);
  assert.equal(u.checksum, 3310070434);
  assert.equal(u.venueTs, Date.UTC(2023, 9, 6, 17, 35, 55) * 1000 + 440295);
});

test('acks (with and without req_id), pong, heartbeat and status', () => {
  assert.deepEqual(parseFrame(sample('subscribe ack (book)'), 0), [{ kind: 'ack', id: 1 }]);
  assert.deepEqual(parseFrame(sample('subscribe ack (trade, no req_id)'), 0), [{ kind: 'ack', id: null }]);
  assert.deepEqual(parseFrame(sample('unsubscribe ack'), 0), [{ kind: 'ack', id: 7 }]);
  assert.deepEqual(parseFrame(sample('pong'), 0), [{ kind: 'heartbeat' }]);
  assert.deepEqual(parseFrame(sample('heartbeat'), 0), [{ kind: 'heartbeat' }]);
  assert.deepEqual(parseFrame(sample('status'), 0), [{ kind: 'ignored', reason: 'status: system online' }]);
  assert.equal(parseFrame('{"channel":"ticker","type":"update","data":[]}', 0)[0]?.kind, 'ignored');
  assert.equal(parseFrame('{"hello":1}', 0)[0]?.kind, 'ignored');
});

test('rejections fail their symbol; already subscribed and unsubscribe failures are harmless', () => {
  assert.deepEqual(parseFrame(sample('subscribe rejected: XBT/USD'), 0), [
    {
      kind: 'error',
      native: 'XBT/USD',
      message: 'kraken subscribe rejected: Currency pair not supported XBT/USD',
    },
  ]);
  const ctx = { requestSymbols: (id: number) => ({ 3: ['ETH/USD'], 4: ['ETH/USD', 'BTC/USD'] })[id] };
  const reject = (reqId: number): string =>
    `{"error":"Exceeded msg rate","method":"subscribe","success":false,"req_id":${reqId}}`;
  assert.deepEqual(parseFrame(reject(3), 0, ctx), [
    { kind: 'error', native: 'ETH/USD', message: 'kraken subscribe rejected: Exceeded msg rate' },
  ]);
  assert.deepEqual(parseFrame(reject(4), 0, ctx), [
    { kind: 'error', message: 'kraken subscribe rejected: Exceeded msg rate' },
  ]);
  assert.equal(
    parseFrame('{"error":"Already subscribed","method":"subscribe","success":false,"symbol":"BTC/USD"}', 0)[0]
      ?.kind,
    'ignored',
  );
  assert.equal(
    parseFrame(
      '{"error":"Subscription Not Found","method":"unsubscribe","success":false,"symbol":"BTC/USD"}',
      0,
    )[0]?.kind,
    'ignored',
  );
  assert.deepEqual(parseFrame('{"error":"Unsupported method","method":"bogus","success":false}', 0), [
    { kind: 'error', message: 'kraken bogus rejected: Unsupported method' },
  ]);
});

test('batched trades: one event each, taker side, exact text (trailing zeros kept), µs time', () => {
  assert.deepEqual(parseFrame(sample('trade update (two trades batched)'), 0), [
    {
      kind: 'trade',
      native: 'BTC/USD',
      trade: {
        id: '10218208',
        price: '105944.20',
        size: '0.00027625',
        side: 'buy',
        venueTs: 1696613755440295,
      },
    },
    {
      kind: 'trade',
      native: 'BTC/USD',
      trade: {
        id: '10218209',
        price: '105910.50',
        size: '0.00012460',
        side: 'sell',
        venueTs: 1696613756123456,
      },
    },
  ]);
  const snap = sample('trade update (two trades batched)').replace('"type":"update"', '"type":"snapshot"');
  assert.equal(parseFrame(snap, 0)[0]?.kind, 'ignored', 'historical trades are never republished');
});

test('RFC 3339 timestamps become exact µs', () => {
  assert.equal(rfc3339ToUs('1970-01-01T00:00:00Z'), 0);
  assert.equal(rfc3339ToUs('1970-01-01T00:00:01.5Z'), 1_500_000);
  assert.equal(rfc3339ToUs('2023-10-06T17:35:55.440295Z'), 1696613755440295);
  assert.equal(rfc3339ToUs('2023-10-06T17:35:55.440295999Z'), 1696613755440295, 'ns truncated');
  for (const bad of ['2023-10-06 17:35:55Z', '2023-02-30T00:00:00Z', '2023-10-06T17:35:55+01:00', 'x'])
    assert.throws(() => rfc3339ToUs(bad), { name: 'VenueParseError' }, bad);
});

test('a book message without timestamp takes the receive time', () => {
  const [ev] = parseFrame(
    '{"channel":"book","type":"update","data":[{"symbol":"X/Y","bids":[],"asks":[],"checksum":0}]}',
    77,
  );
  assert.equal(ev?.kind === 'book' ? ev.update.venueTs : undefined, 77);
});

test('malformed frames raise VenueParseError', () => {
  const book = (data: string, type = 'update'): string =>
    `{"channel":"book","type":"${type}","data":[${data}]}`;
  const lv = (price: string, qty: string): string =>
    `{"symbol":"BTC/USD","bids":[{"price":${price},"qty":${qty}}],"asks":[],"checksum":1,"timestamp":"2023-10-06T17:35:55.440295Z"}`;
  for (const bad of [
    'not json',
    '{"channel":"book",}',
    '[]',
    '5',
    book(lv('"45283.5"', '0.1')), // a string where v2 sends a number
    book(lv('45283.5', '-0.1')),
    book(lv('1e5', '0.1')),
    book(lv('45283.5', 'null')),
    book(lv('45283.5', '0.1'), 'partial'),
    book('{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":4294967296}'),
    book('{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1.5}'),
    book('{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":-1}'),
    book('{"symbol":"BTC/USD","bids":[],"asks":[]}'),
    book('{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1,"timestamp":"yesterday"}'),
    book('{"symbol":"","bids":[],"asks":[],"checksum":1}'),
    '{"channel":"book","type":"update","data":{}}',
    '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"BUY","price":1,"qty":1,"trade_id":1,"timestamp":"2023-10-06T17:35:55Z"}]}',
    '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"trade_id":1.5,"timestamp":"2023-10-06T17:35:55Z"}]}',
    '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"trade_id":1}]}',
    '{"method":"subscribe","success":"yes"}',
    '{"method":"pong","req_id":"a"}',
    '{"channel":"status","data":{}}',
  ]) {
    assert.throws(() => parseFrame(bad, 0), { name: 'VenueParseError' }, bad);
  }
  // one bad element rejects the whole frame (nothing is half-applied)
  assert.throws(() => parseFrame(book(`${lv('1.0', '1.0')},${lv('1.0', '-1')}`), 0), {
    name: 'VenueParseError',
  });
});

interface AssetPairsFixture {
  response: unknown;
  errorResponse: unknown;
  depthResponse: { body: unknown };
}
const pairs = fixture<AssetPairsFixture>('asset-pairs.json');

test('AssetPairs → v2 natives from wsname (XBT→BTC, XDG→DOGE), BASE-QUOTE, precisions', () => {
  const list = parseInstruments(JSON.stringify(pairs.response), 'kraken');
  assert.deepEqual(
    list.map((i) => [i.native, i.symbol, i.base, i.quote, i.priceDecimals, i.sizeDecimals]),
    [
      ['BTC/USD', 'BTC-USD', 'BTC', 'USD', 1, 8],
      ['BTC/USDT', 'BTC-USDT', 'BTC', 'USDT', 1, 8],
      ['ETH/USD', 'ETH-USD', 'ETH', 'USD', 2, 8],
      ['DOGE/USD', 'DOGE-USD', 'DOGE', 'USD', 7, 8],
      ['AAPLx/USD', 'AAPLX-USD', 'AAPLX', 'USD', 2, 8],
      ['USDT/USD', 'USDT-USD', 'USDT', 'USD', 5, 8],
    ],
    'no wsname (dark pool) and delisted pairs are skipped; USD and USDT stay distinct',
  );
  assert.ok(list.every((i) => i.venue === 'kraken' && i.kind === 'spot'));
  // the project's normalization examples for Kraken agree
  const norm = fixture<{
    examples: { exchange: string; native: string; normalized: string; market: string }[];
  }>('symbols-normalization.json').examples.filter((e) => e.exchange === 'kraken');
  assert.equal(norm.length, 3);
  const byV2 = new Map(list.map((i) => [i.native, i.symbol]));
  assert.equal(byV2.get('BTC/USD'), norm.find((e) => e.market.includes('v2'))!.normalized);
  assert.equal(byV2.get('BTC/USD'), norm.find((e) => e.native === 'XXBTZUSD')!.normalized, 'REST key');
  const chf = parseInstruments(
    JSON.stringify({
      error: [],
      result: {
        XBTCHF: { wsname: 'XBT/CHF', base: 'XXBT', quote: 'CHF', pair_decimals: 1, lot_decimals: 8 },
      },
    }),
    'kraken',
  );
  assert.equal(chf[0]?.symbol, norm.find((e) => e.native === 'XBT/CHF')!.normalized, 'v1 wsname');
});

test('AssetPairs and Depth errors are VenueParseErrors; Depth parses with exact text', () => {
  assert.throws(() => parseInstruments(JSON.stringify(pairs.errorResponse), 'kraken'), {
    name: 'VenueParseError',
    message: /EQuery:Unknown asset pair/,
  });
  assert.throws(() => parseInstruments('{"error":[],"result":{"X":{"wsname":"A/B"}}}', 'kraken'), {
    name: 'VenueParseError',
  });
  assert.throws(() => parseInstruments('nope', 'kraken'), { name: 'VenueParseError' });
  assert.deepEqual(parseSnapshot(JSON.stringify(pairs.depthResponse.body)), {
    asks: [
      ['45285.2', '0.00100000'],
      ['45286.4', '1.54571953'],
    ],
    bids: [
      ['45283.5', '0.10000000'],
      ['45283.4', '1.54582015'],
    ],
  });
  assert.throws(() => parseSnapshot('{"error":["EQuery:Unknown asset pair"]}'), { name: 'VenueParseError' });
});
