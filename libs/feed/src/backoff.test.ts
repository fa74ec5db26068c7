import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, ResyncBackoff, retryAfterMs } from './backoff';

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

test('per-symbol resync backoff: first resync immediate, repeated ones capped exponential with full jitter', () => {
  let now = 0;
  let r = 0.999999;
  const b = new ResyncBackoff({
    baseMs: 100,
    capMs: 1000,
    resetAfterMs: 5000,
    now: () => now,
    random: () => r,
  });
  b.live('BTC');
  now = 1000;
  assert.equal(b.next('BTC'), 0, 'the first failure after being live resyncs at once');
  // it keeps failing: live for a moment, then the next failure
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    b.live('BTC');
    now += 50;
    delays.push(b.next('BTC'));
  }
  assert.deepEqual(delays, [199, 399, 799, 999, 999, 999], 'ceilings 200, 400, 800, then the cap');
  assert.equal(b.failures('BTC'), 7);
  r = 0;
  assert.equal(b.next('BTC'), 0, 'full jitter: anywhere from 0');
  r = 0.5;
  assert.equal(b.next('BTC'), 500, 'uniform below the capped ceiling');
  // other symbols are independent
  assert.equal(b.next('ETH'), 0);
  assert.equal(b.failures('ETH'), 1);
});

test('per-symbol resync backoff resets once the symbol stayed live for resetAfterMs', () => {
  let now = 0;
  const b = new ResyncBackoff({
    baseMs: 100,
    capMs: 10_000,
    resetAfterMs: 5000,
    now: () => now,
    random: () => 0.5,
  });
  assert.equal(b.next('BTC'), 0);
  assert.equal(b.next('BTC'), 100);
  b.live('BTC');
  now += 4999;
  b.notLive('BTC');
  assert.equal(b.next('BTC'), 200, 'live 4.999 s: still failing');
  b.live('BTC');
  now += 5000;
  b.live('BTC'); // repeated live statuses keep the start of the period
  assert.equal(b.next('BTC'), 0, 'live 5 s: healthy again, the next resync is immediate');
  assert.equal(b.failures('BTC'), 1);
  assert.equal(b.next('BTC'), 100);
});
