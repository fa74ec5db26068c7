import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff';

const b = { baseMs: 100, capMs: 1000 };

test('the delay bound doubles per attempt up to the cap', () => {
  const max = (attempt: number): number => backoffDelay(attempt, b, () => 0.999999);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(max), [99, 199, 399, 799, 999, 999, 999]);
});

test('full jitter: any delay from 0 to the bound', () => {
  assert.equal(
    backoffDelay(3, b, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, b, () => 0.5),
    400,
  );
});
