/**
 * Top-of-book and consolidated-NBBO writes to Redis, batched: callers mark a hash dirty; the latest
 * value of every dirty hash goes out in one pipeline (HSET per key), at most once per `minIntervalMs` (the first write
 * after a quiet period goes out on the next event-loop turn). A pipeline costs the ioredis client
 * ~20 µs of CPU however small it is, so at high rates the interval is what amortizes it; at low
 * rates it adds no delay. Never one awaited round trip per message. While Redis is unavailable,
 * dirty keys are kept (latest value wins, memory bounded by the number of books and consolidated
 * symbols) and written when it returns; the process never blocks on it.
 *
 * Hop latency: every dirty hash remembers when it first became dirty since its last write (`since`,
 * µs: the apply time of the oldest book change it carries, passed by the caller); when its pipeline
 * is acknowledged, ack time − since goes to `tickmesh_bookbuilder_apply_to_redis_seconds{kind}`
 * (one observation per hash written, so coalesced updates count once, with their oldest change).
 */
import { Redis } from 'ioredis';
import {
  nbboRedisKey,
  nbboToRedisFields,
  nowMicros,
  tobRedisKey,
  tobToRedisFields,
  type ConsolidatedBook,
  type TopOfBook,
} from '@tickmesh/contracts';
import { Coalescer } from '@tickmesh/bus';
import { createLogger, health, metrics, RateLimitedLog } from '@tickmesh/observability';

const writes = metrics.counter(
  'tickmesh_bookbuilder_redis_writes_total',
  'top-of-book and NBBO hashes written to Redis',
);
const batches = metrics.counter('tickmesh_bookbuilder_redis_batches_total', 'Redis pipelines sent');
const errors = metrics.counter('tickmesh_bookbuilder_redis_errors_total', 'failed Redis pipelines');
const redisUp = metrics.gauge('tickmesh_redis_connected', '1 when the Redis connection is ready');

/**
 * Buckets of the apply → Redis ack hop, seconds: sub-millisecond resolution (a pipeline round trip
 * on one host is ~100 µs), up to REDIS_FLUSH_MS (10 ms default) and beyond, and seconds for writes
 * held back while Redis was away.
 */
export const REDIS_HOP_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1,
  0.25, 1, 5,
];
const hop = metrics.histogram(
  'tickmesh_bookbuilder_apply_to_redis_seconds',
  'book apply (oldest change in the hash) to Redis write acknowledged, per hash written',
  REDIS_HOP_BUCKETS,
);
const hopTob = hop.labels({ kind: 'tob' });
const hopNbbo = hop.labels({ kind: 'nbbo' });

/** A dirty hash: its latest value, turned into fields only when the pipeline is built. */
type Pending = ({ tob: TopOfBook; nbbo?: undefined } | { nbbo: ConsolidatedBook; tob?: undefined }) & {
  /** µs: the oldest change this value carries that is not yet in Redis */
  since: number;
};

/** Where tops of book and NBBOs go: Redis (TobRedisWriter), or nowhere (benchmarks). */
export interface TobSink {
  write(tob: TopOfBook, since: number): void;
  writeNbbo(book: ConsolidatedBook, since: number): void;
  /** nothing dirty and nothing in flight */
  readonly idle: boolean;
  close(): Promise<void>;
}

/** Drops everything (Redis writes off, for benchmarks). */
export class NullSink implements TobSink {
  readonly idle = true;
  write(): void {}
  writeNbbo(): void {}
  async close(): Promise<void> {}
}

function fieldsOf(p: Pending, updatedAt: number): string[] {
  return p.tob !== undefined ? tobToRedisFields(p.tob, updatedAt) : nbboToRedisFields(p.nbbo, updatedAt);
}

export class TobRedisWriter implements TobSink {
  private readonly redis: Redis;
  private dirty = new Map<string, Pending>();
  private readonly flusher: Coalescer;
  private inFlight = false;
  /** the pipeline in flight */
  private current: Promise<void> | undefined;
  private readonly log = createLogger('redis-writer');
  private readonly warn = new RateLimitedLog(this.log);
  private closed = false;

  constructor(url: string, minIntervalMs = 2) {
    this.flusher = new Coalescer(() => void this.flush(), minIntervalMs);
    health.set('redis', false, 'connecting');
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
      connectionName: 'tickmesh-book-builder',
    });
    this.redis.on('ready', () => {
      health.set('redis', true);
      redisUp.set(1);
      this.log.info('Redis ready');
      this.schedule();
    });
    this.redis.on('error', (err: Error) =>
      this.warn.warn('redis-error', { err: err.message }, 'Redis error'),
    );
    this.redis.on('close', () => {
      if (this.closed) return;
      health.set('redis', false, 'Redis connection closed');
      redisUp.set(0);
    });
  }

  /** `since`: µs, the apply time of the oldest change in `tob` (see the module comment). */
  write(tob: TopOfBook, since: number): void {
    const key = tobRedisKey(tob.venue, tob.symbol);
    const prev = this.dirty.get(key);
    this.dirty.set(key, { tob, since: prev !== undefined && prev.since < since ? prev.since : since });
    this.schedule();
  }

  /** The consolidated NBBO of `book.symbol` at `tm:v1:nbbo:<symbol>`. */
  writeNbbo(book: ConsolidatedBook, since: number): void {
    const key = nbboRedisKey(book.symbol);
    const prev = this.dirty.get(key);
    this.dirty.set(key, { nbbo: book, since: prev !== undefined && prev.since < since ? prev.since : since });
    this.schedule();
  }

  get pending(): number {
    return this.dirty.size;
  }

  get idle(): boolean {
    return this.dirty.size === 0 && !this.inFlight;
  }

  /**
   * Writes what is dirty (after the pipeline in flight, if any) when Redis is ready, then
   * disconnects: a replica that stops leaves its last values — e.g. its books marked stale — behind.
   */
  async close(): Promise<void> {
    if (this.current !== undefined) await this.current;
    await this.flush();
    this.closed = true;
    this.redis.disconnect();
  }

  private schedule(): void {
    if (!this.closed) this.flusher.request();
  }

  private flush(): Promise<void> {
    if (this.inFlight || this.dirty.size === 0 || this.redis.status !== 'ready') return Promise.resolve();
    const p = this.send().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }

  private async send(): Promise<void> {
    if (this.inFlight || this.dirty.size === 0 || this.redis.status !== 'ready') return;
    const batch = this.dirty;
    this.dirty = new Map();
    this.inFlight = true;
    const now = nowMicros();
    const pipe = this.redis.pipeline();
    for (const [key, p] of batch) pipe.hset(key, ...fieldsOf(p, now));
    try {
      const results = await pipe.exec();
      const failed = results?.find(([err]) => err !== null);
      if (failed) throw failed[0] as Error;
      writes.inc(batch.size);
      batches.inc();
      const ack = nowMicros();
      for (const p of batch.values())
        (p.tob !== undefined ? hopTob : hopNbbo).observe(Math.max(0, ack - p.since) / 1e6);
    } catch (err) {
      errors.inc();
      this.warn.warn(
        'flush',
        { err: (err as Error).message, keys: batch.size },
        'Redis write failed; will retry',
      );
      // keep the newest value per key: entries written meanwhile win over the failed batch
      // (a newer value keeps the older `since`: the failed change is still not in Redis)
      for (const [k, v] of batch) {
        const newer = this.dirty.get(k);
        if (newer === undefined) this.dirty.set(k, v);
        else if (v.since < newer.since) newer.since = v.since;
      }
      this.inFlight = false;
      setTimeout(() => this.schedule(), 200).unref();
      return;
    }
    this.inFlight = false;
    if (this.dirty.size > 0) this.schedule();
  }
}
