import assert from 'node:assert/strict';
import { test } from 'node:test';
import { depthStreams, isStreamName, parseConnectUrl, tradeStreams } from './streams';

const at = (path: string) => parseConnectUrl(new URL(path, 'ws://h'));

test('stream names: well-formed names pass, garbage fails', () => {
  for (const n of [
    'btcusdt@depth',
    'btcusdt@depth@100ms',
    'btcusdt@trade',
    'bnbbtc@aggTrade',
    'ethusdt@kline_1m',
    '!miniTicker@arr',
    'BTCUSDT@depth',
  ]) {
    assert.ok(isStreamName(n), n);
  }
  for (const n of ['', 'btcusdt', '@depth', 'btc usdt@depth', 'btcusdt@depth@fast', 'a@b@c@d'])
    assert.ok(!isStreamName(n), n);
});

test('published names are lower case', () => {
  assert.deepEqual(depthStreams('BTCUSDT'), ['btcusdt@depth', 'btcusdt@depth@100ms']);
  assert.deepEqual(tradeStreams('BTCUSDT'), ['btcusdt@trade']);
});

test('raw, combined and bare paths', () => {
  assert.deepEqual(at('/ws/btcusdt@depth'), {
    ok: true,
    target: { combined: false, streams: ['btcusdt@depth'], micros: false },
  });
  assert.deepEqual(at('/ws'), { ok: true, target: { combined: false, streams: [], micros: false } });
  assert.deepEqual(at('/stream?streams=btcusdt@depth@100ms/ethusdt@trade&timeUnit=MICROSECOND'), {
    ok: true,
    target: { combined: true, streams: ['btcusdt@depth@100ms', 'ethusdt@trade'], micros: true },
  });
  assert.deepEqual(at('/stream?timeUnit=millisecond'), {
    ok: true,
    target: { combined: true, streams: [], micros: false },
  });
  assert.equal(at('/api/v3/depth'), undefined);
  assert.equal(at('/wsx'), undefined);
});

test('bad URLs are 400s', () => {
  assert.deepEqual(at('/ws/btcusdt'), { ok: false, status: 400, reason: 'invalid stream name: btcusdt' });
  assert.deepEqual(at('/stream?streams=x@depth&timeUnit=NANOSECOND'), {
    ok: false,
    status: 400,
    reason: 'invalid timeUnit: NANOSECOND',
  });
  assert.equal(at('/ws/%E0%A4%A')?.ok, false);
});
