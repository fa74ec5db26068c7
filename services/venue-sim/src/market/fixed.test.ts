import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUnits, significantDecimals, toUnits } from './fixed';

test('formats integer units with exactly the given decimals', () => {
  assert.equal(formatUnits(2700001000000, 8), '27000.01000000');
  assert.equal(formatUnits(1000000, 8), '0.01000000');
  assert.equal(formatUnits(0, 8), '0.00000000');
  assert.equal(formatUnits(5, 2), '0.05');
  assert.equal(formatUnits(123, 0), '123');
});

test('parses decimal text to units without rounding', () => {
  assert.equal(toUnits('0.01', 8), 1000000);
  assert.equal(toUnits('27000.01000000', 8), 2700001000000);
  assert.equal(toUnits('60000', 2), 6000000);
  assert.equal(toUnits('0.000', 0), 0);
  assert.throws(() => toUnits('0.001', 2), /more than 2 decimals/);
  assert.throws(() => toUnits('-1', 2), /not a plain decimal/);
  assert.throws(() => toUnits('1e5', 2), /not a plain decimal/);
  assert.throws(() => toUnits('99999999999999999', 8), /too large/);
});

test('round-trips', () => {
  for (const t of ['0.00000001', '1.00000000', '123456.78900000'])
    assert.equal(formatUnits(toUnits(t, 8), 8), t);
});

test('counts significant decimals', () => {
  assert.equal(significantDecimals('0.01000000'), 2);
  assert.equal(significantDecimals('1.00000000'), 0);
  assert.equal(significantDecimals('5'), 0);
});
