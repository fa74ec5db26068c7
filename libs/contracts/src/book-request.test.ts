import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOK_REQUEST_DEFAULT_DEPTH,
  bookRequestSubject,
  bookRequestWildcard,
  decodeBookReply,
  encodeBookRequest,
  encodeBookRequestError,
  parseBookRequest,
  parseBookRequestSubject,
} from './book-request';
import { encodeBinary, encodeJson } from './codec';
import type { BookSnapshot } from './messages';
import { SubjectError } from './subjects';

const utf8 = new TextEncoder();

test('request subjects are built, wildcarded and parsed back', () => {
  const s = bookRequestSubject('binance', 'BTC-USDT');
  assert.equal(s, 'ctl.v1.book.binance.BTC-USDT');
  assert.deepEqual(parseBookRequestSubject(s), { venue: 'binance', symbol: 'BTC-USDT' });
  assert.equal(bookRequestWildcard(), 'ctl.v1.book.*.*');
  assert.equal(bookRequestWildcard('okx'), 'ctl.v1.book.okx.*');
  assert.throws(() => bookRequestSubject('binance', 'BTC.USDT'), SubjectError);
  for (const bad of ['ctl.v1.book.binance', 'ctl.v1.snapshot.binance.BTC-USDT', 'ctl.v1.book.BIN.BTC-USDT']) {
    assert.equal(parseBookRequestSubject(bad), undefined, bad);
  }
});

test('an empty body asks for the default depth, a JSON body for its own', () => {
  assert.deepEqual(parseBookRequest(new Uint8Array(0)), { depth: BOOK_REQUEST_DEFAULT_DEPTH });
  assert.deepEqual(parseBookRequest(utf8.encode('{}')), { depth: BOOK_REQUEST_DEFAULT_DEPTH });
  assert.deepEqual(parseBookRequest(encodeBookRequest({ depth: 7 })), { depth: 7 });
  assert.deepEqual(parseBookRequest(utf8.encode('{"depth":1000,"future":true}')), { depth: 1000 });
});

test('depths outside 1..1000 and malformed bodies are errors, not exceptions', () => {
  for (const body of ['{"depth":0}', '{"depth":1001}', '{"depth":2.5}', '{"depth":"5"}', '[1]', 'nope']) {
    const r = parseBookRequest(utf8.encode(body));
    assert.ok('error' in r, body);
  }
});

test('a reply is either a snapshot in either codec or an error object', () => {
  const snap: BookSnapshot = {
    type: 'book.snapshot',
    venue: 'binance',
    symbol: 'BTC-USDT',
    epoch: 2,
    seq: 10,
    venueTs: 1,
    recvTs: 2,
    bids: [['100.0', '1']],
    asks: [['101.0', '2']],
  };
  assert.deepEqual(decodeBookReply(encodeBinary(snap)), snap);
  assert.deepEqual(decodeBookReply(encodeJson(snap)), snap);
  const err = { error: 'binance BTC-USDT is resyncing', state: 'resyncing' as const };
  assert.deepEqual(decodeBookReply(encodeBookRequestError(err)), err);
  assert.deepEqual(decodeBookReply(utf8.encode('{"error":"unknown book"}')), { error: 'unknown book' });
  assert.throws(() => decodeBookReply(utf8.encode('{"error":"x","state":"bogus"}')), /state/);
});
