import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from './metrics';
import { HealthState } from './health';

test('counters, gauges and histograms render valid Prometheus text', () => {
  const r = new MetricsRegistry();
  r.counter('tm_msgs_total', 'messages').labels({ venue: 'binance' }).inc(3);
  r.gauge('tm_up', 'up').set(1);
  const h = r.histogram('tm_lat_seconds', 'latency', [0.001, 0.01]).labels({ hop: 'a' });
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(5);
  const text = r.render();
  assert.match(text, /tm_msgs_total\{venue="binance"\} 3/);
  assert.match(text, /tm_up 1/);
  assert.match(text, /tm_lat_seconds_bucket\{hop="a",le="0.001"\} 1/);
  assert.match(text, /tm_lat_seconds_bucket\{hop="a",le="0.01"\} 2/);
  assert.match(text, /tm_lat_seconds_bucket\{hop="a",le="\+Inf"\} 3/);
  assert.match(text, /tm_lat_seconds_count\{hop="a"\} 3/);
});

test('readiness is false while any component is not ready, with its reason', () => {
  const h = new HealthState();
  h.set('nats', true);
  h.set('redis', false, 'connection refused');
  let r = h.readiness();
  assert.equal(r.ready, false);
  assert.equal(r.components['redis']?.reason, 'connection refused');
  h.set('redis', true);
  assert.equal(h.readiness().ready, true);
  h.markShuttingDown();
  r = h.readiness();
  assert.equal(r.ready, false);
});
