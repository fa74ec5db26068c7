import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  add,
  compareDecimal,
  cumulative,
  DecimalsMemo,
  formatDecimal,
  fromScaled,
  maxDecimals,
  significantDecimals,
  spreadBps,
  subtract,
  toScaled,
} from './decimal';

test('display decimals come from the text: significant digits, padded per column, never rounded', () => {
  assert.equal(significantDecimals('2999.86000000'), 2);
  assert.equal(significantDecimals('5'), 0);
  assert.equal(significantDecimals('5.000'), 0);
  assert.equal(maxDecimals(['97000.1', '97000.25', '1.00000000']), 2);
  assert.equal(formatDecimal('2999.86000000', 2), '2,999.86');
  assert.equal(formatDecimal('97000.1', 2), '97,000.10');
  assert.equal(formatDecimal('0.123456789', 2), '0.123456789', 'more decimals are kept');
  assert.equal(formatDecimal('1234567', 0), '1,234,567');
  assert.equal(formatDecimal('5.000', 0), '5');
  assert.equal(formatDecimal('', 2), '');
  assert.equal(formatDecimal('n/a', 2), 'n/a');
  const memo = new DecimalsMemo();
  assert.equal(memo.of('px', ['97000.25']), 2);
  assert.equal(memo.of('px', ['97000.1']), 2, 'a column keeps its width');
});

test('exact arithmetic on decimal text', () => {
  assert.equal(toScaled('1.5', 3), 1500n);
  assert.equal(toScaled('1.50000000', 2), 150n, 'trailing zeros fit any scale');
  assert.equal(toScaled('1.505', 2), undefined, 'would lose a digit');
  assert.equal(fromScaled(-5n, 2), '-0.05');
  assert.equal(add('0.1', '0.2'), '0.3');
  assert.equal(subtract('97000.20', '97000.1'), '0.10');
  assert.equal(subtract('1', '1.5'), '-0.5');
  assert.equal(compareDecimal('10.0', '9.99'), 1);
  assert.equal(compareDecimal('1.10', '1.1'), 0);
  assert.deepEqual(cumulative(['0.1', '0.2', '1.25']), ['0.10', '0.30', '1.55']);
});

test('spread in basis points', () => {
  assert.equal(spreadBps('99', '101'), 200);
  assert.equal(spreadBps('2999.86', '2999.87'), 0.0333);
  assert.equal(spreadBps('60017.35', '60017.36'), 0.0016);
  assert.equal(spreadBps('', '1'), undefined);
  assert.ok(spreadBps('101', '99')! < 0, 'crossed');
});
