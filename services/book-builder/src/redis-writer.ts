/**
 * Top-of-book and consolidated-NBBO writes to Redis, batched: callers mark a hash dirty; the latest
 * value of every dirty hash goes out in one pipeline (HSET per key), at most once per `minIntervalMs` (the first write
 * after a quiet period goes out on the next event-loop turn). A pipeline costs the ioredis client
 * ~20 µs of CPU however small it is, so at high rates the interval is what amortizes it; at low
 * rates it adds no delay. Never one awaited round trip per message. While Redis is unavailable,
 * dirty keys are kept (latest value wins, memory bounded by the number of books and consolidated
 * symbols) and written when it returns; the process never blocks on it.
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

/** A dirty hash: its latest value, turned into fields only when the pipeline is built. */
type Pending = { tob: TopOfBook; nbbo?: undefined } | { nbbo: ConsolidatedBook; tob?: undefined };

function fieldsOf(p: Pending, updatedAt: number): string[] {
  return p.tob !== undefined ? tobToRedisFields(p.tob, updatedAt) : nbboToRedisFields(p.nbbo, updatedAt);
}

export class TobRedisWriter {
  private readonly redis: Redis;
  private dirty = new Map<string, Pending>();
  private readonly flusher: Coalescer;
  private inFlight = false;
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

  write(tob: TopOfBook): void {
    this.dirty.set(tobRedisKey(tob.venue, tob.symbol), { tob });
    this.schedule();
  }

  /** The consolidated NBBO of `book.symbol` at `tm:v1:nbbo:<symbol>`. */
  writeNbbo(book: ConsolidatedBook): void {
    this.dirty.set(nbboRedisKey(book.symbol), { nbbo: book });
    this.schedule();
  }

  get pending(): number {
    return this.dirty.size;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.redis.disconnect();
  }

  private schedule(): void {
    if (!this.closed) this.flusher.request();
  }

  private async flush(): Promise<void> {
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
    } catch (err) {
      errors.inc();
      this.warn.warn(
        'flush',
        { err: (err as Error).message, keys: batch.size },
        'Redis write failed; will retry',
      );
      // keep the newest value per key: entries written meanwhile win over the failed batch
      for (const [k, v] of batch) if (!this.dirty.has(k)) this.dirty.set(k, v);
      this.inFlight = false;
      setTimeout(() => this.schedule(), 200).unref();
      return;
    }
    this.inFlight = false;
    if (this.dirty.size > 0) this.schedule();
  }
}
