import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal } from '@tickmesh/contracts';
import { prng } from '../test/reference-book';
import { sortKey } from './sort-key';

function digits(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rand() * 10));
  return s;
}

/** Random valid decimal text: 1–40 integer digits (often "0"), 0–40 fraction digits. */
function randomDecimal(rand: () => number): string {
  const intPart =
    rand() < 0.4 ? '0'.repeat(1 + Math.floor(rand() * 2)) : digits(rand, 1 + Math.floor(rand() * 40));
  const r = rand();
  if (r < 0.2) return intPart;
  const frac =
    r < 0.5
      ? '0'.repeat(Math.floor(rand() * 25)) + digits(rand, 1 + Math.floor(rand() * 5))
      : digits(rand, 1 + Math.floor(rand() * 40));
  return `${intPart}.${frac}`.slice(0, 64);
}

test('sortKey equals Number for wire prices up to 15 significant digits', () => {
  for (const s of [
    '0',
    '0.0',
    '1',
    '27000.10',
    '27000.1',
    '0.00000001',
    '0.0024',
    '123456789012345',
    '99999.9999999999',
    '0.0000000000000000000001',
    '007.50',
  ]) {
    assert.equal(sortKey(s), Number(s), s);
  }
  const rand = prng(7);
  for (let i = 0; i < 20_000; i++) {
    const p = (rand() * 100_000).toFixed(Math.floor(rand() * 9));
    assert.equal(sortKey(p), Number(p), p);
  }
});

test('sortKey never reverses exact order, including beyond double precision', () => {
  const cases: Array<[string, string]> = [
    ['0.1', '0.10000000000000000001'],
    ['0.10000000000000000001', '0.10000000000000000002'],
    ['9.999999999999999999', '10'],
    ['123456789012345678901234567890', '123456789012345678901234567891'],
    ['0.0000000000000000000000001', '0.0000000000000000000000002'],
    ['9'.repeat(37), '1' + '0'.repeat(37)],
    ['1' + '0'.repeat(40), '2' + '0'.repeat(40)],
  ];
  for (const [lo, hi] of cases) {
    assert.ok(compareDecimal(lo, hi) < 0, `${lo} < ${hi}`);
    assert.ok(sortKey(lo) <= sortKey(hi), `${lo} vs ${hi}`);
  }
});

test('sortKey is non-decreasing on random pairs of any length', () => {
  const rand = prng(42);
  for (let i = 0; i < 50_000; i++) {
    const a = randomDecimal(rand);
    const b =
      rand() < 0.3
        ? a + (a.includes('.') ? '' : '.') + digits(rand, 1 + Math.floor(rand() * 5))
        : randomDecimal(rand);
    const c = compareDecimal(a, b);
    const ka = sortKey(a);
    const kb = sortKey(b);
    if (c < 0) assert.ok(ka <= kb, `${a} < ${b} but keys ${ka} > ${kb}`);
    else if (c > 0) assert.ok(ka >= kb, `${a} > ${b} but keys ${ka} < ${kb}`);
    else assert.equal(ka, kb, `${a} = ${b}`);
  }
});

test('sortKey gives every spelling of one number the same key', () => {
  assert.equal(sortKey('27000.1'), sortKey('0027000.1000'));
  assert.equal(sortKey('0'), sortKey('000.00000000'));
  assert.equal(sortKey('5'), sortKey('5.0'));
});
