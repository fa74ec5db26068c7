import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consolidatedSymbolOf, EquivalenceError, parseEquivalences } from './equivalence';

test('without equivalences every symbol is its own consolidated book (USD and USDT apart)', () => {
  const none = parseEquivalences('');
  assert.equal(consolidatedSymbolOf('BTC-USDT', none), 'BTC-USDT');
  assert.equal(consolidatedSymbolOf('BTC-USD', none), 'BTC-USD');
});

test('declared quote aliases join the target quote, keeping the kind suffix', () => {
  const eq = parseEquivalences('USDT=USD, USDC=USD');
  assert.equal(consolidatedSymbolOf('BTC-USDT', eq), 'BTC-USD');
  assert.equal(consolidatedSymbolOf('BTC-USDC', eq), 'BTC-USD');
  assert.equal(consolidatedSymbolOf('BTC-USD', eq), 'BTC-USD');
  assert.equal(consolidatedSymbolOf('ETH-USDT-PERP', eq), 'ETH-USD-PERP', 'perps stay perps');
  assert.equal(consolidatedSymbolOf('USDT-EUR', eq), 'USDT-EUR', 'bases are never mapped');
  assert.equal(consolidatedSymbolOf('BTC-EUR', eq), 'BTC-EUR');
});

test('ambiguous or malformed equivalences are refused with the variable named', () => {
  for (const bad of [
    'USDT',
    'USDT=USD=EUR',
    'usdt=USD',
    'USD=USD',
    'USDT=USD,USDT=EUR',
    'USDT=USD,USD=EUR',
  ]) {
    assert.throws(
      () => parseEquivalences(bad),
      (err: Error) => {
        assert.ok(err instanceof EquivalenceError, bad);
        assert.match(err.message, /CONSOLIDATE_EQUIVALENT/);
        return true;
      },
    );
  }
  assert.equal(parseEquivalences('USDT=USD,USDT=USD').size, 1, 'a repeated identical pair is harmless');
});
