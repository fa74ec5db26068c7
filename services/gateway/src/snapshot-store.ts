/**
 * Current top-of-book from Redis, for the first snapshot of a channel the gateway has no value for.
 *
 * Availability contract: never blocks a subscription on Redis. Commands are not queued while
 * disconnected (`enableOfflineQueue: false` rejects at once) and each read has a deadline; every
 * failure resolves to `undefined`, and the caller then waits for the first NATS update instead.
 * One exception, bounded by the same deadline: until the first connection is ready (a gateway that
 * just started, whose clients reconnect at once), a read waits for it rather than missing the
 * stored value of a quiet channel.
 * Readiness (`redis` component) follows the connection.
 *
 * With a `SnapshotBreaker` (breaker.ts) each read goes through it: a failed, timed-out or
 * short-circuited read (breaker open) is answered from the last value this process read or held
 * for the channel (`remember`, called by the hub when it drops a channel), counted as
 * `reads{result="fallback"}`. A read's concurrency permit (adaptive-concurrency.ts) is completed
 * here: a live answer is a latency sample, a failure or timeout a drop, a short circuit no sample.
 */
import { Redis } from 'ioredis';
import { tobFromRedisHash, tobRedisKey, type Channel, type TopOfBook } from '@tickmesh/contracts';
import { createLogger, health, metrics, RateLimitedLog } from '@tickmesh/observability';
import type { Permit } from './adaptive-concurrency';
import type { SnapshotBreaker } from './breaker';

const redisUp = metrics.gauge('tickmesh_redis_connected', '1 when the Redis connection is ready');
const reads = metrics.counter('tickmesh_gateway_redis_reads_total', 'snapshot reads from Redis, by result');

export type RedisTob = TopOfBook & { updatedAt: number };

export interface SnapshotStore {
  /**
   * The stored value of a `tob` channel; undefined when absent, malformed or Redis is unavailable.
   * `permit`, when given, is completed (success / dropped / ignore) before this resolves.
   */
  tob(ch: Channel, permit?: Permit): Promise<RedisTob | undefined>;
  /** The last value the gateway held for a `tob` channel (a fallback while Redis is down). */
  remember?(ch: Channel, tob: RedisTob): void;
  close(): Promise<void>;
}

class ReadError extends Error {
  constructor(
    readonly result: 'unavailable' | 'error',
    message: string,
  ) {
    super(message);
  }
}

export class RedisSnapshotStore implements SnapshotStore {
  private readonly redis: Redis;
  private readonly log = createLogger('redis');
  private readonly warn = new RateLimitedLog(this.log);
  private closed = false;
  private everReady = false;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    private readonly breaker?: SnapshotBreaker<RedisTob>,
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
      this.everReady = true;
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

  async tob(ch: Channel, permit?: Permit): Promise<RedisTob | undefined> {
    if (this.breaker === undefined) {
      try {
        const v = await this.read(ch);
        permit?.success();
        return v;
      } catch (err) {
        const e = err as ReadError;
        if (e.result === 'unavailable') permit?.ignore();
        else permit?.dropped();
        return undefined;
      }
    }
    const r = await this.breaker.read(tobRedisKey(ch.venue, ch.symbol), () => this.read(ch));
    if (r.source === 'live') {
      permit?.success();
      return r.value;
    }
    if (r.error === 'open') permit?.ignore();
    else permit?.dropped();
    if (r.source === 'fallback') reads.labels({ result: 'fallback' }).inc();
    return r.value;
  }

  remember(ch: Channel, tob: RedisTob): void {
    this.breaker?.remember(tobRedisKey(ch.venue, ch.symbol), tob);
  }

  /** One HGETALL; throws `ReadError` on failure (so a breaker counts it), undefined when absent. */
  private async read(ch: Channel): Promise<RedisTob | undefined> {
    if (this.redis.status !== 'ready' && !this.everReady && !this.closed) await this.firstReady();
    if (this.redis.status !== 'ready') {
      reads.labels({ result: 'unavailable' }).inc();
      throw new ReadError('unavailable', 'Redis not connected');
    }
    let hash: Record<string, string>;
    try {
      hash = await this.redis.hgetall(tobRedisKey(ch.venue, ch.symbol));
    } catch (err) {
      reads.labels({ result: 'error' }).inc();
      this.warn.warn('hgetall', { err: (err as Error).message }, 'Redis snapshot read failed');
      throw new ReadError('error', (err as Error).message);
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

  /** Resolves when the first connection is ready, or after the read deadline. */
  private firstReady(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.timeoutMs);
      this.redis.once('ready', done);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
    return Promise.resolve();
  }
}
