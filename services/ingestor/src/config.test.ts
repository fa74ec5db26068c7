import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestorConfig } from './config';

test('defaults follow Binance spot on a local NATS', () => {
  const c = ingestorConfig({});
  assert.equal(c.venue, 'binance');
  assert.equal(c.natsUrl, 'nats://127.0.0.1:4222');
  assert.equal(c.busCodec, 'binary');
  assert.equal(c.venueWsUrl, undefined, 'the venue default endpoints unless overridden');
  assert.equal(c.restBudget, 'local', 'the shared REST budget is opt-in');
});

test('overrides are read from the environment and validated', () => {
  const c = ingestorConfig({
    SYMBOLS: 'BTCUSDT',
    VENUE_WS_URL: 'ws://127.0.0.1:9100',
    HTTP_PORT: '0',
    BUS_CODEC: 'json',
    REST_BUDGET: 'nats',
  });
  assert.equal(c.restBudget, 'nats');
  assert.throws(() => ingestorConfig({ REST_BUDGET: 'redis' }), /REST_BUDGET/);
  assert.equal(c.symbols, 'BTCUSDT');
  assert.equal(c.venueWsUrl, 'ws://127.0.0.1:9100');
  assert.equal(c.httpPort, 0);
  assert.throws(() => ingestorConfig({ REST_WEIGHT_PER_MINUTE: '0' }), /REST_WEIGHT_PER_MINUTE/);
});
