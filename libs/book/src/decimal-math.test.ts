import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BookError } from './book-error';
import { addDecimal, notional, subDecimal, sumSizes } from './decimal-math';

test('addDecimal is exact where doubles are not and returns canonical text', () => {
  assert.equal(addDecimal('0.1', '0.2'), '0.3');
  assert.equal(addDecimal('1.50', '1.50'), '3');
  assert.equal(addDecimal('0', '0.000'), '0');
  assert.equal(
    addDecimal('99999999999999999999999999999999.9', '0.00000000000000000000000000000001'),
    '99999999999999999999999999999999.90000000000000000000000000000001',
  );
  const big = '9'.repeat(64);
  assert.equal(addDecimal(big, '1'), '1' + '0'.repeat(64));
});

test('addDecimal never uses exponent notation for tiny or huge values', () => {
  assert.equal(addDecimal('0.00000000000000000000000000000001', '0'), '0.00000000000000000000000000000001');
  assert.equal(addDecimal('1' + '0'.repeat(40), '0'), '1' + '0'.repeat(40));
});

test('subDecimal is exact, reaches zero cleanly and refuses a negative result', () => {
  assert.equal(subDecimal('0.3', '0.1'), '0.2');
  assert.equal(subDecimal('27000.10', '27000.1'), '0');
  assert.equal(subDecimal('1', '0.00000000000000000000000001'), '0.99999999999999999999999999');
  assert.throws(() => subDecimal('1', '1.00000000000000000001'), BookError);
});

test('the helpers reject input that is not decimal text', () => {
  for (const bad of ['-1', '1e3', '', 'NaN', '1.']) {
    assert.throws(
      () => addDecimal(bad, '1'),
      (e: unknown) => e instanceof BookError && e.value === bad,
      bad,
    );
    assert.throws(() => subDecimal('1', bad), BookError, bad);
  }
  assert.throws(() => sumSizes([['1', 'x']]), BookError);
});

test('sumSizes and notional add over levels exactly', () => {
  const levels: Array<[string, string]> = [
    ['0.1', '0.1'],
    ['0.2', '0.2'],
    ['27000.10', '0.00000001'],
  ];
  assert.equal(sumSizes(levels), '0.30000001');
  assert.equal(notional(levels), '0.050270001');
  assert.equal(sumSizes([]), '0');
  assert.equal(notional([]), '0');
  // 63 significant digits squared: 125 digits, checked against BigInt arithmetic
  const long = '1.' + '1'.repeat(62);
  const n = BigInt(long.replace('.', ''));
  const digits = (n * n).toString();
  const expected = `${digits.slice(0, -124)}.${digits.slice(-124)}`.replace(/0+$/, '');
  assert.equal(notional([[long, long]]), expected);
});
