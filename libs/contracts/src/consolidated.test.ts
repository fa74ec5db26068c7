import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBookStats, encodeBookStats, statsSubject, statsWildcard, type BookStats } from './book-stats';
import { CodecError, decode } from './codec';
import {
  consolidatedSubject,
  consolidationSource,
  decodeConsolidated,
  encodeConsolidated,
  nbboRedisKey,
  nbboToRedisFields,
  NBBO_FIELDS,
  type ConsolidatedBook,
} from './consolidated';
import { SubjectError } from './subjects';

const book: ConsolidatedBook = {
  type: 'consolidated',
  symbol: 'BTC-USD',
  depth: 10,
  bids: [
    [
      '100.5',
      '3',
      [
        ['binance:BTC-USDT', '1.0'],
        ['coinbase', '2'],
      ],
    ],
  ],
  asks: [['101', '0.5', [['coinbase', '0.50']]]],
  nbbo: {
    bidPx: '100.5',
    bidSz: '3',
    bidVenue: 'coinbase',
    askPx: '101',
    askSz: '0.5',
    askVenue: 'coinbase',
  },
  crossed: false,
  locked: false,
  venues: ['binance:BTC-USDT', 'coinbase'],
  excluded: [{ venue: 'okx', state: 'stale' }],
  venueTs: 1,
  bookTs: 2,
  ts: 3,
};

test('consolidated subjects, Redis keys and source ids', () => {
  assert.equal(consolidatedSubject('BTC-USD'), 'md.v1.consolidated.BTC-USD');
  assert.equal(nbboRedisKey('BTC-USD'), 'tm:v1:nbbo:BTC-USD');
  assert.throws(() => consolidatedSubject('BTC.USD'), SubjectError);
  assert.equal(consolidationSource('coinbase', 'BTC-USD', 'BTC-USD'), 'coinbase');
  assert.equal(consolidationSource('binance', 'BTC-USDT', 'BTC-USD'), 'binance:BTC-USDT');
});

test('a consolidated book round-trips as JSON v1 and is not a binary-codec message', () => {
  const bytes = encodeConsolidated(book);
  assert.equal(JSON.parse(new TextDecoder().decode(bytes)).v, 1);
  assert.deepEqual(decodeConsolidated(bytes), book);
  assert.throws(() => decode(bytes), CodecError, 'the wire codec does not know the type');
  const bad = new TextEncoder().encode(JSON.stringify({ ...book, v: 1, bids: [['1e3', '1', []]] }));
  assert.throws(() => decodeConsolidated(bad), CodecError);
  const v2 = new TextEncoder().encode(JSON.stringify({ ...book, v: 2 }));
  assert.throws(() => decodeConsolidated(v2), /version/);
});

test('the NBBO hash carries every documented field', () => {
  const fields = nbboToRedisFields(book, 9);
  const h = Object.fromEntries(
    Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]),
  );
  assert.deepEqual(Object.keys(h), [...NBBO_FIELDS]);
  assert.equal(h['venues'], 'binance:BTC-USDT,coinbase');
  assert.equal(h['excluded'], 'okx');
  assert.equal(h['crossed'], '0');
  assert.equal(h['updatedAt'], '9');
});

test('stats round-trip as JSON v1 on their own subject', () => {
  const s: BookStats = {
    type: 'stats',
    venue: 'binance',
    symbol: 'BTC-USDT',
    state: 'live',
    windowMs: 10_000,
    messagesPerSec: 12.5,
    updatesPerSec: 10,
    tradesPerSec: 2.5,
    spreadBps: null,
    bidDepth: 3,
    askDepth: 0,
    resyncs: 1,
    crossed: 0,
    ts: 5,
  };
  assert.equal(statsSubject('binance', 'BTC-USDT'), 'md.v1.stats.binance.BTC-USDT');
  assert.equal(statsWildcard(), 'md.v1.stats.*.*');
  assert.deepEqual(decodeBookStats(encodeBookStats(s)), s);
  assert.deepEqual(decodeBookStats(encodeBookStats({ ...s, spreadBps: 1.25 })).spreadBps, 1.25);
});
