/**
 * What the book-builder keeps per (venue, symbol), and the book metrics shared by its modules.
 * One object per book, resolved once per message by a map lookup: the book state, its stats
 * counters and its consolidated-book membership.
 */
import { LATENCY_BUCKETS, metrics } from '@tickmesh/observability';
import type { BookState } from './book-state';
import type { ConsolidationMember } from './consolidator';
import type { SymbolStats } from './symbol-stats';

export interface BookEntry {
  readonly state: BookState;
  readonly stats: SymbolStats;
  readonly member: ConsolidationMember;
}

export const bookMetrics = {
  applied: metrics.counter('tickmesh_bookbuilder_updates_total', 'book messages applied'),
  resyncs: metrics.counter(
    'tickmesh_bookbuilder_resyncs_total',
    'continuity breaks that required a snapshot',
  ),
  crossed: metrics.counter('tickmesh_bookbuilder_crossed_total', 'crossed books seen'),
  crossedSnapshots: metrics.counter(
    'tickmesh_bookbuilder_crossed_snapshots_total',
    'snapshots from the ingestor that were crossed themselves',
  ),
  tobPublished: metrics.counter('tickmesh_bookbuilder_tob_published_total', 'top-of-book messages published'),
  applyLatency: metrics.histogram(
    'tickmesh_bookbuilder_venue_to_apply_seconds',
    'venue event time to book apply',
    LATENCY_BUCKETS,
  ),
  receiveToApply: metrics.histogram(
    'tickmesh_bookbuilder_receive_to_apply_seconds',
    'ingestor frame receipt to book apply (ingestor work + NATS hop + queueing; no venue clock)',
    LATENCY_BUCKETS,
  ),
};
