import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDecimalText } from '@tickmesh/contracts';
import { isDecimalAscii } from './decimal';

test('isDecimalAscii agrees with isDecimalText (contracts) on edge cases and random text', () => {
  const cases = ['', '0', '00', '1.', '.1', '1.0', '1..0', '1.0.0', '-1', '+1', '1e3', ' 1', '1 ', '１', '٣'];
  cases.push(
    '9'.repeat(64),
    '9'.repeat(65),
    `${'1'.repeat(32)}.${'0'.repeat(31)}`,
    `${'1'.repeat(32)}.${'0'.repeat(32)}`,
  );
  for (const s of cases) assert.equal(isDecimalAscii(s), isDecimalText(s), JSON.stringify(s));
  let seed = 3;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 5000; i++) {
    const s = Array.from({ length: rnd(12) }, () => '0123456789..-e /'[rnd(17)]).join('');
    assert.equal(isDecimalAscii(s), isDecimalText(s), JSON.stringify(s));
  }
});
