import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prng } from './prng';

const draw = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.next());

test('the same key gives the same stream', () => {
  assert.deepEqual(draw(Prng.from(1, 'BTCUSDT', 'book'), 100), draw(Prng.from(1, 'BTCUSDT', 'book'), 100));
});

test('seed, symbol and stream name each change the stream', () => {
  const base = draw(Prng.from(1, 'BTCUSDT', 'book'), 10);
  assert.notDeepEqual(draw(Prng.from(2, 'BTCUSDT', 'book'), 10), base);
  assert.notDeepEqual(draw(Prng.from(1, 'ETHUSDT', 'book'), 10), base);
  assert.notDeepEqual(draw(Prng.from(1, 'BTCUSDT', 'trade'), 10), base);
});

test('values stay in range and integers cover their range', () => {
  const p = new Prng(42);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const x = p.next();
    assert.ok(x >= 0 && x < 1);
    const r = p.range(1, 3);
    assert.ok(Number.isInteger(r) && r >= 1 && r <= 3);
    seen.add(r);
    const s = p.skewedIndex(7, 2);
    assert.ok(s >= 0 && s < 7);
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
});
