/**
 * Adaptive concurrency limit for the snapshot path (Redis / NATS reads made when a client
 * subscribes). Instead of a fixed cap, the limit follows measured latency: it grows while latency
 * stays at its long-term level and shrinks as soon as requests start queueing somewhere
 * (Redis, the event loop, the network). Requests over the limit are rejected at once, so a
 * subscribe storm is answered with `overloaded` (WS) / HTTP 503 + Retry-After (SSE) instead of a
 * growing queue that makes every snapshot late.
 *
 * Algorithms, implemented from Netflix concurrency-limits (Apache-2.0),
 * https://github.com/Netflix/concurrency-limits :
 *
 * - Gradient2 (`core/src/main/java/com/netflix/concurrency/limits/limit/Gradient2Limit.java`):
 *     longRtt   = EMA of rtt over `longWindow` samples (plain average for the first `warmup`)
 *     if longRtt / rtt > 2: longRtt *= 0.95          (recover quickly after a long overload)
 *     if inflight < limit / 2: keep limit             (app-limited: no evidence to grow)
 *     gradient  = max(0.5, min(1, tolerance × longRtt / rtt))
 *     newLimit  = limit × gradient + queueSize
 *     newLimit  = limit × (1 − smoothing) + newLimit × smoothing
 *     limit     = clamp(newLimit, minLimit, maxLimit)
 *   defaults: tolerance 1.5, smoothing 0.2, longWindow 600, warmup 10, queueSize 4.
 *
 * - Vegas (`.../limit/VegasLimit.java`, after TCP Vegas, Brakmo & Peterson 1995):
 *     rttNoLoad = the lowest rtt seen (reset every `probeInterval` samples to relearn it)
 *     queue     = ceil(limit × (1 − rttNoLoad / rtt))
 *     dropped               → limit − log10(limit)
 *     inflight × 2 < limit  → keep (app-limited)
 *     queue ≤ threshold     → limit + beta            threshold = log10(limit)
 *     queue < alpha         → limit + log10(limit)    alpha = 3·log10(limit)
 *     queue > beta          → limit − log10(limit)    beta  = 6·log10(limit)
 *     else keep; then limit = clamp, smoothed by `smoothing` (default 1: none)
 *
 * As in the Java `SimpleLimiter`, `tryAcquire()` hands out a permit while inflight < limit; the
 * sample is taken when the permit completes: `success()` (rtt = now − start), `dropped()` (the
 * call timed out or failed because of load: rtt is still recorded, Vegas also backs off) or
 * `ignore()` (no sample: e.g. a cache hit or a client that went away). The clock is injected, so
 * tests are deterministic.
 */
import { metrics } from '@tickmesh/observability';

export interface Permit {
  /** The call completed normally: a latency sample. */
  success(): void;
  /** The call failed or timed out under load: a latency sample plus a drop signal. */
  dropped(): void;
  /** No sample (the result says nothing about load). */
  ignore(): void;
}

export interface LimitAlgorithm {
  readonly limit: number;
  /** One completed call: rtt in ms, inflight when it started, whether it was dropped. */
  update(rttMs: number, inflight: number, didDrop: boolean): void;
}

export interface Gradient2Options {
  initialLimit?: number;
  minLimit?: number;
  maxLimit?: number;
  /** smoothing of each new limit, 0..1 (default 0.2) */
  smoothing?: number;
  /** how much the short rtt may exceed the long one before the limit shrinks (default 1.5) */
  rttTolerance?: number;
  /** EMA window of the long rtt, in samples (default 600) */
  longWindow?: number;
  /** samples averaged plainly before the EMA starts (default 10) */
  warmup?: number;
  /** headroom added each update (default 4, as the Java default for small limits) */
  queueSize?: number | ((limit: number) => number);
}

/** Exponential moving average with a plain-average warmup (Netflix `ExpAvgMeasurement`). */
export class ExpAvg {
  private value = 0;
  private sum = 0;
  private count = 0;
  constructor(
    private readonly window: number,
    private readonly warmup: number,
  ) {}
  add(sample: number): number {
    if (this.count < this.warmup) {
      this.count++;
      this.sum += sample;
      this.value = this.sum / this.count;
    } else {
      const f = 2 / (this.window + 1);
      this.value = this.value * (1 - f) + sample * f;
    }
    return this.value;
  }
  update(fn: (v: number) => number): void {
    this.value = fn(this.value);
  }
  get(): number {
    return this.value;
  }
}

export class Gradient2Limit implements LimitAlgorithm {
  private estimated: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  private readonly smoothing: number;
  private readonly tolerance: number;
  private readonly queueSize: (limit: number) => number;
  readonly longRtt: ExpAvg;

  constructor(o: Gradient2Options = {}) {
    this.minLimit = o.minLimit ?? 20;
    this.maxLimit = o.maxLimit ?? 200;
    this.estimated = clamp(o.initialLimit ?? this.minLimit, this.minLimit, this.maxLimit);
    this.smoothing = o.smoothing ?? 0.2;
    this.tolerance = o.rttTolerance ?? 1.5;
    const q = o.queueSize ?? 4;
    this.queueSize = typeof q === 'number' ? () => q : q;
    this.longRtt = new ExpAvg(o.longWindow ?? 600, o.warmup ?? 10);
    if (!(this.minLimit >= 1 && this.minLimit <= this.maxLimit))
      throw new RangeError(`minLimit ${this.minLimit} must be in [1, maxLimit ${this.maxLimit}]`);
  }

  get limit(): number {
    return Math.floor(this.estimated);
  }

  update(rttMs: number, inflight: number): void {
    const shortRtt = Math.max(rttMs, 1e-6);
    const queueSize = this.queueSize(this.estimated);
    const longRtt = this.longRtt.add(shortRtt);
    if (longRtt / shortRtt > 2) this.longRtt.update((v) => v * 0.95);
    if (inflight < this.estimated / 2) return;
    const gradient = Math.max(0.5, Math.min(1, (this.tolerance * longRtt) / shortRtt));
    let next = this.estimated * gradient + queueSize;
    next = this.estimated * (1 - this.smoothing) + next * this.smoothing;
    this.estimated = clamp(next, this.minLimit, this.maxLimit);
  }
}

export interface VegasOptions {
  initialLimit?: number;
  minLimit?: number;
  maxLimit?: number;
  /** 0..1, default 1 (no smoothing, as in the Java default) */
  smoothing?: number;
  /** relearn rttNoLoad every this many samples (default 1000; Java: random 100..1000 × limit) */
  probeInterval?: number;
}

/** log10 of the limit, at least 1 (Netflix `Log10RootFunction`). */
const log10 = (limit: number): number => Math.max(1, Math.floor(Math.log10(Math.max(1, limit))));

export class VegasLimit implements LimitAlgorithm {
  private estimated: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  private readonly smoothing: number;
  private readonly probeInterval: number;
  private probeCountdown: number;
  rttNoLoad = 0;

  constructor(o: VegasOptions = {}) {
    this.minLimit = o.minLimit ?? 1;
    this.maxLimit = o.maxLimit ?? 200;
    this.estimated = clamp(o.initialLimit ?? 20, this.minLimit, this.maxLimit);
    this.smoothing = o.smoothing ?? 1;
    this.probeInterval = o.probeInterval ?? 1000;
    this.probeCountdown = this.probeInterval;
  }

  get limit(): number {
    return Math.floor(this.estimated);
  }

  update(rttMs: number, inflight: number, didDrop: boolean): void {
    const rtt = Math.max(rttMs, 1e-6);
    if (--this.probeCountdown <= 0) {
      this.probeCountdown = this.probeInterval;
      this.rttNoLoad = rtt;
      return;
    }
    if (this.rttNoLoad === 0 || rtt < this.rttNoLoad) {
      this.rttNoLoad = rtt;
      return;
    }
    const l = this.estimated;
    const queue = Math.ceil(l * (1 - this.rttNoLoad / rtt));
    const lg = log10(l);
    let next: number;
    if (didDrop) next = l - lg;
    else if (inflight * 2 < l) return;
    else if (queue <= lg) next = l + 6 * lg;
    else if (queue < 3 * lg) next = l + lg;
    else if (queue > 6 * lg) next = l - lg;
    else return;
    next = clamp(next, this.minLimit, this.maxLimit);
    this.estimated = clamp((1 - this.smoothing) * l + this.smoothing * next, this.minLimit, this.maxLimit);
  }
}

// ─── limiter ────────────────────────────────────────────────────────────────────────────────────

const limitGauge = metrics.gauge(
  'tickmesh_gateway_concurrency_limit',
  'adaptive concurrency limit, by limiter',
);
const inflightGauge = metrics.gauge('tickmesh_gateway_concurrency_inflight', 'calls in flight, by limiter');
const rejects = metrics.counter(
  'tickmesh_gateway_concurrency_rejected_total',
  'calls refused because inflight reached the adaptive limit, by limiter',
);
const outcomes = metrics.counter(
  'tickmesh_gateway_concurrency_outcomes_total',
  'completed permits, by limiter and outcome (success, dropped, ignored)',
);

export interface LimiterOptions {
  /** metrics label, e.g. `snapshot` */
  name: string;
  algorithm: LimitAlgorithm;
  /** monotonic clock in ms (default performance.now) */
  now?: () => number;
  /** Retry-After suggested with a reject (default 1000 ms) */
  retryAfterMs?: number;
}

export class AdaptiveLimiter {
  private inflight = 0;
  private rejected = 0;
  private readonly now: () => number;
  readonly retryAfterMs: number;

  constructor(private readonly opts: LimiterOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.retryAfterMs = opts.retryAfterMs ?? 1000;
    this.publish();
  }

  get limit(): number {
    return this.opts.algorithm.limit;
  }
  get inFlight(): number {
    return this.inflight;
  }
  /** Permits that can be taken now (a caller admitting N reads in one turn checks N ≤ available). */
  get available(): number {
    return Math.max(0, this.opts.algorithm.limit - this.inflight);
  }
  get rejectedCount(): number {
    return this.rejected;
  }

  /** A permit, or undefined when inflight ≥ limit (the caller answers `overloaded` / 503). */
  tryAcquire(): Permit | undefined {
    if (this.inflight >= this.opts.algorithm.limit) {
      this.rejected++;
      rejects.labels({ limiter: this.opts.name }).inc();
      return undefined;
    }
    const start = this.now();
    const startInflight = ++this.inflight;
    this.publish();
    let done = false;
    const finish = (outcome: 'success' | 'dropped' | 'ignored'): void => {
      if (done) return;
      done = true;
      this.inflight--;
      outcomes.labels({ limiter: this.opts.name, outcome }).inc();
      if (outcome !== 'ignored')
        this.opts.algorithm.update(this.now() - start, startInflight, outcome === 'dropped');
      this.publish();
    };
    return {
      success: () => finish('success'),
      dropped: () => finish('dropped'),
      ignore: () => finish('ignored'),
    };
  }

  /**
   * Runs `fn` under a permit: undefined without calling it when over the limit. A rejection of
   * `fn` counts as `dropped` and is rethrown.
   */
  async run<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; retryAfterMs: number }> {
    const p = this.tryAcquire();
    if (p === undefined) return { ok: false, retryAfterMs: this.retryAfterMs };
    try {
      const value = await fn();
      p.success();
      return { ok: true, value };
    } catch (err) {
      p.dropped();
      throw err;
    }
  }

  private publish(): void {
    limitGauge.set(this.opts.algorithm.limit, { limiter: this.opts.name });
    inflightGauge.set(this.inflight, { limiter: this.opts.name });
  }
}

export function rejectedOf(limiter: string): number {
  return rejects.labels({ limiter }).value;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
