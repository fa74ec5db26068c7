/**
 * REST request-weight budgets. `LocalWeightBudget` is the in-process token bucket (one replica);
 * `NatsKvWeightBudget` shares one fixed-window counter per venue and minute across every ingestor
 * replica through a NATS KV bucket, so a mass reconnect cannot storm the venue, and shares a 429/418
 * Retry-After (`blockedUntil`). When NATS KV fails or is slow it falls back to a local bucket (logged
 * once per outage): a dead NATS never blocks the feed.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@tickmesh/observability';

export interface WeightBudget {
  /** Takes `weight` from the budget: 0 when granted (taken), else the ms to wait before retrying. */
  take(weight: number): Promise<number>;
  /** Nobody may send until `untilMs` (epoch ms): a 429/418 Retry-After, shared where the budget is. */
  block(untilMs: number): Promise<void>;
  /** Synchronous best estimate of the ms to wait for `weight` (0 = probably now); takes nothing. */
  peek(weight: number): number;
}

/** Token bucket in request weight per minute, refilled continuously (one process). */
export class LocalWeightBudget implements WeightBudget {
  private tokens: number;
  private refilledAt = Date.now();
  private blockedUntil = 0;

  constructor(private readonly weightPerMinute: number) {
    this.tokens = weightPerMinute;
  }

  peek(weight: number): number {
    const now = Date.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    this.refill(now);
    if (this.tokens >= weight) return 0;
    return Math.ceil(((weight - this.tokens) / this.weightPerMinute) * 60_000);
  }

  take(weight: number): Promise<number> {
    return Promise.resolve(this.takeSync(weight));
  }

  takeSync(weight: number): number {
    const wait = this.peek(weight);
    if (wait === 0) this.tokens -= weight;
    return wait;
  }

  block(untilMs: number): Promise<void> {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
    return Promise.resolve();
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    this.tokens = Math.min(this.weightPerMinute, this.tokens + (elapsed / 60_000) * this.weightPerMinute);
  }
}

export interface NatsKvWeightBudgetOptions {
  /** one counter per venue (the KV key prefix) */
  venue: string;
  /** request weight allowed per window across all replicas */
  weightPerMinute: number;
  /** KV bucket; default `tickmesh_rest_budget` */
  bucket?: string;
  /** window length; default 60 000 ms (tests may shorten it) */
  windowMs?: number;
  /** a KV round trip slower than this falls back to the local bucket; default 1000 ms */
  timeoutMs?: number;
  /** after a KV failure, use the local bucket this long before trying KV again; default 5000 ms */
  retryKvAfterMs?: number;
}

interface WindowState {
  window: number;
  used: number;
}

const MAX_CONFLICT_RETRIES = 20;
const enc = new TextEncoder();
const dec = new TextDecoder();

function isConflict(err: unknown): boolean {
  if (err instanceof JetStreamApiError && err.code === 10071) return true;
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}

class KvTimeout extends Error {
  override readonly name = 'KvTimeout';
}

/**
 * Fixed-window counter per venue in NATS KV: key `<venue>.weight` holds `{window, used}`; every
 * take reads it and writes it back with the revision read (create when absent, update otherwise),
 * retrying on a revision conflict, so concurrent replicas never grant more than the window allows.
 * Key `<venue>.blocked` holds the shared blockedUntil (epoch ms). The bucket has a TTL (two
 * windows) so stale counters disappear.
 */
export class NatsKvWeightBudget implements WeightBudget {
  private readonly log;
  private readonly fallback: LocalWeightBudget;
  private readonly windowMs: number;
  private readonly timeoutMs: number;
  private readonly retryKvAfterMs: number;
  private readonly weightKey: string;
  private readonly blockedKey: string;
  private kv: Promise<KV> | undefined;
  /** while > now, the local fallback is used without trying KV */
  private kvDownUntil = 0;
  private fallbackLogged = false;
  /** what this replica last saw, for peek() */
  private blockedUntil = 0;
  private seen: WindowState = { window: -1, used: 0 };

  /**
   * `nc` is a connection, or a function connecting (called again after a failure, so a NATS that
   * was down at start is used once it is up); until KV answers the local fallback is used.
   */
  constructor(
    private readonly nc: NatsConnection | (() => Promise<NatsConnection>),
    private readonly opts: NatsKvWeightBudgetOptions,
  ) {
    this.log = createLogger('rest-budget', { venue: opts.venue });
    this.fallback = new LocalWeightBudget(opts.weightPerMinute);
    this.windowMs = opts.windowMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retryKvAfterMs = opts.retryKvAfterMs ?? 5000;
    const prefix = opts.venue.replace(/[^-/_=a-zA-Z0-9]/g, '_');
    this.weightKey = `${prefix}.weight`;
    this.blockedKey = `${prefix}.blocked`;
  }

  /** true while KV is failing and the local bucket is used */
  get degraded(): boolean {
    return Date.now() < this.kvDownUntil;
  }

  peek(weight: number): number {
    const now = Date.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    if (this.degraded) return this.fallback.peek(weight);
    const window = Math.floor(now / this.windowMs);
    if (this.seen.window === window && this.seen.used + weight > this.opts.weightPerMinute)
      return (window + 1) * this.windowMs - now;
    return 0;
  }

  async take(weight: number): Promise<number> {
    const now = Date.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    if (this.degraded) return this.fallback.takeSync(weight);
    try {
      const wait = await this.withTimeout(this.takeKv(weight));
      this.recovered();
      return wait;
    } catch (err) {
      this.failed(err);
      return this.fallback.takeSync(weight);
    }
  }

  async block(untilMs: number): Promise<void> {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
    await this.fallback.block(untilMs);
    if (this.degraded) return;
    try {
      await this.withTimeout(this.blockKv(untilMs));
      this.recovered();
    } catch (err) {
      this.failed(err);
    }
  }

  private async takeKv(weight: number): Promise<number> {
    const kv = await this.open();
    const blocked = await kv.get(this.blockedKey);
    if (blocked !== null && blocked.operation === 'PUT') {
      const until = Number(dec.decode(blocked.value));
      if (Number.isFinite(until)) this.blockedUntil = Math.max(this.blockedUntil, until);
      const now = Date.now();
      if (now < this.blockedUntil) return this.blockedUntil - now;
    }
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const now = Date.now();
      const window = Math.floor(now / this.windowMs);
      const entry = await kv.get(this.weightKey);
      let state: WindowState = { window, used: 0 };
      if (entry !== null && entry.operation === 'PUT') {
        const parsed = parseState(dec.decode(entry.value));
        if (parsed !== undefined && parsed.window === window) state = parsed;
      }
      this.seen = state;
      if (state.used + weight > this.opts.weightPerMinute) return (window + 1) * this.windowMs - now;
      const next: WindowState = { window, used: state.used + weight };
      try {
        if (entry === null) await kv.create(this.weightKey, enc.encode(JSON.stringify(next)));
        else await kv.update(this.weightKey, enc.encode(JSON.stringify(next)), entry.revision);
        this.seen = next;
        return 0;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // another replica wrote first: read again
      }
    }
    // heavy contention: ask the caller to come back shortly rather than spin
    return 50;
  }

  private async blockKv(untilMs: number): Promise<void> {
    const kv = await this.open();
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const entry = await kv.get(this.blockedKey);
      const current = entry !== null && entry.operation === 'PUT' ? Number(dec.decode(entry.value)) : 0;
      if (Number.isFinite(current) && current >= untilMs) return;
      try {
        if (entry === null) await kv.create(this.blockedKey, enc.encode(String(untilMs)));
        else await kv.update(this.blockedKey, enc.encode(String(untilMs)), entry.revision);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  private open(): Promise<KV> {
    if (this.kv === undefined) {
      const nc = typeof this.nc === 'function' ? this.nc() : Promise.resolve(this.nc);
      const kv = nc.then((nc) =>
        new Kvm(nc).create(this.opts.bucket ?? 'tickmesh_rest_budget', {
          history: 1,
          ttl: Math.max(2 * this.windowMs, 60_000),
        }),
      );
      // a failed open is retried by the next take
      kv.catch(() => {
        if (this.kv === kv) this.kv = undefined;
      });
      this.kv = kv;
    }
    return this.kv;
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KvTimeout(`NATS KV slower than ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    // a late rejection of the abandoned operation is ignored
    p.catch(() => undefined);
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private failed(err: unknown): void {
    this.kvDownUntil = Date.now() + this.retryKvAfterMs;
    if (!this.fallbackLogged) {
      this.fallbackLogged = true;
      this.log.warn(
        { err: (err as Error).message, retryInMs: this.retryKvAfterMs },
        'shared REST budget (NATS KV) unavailable; using the local budget',
      );
    }
  }

  private recovered(): void {
    if (this.fallbackLogged) {
      this.fallbackLogged = false;
      this.log.info('shared REST budget (NATS KV) available again');
    }
  }
}

function parseState(text: string): WindowState | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const { window, used } = v as Record<string, unknown>;
    if (typeof window !== 'number' || typeof used !== 'number') return undefined;
    return { window, used };
  } catch {
    return undefined;
  }
}
