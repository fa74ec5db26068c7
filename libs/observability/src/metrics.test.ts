import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { LATENCY_BUCKETS, MetricsRegistry, metricsEnabledFromEnv } from './metrics';
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

test('histograms render every explicit bucket, cumulative, with sum and count', () => {
  const r = new MetricsRegistry();
  const h = r.histogram('tm_hop_seconds', 'hop latency').labels({ venue: 'binance' });
  for (const v of [0.00004, 0.00005, 0.0003, 0.002, 2]) h.observe(v);
  const text = r.render();
  assert.match(text, /# TYPE tm_hop_seconds histogram/);
  const buckets = [...text.matchAll(/tm_hop_seconds_bucket\{venue="binance",le="([^"]+)"\} (\d+)/g)];
  assert.deepEqual(
    buckets.map((m) => m[1]),
    [...LATENCY_BUCKETS.map(String), '+Inf'],
  );
  // sub-millisecond resolution: 50 µs, 100 µs, 250 µs, 500 µs before 1 ms
  assert.deepEqual(LATENCY_BUCKETS.slice(0, 5), [0.00005, 0.0001, 0.00025, 0.0005, 0.001]);
  const cum = Object.fromEntries(buckets.map((m) => [m[1], Number(m[2])]));
  assert.equal(cum['0.00005'], 2); // le is inclusive
  assert.equal(cum['0.0005'], 3);
  assert.equal(cum['0.0025'], 4);
  assert.equal(cum['1'], 4);
  assert.equal(cum['+Inf'], 5);
  const counts = buckets.map((m) => Number(m[2]));
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
    'cumulative',
  );
  assert.match(text, /tm_hop_seconds_count\{venue="binance"\} 5\n/);
  const sum = Number(/tm_hop_seconds_sum\{venue="binance"\} (\S+)/.exec(text)?.[1]);
  assert.ok(Math.abs(sum - 2.00239) < 1e-9, String(sum));
});

test('counters and gauges: one series per label set, label order does not matter, values escaped', () => {
  const r = new MetricsRegistry();
  const c = r.counter('tm_closes_total', 'closes');
  c.labels({ transport: 'ws', reason: 'slow_consumer' }).inc();
  c.labels({ reason: 'slow_consumer', transport: 'ws' }).inc(2);
  c.labels({ transport: 'sse', reason: 'a"b' }).inc();
  c.inc(); // unlabelled series
  assert.equal(c.labels({ transport: 'ws', reason: 'slow_consumer' }).value, 3);
  const g = r.gauge('tm_books', 'books');
  g.set(4, { state: 'live' });
  g.set(2, { state: 'live' });
  g.set(1, { state: 'stale' });
  assert.equal(r.counter('tm_closes_total', 'again'), c, 'a name registers once');
  const text = r.render();
  assert.match(text, /# HELP tm_closes_total closes\n# TYPE tm_closes_total counter\n/);
  assert.match(text, /tm_closes_total\{reason="slow_consumer",transport="ws"\} 3\n/);
  assert.match(text, /tm_closes_total\{reason="a_b",transport="sse"\} 1\n/);
  assert.match(text, /^tm_closes_total 1$/m);
  assert.match(text, /tm_books\{state="live"\} 2\n/);
  assert.match(text, /tm_books\{state="stale"\} 1\n/);
});

test('onCollect callbacks refresh values at render time', () => {
  const r = new MetricsRegistry();
  let n = 0;
  const g = r.gauge('tm_now', 'now');
  r.onCollect(() => g.set(++n));
  assert.match(r.render(), /tm_now 1\n/);
  assert.match(r.render(), /tm_now 2\n/);
});

test('METRICS=off: no-op instruments, values stay 0, /metrics serves one comment line', () => {
  const r = new MetricsRegistry({ enabled: false });
  assert.equal(r.enabled, false);
  const c = r.counter('tm_msgs_total', 'messages');
  const child = c.labels({ venue: 'binance' });
  child.inc(5);
  c.inc();
  assert.equal(child.value, 0);
  assert.equal(c.labels({ venue: 'other' }), child, 'one shared child, no label key built');
  const h = r.histogram('tm_lat_seconds', 'latency').labels({ hop: 'a' });
  h.observe(0.001);
  assert.equal(h.count, 0);
  r.gauge('tm_up', 'up').set(1);
  let collected = false;
  r.onCollect(() => (collected = true));
  assert.equal(r.render(), '# metrics disabled (METRICS=off)\n');
  assert.equal(collected, false);
  // the same code paths work with metrics on
  assert.equal(new MetricsRegistry().enabled, true);
});

test('METRICS is on by default; on/off/true/false/1/0 are accepted, anything else names the variable', () => {
  assert.equal(metricsEnabledFromEnv({}), true);
  assert.equal(metricsEnabledFromEnv({ METRICS: '' }), true);
  for (const v of ['on', 'ON', 'true', '1']) assert.equal(metricsEnabledFromEnv({ METRICS: v }), true, v);
  for (const v of ['off', 'Off', 'false', '0', ' off '])
    assert.equal(metricsEnabledFromEnv({ METRICS: v }), false, v);
  assert.throws(
    () => metricsEnabledFromEnv({ METRICS: 'maybe' }),
    /METRICS must be on or off \(got "maybe"\)/,
  );
});

test('the process-wide registry follows METRICS (child processes)', () => {
  const src = new URL('./metrics.ts', import.meta.url).href;
  const script = `import { metrics } from ${JSON.stringify(src)}; const c = metrics.counter('tm_x_total', 'x'); c.inc(2); process.stdout.write(JSON.stringify({ enabled: metrics.enabled, value: c.labels().value, text: metrics.render() }));`;
  const run = (value: string | undefined): { enabled: boolean; value: number; text: string } => {
    const env = { ...process.env };
    if (value === undefined) delete env['METRICS'];
    else env['METRICS'] = value;
    const out = execFileSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });
    return JSON.parse(out) as { enabled: boolean; value: number; text: string };
  };
  const on = run(undefined);
  assert.equal(on.enabled, true);
  assert.equal(on.value, 2);
  assert.match(on.text, /tm_x_total 2/);
  const off = run('off');
  assert.equal(off.enabled, false);
  assert.equal(off.value, 0);
  assert.equal(off.text, '# metrics disabled (METRICS=off)\n');
});
