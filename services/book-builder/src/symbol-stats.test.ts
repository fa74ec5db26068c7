import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookSnapshot } from '@tickmesh/contracts';
import { BookState } from './book-state';
import { RateWindow, spreadBps, SymbolStats } from './symbol-stats';

test('a rate is the increase over the sliding window, per second', () => {
  const w = new RateWindow(0, 10);
  assert.equal(w.rate(0, 0), 0, 'no time has passed');
  assert.equal(w.rate(500, 50), 100, 'before the first sample: since the start');
  for (let t = 1; t <= 10; t++) w.sample(t * 1000, t * 100);
  assert.equal(w.rate(10_000, 1000), 100);
  // a burst then silence: the window forgets the burst after ~10 s
  for (let t = 11; t <= 25; t++) w.sample(t * 1000, 1000);
  assert.equal(w.rate(25_000, 1000), 0);
  assert.equal(w.spanMs(25_000), 10_000);
});

test('spread in basis points is computed in decimal', () => {
  // 1 / 100.5 × 10 000 = 99.50248756218905472…; float arithmetic lands one ulp above it
  assert.equal(spreadBps('100', '101'), Number('99.502487562189054726368'));
  assert.notEqual(spreadBps('100', '101'), (1 / 100.5) * 10_000);
  assert.equal(spreadBps('0.1', '0.3'), 10_000);
  assert.equal(spreadBps('27000.10', '27000.10'), 0);
  assert.ok(spreadBps('101', '100')! < 0, 'a crossed book has a negative spread');
  assert.equal(spreadBps('', '100'), undefined);
  assert.equal(spreadBps(undefined, '100'), undefined);
});

test('a stats snapshot reads the book: state, depth, spread and the counters', () => {
  const s = new SymbolStats('binance', 'BTC-USDT', 0);
  const trade = s.snapshot(0, 7);
  assert.equal(trade.state, 'connecting', 'no book yet (trades only)');
  assert.equal(trade.spreadBps, null);
  const b = new BookState('binance', 'BTC-USDT', 100);
  const snap: BookSnapshot = {
    type: 'book.snapshot',
    venue: 'binance',
    symbol: 'BTC-USDT',
    epoch: 1,
    seq: 1,
    venueTs: 1,
    recvTs: 1,
    bids: [['99', '1'], ['98', '1']],
    asks: [['101', '1']],
  }; // prettier-ignore
  b.applySnapshot(snap, 0);
  s.book = b;
  s.messages = 20;
  s.updates = 10;
  s.resyncs = 1;
  const v = s.snapshot(2000, 8);
  assert.equal(v.state, 'live');
  assert.equal(v.messagesPerSec, 10);
  assert.equal(v.updatesPerSec, 5);
  assert.equal(v.spreadBps, 200);
  assert.deepEqual([v.bidDepth, v.askDepth, v.resyncs, v.ts], [2, 1, 1, 8]);
});
