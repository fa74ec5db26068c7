import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFault } from './faults';

const symbolsOf = (venue: string) => (venue === 'binance' ? ['BTCUSDT', 'ETHUSDT'] : undefined);
const err = (body: unknown) => {
  const r = parseFault(body, symbolsOf);
  assert.equal(r.ok, false);
  return (r as { error: string }).error;
};

test('valid faults', () => {
  assert.deepEqual(parseFault({ venue: 'binance', symbol: 'BTCUSDT', kind: 'gap', count: 2 }, symbolsOf), {
    ok: true,
    fault: { kind: 'gap', venue: 'binance', symbol: 'BTCUSDT', count: 2 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', symbol: 'BTCUSDT', kind: 'gap' }, symbolsOf), {
    ok: true,
    fault: { kind: 'gap', venue: 'binance', symbol: 'BTCUSDT', count: 1 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', symbol: 'ETHUSDT', kind: 'corrupt-checksum' }, symbolsOf), {
    ok: true,
    fault: { kind: 'corrupt-checksum', venue: 'binance', symbol: 'ETHUSDT', count: 1 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'disconnect' }, symbolsOf), {
    ok: true,
    fault: { kind: 'disconnect', venue: 'binance', code: 1001 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'pause' }, symbolsOf), {
    ok: true,
    fault: { kind: 'pause', venue: 'binance' },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'resume', symbol: 'ETHUSDT' }, symbolsOf), {
    ok: true,
    fault: { kind: 'resume', venue: 'binance', symbol: 'ETHUSDT' },
  });
});

test('invalid faults name the problem', () => {
  assert.match(err([]), /JSON object/);
  assert.match(
    err({ venue: 'binance', kind: 'explode' }),
    /"kind" must be one of gap, corrupt-checksum, disconnect, pause, resume/,
  );
  assert.match(err({ venue: 'kraken', kind: 'pause' }), /unknown venue "kraken"/);
  assert.match(err({ kind: 'pause' }), /"venue" must be a string/);
  assert.match(err({ venue: 'binance', kind: 'gap' }), /"symbol" is required/);
  assert.match(err({ venue: 'binance', kind: 'gap', symbol: 'DOGEUSDT' }), /unknown symbol "DOGEUSDT"/);
  assert.match(
    err({ venue: 'binance', kind: 'gap', symbol: 'BTCUSDT', count: 0 }),
    /"count" must be an integer/,
  );
  assert.match(
    err({ venue: 'binance', kind: 'gap', symbol: 'BTCUSDT', count: '1' }),
    /"count" must be an integer/,
  );
  assert.match(
    err({ venue: 'binance', kind: 'gap', symbol: 'BTCUSDT', cout: 1 }),
    /unknown field\(s\) for kind "gap": cout/,
  );
  assert.match(err({ venue: 'binance', kind: 'disconnect', code: 1006 }), /"code" must be/);
});

test('new fault kinds: duplicate, reorder, stall, rest-429, shutdown', () => {
  assert.deepEqual(
    parseFault({ venue: 'binance', symbol: 'BTCUSDT', kind: 'duplicate', count: 3 }, symbolsOf),
    {
      ok: true,
      fault: { kind: 'duplicate', venue: 'binance', symbol: 'BTCUSDT', count: 3 },
    },
  );
  assert.deepEqual(parseFault({ venue: 'binance', symbol: 'BTCUSDT', kind: 'reorder' }, symbolsOf), {
    ok: true,
    fault: { kind: 'reorder', venue: 'binance', symbol: 'BTCUSDT' },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'stall', ms: 500 }, symbolsOf), {
    ok: true,
    fault: { kind: 'stall', venue: 'binance', ms: 500 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'rest-429' }, symbolsOf), {
    ok: true,
    fault: { kind: 'rest-429', venue: 'binance', count: 1, retryAfterSec: 1 },
  });
  assert.deepEqual(parseFault({ venue: 'binance', kind: 'shutdown' }, symbolsOf), {
    ok: true,
    fault: { kind: 'shutdown', venue: 'binance' },
  });
  assert.match(err({ venue: 'binance', kind: 'duplicate' }), /"symbol" is required/);
  assert.match(err({ venue: 'binance', kind: 'reorder', symbol: 'BTCUSDT', count: 2 }), /unknown field/);
  assert.match(err({ venue: 'binance', kind: 'stall' }), /"ms" is required/);
  assert.match(err({ venue: 'binance', kind: 'stall', ms: 0 }), /"ms"/);
  assert.match(err({ venue: 'binance', kind: 'rest-429', retryAfterSec: -1 }), /retryAfterSec/);
  assert.match(err({ venue: 'binance', kind: 'shutdown', code: 1000 }), /unknown field/);
});
