/**
 * Observability on real processes: after a short run the services' /metrics show filled per-hop
 * latency histograms and moving counters; and W3C trace context crosses a NATS hop for sampled
 * messages only (two Bus instances on a harness nats-server, OTel SDK with an in-memory exporter).
 * Readiness flipping when NATS stops is covered by resilience.e2e.test.ts.
 */
// the OTel SDK backend must be installed before any Bus is constructed
import { startOtelTracing, traceIdOfContext } from '@tickmesh/observability/tracing';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TickmeshClient, type TobData } from '@tickmesh/client';
import { Bus, traceContextOf } from '@tickmesh/bus';
import type { BookDelta } from '@tickmesh/contracts';
import { activeTraceId, withSpan } from '@tickmesh/observability';
import { startNats, waitFor } from '@tickmesh/test-harness';
import { startStack } from './stack';

/** Sum of every series of `name` (all label sets) in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) {
      sum += v;
      seen = true;
    }
  }
  return seen ? sum : NaN;
}

async function scrape(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  assert.equal(r.status, 200);
  return r.text();
}

test('metrics endpoints show filled per-hop latency histograms and moving counters', async (t) => {
  const stack = await startStack({ simRate: 20 });
  let failed = true;
  const client = new TickmeshClient({ url: stack.gatewayWs, WebSocket: WebSocket as never });
  t.after(async () => {
    client.close();
    await stack.close(failed);
  });
  await client.connect();
  let tob: TobData | undefined;
  await client.subscribe('tob.binance.BTC-USDT', (m) => (tob = m.data));
  await waitFor(() => tob?.state === 'live', { timeoutMs: 20_000, message: 'BTC-USDT live at the client' });

  const hops = [
    [stack.http.ingestor, 'tickmesh_ingestor_venue_to_publish_seconds'],
    [stack.http.bookBuilder, 'tickmesh_bookbuilder_venue_to_apply_seconds'],
    [stack.http.gateway, 'tickmesh_gateway_venue_to_send_seconds'],
  ] as const;
  let last = '';
  await waitFor(
    async () => {
      for (const [url, name] of hops) {
        const text = await scrape(url);
        const count = metricSum(text, `${name}_count`);
        last = `${name}_count=${count}`;
        if (!(count > 0)) return false;
        // cumulative buckets: the +Inf bucket equals the count
        assert.equal(
          metricSum(
            text
              .split('\n')
              .filter((l) => l.includes('le="+Inf"'))
              .join('\n'),
            `${name}_bucket`,
          ),
          count,
        );
      }
      return true;
    },
    { timeoutMs: 15_000, message: () => `per-hop histograms filled (${last})` },
  );

  const counters = [
    [stack.http.ingestor, 'tickmesh_ingestor_book_messages_total'],
    [stack.http.ingestor, 'tickmesh_feed_frames_total'],
    [stack.http.ingestor, 'tickmesh_bus_published_total'],
    [stack.http.bookBuilder, 'tickmesh_bookbuilder_updates_total'],
    [stack.http.bookBuilder, 'tickmesh_bus_received_total'],
    [stack.http.gateway, 'tickmesh_gateway_messages_sent_total'],
  ] as const;
  const first = await Promise.all(counters.map(async ([url, name]) => metricSum(await scrape(url), name)));
  for (const [i, [, name]] of counters.entries()) assert.ok(first[i]! > 0, `${name} = ${first[i]}`);
  await waitFor(
    async () => {
      const second = await Promise.all(
        counters.map(async ([url, name]) => metricSum(await scrape(url), name)),
      );
      return second.every((v, i) => v > first[i]!);
    },
    { timeoutMs: 10_000, message: 'every counter higher on the second scrape' },
  );

  // connection gauges, and process metrics from the service shell
  const ing = await scrape(stack.http.ingestor);
  assert.equal(metricSum(ing, 'tickmesh_nats_connected'), 1);
  assert.equal(metricSum(await scrape(stack.http.bookBuilder), 'tickmesh_redis_connected'), 1);
  assert.ok(metricSum(ing, 'process_resident_memory_bytes') > 0);
  assert.ok(metricSum(ing, 'process_cpu_seconds_total') > 0);
  failed = false;
});

const delta = (seq: number): BookDelta => ({
  type: 'book.delta',
  venue: 'binance',
  symbol: 'BTC-USDT',
  epoch: 1,
  seq,
  prevSeq: seq - 1,
  venueTs: 1,
  recvTs: 2,
  bids: [['100.10', '1.5']],
  asks: [],
});

test('W3C trace context crosses a NATS hop for sampled messages only', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracing = startOtelTracing('obs-e2e', {
    ratio: 1,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    env: {},
  });
  const nats = await startNats();
  const sampled = await Bus.connect({ url: nats.url, name: 'obs-pub-sampled', traceSampleEvery: 3 });
  const plain = await Bus.connect({ url: nats.url, name: 'obs-pub-plain', traceSampleEvery: 0 });
  const sub = await Bus.connect({ url: nats.url, name: 'obs-sub' });
  t.after(async () => {
    await Promise.all([sampled.close(), plain.close(), sub.close()]);
    await nats.stop();
    await tracing.shutdown();
  });

  interface Got {
    subject: string;
    seq: number;
    traceId: string | undefined;
    childTraceId: string | undefined;
  }
  const got: Got[] = [];
  sub.subscribe('obs.*', (m, subject, headers) => {
    const ctx = traceContextOf(headers);
    // a handler continues the trace with the extracted context as the parent
    const childTraceId = ctx === undefined ? undefined : withSpan('handle', { subject }, activeTraceId, ctx);
    got.push({ subject, seq: (m as BookDelta).seq, traceId: traceIdOfContext(ctx), childTraceId });
  });
  await waitFor(
    () => {
      plain.publish('obs.probe', delta(0));
      return got.some((g) => g.subject === 'obs.probe');
    },
    { timeoutMs: 5000, message: 'subscription live' },
  );

  // unsampled publisher: never any headers
  got.length = 0;
  for (let i = 1; i <= 6; i++) plain.publish('obs.plain', delta(i));
  // 1-in-3 sampling: exactly 3 of 9 messages carry a trace, each from a forced publish span
  for (let i = 1; i <= 9; i++) sampled.publish('obs.sampled', delta(i));
  // a publish inside an active span carries that span's trace
  let spanTrace: string | undefined;
  withSpan('snapshot', { symbol: 'BTC-USDT' }, () => {
    spanTrace = activeTraceId();
    plain.publish('obs.span', delta(1), plain.traceHeaders());
  });
  // (late probes may still arrive: they are not counted)
  const counted = (): Got[] => got.filter((g) => g.subject !== 'obs.probe');
  await waitFor(() => counted().length === 16, {
    timeoutMs: 5000,
    message: () => `16 messages, got ${JSON.stringify(counted().map((g) => [g.subject, g.seq]))}`,
  });

  assert.ok(got.filter((g) => g.subject === 'obs.plain').every((g) => g.traceId === undefined));
  const traced = got.filter((g) => g.subject === 'obs.sampled' && g.traceId !== undefined);
  assert.equal(traced.length, 3, JSON.stringify(got.filter((g) => g.subject === 'obs.sampled')));
  const publishSpans = exporter.getFinishedSpans().filter((s) => s.name === 'bus.publish');
  assert.deepEqual(
    traced.map((g) => g.traceId),
    publishSpans.map((s) => s.spanContext().traceId),
  );
  for (const g of traced) assert.equal(g.childTraceId, g.traceId);

  const viaSpan = got.find((g) => g.subject === 'obs.span');
  assert.ok(spanTrace);
  assert.equal(viaSpan?.traceId, spanTrace, "the subscriber's context has the publisher's trace id");
  assert.equal(viaSpan?.childTraceId, spanTrace);

  const names = new Set(exporter.getFinishedSpans().map((s) => s.name));
  for (const n of ['bus.connect', 'bus.subscribe', 'snapshot', 'handle'])
    assert.ok(names.has(n), `span ${n}`);
});
