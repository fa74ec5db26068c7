/**
 * `startBookBuilder`: the book-builder without Nest, so tests and embedders run it in-process;
 * main.ts runs the same function inside the Nest shell (health, metrics, lifecycle).
 *
 * The hot path: book messages from the bus → exact books → top of book, written to Redis (batched)
 * and published on NATS (once per book per turn, latest wins); member books → consolidated books
 * (consolidator.ts); counters for per-symbol stats (stats-reporter.ts). Depth snapshots are served
 * on request (depth-server.ts). Nothing awaits per message.
 *
 * Partitioned replicas (PARTITIONS > 1, partition.ts): the replica learns which books exist from the
 * ingestors' status messages (`md.v1.status.*.*`, low rate: every STATUS_INTERVAL_MS per symbol and
 * on every state change) and, for each book it owns, subscribes to that book's own subjects (book,
 * trade, depth requests). The NATS server then routes each book's messages to its owner only, in
 * order; no replica receives, decodes or drops the other replicas' traffic. A new or restarted
 * replica starts with no book: the first status of an owned book creates it (published at once as
 * `snapshotting`, not live) and, when the ingestor reports the symbol live, requests a fresh
 * snapshot (the same path as a gap); deltas that arrive first are kept and replayed on top of it.
 * The book is published live only once it is a snapshot plus an unbroken chain of deltas, so a
 * handover never publishes a wrong book. A replica that stops (SIGTERM) publishes its books as
 * `stale` before it leaves.
 */
import { Bus, Coalescer, type BusSubscription } from '@tickmesh/bus';
import {
  codecByName,
  consolidatedSubject,
  encodeConsolidated,
  nowMicros,
  subjectFor,
  subjectWildcard,
  type BookDelta,
  type ConsolidatedBook,
  type SyncStatus,
  type WireMessage,
} from '@tickmesh/contracts';
import { createLogger, health, metrics, RateLimitedLog } from '@tickmesh/observability';
import { BookState, type ApplyResult } from './book-state';
import { withDefaults, replicaGroup, venueList, type BookBuilderConfig } from './config';
import { Consolidator } from './consolidator';
import { depthServerForBooks, serveDepthRequests } from './depth-server';
import { consolidatedSymbolOf, parseEquivalences } from './equivalence';
import { bookMetrics, type BookEntry } from './book-entry';
import { Ownership, resolvePartition, type Partition } from './partition';
import { SnapshotRequester } from './snapshots';
import { NullSink, TobRedisWriter, type TobSink } from './redis-writer';
import { StatsReporter } from './stats-reporter';

const consolidatedPublished = metrics.counter(
  'tickmesh_bookbuilder_consolidated_published_total',
  'consolidated books published',
);
const booksGauge = metrics.gauge('tickmesh_bookbuilder_books', 'books by published state');

export interface RunningBookBuilder {
  /** this replica's partition (`{index: 0, count: 1}` when unpartitioned) */
  readonly partition: Partition;
  /** A book by (venue, symbol), for tests and diagnostics (read only). */
  book(venue: string, symbol: string): BookState | undefined;
  /** The (venue, symbol) books this replica builds. */
  books(): { venue: string; symbol: string }[];
  /**
   * The per-message path without the NATS receive: a decoded book or status message, handled as if
   * it came from the bus (benchmarks; tests).
   */
  deliver(m: WireMessage): void;
  /** Nothing waits to be written to Redis (benchmarks). */
  readonly redisIdle: boolean;
  /** The consolidated symbols built so far. */
  consolidatedSymbols(): string[];
  /** Resolves once NATS is connected (subscriptions are then being registered). */
  ready(timeoutMs?: number): Promise<void>;
  /** Flushes Redis, drains NATS. Idempotent. */
  close(): Promise<void>;
}

/** Knobs for benchmarks and embedding; the service never sets them. */
export interface StartOptions {
  /** false: no Redis connection, tops of book and NBBOs are dropped (measures the Redis share) */
  redis?: boolean;
  /** false: no consolidated books (measures their cost) */
  consolidate?: boolean;
  /** false: no data subscriptions; messages come only through `deliver` */
  subscribe?: boolean;
  /** pod name for the StatefulSet ordinal (default: env HOSTNAME) */
  hostname?: string;
}

/**
 * Starts a book-builder. Throws at once on an invalid CONSOLIDATE_EQUIVALENT or partition
 * (PARTITIONS / PARTITION_INDEX / HOSTNAME ordinal).
 */
export function startBookBuilder(
  overrides: Partial<BookBuilderConfig> = {},
  opts: StartOptions = {},
): RunningBookBuilder {
  const cfg = withDefaults(overrides);
  const equivalences = parseEquivalences(cfg.consolidateEquivalent);
  const partition = resolvePartition(
    cfg.partitions,
    cfg.partitionIndex,
    opts.hostname ?? process.env['HOSTNAME'],
  );
  const ownership = new Ownership(partition, (s) => consolidatedSymbolOf(s, equivalences));
  const consolidating = opts.consolidate !== false;
  const log = createLogger('book-builder');
  const warn = new RateLimitedLog(log);
  const venues = venueList(cfg);
  if (ownership.partitioned)
    log.info({ partition: partition.index, of: partition.count }, 'partitioned replica');

  health.set('nats', false, 'connecting');
  // tops of book are batched here (latest per book), so the bus flushes every turn
  const bus = Bus.start({
    url: cfg.natsUrl,
    name: 'book-builder',
    codec: cfg.busCodec,
    publishIntervalMs: 0,
  });
  const redis: TobSink =
    opts.redis === false ? new NullSink() : new TobRedisWriter(cfg.redisUrl, cfg.redisFlushMs);
  const reporter = new StatsReporter(bus, cfg.statsIntervalMs);
  const consolidator = new Consolidator({
    depth: cfg.consolidatedDepth,
    equivalences,
    intervalMs: Math.max(cfg.publishIntervalMs, cfg.consolidatedIntervalMs),
    publish: (c: ConsolidatedBook) => {
      if (!consolidating) return;
      if (bus.publishRaw(consolidatedSubject(c.symbol), encodeConsolidated(c))) consolidatedPublished.inc();
      redis.writeNbbo(c, c.bookTs > 0 ? c.bookTs : c.ts);
    },
  });

  const entries = new Map<string, BookEntry>();
  /** books whose top of book must be republished → µs of the oldest change not yet published */
  const dirtyTob = new Map<BookState, number>();
  const publishTob = (b: BookState, since: number): void => {
    const tob = b.tob();
    if (bus.publish(subjectFor('tob', b.venue, b.symbol), tob)) bookMetrics.tobPublished.inc();
    redis.write(tob, since);
  };
  const tobFlush = new Coalescer(() => {
    for (const [b, since] of dirtyTob) publishTob(b, since);
    dirtyTob.clear();
  }, cfg.publishIntervalMs);

  /**
   * The book's top of book and consolidated membership need republishing; `at`: µs of the change
   * (the apply time on the message path).
   */
  const markDirty = (e: BookEntry, at = nowMicros()): void => {
    if (!dirtyTob.has(e.state)) dirtyTob.set(e.state, at);
    tobFlush.request();
    if (consolidating) consolidator.touch(e.member);
  };
  const snapshots = new SnapshotRequester(bus, cfg.snapshotTimeoutMs, warn, log, (m) => onBook(m));

  const entryOf = (venue: string, symbol: string): BookEntry => {
    const key = `${venue}\u0000${symbol}`;
    let e = entries.get(key);
    if (e === undefined) {
      const state = new BookState(
        venue,
        symbol,
        cfg.maxDepth,
        bookMetrics.applyLatency.labels({ venue }),
        bookMetrics.receiveToApply.labels({ venue }),
      );
      const stats = reporter.of(venue, symbol);
      stats.book = state;
      e = { state, stats, member: consolidator.join(state) };
      entries.set(key, e);
    }
    return e;
  };

  function onBook(m: WireMessage): void {
    if (m.type !== 'book.snapshot' && m.type !== 'book.delta') return;
    const e = entryOf(m.venue, m.symbol);
    const b = e.state;
    e.stats.messages++;
    const wasContinuous = b.continuous;
    const now = nowMicros();
    let r: ApplyResult;
    try {
      r = m.type === 'book.snapshot' ? b.applySnapshot(m, now) : b.applyDelta(m as BookDelta, now);
    } catch (err) {
      warn.warn(
        `bad:${m.venue}:${m.symbol}`,
        { err: (err as Error).message },
        'invalid book message; resyncing',
      );
      b.continuous = false;
      snapshots.request(e);
      markDirty(e);
      return;
    }
    switch (r.kind) {
      case 'ignored':
        return;
      case 'need-snapshot':
        // count continuity breaks, not every delta that arrives while waiting for the snapshot
        if (wasContinuous) {
          bookMetrics.resyncs.labels({ venue: m.venue }).inc();
          e.stats.resyncs++;
        }
        warn.warn(
          `gap:${m.venue}:${m.symbol}`,
          { venue: m.venue, symbol: m.symbol, reason: r.reason },
          'book needs a snapshot',
        );
        snapshots.request(e);
        markDirty(e);
        return;
      case 'applied': {
        bookMetrics.applied.inc();
        e.stats.updates++;
        b.latency.observe(Math.max(0, now - m.venueTs) / 1e6);
        b.hopLatency.observe(Math.max(0, now - m.recvTs) / 1e6);
        const cross = b.checkCrossed(m.type === 'book.snapshot');
        if (cross !== 'ok' && cross !== 'still-crossed') {
          snapshots.onCrossing(e, cross);
          markDirty(e);
        } else if (r.tobChanged || m.type === 'book.snapshot') markDirty(e, now);
        else if (consolidating) consolidator.onLevels(e.member, m.bids, m.asks);
        return;
      }
    }
  }

  let deliverStatus = onStatus;

  function onStatus(m: WireMessage): void {
    if (m.type !== 'status') return;
    const s = m as SyncStatus;
    const e = entryOf(s.venue, s.symbol);
    e.stats.messages++;
    const r = e.state.onFeedState(s.state, s.epoch);
    if (r.needSnapshot) snapshots.request(e);
    if (r.changed) markDirty(e);
  }

  /**
   * Messages published while the connection was down are lost, and a quiet symbol would not reveal
   * the gap until its next delta: every book is suspect until a fresh snapshot confirms it.
   */
  let wasDown = false;
  bus.onState((s) => {
    health.set('nats', s === 'connected', s === 'connected' ? '' : `NATS ${s}`);
    if (s !== 'connected') wasDown = true;
    else if (wasDown) {
      wasDown = false;
      log.warn({ reason: 'NATS reconnected', books: entries.size }, 'resyncing every book');
      for (const e of entries.values()) {
        e.state.continuous = false;
        markDirty(e);
        snapshots.request(e);
      }
    }
  });

  const lookup = (venue: string, symbol: string): BookState | undefined =>
    entries.get(`${venue}\u0000${symbol}`)?.state;
  const depthOpts = {
    maxDepth: cfg.depthRequestMax,
    codec: codecByName(cfg.busCodec),
    venues,
    queue: replicaGroup(cfg, partition),
  };
  const onTrade = (_data: Uint8Array, subject: string): void => reporter.onTradeSubject(subject);
  const subscribe = opts.subscribe !== false;
  /** partitioned: the subscriptions of each owned book (book, trade, depth requests) */
  const bookSubs = new Map<string, BusSubscription[]>();

  if (!ownership.partitioned) {
    // data subscriptions first: a depth request answered proves they are registered too (one
    // connection, SUBs processed in order)
    if (subscribe)
      for (const v of venues ?? [undefined]) {
        bus.subscribe(subjectWildcard('book', v), onBook);
        bus.subscribe(subjectWildcard('status', v), onStatus);
        bus.subscribeRaw(subjectWildcard('trade', v), onTrade);
      }
    serveDepthRequests(bus, lookup, depthOpts);
  } else {
    const serveBook = depthServerForBooks(bus, lookup, depthOpts);
    /**
     * An owned book seen for the first time: its entry (published at once as not live) and its
     * subscriptions. The book subject is subscribed before the snapshot request that the status
     * triggers goes out on the same connection, so every delta after that snapshot reaches us.
     */
    const adopt = (venue: string, symbol: string): void => {
      const key = `${venue}\u0000${symbol}`;
      if (bookSubs.has(key)) return;
      const e = entryOf(venue, symbol);
      bookSubs.set(
        key,
        subscribe
          ? [
              bus.subscribe(subjectFor('book', venue, symbol), onBook),
              bus.subscribeRaw(subjectFor('trade', venue, symbol), onTrade),
              serveBook(venue, symbol),
            ]
          : [serveBook(venue, symbol)],
      );
      log.info({ venue, symbol, partition: partition.index }, 'owning book');
      markDirty(e);
    };
    const onAnyStatus = (m: WireMessage): void => {
      if (m.type !== 'status' || !ownership.owns(m.venue, m.symbol)) return;
      adopt(m.venue, m.symbol);
      onStatus(m);
    };
    if (subscribe)
      for (const v of venues ?? [undefined]) bus.subscribe(subjectWildcard('status', v), onAnyStatus);
    deliverStatus = onAnyStatus;
  }

  const staleUs = cfg.staleAfterMs * 1000;
  const freshnessTimer = setInterval(
    () => {
      const now = nowMicros();
      for (const e of entries.values()) if (e.state.checkFresh(now, staleUs)) markDirty(e);
    },
    Math.min(1000, cfg.staleAfterMs / 2),
  );
  freshnessTimer.unref();

  let closed = false;
  metrics.onCollect(() => {
    if (closed) return;
    const counts: Record<string, number> = {};
    for (const e of entries.values()) counts[e.state.state] = (counts[e.state.state] ?? 0) + 1;
    for (const s of ['live', 'stale', 'resyncing', 'snapshotting', 'connecting', 'error'])
      booksGauge.set(counts[s] ?? 0, { state: s });
  });

  let closing: Promise<void> | undefined;
  return {
    partition,
    book: lookup,
    books: () => [...entries.values()].map((e) => ({ venue: e.state.venue, symbol: e.state.symbol })),
    deliver: (m) => (m.type === 'status' ? deliverStatus(m) : onBook(m)),
    get redisIdle() {
      return redis.idle && dirtyTob.size === 0 && !tobFlush.pending;
    },
    consolidatedSymbols: () => consolidator.symbols,
    ready: (timeoutMs) => bus.ready(timeoutMs),
    close: () =>
      (closing ??= (async () => {
        closed = true;
        clearInterval(freshnessTimer);
        snapshots.close();
        reporter.close();
        consolidator.close();
        for (const subs of bookSubs.values()) for (const s of subs) s.unsubscribe();
        if (ownership.partitioned) {
          // handover: the books are no longer maintained here; say so before leaving (the next
          // owner publishes them as not live until its own snapshot, then live). Only partitioned
          // replicas do this: one owner per book, whereas unpartitioned replicas of one venue set
          // may run side by side and would mark each other's books stale.
          const now = nowMicros();
          for (const e of entries.values()) {
            e.state.timedOut = true;
            dirtyTob.set(e.state, dirtyTob.get(e.state) ?? now);
          }
          for (const [b, since] of dirtyTob) publishTob(b, since);
          dirtyTob.clear();
        }
        await redis.close();
        await bus.close();
      })()),
  };
}
