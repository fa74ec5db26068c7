import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, retryAfterMs } from './backoff';

test('full jitter: each delay is uniform in [0, min(cap, base·2^attempt)), floored by the server', () => {
  const top = new Backoff(100, 1000, () => 0.999999);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map(() => top.next()),
    [99, 199, 399, 799, 999, 999],
  );
  const bottom = new Backoff(100, 1000, () => 0);
  assert.equal(bottom.next(), 0);
  assert.equal(bottom.next(5000), 5000, 'Retry-After is a floor');
  bottom.reset();
  assert.equal(bottom.attempts, 0);
});

test('Retry-After accepts seconds and HTTP dates', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(
    retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    10_000,
  );
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs('soon'), undefined);
});
