import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  extractTraceContext,
  injectSampledTrace,
  injectTraceHeaders,
  startTracing,
  traceLogFields,
  tracingAvailable,
  withSpan,
} from './index';

test('without the SDK entry point, tracing is a set of no-ops', async () => {
  assert.equal(tracingAvailable(), false);
  const h = startTracing('svc');
  assert.equal(h.enabled, false);
  const headers = new Map<string, string>();
  assert.equal(
    withSpan('x', {}, () => 42),
    42,
  );
  assert.equal(injectTraceHeaders(headers), false);
  assert.equal(injectSampledTrace(headers, 'p', {}), '');
  assert.equal(headers.size, 0);
  headers.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  assert.equal(extractTraceContext(headers), undefined);
  assert.deepEqual(traceLogFields(), {});
  await h.shutdown();
});
