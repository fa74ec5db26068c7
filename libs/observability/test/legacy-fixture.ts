/**
 * A representative registry content (real service metric names, label shapes, value kinds) whose
 * rendering by the pre-OpenTelemetry renderer is stored in ./legacy-render.prom. The tests render
 * the same content through the OTel pipeline and compare the samples (names, labels, values).
 */
import { LATENCY_BUCKETS, type MetricsRegistry } from '../src/metrics';

/** services/book-builder/src/redis-writer.ts */
const REDIS_HOP_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1,
  0.25, 1, 5,
];

export function fillRepresentative(r: MetricsRegistry): void {
  const pub = r.histogram('tickmesh_ingestor_venue_to_publish_seconds', 'venue event time to NATS publish');
  const bin = pub.labels({ venue: 'binance' });
  for (const v of [0.00004, 0.00005, 0.00012, 0.0003, 0.0009, 0.002, 0.04, 0.7, 1, 3.5]) bin.observe(v);
  pub.labels({ venue: 'kraken' }).observe(0.0006);
  r.histogram(
    'tickmesh_gateway_venue_to_send_seconds',
    'venue event time to socket write',
    LATENCY_BUCKETS,
  ).labels({ transport: 'sse' }); // a child with no observations
  const redis = r.histogram(
    'tickmesh_bookbuilder_apply_to_redis_seconds',
    'book apply to Redis write acknowledged',
    REDIS_HOP_BUCKETS,
  );
  for (const v of [0.0002, 0.0008, 0.012, 6]) redis.labels({ kind: 'tob' }).observe(v);
  redis.labels({ kind: 'nbbo' }).observe(0.00075);
  r.histogram('tickmesh_bookbuilder_venue_to_apply_seconds', 'venue event time to book apply'); // no series

  r.counter('tickmesh_bus_published_total', 'messages published on NATS').inc(123456);
  r.counter('tickmesh_feed_frame_bytes_total', 'bytes received from venues')
    .labels({ venue: 'binance' })
    .inc(1234567890123);
  const resyncs = r.counter('tickmesh_ingestor_resyncs_total', 'symbol resyncs');
  resyncs.labels({ venue: 'binance', symbol: 'BTC-USDT' }).inc(3);
  resyncs.labels({ symbol: 'ETH-USDT', venue: 'binance' }).inc(); // key order does not matter
  const closes = r.counter('tickmesh_gateway_closes_total', 'connections closed by the gateway');
  closes.labels({ transport: 'ws', reason: 'slow_consumer' }).inc(7);
  closes.labels({ transport: 'sse', reason: 'odd "quoted" \\ back\nslash' }).inc(2);
  r.counter('process_cpu_seconds_total', 'user and system CPU time spent, seconds').labels().value =
    12.345678;
  r.counter('tickmesh_gateway_forbidden_total', 'channels refused'); // no series

  r.gauge('tickmesh_nats_connected', '1 when the NATS connection is up').set(1);
  const books = r.gauge('tickmesh_bookbuilder_books', 'books by state');
  books.set(12, { state: 'live' });
  books.set(0, { state: 'stale' });
  books.set(3, { state: 'live' });
  r.gauge('tickmesh_bookbuilder_symbol_spread_bps', 'spread, basis points').set(1.2345, {
    venue: 'kraken',
    symbol: 'BTC-USD',
  });
  r.gauge('tickmesh_bookbuilder_symbol_depth_levels', 'levels per side').set(250, {
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'bid',
  });
  r.gauge('tickmesh_gateway_breaker_state', 'circuit breaker state').set(0, { breaker: 'redis' });
  r.gauge('tickmesh_test_negative', 'a negative gauge').set(-2.5);
  r.gauge('process_start_time_seconds', 'process start time, unix seconds').set(1796000000);
}
