/**
 * Connection and operation rate limits.
 *
 * - Connect rate per client IP and per key (JWT `sub`, or an API key), per minute, counted in Redis
 *   with rate-limiter-flexible's `RateLimiterRedis` (one atomic INCR+PEXPIRE script per check), so
 *   the limit holds over every gateway replica. Each Redis limiter has a `RateLimiterMemory`
 *   `insuranceLimiter` with the same points: while Redis is down or slow (not `ready`, or a command
 *   over RATE_REDIS_TIMEOUT_MS) the check is answered from process memory at once, so the limit
 *   still holds per replica. Anything unexpected fails open (allowed and counted): a Redis outage
 *   never blocks or crashes connections.
 * - Operation rate per connection, per second: a synchronous token bucket in process memory
 *   (`OpsBucket`). A connection lives on one replica, so a shared counter would add a Redis round
 *   trip to every client message for nothing; a synchronous check also keeps the connection's
 *   operations in order.
 *
 * Refusals carry `retryAfterMs` (HTTP `Retry-After` is its ceiling in seconds). Counters:
 * `tickmesh_gateway_rate_limited_total{reason}`, `..._rate_limiter_fallback_total{limiter}`,
 * `..._rate_limiter_errors_total{limiter}`.
 */
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type IRateLimiterOptions,
} from 'rate-limiter-flexible';
import { createLogger, metrics, RateLimitedLog } from '@tickmesh/observability';
import type { RateLimitConfig } from './protection-config';

export type RateLimitReason = 'connect_ip' | 'connect_key' | 'ops';

export type RateDecision = { ok: true } | { ok: false; reason: RateLimitReason; retryAfterMs: number };

/** WebSocket close code after too many refused operations (4000 + HTTP 429). */
export const RATE_LIMIT_CLOSE_CODE = 4029;
/** HTTP status of a refused connect (WS upgrade or SSE request), with `Retry-After`. */
export const RATE_LIMIT_HTTP_STATUS = 429;

const limited = metrics.counter('tickmesh_gateway_rate_limited_total', 'refused by a rate limit, by reason');
const fallbacks = metrics.counter(
  'tickmesh_gateway_rate_limiter_fallback_total',
  'connect checks answered by the in-memory limiter because Redis was down or slow, by limiter',
);
const errors = metrics.counter(
  'tickmesh_gateway_rate_limiter_errors_total',
  'connect checks that failed unexpectedly and were allowed (fail open), by limiter',
);
const redisUp = metrics.gauge(
  'tickmesh_gateway_rate_limiter_redis_connected',
  '1 when the rate limiter Redis connection is ready',
);

export const rateLimitMetrics = {
  limited(reason: RateLimitReason): void {
    limited.labels({ reason }).inc();
  },
  limitedOf(reason: RateLimitReason): number {
    return limited.labels({ reason }).value;
  },
  fallbacksOf(limiter: 'ip' | 'key'): number {
    return fallbacks.labels({ limiter }).value;
  },
  errorsOf(limiter: 'ip' | 'key'): number {
    return errors.labels({ limiter }).value;
  },
};

/** The insurance limiter, counting how often it answers. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    opts: IRateLimiterOptions,
    private readonly label: 'ip' | 'key',
  ) {
    super(opts);
  }
  override consume(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    fallbacks.labels({ limiter: this.label }).inc();
    return super.consume(key, points, options);
  }
}

export interface RateLimitsOptions {
  /** a Redis URL (a dedicated connection is opened and closed here) or an ioredis client to share */
  redis: string | Redis;
}

export class RateLimits {
  private readonly redis: Redis;
  private readonly ownsRedis: boolean;
  private readonly ip: RateLimiterRedis | undefined;
  private readonly key: RateLimiterRedis | undefined;
  private readonly warn = new RateLimitedLog(createLogger('rate-limits'));

  constructor(
    readonly cfg: RateLimitConfig,
    opts: RateLimitsOptions,
  ) {
    if (typeof opts.redis === 'string') {
      this.ownsRedis = true;
      this.redis = new Redis(opts.redis, {
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: cfg.redisTimeoutMs,
        retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
        connectionName: 'tickmesh-gateway-ratelimit',
      });
      this.redis.on('error', (err: Error) =>
        this.warn.warn(
          'redis-error',
          { err: err.message },
          'rate limiter Redis error (in-memory limits apply)',
        ),
      );
    } else {
      this.ownsRedis = false;
      this.redis = opts.redis;
    }
    this.redis.on('ready', () => redisUp.set(1));
    this.redis.on('close', () => redisUp.set(0));
    redisUp.set(this.redis.status === 'ready' ? 1 : 0);
    const make = (points: number, label: 'ip' | 'key'): RateLimiterRedis | undefined =>
      points === 0
        ? undefined
        : new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix: `${cfg.redisPrefix}:connect:${label}`,
            points,
            duration: 60,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new InsuranceLimiter(
              { keyPrefix: `mem:${label}`, points, duration: 60 },
              label,
            ),
          });
    this.ip = make(cfg.connectPerIp, 'ip');
    this.key = make(cfg.connectPerKey, 'key');
  }

  /**
   * One new connection from `ip` (and `key` when authenticated). Resolves within about
   * RATE_REDIS_TIMEOUT_MS even while Redis hangs; never rejects.
   */
  async checkConnect(ip: string, key?: string): Promise<RateDecision> {
    const a = await this.consume(this.ip, 'ip', ip);
    if (!a.ok) return a;
    if (key === undefined || key === '') return a;
    return this.consume(this.key, 'key', key);
  }

  /**
   * The per-key limit alone: for a WebSocket that authenticates with its first message (its IP was
   * checked at the upgrade).
   */
  checkKey(key: string): Promise<RateDecision> {
    return this.consume(this.key, 'key', key);
  }

  private async consume(
    limiter: RateLimiterRedis | undefined,
    label: 'ip' | 'key',
    k: string,
  ): Promise<RateDecision> {
    if (limiter === undefined) return { ok: true };
    try {
      await limiter.consume(k);
      return { ok: true };
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const reason = label === 'ip' ? 'connect_ip' : 'connect_key';
        limited.labels({ reason }).inc();
        return { ok: false, reason, retryAfterMs: Math.max(1, Math.ceil(res.msBeforeNext)) };
      }
      errors.labels({ limiter: label }).inc();
      this.warn.warn(`consume-${label}`, { err: (res as Error)?.message }, 'rate limiter failed, allowing');
      return { ok: true };
    }
  }

  /** A per-connection operation bucket (RATE_OPS_PER_CONN per second, RATE_OPS_BURST at once; unlimited when 0). */
  opsBucket(now?: () => number): OpsBucket {
    return new OpsBucket(this.cfg.opsPerConn, now, undefined, this.cfg.opsBurst);
  }

  /** The client address to limit on (see `clientIp`). */
  clientIp(req: IncomingMessage): string {
    return clientIp(req, this.cfg.trustProxy);
  }

  get redisStatus(): string {
    return this.redis.status;
  }

  close(): void {
    if (this.ownsRedis) this.redis.disconnect();
  }
}

/**
 * Token bucket: `perSecond` tokens, refilled continuously, burst `perSecond`. `take()` returns
 * undefined when allowed, else the refusal. `closeAfter` consecutive refusals mean the client
 * ignores them: the caller closes with 4029.
 */
export class OpsBucket {
  private tokens: number;
  private last: number;
  private refusedInARow = 0;
  private readonly now: () => number;

  /** @param burst bucket capacity: ops allowed at once after a quiet period (default: the rate) */
  constructor(
    readonly perSecond: number,
    now?: () => number,
    readonly closeAfter = Math.max(10, perSecond * 2),
    readonly burst = perSecond,
  ) {
    this.now = now ?? (() => performance.now());
    this.tokens = Math.max(burst, perSecond);
    this.last = this.now();
  }

  take(): { retryAfterMs: number; close: boolean } | undefined {
    if (this.perSecond === 0) return undefined;
    const t = this.now();
    this.tokens = Math.min(
      Math.max(this.burst, this.perSecond),
      this.tokens + ((t - this.last) * this.perSecond) / 1000,
    );
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return undefined;
    }
    this.refusedInARow++;
    limited.labels({ reason: 'ops' }).inc();
    return {
      retryAfterMs: Math.ceil(((1 - this.tokens) * 1000) / this.perSecond),
      close: this.refusedInARow >= this.closeAfter,
    };
  }
}

/**
 * The socket's peer address, IPv4-mapped IPv6 unwrapped. With `trustProxy`, the first
 * X-Forwarded-For entry (set it only behind a proxy that overwrites the header; otherwise clients
 * choose their own limit key).
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy: boolean): string {
  if (trustProxy) {
    const h = req.headers['x-forwarded-for'];
    const first = (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim();
    if (first !== undefined && first !== '' && first.length <= 64) return unmap(first);
  }
  return unmap(req.socket.remoteAddress ?? 'unknown');
}

function unmap(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** `Retry-After` header value (whole seconds, at least 1) for a refusal. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
