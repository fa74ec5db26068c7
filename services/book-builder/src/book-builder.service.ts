/**
 * The book-builder's hot path: book messages from the bus → exact books → top of book, written to
 * Redis (batched per event-loop turn) and published on NATS (once per book per turn, latest wins).
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Bus, Coalescer } from '@tickmesh/bus';
import {
  decode,
  nowMicros,
  snapshotRequestSubject,
  subjectFor,
  subjectWildcard,
  type BookDelta,
  type BookSnapshot,
  type SyncStatus,
  type WireMessage,
} from '@tickmesh/contracts';
import { createLogger, health, LATENCY_BUCKETS, metrics, RateLimitedLog } from '@tickmesh/observability';
import { BookState } from './book-state';
import { BOOK_BUILDER_CONFIG, type BookBuilderConfig } from './config';
import { TobRedisWriter } from './redis-writer';

const applied = metrics.counter('tickmesh_bookbuilder_updates_total', 'book messages applied');
const resyncs = metrics.counter(
  'tickmesh_bookbuilder_resyncs_total',
  'continuity breaks that required a snapshot',
);
const crossed = metrics.counter('tickmesh_bookbuilder_crossed_total', 'crossed books seen');
const tobPublished = metrics.counter(
  'tickmesh_bookbuilder_tob_published_total',
  'top-of-book messages published',
);
const applyLatency = metrics.histogram(
  'tickmesh_bookbuilder_venue_to_apply_seconds',
  'venue event time to book apply',
  LATENCY_BUCKETS,
);
const booksGauge = metrics.gauge('tickmesh_bookbuilder_books', 'books by published state');

@Injectable()
export class BookBuilderService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = createLogger('book-builder');
  private readonly warn = new RateLimitedLog(this.log);
  private bus!: Bus;
  private redis!: TobRedisWriter;
  readonly books = new Map<string, BookState>();
  private readonly dirtyTob = new Set<BookState>();
  private tobFlush!: Coalescer;
  private freshnessTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(BOOK_BUILDER_CONFIG) private readonly cfg: BookBuilderConfig) {}

  onModuleInit(): void {
    const cfg = this.cfg;
    health.set('nats', false, 'connecting');
    // tops of book are batched here (latest per book), so the bus flushes every turn
    this.bus = Bus.start({
      url: cfg.natsUrl,
      name: 'book-builder',
      codec: cfg.busCodec,
      publishIntervalMs: 0,
    });
    this.tobFlush = new Coalescer(() => this.flushTob(), cfg.publishIntervalMs);
    let wasDown = false;
    this.bus.onState((s) => {
      health.set('nats', s === 'connected', s === 'connected' ? '' : `NATS ${s}`);
      if (s !== 'connected') wasDown = true;
      else if (wasDown) {
        wasDown = false;
        this.resyncAll('NATS reconnected');
      }
    });
    this.redis = new TobRedisWriter(cfg.redisUrl, cfg.redisFlushMs);
    const venues = cfg.venues === '*' ? [undefined] : cfg.venues.split(',').map((v) => v.trim());
    for (const v of venues) {
      this.bus.subscribe(subjectWildcard('book', v), (m) => this.onBook(m));
      this.bus.subscribe(subjectWildcard('status', v), (m) => this.onStatus(m));
    }
    const staleUs = cfg.staleAfterMs * 1000;
    this.freshnessTimer = setInterval(
      () => {
        const now = nowMicros();
        for (const b of this.books.values()) if (b.checkFresh(now, staleUs)) this.markDirty(b);
      },
      Math.min(1000, cfg.staleAfterMs / 2),
    );
    this.freshnessTimer.unref();
    metrics.onCollect(() => {
      const counts: Record<string, number> = {};
      for (const b of this.books.values()) counts[b.state] = (counts[b.state] ?? 0) + 1;
      for (const s of ['live', 'stale', 'resyncing', 'snapshotting', 'connecting', 'error'])
        booksGauge.set(counts[s] ?? 0, { state: s });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.freshnessTimer);
    await this.redis.close();
    await this.bus.close();
  }

  /**
   * Messages published while the connection was down are lost, and a quiet symbol would not reveal
   * the gap until its next delta: every book is suspect until a fresh snapshot confirms it.
   */
  private resyncAll(reason: string): void {
    this.log.warn({ reason, books: this.books.size }, 'resyncing every book');
    for (const b of this.books.values()) {
      b.continuous = false;
      this.markDirty(b);
      this.requestSnapshot(b);
    }
  }

  private bookOf(venue: string, symbol: string): BookState {
    const key = `${venue}\u0000${symbol}`;
    let b = this.books.get(key);
    if (b === undefined) {
      b = new BookState(venue, symbol, this.cfg.maxDepth, applyLatency.labels({ venue }));
      this.books.set(key, b);
    }
    return b;
  }

  private onBook(m: WireMessage): void {
    if (m.type !== 'book.snapshot' && m.type !== 'book.delta') return;
    const b = this.bookOf(m.venue, m.symbol);
    const now = nowMicros();
    let r;
    try {
      r = m.type === 'book.snapshot' ? b.applySnapshot(m, now) : b.applyDelta(m as BookDelta, now);
    } catch (err) {
      this.warn.warn(
        `bad:${m.venue}:${m.symbol}`,
        { err: (err as Error).message },
        'invalid book message; resyncing',
      );
      b.continuous = false;
      this.requestSnapshot(b);
      this.markDirty(b);
      return;
    }
    switch (r.kind) {
      case 'ignored':
        return;
      case 'need-snapshot':
        resyncs.labels({ venue: m.venue }).inc();
        this.log.warn({ venue: m.venue, symbol: m.symbol, reason: r.reason }, 'book needs a snapshot');
        this.requestSnapshot(b);
        this.markDirty(b);
        return;
      case 'applied':
        applied.inc();
        b.latency.observe(Math.max(0, now - m.venueTs) / 1e6);
        if (b.book.isCrossed()) crossed.labels({ venue: m.venue, symbol: m.symbol }).inc();
        if (r.tobChanged) this.markDirty(b);
        return;
    }
  }

  private onStatus(m: WireMessage): void {
    if (m.type !== 'status') return;
    const s = m as SyncStatus;
    const b = this.bookOf(s.venue, s.symbol);
    const r = b.onFeedState(s.state, s.epoch);
    if (r.needSnapshot) this.requestSnapshot(b);
    if (r.changed) this.markDirty(b);
  }

  /** Asks the venue's ingestor for the current book (request/reply), at most one in flight per book. */
  private requestSnapshot(b: BookState): void {
    if (b.snapshotInFlight) return;
    b.snapshotInFlight = true;
    const subject = snapshotRequestSubject(b.venue, b.symbol);
    this.bus
      .request(subject, new Uint8Array(0), this.cfg.snapshotTimeoutMs)
      .then((data) => {
        b.snapshotInFlight = false;
        let msg: WireMessage | undefined;
        try {
          msg = decode(data);
        } catch {
          this.warn.warn(
            `snap:${b.venue}:${b.symbol}`,
            { reply: Buffer.from(data).toString().slice(0, 200) },
            'no snapshot',
          );
        }
        if (msg?.type === 'book.snapshot') this.onBook(msg as BookSnapshot);
        else this.retrySnapshot(b);
      })
      .catch((err: unknown) => {
        b.snapshotInFlight = false;
        this.warn.warn(`snapreq:${b.venue}`, { err: String(err), subject }, 'snapshot request failed');
        this.retrySnapshot(b);
      });
  }

  /**
   * A book that is still not continuous asks again after a pause: a quiet symbol produces no delta
   * that would trigger the next request, and the ingestor may come back later than NATS.
   */
  private retrySnapshot(b: BookState): void {
    setTimeout(() => {
      if (!b.continuous && !b.snapshotInFlight) this.requestSnapshot(b);
    }, 500).unref();
  }

  private markDirty(b: BookState): void {
    this.dirtyTob.add(b);
    this.tobFlush.request();
  }

  /** The latest top of book of every changed book to NATS and Redis (see Coalescer for when). */
  private flushTob(): void {
    for (const b of this.dirtyTob) {
      const tob = b.tob();
      if (this.bus.publish(subjectFor('tob', b.venue, b.symbol), tob)) tobPublished.inc();
      this.redis.write(tob);
    }
    this.dirtyTob.clear();
  }
}
