/**
 * `startBookBuilder`: the book-builder without Nest, so tests and embedders run it in-process;
 * main.ts runs the same function inside the Nest shell (health, metrics, lifecycle).
 *
 * The hot path: book messages from the bus → exact books → top of book, written to Redis (batched)
 * and published on NATS (once per book per turn, latest wins); member books → consolidated books
 * (consolidator.ts); counters for per-symbol stats (stats-reporter.ts). Depth snapshots are served
 * on request (depth-server.ts). Nothing awaits per message.
 */
import { Bus, Coalescer } from '@tickmesh/bus';
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
import { serveDepthRequests } from './depth-server';
import { parseEquivalences } from './equivalence';
import { bookMetrics, type BookEntry } from './book-entry';
import { SnapshotRequester } from './snapshots';
import { TobRedisWriter } from './redis-writer';
import { StatsReporter } from './stats-reporter';

const consolidatedPublished = metrics.counter(
  'tickmesh_bookbuilder_consolidated_published_total',
  'consolidated books published',
);
const booksGauge = metrics.gauge('tickmesh_bookbuilder_books', 'books by published state');

export interface RunningBookBuilder {
  /** A book by (venue, symbol), for tests and diagnostics (read only). */
  book(venue: string, symbol: string): BookState | undefined;
  /** The consolidated symbols built so far. */
  consolidatedSymbols(): string[];
  /** Resolves once NATS is connected (subscriptions are then being registered). */
  ready(timeoutMs?: number): Promise<void>;
  /** Flushes Redis, drains NATS. Idempotent. */
  close(): Promise<void>;
}

/** Starts a book-builder. Throws at once on an invalid CONSOLIDATE_EQUIVALENT. */
export function startBookBuilder(overrides: Partial<BookBuilderConfig> = {}): RunningBookBuilder {
  const cfg = withDefaults(overrides);
  const equivalences = parseEquivalences(cfg.consolidateEquivalent);
  const log = createLogger('book-builder');
  const warn = new RateLimitedLog(log);
  const venues = venueList(cfg);

  health.set('nats', false, 'connecting');
  // tops of book are batched here (latest per book), so the bus flushes every turn
  const bus = Bus.start({
    url: cfg.natsUrl,
    name: 'book-builder',
    codec: cfg.busCodec,
    publishIntervalMs: 0,
  });
  const redis = new TobRedisWriter(cfg.redisUrl, cfg.redisFlushMs);
  const reporter = new StatsReporter(bus, cfg.statsIntervalMs);
  const consolidator = new Consolidator({
    depth: cfg.consolidatedDepth,
    equivalences,
    intervalMs: cfg.publishIntervalMs,
    publish: (c: ConsolidatedBook) => {
      if (bus.publishRaw(consolidatedSubject(c.symbol), encodeConsolidated(c))) consolidatedPublished.inc();
      redis.writeNbbo(c);
    },
  });

  const entries = new Map<string, BookEntry>();
  const dirtyTob = new Set<BookState>();
  const tobFlush = new Coalescer(() => {
    for (const b of dirtyTob) {
      const tob = b.tob();
      if (bus.publish(subjectFor('tob', b.venue, b.symbol), tob)) bookMetrics.tobPublished.inc();
      redis.write(tob);
    }
    dirtyTob.clear();
  }, cfg.publishIntervalMs);

  /** The book's top of book and consolidated membership need republishing. */
  const markDirty = (e: BookEntry): void => {
    dirtyTob.add(e.state);
    tobFlush.request();
    consolidator.touch(e.member);
  };
  const snapshots = new SnapshotRequester(bus, cfg.snapshotTimeoutMs, warn, log, (m) => onBook(m));

  const entryOf = (venue: string, symbol: string): BookEntry => {
    const key = `${venue}\u0000${symbol}`;
    let e = entries.get(key);
    if (e === undefined) {
      const state = new BookState(venue, symbol, cfg.maxDepth, bookMetrics.applyLatency.labels({ venue }));
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
        const cross = b.checkCrossed(m.type === 'book.snapshot');
        if (cross !== 'ok' && cross !== 'still-crossed') {
          snapshots.onCrossing(e, cross);
          markDirty(e);
        } else if (r.tobChanged || m.type === 'book.snapshot') markDirty(e);
        else consolidator.onLevels(e.member, m.bids, m.asks);
        return;
      }
    }
  }

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

  // data subscriptions first: a depth request answered proves they are registered too (one
  // connection, SUBs processed in order)
  for (const v of venues ?? [undefined]) {
    bus.subscribe(subjectWildcard('book', v), onBook);
    bus.subscribe(subjectWildcard('status', v), onStatus);
    bus.subscribeRaw(subjectWildcard('trade', v), (_data, subject) => reporter.onTradeSubject(subject));
  }
  serveDepthRequests(bus, (venue, symbol) => entries.get(`${venue}\u0000${symbol}`)?.state, {
    maxDepth: cfg.depthRequestMax,
    codec: codecByName(cfg.busCodec),
    venues,
    queue: replicaGroup(cfg),
  });

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
    book: (venue, symbol) => entries.get(`${venue}\u0000${symbol}`)?.state,
    consolidatedSymbols: () => consolidator.symbols,
    ready: (timeoutMs) => bus.ready(timeoutMs),
    close: () =>
      (closing ??= (async () => {
        closed = true;
        clearInterval(freshnessTimer);
        snapshots.close();
        reporter.close();
        consolidator.close();
        await redis.close();
        await bus.close();
      })()),
  };
}
