import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubject, subjectFor, subjectWildcard, SubjectError } from './subjects';
import { parseChannel, formatChannel } from './gateway';

test('subjects round-trip through parseSubject', () => {
  const s = subjectFor('book', 'binance', 'BTC-USDT');
  assert.equal(s, 'md.v1.book.binance.BTC-USDT');
  assert.deepEqual(parseSubject(s), { kind: 'book', venue: 'binance', symbol: 'BTC-USDT' });
  assert.equal(subjectWildcard('tob'), 'md.v1.tob.*.*');
  assert.equal(subjectWildcard('tob', 'okx'), 'md.v1.tob.okx.*');
});

test('tokens that would break NATS subjects are rejected', () => {
  for (const sym of ['BTC.USDT', 'BTC-*', 'btc-usdt', 'BTC USDT', 'BTC>']) {
    assert.throws(() => subjectFor('book', 'binance', sym), SubjectError, sym);
  }
  assert.throws(() => subjectFor('book', 'Bin.ance', 'BTC-USDT'), SubjectError);
  assert.equal(parseSubject('md.v2.book.binance.BTC-USDT'), undefined);
  assert.equal(parseSubject('md.v1.nope.binance.BTC-USDT'), undefined);
});

test('gateway channels parse only known kinds with valid venue and symbol', () => {
  assert.deepEqual(parseChannel('tob.binance.BTC-USDT'), {
    kind: 'tob',
    venue: 'binance',
    symbol: 'BTC-USDT',
  });
  assert.equal(
    formatChannel({ kind: 'status', venue: 'okx', symbol: 'ETH-USDT-PERP' }),
    'status.okx.ETH-USDT-PERP',
  );
  for (const bad of ['tob.binance', 'foo.binance.BTC-USDT', 'tob.BINANCE.BTC-USDT', 'tob.binance.btc', '']) {
    assert.equal(parseChannel(bad), undefined, bad);
  }
});
