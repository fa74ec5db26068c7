import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configFromEnv, parseSymbolList, resolveConfig } from './config';

test('defaults: three USDT symbols on 127.0.0.1:9100, seed 1, 10 updates/s', () => {
  const c = configFromEnv({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 9100);
  assert.equal(c.seed, 1);
  assert.equal(c.rate, 10);
  assert.equal(c.tradeRate, 2);
  assert.equal(c.levelsPerUpdate, 3);
  assert.equal(c.bookLevels, 200);
  assert.deepEqual(
    c.specs.map((s) => [s.native, s.base, s.quote, s.normalized]),
    [
      ['BTCUSDT', 'BTC', 'USDT', 'BTC-USDT'],
      ['ETHUSDT', 'ETH', 'USDT', 'ETH-USDT'],
      ['SOLUSDT', 'SOL', 'USDT', 'SOL-USDT'],
    ],
  );
  assert.equal(c.specs[0]!.tickSize, '0.01000000');
  assert.equal(c.specs[0]!.stepSize, '0.00001000');
});

test('reads every SIM_* variable', () => {
  const c = configFromEnv({
    SIM_HOST: '0.0.0.0',
    SIM_PORT: '0',
    SIM_SEED: '42',
    SIM_SYMBOLS: 'BTCUSD:BTC:USD, 1000SATSUSDT:1000SATS:USDT:10.00:0.001:1',
    SIM_RATE: '2500.5',
    SIM_TRADE_RATE: '0',
    SIM_LEVELS_PER_UPDATE: '5',
    SIM_BOOK_LEVELS: '100',
    SIM_PING_INTERVAL_MS: '1000',
    SIM_PONG_TIMEOUT_MS: '3000',
    SIM_AUTOSTART: 'false',
    LOG_LEVEL: 'WARN',
  });
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.port, 0);
  assert.equal(c.seed, 42);
  assert.equal(c.rate, 2500.5);
  assert.equal(c.tradeRate, 0);
  assert.equal(c.autoStart, false);
  assert.equal(c.logLevel, 'warn');
  assert.deepEqual(
    c.specs.map((s) => [s.native, s.base, s.quote]),
    [
      ['BTCUSD', 'BTC', 'USD'],
      ['1000SATSUSDT', '1000SATS', 'USDT'],
    ],
  );
  assert.equal(c.specs[1]!.startTicks, 10_000);
  assert.equal(c.specs[1]!.stepSize, '1.00000000');
});

test('reports every problem at once, naming the variable', () => {
  try {
    configFromEnv({ SIM_PORT: '70000', SIM_RATE: 'fast', SIM_SEEED: '1', SIM_LEVELS_PER_UPDATE: '0' });
    assert.fail('expected ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.problems.join('\n');
    assert.match(text, /SIM_RATE: "fast" is not a non-negative number/);
    assert.match(text, /SIM_SEEED is not a known variable/);
  }
  assert.throws(
    () => configFromEnv({ SIM_PORT: '70000' }),
    /port \(SIM_PORT\) must be an integer in 0\.\.65535/,
  );
  assert.throws(
    () => configFromEnv({ SIM_LEVELS_PER_UPDATE: '0' }),
    /levelsPerUpdate \(SIM_LEVELS_PER_UPDATE\)/,
  );
});

test('symbols: base and quote are explicit, bad entries are rejected', () => {
  assert.deepEqual(parseSymbolList('BTCUSDT:BTC:USDT'), [
    {
      native: 'BTCUSDT',
      base: 'BTC',
      quote: 'USDT',
      startPrice: undefined,
      tickSize: undefined,
      stepSize: undefined,
    },
  ]);
  assert.throws(() => configFromEnv({ SIM_SYMBOLS: 'BTCUSDT' }), /NATIVE:BASE:QUOTE/);
  assert.throws(() => configFromEnv({ SIM_SYMBOLS: 'btcusdt:BTC:USDT' }), /native symbol must match/);
  assert.throws(() => configFromEnv({ SIM_SYMBOLS: 'BTCUSDT:BTC:USDT,BTCUSDT:BTC:USDT' }), /listed twice/);
  assert.throws(
    () => configFromEnv({ SIM_SYMBOLS: 'XUSDT:X:USDT:1.005' }),
    /startPrice: .*more than|multiple of tickSize/,
  );
  assert.throws(() => configFromEnv({ SIM_SYMBOLS: 'XUSDT:X:USDT:5' }), /at least 1000 ticks/);
});

test('programmatic options are validated the same way', () => {
  assert.throws(() => resolveConfig({ bookLevels: 10 }), /minBookLevels \(50\) <= bookLevels \(10\)/);
  assert.throws(() => resolveConfig({ symbols: [] }), /1\.\.100 symbols/);
  assert.throws(
    () => resolveConfig({ symbols: [{ native: 'BTCUSDT', base: 'BTC', quote: 'USDT', priceDecimals: 1 }] }),
    /tickSize: "0.01" has more than 1 decimals/,
  );
  const c = resolveConfig({
    symbols: [{ native: 'BTCUSDT', base: 'BTC', quote: 'USDT', priceDecimals: 2, sizeDecimals: 5 }],
  });
  assert.equal(c.specs[0]!.tickSize, '0.01');
  assert.equal(c.specs[0]!.stepSize, '0.00001');
});

test('SIM_VENUES selects the venues served; binance is required, unknown names are refused', () => {
  assert.deepEqual(configFromEnv({ SIM_VENUES: 'binance,okx' }).venues, ['binance', 'okx']);
  assert.throws(() => configFromEnv({ SIM_VENUES: 'okx' }), /SIM_VENUES/);
  assert.throws(() => configFromEnv({ SIM_VENUES: 'binance,nasdaq' }), /SIM_VENUES/);
});

test('SIM_SHARED_PRICE: on by default, on|off (or true|false|1|0), anything else is an error', () => {
  assert.equal(configFromEnv({}).sharedPrice, true);
  assert.equal(configFromEnv({ SIM_SHARED_PRICE: 'off' }).sharedPrice, false);
  assert.equal(configFromEnv({ SIM_SHARED_PRICE: 'ON' }).sharedPrice, true);
  assert.equal(configFromEnv({ SIM_SHARED_PRICE: '0' }).sharedPrice, false);
  assert.throws(
    () => configFromEnv({ SIM_SHARED_PRICE: 'maybe' }),
    /SIM_SHARED_PRICE: "maybe" is not on\|off/,
  );
});
