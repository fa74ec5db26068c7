import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  activeTraceId,
  extractTraceContext,
  injectSampledTrace,
  injectTraceHeaders,
  otlpEnabled,
  parseRatio,
  startOtelTracing,
  startTracing,
  traceIdOfContext,
  traceLogFields,
  withSpan,
} from './tracing';

class MapHeaders {
  readonly m = new Map<string, string>();
  get(k: string): string {
    return this.m.get(k) ?? '';
  }
  set(k: string, v: string): void {
    this.m.set(k, v);
  }
}

test('configuration: OTLP off by default, ratio parsed with a 0.01 default', () => {
  assert.equal(otlpEnabled({}), false);
  assert.equal(otlpEnabled({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.equal(otlpEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(
    otlpEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    false,
  );
  assert.equal(parseRatio(undefined), 0.01);
  assert.equal(parseRatio('0.5'), 0.5);
  assert.equal(parseRatio('7'), 0.01);
});

test('spans, W3C inject/extract, remote parents and log correlation', async (t) => {
  const exporter = new InMemorySpanExporter();
  const h = startOtelTracing('test-svc', {
    ratio: 1,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    env: {},
  });
  t.after(() => h.shutdown());
  assert.equal(startTracing('other'), h, 'idempotent, and reachable through the dependency-free API');
  assert.equal(h.enabled, true);

  const headers = new MapHeaders();
  let logged = '';
  const log = pino(
    { mixin: traceLogFields },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    }),
  );
  const traceId = await withSpan('snapshot', { symbol: 'BTC-USDT' }, async () => {
    await new Promise((r) => setTimeout(r, 1));
    assert.equal(injectTraceHeaders(headers), true);
    log.info('inside');
    return activeTraceId();
  });
  assert.ok(traceId);
  assert.match(headers.get('traceparent'), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  assert.equal(traceIdOfContext(extractTraceContext(headers)), traceId);
  assert.equal((JSON.parse(logged) as { trace_id?: string }).trace_id, traceId);
  assert.throws(() => withSpan('boom', {}, () => assert.fail('x')));
  await assert.rejects(withSpan('boom-async', {}, () => Promise.reject(new Error('y'))));
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    ['snapshot', 'boom', 'boom-async'],
  );

  // the remote context continues the trace in a child span
  const childTrace = withSpan('handle', {}, () => activeTraceId(), extractTraceContext(headers));
  assert.equal(childTrace, traceId);
  assert.equal(extractTraceContext(new MapHeaders()), undefined);
  assert.equal(trace.getActiveSpan(), undefined);
  assert.deepEqual(traceLogFields(), {});
  assert.equal(injectTraceHeaders(new MapHeaders()), false, 'nothing to inject outside a span');
});

test('a message the caller sampled is traced even when the ratio is 0', async (t) => {
  const exporter = new InMemorySpanExporter();
  const h = startOtelTracing('ratio-0', {
    ratio: 0,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    env: {},
  });
  t.after(() => h.shutdown());
  const notSampled = new MapHeaders();
  withSpan('unsampled', {}, () => injectTraceHeaders(notSampled));
  assert.equal(notSampled.get('traceparent'), '', 'an unsampled span is not propagated');
  const headers = new MapHeaders();
  // even inside an unsampled span
  const id = withSpan('unsampled-parent', {}, () =>
    injectSampledTrace(headers, 'bus.publish', { subject: 'x' }),
  );
  assert.equal(traceIdOfContext(extractTraceContext(headers)), id);
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    ['bus.publish'],
  );
});
