import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Driver, type DriverSink } from './driver';

/** A driver on a fake clock that records the events it emits as "u:SYM" / "t:SYM". */
function harness(rate: number, tradeRate: number, symbols = ['A']) {
  let now = 1000;
  const events: string[] = [];
  const lags: number[] = [];
  const sink: DriverSink = {
    update: (s) => events.push(`u:${s}`),
    trade: (s) => events.push(`t:${s}`),
    error: (_s, err) => assert.fail(String(err)),
    lagged: (_s, seconds) => lags.push(seconds),
  };
  const driver = new Driver(symbols, { rate, tradeRate, clock: () => now }, sink);
  return {
    driver,
    events,
    lags,
    /** moves the clock, then ticks until nothing more is due (the per-tick budget is bounded) */
    advance(ms: number) {
      now += ms;
      let before;
      do {
        before = events.length;
        driver.tick();
      } while (events.length !== before);
    },
  };
}

test('emits exactly the events due by elapsed time, catching up in one batch', (t) => {
  const h = harness(100, 0);
  h.driver.start();
  t.after(() => h.driver.stop());
  h.advance(5);
  assert.equal(h.events.length, 0);
  h.advance(5); // 10 ms at 100/s → 1 update
  assert.equal(h.events.length, 1);
  h.advance(490); // late timer: 500 ms → 50 updates, emitted at once
  assert.equal(h.events.length, 50);
});

test('interleaving of updates and trades depends on the rates only, not on tick timing', (t) => {
  const fine = harness(300, 70);
  const coarse = harness(300, 70);
  fine.driver.start();
  coarse.driver.start();
  t.after(() => {
    fine.driver.stop();
    coarse.driver.stop();
  });
  for (let i = 0; i < 1000; i++) fine.advance(1);
  for (const step of [3, 250, 1, 400, 346]) coarse.advance(step);
  assert.equal(fine.events.length, 300 + 70);
  assert.deepEqual(coarse.events, fine.events);
});

test('pause freezes a lane and resume continues without a burst', (t) => {
  const h = harness(100, 0, ['A', 'B']);
  h.driver.start();
  t.after(() => h.driver.stop());
  h.advance(100);
  assert.equal(h.events.filter((e) => e === 'u:A').length, 10);
  assert.deepEqual(h.driver.pause('A'), ['A']);
  assert.deepEqual(h.driver.pause('nope'), []);
  h.advance(1000);
  assert.equal(h.events.filter((e) => e === 'u:A').length, 10);
  assert.equal(h.events.filter((e) => e === 'u:B').length, 110);
  h.driver.resume('A');
  h.advance(100);
  assert.equal(h.events.filter((e) => e === 'u:A').length, 20);
});

test('a lane more than a second behind skips its backlog instead of flooding', (t) => {
  const h = harness(10_000, 0);
  h.driver.start();
  t.after(() => h.driver.stop());
  h.advance(5000); // 50,000 due; one tick emits its budget (500), then the backlog is skipped
  assert.equal(h.lags.length, 1);
  assert.ok(h.events.length < 2000, `${h.events.length}`);
});

test('stop freezes model time; start continues from it', () => {
  const h = harness(100, 0);
  h.driver.start();
  h.advance(100);
  h.driver.stop();
  assert.equal(h.events.length, 10);
  h.advance(5000);
  assert.equal(h.events.length, 10);
  h.driver.start();
  h.advance(50);
  assert.equal(h.events.length, 15);
  h.driver.stop();
});
