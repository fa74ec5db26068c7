/**
 * Per-connection timers that close connections which hold resources without using them:
 *
 * - `MustSubscribeGuard`: a connection with no subscription MUST_SUBSCRIBE_MS after it opened (or
 *   after it unsubscribed from its last channel, with `rearm`) is closed with 4010
 *   `subscribe timeout`. Idle sockets otherwise cost a file descriptor, buffers and a ping each.
 * - `Deadline` for `{op:"auth"}`: a WebSocket that connected without a token must authenticate
 *   within AUTH_TIMEOUT_MS, else it is closed with 4001 `auth timeout`.
 * - `TokenExpiryGuard`: an authenticated connection is closed with 4001 `token expired` when its
 *   token's `exp` passes (clients reconnect with a fresh token; resume keeps them gap-free).
 *
 * Dead peers are already handled by ws-server.ts: a ping every WS_PING_MS, and a connection without
 * a pong since the previous ping is terminated (`closes_total{reason="ping_timeout"}`); SSE relies
 * on the heartbeat write failing. Nothing is added for that here.
 *
 * Timers are injected (`Timers`) so tests drive them without sleeping.
 */
import { metrics } from '@tickmesh/observability';

/** WebSocket close codes used by the guards. */
export const GUARD_CLOSE_CODES = {
  /** no subscription within MUST_SUBSCRIBE_MS (application code; mirrors no HTTP status) */
  subscribeTimeout: 4010,
  /** no `auth` message within AUTH_TIMEOUT_MS, or the token expired (4000 + 401) */
  unauthorized: 4001,
} as const;

export type GuardReason = 'subscribe_timeout' | 'auth_timeout' | 'token_expired';

export const GUARD_CLOSE_REASONS: Record<GuardReason, { code: number; reason: string }> = {
  subscribe_timeout: { code: GUARD_CLOSE_CODES.subscribeTimeout, reason: 'subscribe timeout' },
  auth_timeout: { code: GUARD_CLOSE_CODES.unauthorized, reason: 'auth timeout' },
  token_expired: { code: GUARD_CLOSE_CODES.unauthorized, reason: 'token expired' },
};

const guardCloses = metrics.counter(
  'tickmesh_gateway_guard_closes_total',
  'connections closed by a guard timer, by reason (subscribe_timeout, auth_timeout, token_expired)',
);

export const guardMetrics = {
  closesOf(reason: GuardReason): number {
    return guardCloses.labels({ reason }).value;
  },
};

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Longest delay setTimeout accepts (2^31 − 1 ms ≈ 24.8 days); longer waits are chained. */
const MAX_DELAY = 2_147_483_647;

/** A one-shot timer that fires `onExpire(reason)` unless cleared first. Idempotent. */
export class Deadline {
  private handle: unknown;
  private fired = false;

  constructor(
    private readonly reason: GuardReason,
    private readonly onExpire: (reason: GuardReason) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** (Re)starts the countdown; `ms` ≤ 0 leaves it disarmed. */
  arm(ms: number): void {
    this.clear();
    if (ms <= 0 || this.fired) return;
    const step = Math.min(ms, MAX_DELAY);
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      if (ms > step) {
        this.arm(ms - step);
        return;
      }
      this.fired = true;
      guardCloses.labels({ reason: this.reason }).inc();
      this.onExpire(this.reason);
    }, step);
  }

  clear(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  get armed(): boolean {
    return this.handle !== undefined;
  }
  get hasFired(): boolean {
    return this.fired;
  }
}

/**
 * Armed at connect; call `subscriptionsChanged(count)` after every subscribe/unsubscribe. With
 * `rearm`, dropping back to zero subscriptions starts the countdown again.
 */
export class MustSubscribeGuard {
  private readonly deadline: Deadline;

  constructor(
    private readonly ms: number,
    onExpire: (reason: GuardReason) => void,
    private readonly rearm = true,
    timers: Timers = realTimers,
  ) {
    this.deadline = new Deadline('subscribe_timeout', onExpire, timers);
    this.deadline.arm(ms);
  }

  subscriptionsChanged(count: number): void {
    if (count > 0) this.deadline.clear();
    else if (this.rearm && !this.deadline.armed) this.deadline.arm(this.ms);
  }

  /** Connection closed: stop the timer. */
  stop(): void {
    this.deadline.clear();
  }

  get armed(): boolean {
    return this.deadline.armed;
  }
}

/** Closes at the token's expiry (ms since epoch, from `Principal.expiresAt`); no-op without one. */
export class TokenExpiryGuard {
  private readonly deadline: Deadline;

  constructor(
    expiresAt: number | undefined,
    onExpire: (reason: GuardReason) => void,
    now: () => number = Date.now,
    timers: Timers = realTimers,
  ) {
    this.deadline = new Deadline('token_expired', onExpire, timers);
    if (expiresAt !== undefined) this.deadline.arm(Math.max(1, expiresAt - now()));
  }

  stop(): void {
    this.deadline.clear();
  }
}

/** A manual clock for tests and simulations: `advance(ms)` fires due timers in order. */
export class ManualTimers implements Timers {
  private now = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending)
        if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
  }
  get size(): number {
    return this.pending.size;
  }
  get time(): number {
    return this.now;
  }
}
