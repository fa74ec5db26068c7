import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSymbol } from '../../market/instrument';
import { coinbaseSpec } from './index';
import {
  envelope,
  errorMessage,
  heartbeatEvents,
  l2UpdateEvents,
  priceText,
  rfc3339,
  sizeText,
  subscriptionsEvents,
  trimDecimal,
  withSequence,
} from './wire';

test('decimals lose trailing zeros, as in the docs example ("21921.3") and the live capture ("79944")', () => {
  assert.deepEqual(['60000.10', '60000.00', '0.02000000', '5', '0.0', '10.5'].map(trimDecimal), [
    '60000.1',
    '60000',
    '0.02',
    '5',
    '0',
    '10.5',
  ]);
  const spec = coinbaseSpec(resolveSymbol({ native: 'BTCUSD', base: 'BTC', quote: 'USD' }));
  assert.equal(spec.native, 'BTC-USD');
  assert.equal(spec.normalized, 'BTC-USD');
  assert.deepEqual([spec.priceDecimals, spec.sizeDecimals], [2, 5]);
  assert.equal(priceText(spec, 6_000_010), '60000.1');
  assert.equal(priceText(spec, 6_000_000), '60000');
  assert.equal(sizeText(spec, 1200), '0.012');
  assert.equal(sizeText(spec, 0), '0');
});

test('RFC 3339 with µs from a µs clock', () => {
  assert.equal(rfc3339(Date.UTC(2026, 0, 1) * 1000 + 123456), '2026-01-01T00:00:00.123456Z');
  assert.equal(rfc3339(Date.UTC(2026, 0, 1, 23, 59, 59) * 1000 + 999999), '2026-01-01T23:59:59.999999Z');
  assert.equal(rfc3339(0), '1970-01-01T00:00:00.000000Z');
});

test('envelope: serialized once, each connection splices its own sequence_num', () => {
  const p = envelope('l2_data', '2026-01-01T00:00:00.000000Z', '[]');
  assert.deepEqual(JSON.parse(withSequence(p, 7)), {
    channel: 'l2_data',
    client_id: '',
    timestamp: '2026-01-01T00:00:00.000000Z',
    sequence_num: 7,
    events: [],
  });
  const spec = coinbaseSpec(resolveSymbol({ native: 'ETHUSD', base: 'ETH', quote: 'USD' }));
  assert.deepEqual(
    JSON.parse(
      l2UpdateEvents(
        spec,
        [
          { side: 'ask', ticks: 300_001, lots: 0 },
          { side: 'bid', ticks: 299_999, lots: 15 },
        ],
        'T',
      ),
    ),
    [
      {
        type: 'update',
        product_id: 'ETH-USD',
        updates: [
          { side: 'offer', event_time: 'T', price_level: '3000.01', new_quantity: '0' },
          { side: 'bid', event_time: 'T', price_level: '2999.99', new_quantity: '0.0015' },
        ],
      },
    ],
  );
});

test('heartbeats, subscriptions and errors in the documented shapes', () => {
  assert.deepEqual(JSON.parse(heartbeatEvents(Date.UTC(2026, 0, 1, 0, 0, 1) * 1000, 3, 1500)), [
    { current_time: '2026-01-01 00:00:01.000000000 +0000 UTC m=+1.500000000', heartbeat_counter: '3' },
  ]);
  assert.deepEqual(
    JSON.parse(
      subscriptionsEvents(
        new Map([
          ['level2', new Set(['BTC-USD'])],
          ['heartbeats', new Set<string>()],
        ]),
      ),
    ),
    [{ subscriptions: { level2: ['BTC-USD'], heartbeats: [] } }],
  );
  assert.equal(
    errorMessage('Failed to subscribe', 'X is not a valid product'),
    '{"type":"error","message":"Failed to subscribe","reason":"X is not a valid product"}',
  );
  assert.equal(errorMessage('x'), '{"type":"error","message":"x"}');
});
