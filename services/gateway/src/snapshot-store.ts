/**
 * Current top-of-book from Redis, for the first snapshot of a channel the gateway has no value for.
 *
 * Availability contract: never blocks a subscription on Redis. Commands are not queued while
 * disconnected (`enableOfflineQueue: false` rejects at once) and each read has a deadline; every
 * failure resolves to `undefined`, and the caller then waits for the first NATS update instead.
 * Readiness (`redis` component) follows the connection.
 */
import { Redis } from 'ioredis';
import { tobFromRedisHash, tobRedisKey, type Channel, type TopOfBook } from '@tickmesh/contracts';
import { createLogger, health, metrics, RateLimitedLog } from '@tickmesh/observability';

const redisUp = metrics.gauge('tickmesh_redis_connected', '1 when the Redis connection is ready');
const reads = metrics.counter('tickmesh_gateway_redis_reads_total', 'snapshot reads from Redis, by result');

export type RedisTob = TopOfBook & { updatedAt: number };

export interface SnapshotStore {
  /** The stored value of a `tob` channel; undefined when absent, malformed or Redis is unavailable. */
  tob(ch: Channel): Promise<RedisTob | undefined>;
  close(): Promise<void>;
}

export class RedisSnapshotStore implements SnapshotStore {
  private readonly redis: Redis;
  private readonly log = createLogger('redis');
  private readonly warn = new RateLimitedLog(this.log);
  private closed = false;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    health.set('redis', false, 'connecting');
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
      connectionName: 'tickmesh-gateway',
    });
    this.redis.on('ready', () => {
      health.set('redis', true);
      redisUp.set(1);
      this.log.info('Redis ready');
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

  async tob(ch: Channel): Promise<RedisTob | undefined> {
    if (this.redis.status !== 'ready') {
      reads.labels({ result: 'unavailable' }).inc();
      return undefined;
    }
    let hash: Record<string, string>;
    try {
      hash = await this.redis.hgetall(tobRedisKey(ch.venue, ch.symbol));
    } catch (err) {
      reads.labels({ result: 'error' }).inc();
      this.warn.warn('hgetall', { err: (err as Error).message }, 'Redis snapshot read failed');
      return undefined;
    }
    const tob = tobFromRedisHash(hash);
    // A hash for another book under this key would be a writer bug; never serve it on this channel.
    if (tob === undefined || tob.venue !== ch.venue || tob.symbol !== ch.symbol) {
      reads.labels({ result: Object.keys(hash).length === 0 ? 'absent' : 'malformed' }).inc();
      return undefined;
    }
    reads.labels({ result: 'hit' }).inc();
    return tob;
  }

  close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
    return Promise.resolve();
  }
}
