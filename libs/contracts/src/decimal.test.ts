import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalDecimal, compareDecimal, isDecimalText, isZeroDecimal } from './decimal';

test('canonicalDecimal strips leading and trailing zeros so equal numbers share one key', () => {
  assert.equal(canonicalDecimal('027000.1000'), '27000.1');
  assert.equal(canonicalDecimal('0.00000000'), '0');
  assert.equal(canonicalDecimal('100'), '100');
  assert.equal(canonicalDecimal('0.0024'), '0.0024');
  assert.equal(canonicalDecimal('5.'), '5');
});

test('isZeroDecimal recognises every zero spelling and nothing else', () => {
  for (const z of ['0', '0.0', '0.00000000', '000']) assert.ok(isZeroDecimal(z), z);
  for (const nz of ['0.00000001', '1', '10.0']) assert.ok(!isZeroDecimal(nz), nz);
});

test('compareDecimal orders exactly beyond float precision', () => {
  assert.ok(compareDecimal('0.30000000000000000001', '0.3') > 0);
  assert.ok(compareDecimal('99.9', '100') < 0);
  assert.equal(compareDecimal('1.10', '1.1'), 0);
  assert.ok(compareDecimal('27000.01', '27000.1') < 0);
  assert.ok(compareDecimal('0.0024', '0.0026') < 0);
});

test('isDecimalText rejects signs, exponents and junk', () => {
  assert.ok(isDecimalText('27000.10'));
  for (const bad of ['', '-1', '1e5', '1.', '.5', ' 1', 'NaN', '1,5']) assert.ok(!isDecimalText(bad), bad);
});
