import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdaptiveLimiter,
  ExpAvg,
  Gradient2Limit,
  rejectedOf,
  VegasLimit,
  type LimitAlgorithm,
  type Permit,
} from './adaptive-concurrency';

/** A limiter on a manual clock; `round(rtt)` fills it to its limit and completes every call after `rtt` ms. */
function rig(name: string, algorithm: LimitAlgorithm) {
  let t = 0;
  const limiter = new AdaptiveLimiter({ name, algorithm, now: () => t });
  const round = (rttMs: number, outcome: 'success' | 'dropped' = 'success'): void => {
    const permits: Permit[] = [];
    for (let p = limiter.tryAcquire(); p !== undefined; p = limiter.tryAcquire()) permits.push(p);
    t += rttMs;
    for (const p of permits) p[outcome]();
  };
  return { limiter, round, advance: (ms: number) => (t += ms) };
}

test('ExpAvg: plain average during warmup, then EMA with factor 2/(window+1)', () => {
  const m = new ExpAvg(9, 2);
  assert.equal(m.add(10), 10);
  assert.equal(m.add(20), 15);
  assert.equal(m.add(35), 15 * 0.8 + 35 * 0.2);
});

test('Gradient2: the limit grows while latency stays flat, up to maxLimit', () => {
  const { limiter, round } = rig(
    'g2-grow',
    new Gradient2Limit({ initialLimit: 10, minLimit: 5, maxLimit: 60 }),
  );
  assert.equal(limiter.limit, 10);
  round(10);
  const after1 = limiter.limit;
  assert.ok(after1 > 10, `grew: ${after1}`);
  for (let i = 0; i < 200; i++) round(10);
  assert.equal(limiter.limit, 60, 'capped at maxLimit');
});

test('Gradient2: the limit shrinks when latency rises, down to minLimit, and recovers', () => {
  const { limiter, round } = rig(
    'g2-shrink',
    new Gradient2Limit({ initialLimit: 50, minLimit: 10, maxLimit: 100 }),
  );
  for (let i = 0; i < 5; i++) round(10);
  const before = limiter.limit;
  round(200);
  assert.ok(limiter.limit < before, `shrank: ${before} → ${limiter.limit}`);
  for (let i = 0; i < 10; i++) round(200 + i * 20); // latency keeps climbing
  // without the floor the limit would settle at the formula's fixed point, L = 0.9·L + 0.8 → 8
  assert.equal(limiter.limit, 10, 'floored at minLimit');
  // latency back to normal: longRtt decays (×0.95 while longRtt/rtt > 2) and the limit grows again
  for (let i = 0; i < 300; i++) round(10);
  assert.ok(limiter.limit > 20, `recovered to ${limiter.limit}`);
});

test('Gradient2: app-limited (inflight < limit/2) keeps the limit', () => {
  let t = 0;
  const alg = new Gradient2Limit({ initialLimit: 40, minLimit: 5, maxLimit: 100 });
  const l = new AdaptiveLimiter({ name: 'g2-app', algorithm: alg, now: () => t });
  for (let i = 0; i < 50; i++) {
    const p = l.tryAcquire()!;
    t += i % 2 === 0 ? 1 : 500;
    p.success();
  }
  assert.equal(l.limit, 40);
});

test('rejects when inflight ≥ limit; ignore() frees without a sample; gauges follow', () => {
  let t = 0;
  const alg = new Gradient2Limit({ initialLimit: 3, minLimit: 3, maxLimit: 3 });
  const l = new AdaptiveLimiter({ name: 'reject', algorithm: alg, now: () => t });
  const ps = [l.tryAcquire(), l.tryAcquire(), l.tryAcquire()];
  assert.ok(ps.every((p) => p !== undefined));
  assert.equal(l.inFlight, 3);
  assert.equal(l.available, 0);
  assert.equal(l.tryAcquire(), undefined);
  assert.equal(l.rejectedCount, 1);
  assert.equal(rejectedOf('reject'), 1);
  ps[0]!.ignore();
  ps[0]!.success(); // a second completion is a no-op
  assert.equal(l.inFlight, 2);
  assert.ok(l.tryAcquire() !== undefined);
  t += 5;
  ps[1]!.success();
  ps[2]!.dropped();
  assert.equal(l.inFlight, 1);
});

test('run(): over the limit it does not call fn and returns retryAfterMs; a throw counts as dropped', async () => {
  const l = new AdaptiveLimiter({
    name: 'run',
    algorithm: new Gradient2Limit({ initialLimit: 1, minLimit: 1, maxLimit: 1 }),
    retryAfterMs: 250,
  });
  const hold = l.tryAcquire()!;
  let called = false;
  const r = await l.run(() => {
    called = true;
    return Promise.resolve(1);
  });
  assert.deepEqual(r, { ok: false, retryAfterMs: 250 });
  assert.equal(called, false);
  hold.ignore();
  assert.deepEqual(await l.run(() => Promise.resolve(7)), { ok: true, value: 7 });
  await assert.rejects(
    l.run(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(l.inFlight, 0);
});

test('a sustained new latency level becomes the baseline (longRtt / rttNoLoad relearned)', () => {
  const g = rig('g2-baseline', new Gradient2Limit({ initialLimit: 50, minLimit: 10, maxLimit: 100 }));
  for (let i = 0; i < 5; i++) g.round(10);
  g.round(200);
  g.round(200);
  const low = g.limiter.limit;
  assert.ok(low < 20, `Gradient2 shrank: ${low}`);
  for (let i = 0; i < 400; i++) g.round(200);
  assert.ok(g.limiter.limit > 2 * low, `Gradient2 grew again at a steady 200 ms: ${g.limiter.limit}`);
  const v = rig(
    'vegas-baseline',
    new VegasLimit({ initialLimit: 20, minLimit: 10, maxLimit: 80, probeInterval: 100 }),
  );
  v.round(10);
  v.round(100);
  v.round(100);
  const vlow = v.limiter.limit;
  assert.ok(vlow < 20, `Vegas shrank: ${vlow}`);
  for (let i = 0; i < 40; i++) v.round(100);
  assert.ok(v.limiter.limit > vlow, `Vegas grew again after probing rttNoLoad: ${v.limiter.limit}`);
});

test('Vegas: grows with no queueing, shrinks when rtt rises above rttNoLoad, backs off on drops', () => {
  const { limiter, round } = rig('vegas', new VegasLimit({ initialLimit: 20, minLimit: 10, maxLimit: 80 }));
  round(10); // learns rttNoLoad
  round(10);
  assert.ok(limiter.limit > 20, `grew: ${limiter.limit}`);
  for (let i = 0; i < 50; i++) round(10);
  assert.equal(limiter.limit, 80, 'capped');
  for (let i = 0; i < 10; i++) round(100); // queue = limit × 0.9 > beta
  assert.equal(limiter.limit, 10, 'floored at minLimit');
  const v = new VegasLimit({ initialLimit: 50, maxLimit: 100 });
  v.update(10, 50, false);
  v.update(10, 50, true);
  assert.equal(v.limit, 49, 'drop: limit − log10(limit)');
});
