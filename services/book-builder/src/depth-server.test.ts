import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binaryCodec,
  decodeBookReply,
  encodeBookRequest,
  jsonCodec,
  type BookSnapshot,
  type Level,
} from '@tickmesh/contracts';
import { BookState } from './book-state';
import { depthReply } from './depth-server';

function book(): BookState {
  const b = new BookState('binance', 'BTC-USDT', 1000);
  const bids: Level[] = Array.from({ length: 80 }, (_, i) => [`${1000 - i}.00`, `${i + 1}.5`]);
  const asks: Level[] = Array.from({ length: 80 }, (_, i) => [`${1001 + i}.00`, '2']);
  b.applySnapshot(
    {
      type: 'book.snapshot',
      venue: 'binance',
      symbol: 'BTC-USDT',
      epoch: 4,
      seq: 77,
      venueTs: 1,
      recvTs: 2,
      bids,
      asks,
    },
    3,
  );
  return b;
}

test('a live book answers its exact top N at its epoch and seq, in the bus codec', () => {
  const b = book();
  for (const codec of [binaryCodec, jsonCodec]) {
    const r = depthReply(b, 'binance', 'BTC-USDT', encodeBookRequest({ depth: 3 }), 1000, codec);
    assert.equal(r.outcome, 'snapshot');
    const snap = decodeBookReply(r.reply) as BookSnapshot;
    assert.deepEqual(snap, {
      type: 'book.snapshot',
      venue: 'binance',
      symbol: 'BTC-USDT',
      epoch: 4,
      seq: 77,
      venueTs: 1,
      recvTs: 2,
      bids: [['1000.00', '1.5'], ['999.00', '2.5'], ['998.00', '3.5']],
      asks: [['1001.00', '2'], ['1002.00', '2'], ['1003.00', '2']],
    }); // prettier-ignore
  }
  const dflt = decodeBookReply(
    depthReply(b, 'binance', 'BTC-USDT', new Uint8Array(0), 1000, binaryCodec).reply,
  );
  assert.equal((dflt as BookSnapshot).bids.length, 50, 'an empty request means depth 50');
});

test('unknown, not-live and invalid requests get a JSON error', () => {
  const unknown = depthReply(undefined, 'okx', 'BTC-USDT', new Uint8Array(0), 1000, binaryCodec);
  assert.equal(unknown.outcome, 'unknown');
  assert.deepEqual(decodeBookReply(unknown.reply), { error: 'unknown book okx BTC-USDT' });

  const b = book();
  b.onFeedState('resyncing', 4);
  const notLive = depthReply(b, 'binance', 'BTC-USDT', new Uint8Array(0), 1000, binaryCodec);
  assert.deepEqual(decodeBookReply(notLive.reply), {
    error: 'binance BTC-USDT is resyncing',
    state: 'resyncing',
  });

  const capped = depthReply(
    book(),
    'binance',
    'BTC-USDT',
    encodeBookRequest({ depth: 500 }),
    100,
    binaryCodec,
  );
  assert.equal(capped.outcome, 'invalid');
  assert.match((decodeBookReply(capped.reply) as { error: string }).error, /DEPTH_REQUEST_MAX \(100\)/);

  const bad = depthReply(
    book(),
    'binance',
    'BTC-USDT',
    new TextEncoder().encode('{"depth":0}'),
    1000,
    binaryCodec,
  );
  assert.equal(bad.outcome, 'invalid');
});
