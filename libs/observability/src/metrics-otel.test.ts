/**
 * /metrics through OpenTelemetry: the registry as an OTel MetricProducer, the text from the OTel
 * Prometheus serializer (render) or the whole SDK pipeline (renderAsync, with meter() instruments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { LATENCY_BUCKETS, MetricsRegistry, meter, metrics } from './metrics';
import { fillRepresentative } from '../test/legacy-fixture';
import { parseExposition, sampleKey } from '../test/prom-text';
import { registeredMetrics } from '../test/registered-metrics';

const legacyText = readFileSync(new URL('../test/legacy-render.prom', import.meta.url), 'utf8');

function representative(): MetricsRegistry {
  const r = new MetricsRegistry();
  fillRepresentative(r);
  return r;
}

test('the producer hands OTel metric data: monotonic SUM, GAUGE, HISTOGRAM with explicit buckets, cumulative', async () => {
  const r = new MetricsRegistry();
  r.counter('tm_msgs_total', 'messages').labels({ venue: 'binance' }).inc(3);
  r.gauge('tm_up', 'up').set(1);
  const h = r.histogram('tm_lat_seconds', 'latency').labels({ hop: 'a' });
  for (const v of [0.00004, 0.0003, 0.0003, 2]) h.observe(v);
  const { resourceMetrics, errors } = await r.collect();
  assert.deepEqual(errors, []);
  assert.equal(resourceMetrics.scopeMetrics.length, 1);
  const byName = new Map<string, MetricData>(
    resourceMetrics.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m]),
  );
  for (const m of byName.values()) assert.equal(m.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  const c = byName.get('tm_msgs_total')!;
  assert.equal(c.dataPointType, DataPointType.SUM);
  assert.equal(c.dataPointType === DataPointType.SUM && c.isMonotonic, true);
  assert.deepEqual(c.dataPoints[0]!.attributes, { venue: 'binance' });
  assert.equal(c.dataPoints[0]!.value, 3);
  assert.equal(c.descriptor.description, 'messages');
  const g = byName.get('tm_up')!;
  assert.equal(g.dataPointType, DataPointType.GAUGE);
  assert.equal(g.dataPoints[0]!.value, 1);
  const hist = byName.get('tm_lat_seconds')!;
  assert.ok(hist.dataPointType === DataPointType.HISTOGRAM);
  const p = hist.dataPoints[0]!;
  assert.deepEqual(p.value.buckets.boundaries, LATENCY_BUCKETS);
  // n + 1 counts (the last: above 1 s), not cumulative
  assert.deepEqual(p.value.buckets.counts, [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(p.value.count, 4);
  assert.ok(Math.abs(p.value.sum! - 2.00064) < 1e-12);
  assert.ok(p.startTime[0] <= p.endTime[0], 'start before end');
});

for (const [how, render] of [
  ['render()', (r: MetricsRegistry) => Promise.resolve(r.render())],
  ['renderAsync()', (r: MetricsRegistry) => r.renderAsync()],
] as const) {
  test(`${how}: counters, gauges, histograms as valid Prometheus text (buckets, +Inf, sum, count, escaping)`, async () => {
    const r = new MetricsRegistry();
    r.counter('tm_closes_total', 'closes\nby "reason" \\ transport')
      .labels({ transport: 'ws', reason: 'a"b\\c\nd' })
      .inc(2);
    r.counter('tm_plain_total', 'plain').inc();
    r.gauge('tm_books', 'books').set(4, { state: 'live', 'odd-name': 'x' });
    r.gauge('tm_inf', 'an infinite value').set(Infinity);
    const h = r.histogram('tm_hop_seconds', 'hop', [0.0001, 0.001]).labels({ venue: 'binance' });
    for (const v of [0.00005, 0.0001, 0.0005, 3]) h.observe(v);
    const text = await render(r);
    const e = parseExposition(text); // throws on any invalid line
    assert.equal(e.type.get('tm_closes_total'), 'counter');
    assert.equal(e.type.get('tm_books'), 'gauge');
    assert.equal(e.type.get('tm_hop_seconds'), 'histogram');
    // HELP text escaped (backslash, newline), label values as the registry always wrote them
    assert.equal(e.help.get('tm_closes_total'), 'closes\\nby "reason" \\\\ transport');
    assert.match(text, /^tm_closes_total\{reason="a_b_c_d",transport="ws"\} 2$/m);
    assert.match(text, /^tm_plain_total 1$/m);
    // a label name Prometheus cannot take is sanitized by the OTel serializer
    assert.match(text, /^tm_books\{odd_name="x",state="live"\} 4$/m);
    assert.match(text, /^tm_inf \+Inf$/m);
    const samples = new Set(e.samples.map(sampleKey));
    for (const s of [
      'tm_hop_seconds_bucket{le="0.0001",venue="binance"} 2', // le inclusive
      'tm_hop_seconds_bucket{le="0.001",venue="binance"} 3',
      'tm_hop_seconds_bucket{le="+Inf",venue="binance"} 4',
      'tm_hop_seconds_count{venue="binance"} 4',
      'tm_hop_seconds_sum{venue="binance"} 3.00065',
    ])
      assert.ok(samples.has(s), `${s} in\n${text}`);
    assert.doesNotMatch(text, /otel_scope|target_info/, 'no scope labels, no target_info');
  });
}

/** HELP/TYPE lines and samples (name, labels, value), order-insensitive. */
function semantic(text: string): { meta: string[]; samples: string[] } {
  const e = parseExposition(text);
  return {
    meta: [
      ...[...e.help].map(([n, h]) => `HELP ${n} ${h}`),
      ...[...e.type].map(([n, t]) => `TYPE ${n} ${t}`),
    ].sort(),
    samples: e.samples.map(sampleKey).sort(),
  };
}

test('names, labels and values are those of the pre-OTel renderer (stored output, same registry content)', async () => {
  const legacy = semantic(legacyText);
  assert.ok(legacy.samples.length > 100);
  assert.deepEqual(semantic(representative().render()), legacy);
  assert.deepEqual(semantic(await representative().renderAsync()), legacy);
  // family order is registration order, as before
  const families = (t: string) => [...t.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(families(representative().render()), families(legacyText));
});

test('every metric the services register keeps its name and type through the OTel serializer', async () => {
  const reg = registeredMetrics();
  assert.ok(reg.size > 40);
  const r = new MetricsRegistry();
  for (const [name, kind] of reg) {
    if (kind === 'counter') r.counter(name, name).labels({ venue: 'x' }).inc();
    else if (kind === 'gauge') r.gauge(name, name).set(1, { venue: 'x' });
    else r.histogram(name, name).labels({ venue: 'x' }).observe(0.001);
  }
  for (const text of [r.render(), await r.renderAsync()]) {
    const e = parseExposition(text);
    assert.deepEqual(new Map([...e.type]), new Map([...reg]), 'families and types');
    const names = new Set(e.samples.map((s) => s.name));
    const expected = new Set(
      [...reg].flatMap(([n, k]) => (k === 'histogram' ? [`${n}_bucket`, `${n}_sum`, `${n}_count`] : [n])),
    );
    assert.deepEqual(names, expected, 'sample names');
  }
});

test('an OTel instrument made on meter() is served next to the registry metrics (renderAsync)', async () => {
  const r = new MetricsRegistry();
  r.counter('tm_registry_total', 'from the registry').inc(5);
  const m = r.meter('tm-test');
  m.createCounter('tm_otel_events_total', { description: 'from an OTel counter' }).add(3, { kind: 'a' });
  m.createHistogram('tm_otel_lat_seconds', {
    description: 'from an OTel histogram',
    advice: { explicitBucketBoundaries: [0.0001, 0.001] },
  }).record(0.0005, { kind: 'a' });
  m.createObservableGauge('tm_otel_gauge', { description: 'observable' }).addCallback((o) => o.observe(7));
  const text = await r.renderAsync();
  const e = parseExposition(text);
  assert.equal(e.type.get('tm_otel_events_total'), 'counter');
  assert.match(text, /^tm_otel_events_total\{kind="a"\} 3$/m);
  assert.match(text, /^tm_otel_lat_seconds_bucket\{kind="a",le="0.001"\} 1$/m);
  assert.match(text, /^tm_otel_gauge 7$/m);
  assert.match(text, /^tm_registry_total 5$/m);
  assert.equal(r.meter('tm-test'), m, 'one provider per registry');
});

test('the process-wide meter() feeds the process-wide registry', async () => {
  meter().createUpDownCounter('tm_process_otel_updown', { description: 'x' }).add(-2);
  metrics.counter('tm_process_registry_total', 'x').inc();
  const text = await metrics.renderAsync();
  assert.match(text, /^tm_process_otel_updown -2$/m);
  assert.match(text, /^tm_process_registry_total 1$/m);
  assert.doesNotMatch(metrics.render(), /tm_process_otel_updown/, 'render() is the registry alone');
});

test('onCollect callbacks run once per collection, on both paths', async () => {
  const r = new MetricsRegistry();
  let n = 0;
  const g = r.gauge('tm_now', 'now');
  r.onCollect(() => g.set(++n));
  assert.match(r.render(), /^tm_now 1$/m);
  assert.match(await r.renderAsync(), /^tm_now 2$/m);
  await r.collect();
  assert.equal(n, 3);
});

test('METRICS=off: nothing collected on either path, meter() instruments are harmless no-ops', async () => {
  const r = new MetricsRegistry({ enabled: false });
  r.counter('tm_msgs_total', 'messages').labels({ venue: 'a' }).inc(5);
  let collected = false;
  r.onCollect(() => (collected = true));
  const c = r.meter().createCounter('tm_otel_total');
  c.add(1, { kind: 'a' });
  r.meter().createHistogram('tm_otel_seconds').record(0.1);
  assert.equal(r.render(), '# metrics disabled (METRICS=off)\n');
  assert.equal(await r.renderAsync(), '# metrics disabled (METRICS=off)\n');
  const { resourceMetrics } = await r.collect();
  assert.deepEqual(resourceMetrics.scopeMetrics[0]!.metrics, []);
  assert.equal(collected, false);
});

test('renderAsync serializes in slices, yields to the event loop, and renders what render() does', async () => {
  const r = new MetricsRegistry();
  for (let m = 0; m < 8; m++) {
    const h = r.histogram(`tm_big${m}_seconds`, 'big');
    for (let i = 0; i < 100; i++) h.labels({ venue: `v${i % 5}`, symbol: `S${i}` }).observe(i * 1e-4);
  }
  const c = r.counter('tm_big_total', 'many series');
  for (let i = 0; i < 1200; i++) c.labels({ symbol: `S${i}` }).inc(i);
  let turns = 0;
  let running = true;
  const spin = (async () => {
    while (running) {
      await tick();
      turns++;
    }
  })();
  const t0 = performance.now();
  const text = await r.renderAsync();
  const ms = performance.now() - t0;
  running = false;
  await spin;
  assert.deepEqual(semantic(text), semantic(r.render()));
  if (ms > 10) assert.ok(turns > 1, `${turns} event-loop turns during ${ms.toFixed(1)} ms`);
});

test('an empty registry renders an empty page; one with only HELP/TYPE keeps them', async () => {
  assert.equal(new MetricsRegistry().render(), '');
  const r = new MetricsRegistry();
  r.counter('tm_none_total', 'none yet');
  assert.equal(r.render(), '# HELP tm_none_total none yet\n# TYPE tm_none_total counter\n');
  assert.equal(await r.renderAsync(), r.render());
});
