/**
 * Gateway metrics on the process-wide registry. Hot-path children (`.labels(...)`) are resolved
 * once here, so per-message code increments a property. Gauges are derived from process-wide live
 * counts, so several gateways in one process (tests) do not overwrite each other.
 */
import { LATENCY_BUCKETS, metrics, type CounterChild, type HistogramChild } from '@tickmesh/observability';
import type { ErrorCode, NotRecoveredReason } from '@tickmesh/contracts';

export type Transport = 'ws' | 'sse';

export type BookRequestResult = 'ok' | 'error' | 'failed' | 'shed';

/** Why a connection was closed by the gateway rather than by its client. */
export type CloseReason =
  | 'slow_consumer'
  | 'ping_timeout'
  | 'message_too_large'
  | 'protocol_error'
  | 'shutdown'
  | 'unauthorized'
  | 'rate_limited'
  | 'subscribe_timeout'
  | 'auth_timeout'
  | 'token_expired';

const connections = metrics.gauge('tickmesh_gateway_connections', 'open client connections');
const subscriptions = metrics.gauge(
  'tickmesh_gateway_subscriptions',
  'channel subscriptions over all connections',
);
const channels = metrics.gauge(
  'tickmesh_gateway_channels',
  'channels with at least one subscriber (NATS interest)',
);
const accepted = metrics.counter('tickmesh_gateway_connections_total', 'accepted client connections');
const sent = metrics.counter('tickmesh_gateway_messages_sent_total', 'frames written to clients');
const sentBytes = metrics.counter('tickmesh_gateway_sent_bytes_total', 'bytes of frames written to clients');
const closes = metrics.counter(
  'tickmesh_gateway_closes_total',
  'connections closed by the gateway, by reason',
);
const inbound = metrics.counter(
  'tickmesh_gateway_inbound_errors_total',
  'rejected client input, by error code',
);
const resumes = metrics.counter(
  'tickmesh_gateway_resumes_total',
  'subscriptions with a resume position, by outcome (resumed or the not_recovered reason)',
);
const conflatedUpdates = metrics.counter(
  'tickmesh_gateway_conflated_total',
  'updates replaced by a later one of the same channel, by reason (conflate_ms, slow_consumer)',
);
const slowConsumers = metrics.counter(
  'tickmesh_gateway_slow_consumer_total',
  'slow-consumer transitions: conflating (went over the cap), recovered (drained in time)',
);
const snapshots = metrics.counter('tickmesh_gateway_snapshots_total', 'snapshots sent, by source');
const bookRequests = metrics.counter(
  'tickmesh_gateway_book_snapshot_requests_total',
  'depth snapshot requests of the book mirrors to the book-builder, by result (ok, error, failed, shed)',
);
const bookResyncs = metrics.counter(
  'tickmesh_gateway_book_resyncs_total',
  'book mirrors that lost continuity (gap, newer epoch, bad level) and resynced',
);
const frozenMirrors = metrics.gauge(
  'tickmesh_gateway_book_mirrors_frozen',
  'book mirrors holding a book that is not continuous (serving a frozen view while resyncing)',
);
const latency = metrics.histogram(
  'tickmesh_gateway_venue_to_send_seconds',
  'venue event time (data.venueTs) to the socket write of the frame',
  LATENCY_BUCKETS,
);

const live = { ws: 0, sse: 0, subscriptions: 0, channels: 0, frozen: 0 };
// Render zeros from the start: a gauge that appears only after the first connection breaks rate()
// and absent() alerts.
connections.set(0, { transport: 'ws' });
connections.set(0, { transport: 'sse' });
subscriptions.set(0);
channels.set(0);
frozenMirrors.set(0);

export const gatewayMetrics = {
  sent: { ws: sent.labels({ transport: 'ws' }), sse: sent.labels({ transport: 'sse' }) } satisfies Record<
    Transport,
    CounterChild
  >,
  sentBytes: {
    ws: sentBytes.labels({ transport: 'ws' }),
    sse: sentBytes.labels({ transport: 'sse' }),
  } satisfies Record<Transport, CounterChild>,
  latency: {
    ws: latency.labels({ transport: 'ws' }),
    sse: latency.labels({ transport: 'sse' }),
  } satisfies Record<Transport, HistogramChild>,

  connectionOpened(t: Transport): void {
    live[t]++;
    accepted.labels({ transport: t }).inc();
    connections.set(live[t], { transport: t });
  },
  connectionClosed(t: Transport): void {
    live[t]--;
    connections.set(live[t], { transport: t });
  },
  subscriptionsChanged(delta: number): void {
    live.subscriptions += delta;
    subscriptions.set(live.subscriptions);
  },
  channelsChanged(delta: number): void {
    live.channels += delta;
    channels.set(live.channels);
  },
  closed(t: Transport, reason: CloseReason): void {
    closes.labels({ transport: t, reason }).inc();
  },
  inboundError(t: Transport, code: ErrorCode): void {
    inbound.labels({ transport: t, code }).inc();
  },
  snapshot(source: 'redis' | 'cache' | 'first_update'): void {
    snapshots.labels({ source }).inc();
  },
  conflated(t: Transport, reason: 'conflate_ms' | 'slow_consumer'): void {
    conflatedUpdates.labels({ transport: t, reason }).inc();
  },
  conflatedOf(t: Transport, reason: 'conflate_ms' | 'slow_consumer'): number {
    return conflatedUpdates.labels({ transport: t, reason }).value;
  },
  slowConsumer(t: Transport, event: 'conflating' | 'recovered'): void {
    slowConsumers.labels({ transport: t, event }).inc();
  },
  slowConsumerOf(t: Transport, event: 'conflating' | 'recovered'): number {
    return slowConsumers.labels({ transport: t, event }).value;
  },
  resume(outcome: 'resumed' | NotRecoveredReason): void {
    resumes.labels({ outcome }).inc();
  },
  resumesOf(outcome: 'resumed' | NotRecoveredReason): number {
    return resumes.labels({ outcome }).value;
  },
  /** `ok` reply applied, `error` reply (or undecodable), `failed` (timeout, no responder), `shed` (no permit). */
  bookRequest(result: BookRequestResult): void {
    bookRequests.labels({ result }).inc();
  },
  bookRequestsOf(result: BookRequestResult): number {
    return bookRequests.labels({ result }).value;
  },
  bookResync(): void {
    bookResyncs.inc();
  },
  bookResyncsCount(): number {
    return bookResyncs.labels().value;
  },
  mirrorFrozenChanged(delta: number): void {
    live.frozen += delta;
    frozenMirrors.set(live.frozen);
  },
  get frozenMirrors(): number {
    return live.frozen;
  },
  /** Current value of a labelled counter, for tests and the index page. */
  closesOf(t: Transport, reason: CloseReason): number {
    return closes.labels({ transport: t, reason }).value;
  },
  inboundErrorsOf(t: Transport, code: ErrorCode): number {
    return inbound.labels({ transport: t, code }).value;
  },
};
