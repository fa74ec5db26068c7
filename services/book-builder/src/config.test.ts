import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@tickmesh/runtime';
import { BookBuilderConfigSchema, replicaGroup, venueList, withDefaults } from './config';

test('defaults of the consolidated book, stats and depth requests', () => {
  const c = loadConfig(BookBuilderConfigSchema, {});
  assert.equal(c.consolidatedDepth, 10);
  assert.equal(c.consolidateEquivalent, '');
  assert.equal(c.statsIntervalMs, 5000);
  assert.equal(c.depthRequestMax, 1000);
  assert.deepEqual(c, withDefaults());
});

test('the new variables are read and validated from the environment', () => {
  const c = loadConfig(BookBuilderConfigSchema, {
    CONSOLIDATED_DEPTH: '25',
    CONSOLIDATE_EQUIVALENT: 'USDT=USD,USDC=USD',
    STATS_INTERVAL_MS: '1000',
    DEPTH_REQUEST_MAX: '200',
  });
  assert.equal(c.consolidatedDepth, 25);
  assert.equal(c.consolidateEquivalent, 'USDT=USD,USDC=USD');
  assert.equal(c.statsIntervalMs, 1000);
  assert.equal(c.depthRequestMax, 200);
  assert.throws(() => loadConfig(BookBuilderConfigSchema, { CONSOLIDATED_DEPTH: '0' }), /CONSOLIDATED_DEPTH/);
  assert.throws(
    () => loadConfig(BookBuilderConfigSchema, { DEPTH_REQUEST_MAX: '5000' }),
    /DEPTH_REQUEST_MAX/,
  );
  assert.throws(
    () => loadConfig(BookBuilderConfigSchema, { CONSOLIDATE_EQUIVALENT: 'usdt:usd' }),
    /CONSOLIDATE_EQUIVALENT/,
  );
});

test('replicas building the same venue set share one queue group', () => {
  assert.equal(venueList(withDefaults()), undefined);
  assert.equal(replicaGroup(withDefaults()), 'book-builder.all');
  assert.equal(replicaGroup(withDefaults({ venues: 'okx, binance' })), 'book-builder.binance-okx');
  assert.equal(replicaGroup(withDefaults({ venues: 'binance,okx' })), 'book-builder.binance-okx');
});
