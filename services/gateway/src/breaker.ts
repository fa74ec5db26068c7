/**
 * Circuit breaker for the snapshot reads (Redis HGETALL, NATS snapshot requests), with a fallback
 * to the last value this process has seen.
 *
 * cockatiel 3: `wrap(circuitBreaker(handleAll, …), timeout(BREAKER_TIMEOUT_MS, Aggressive))`, so a
 * call that hangs counts as a failure at the deadline (the read's AbortSignal is cancelled too).
 * `ConsecutiveBreaker(BREAKER_FAILURES)` by default, or a `SamplingBreaker` (failure ratio over a
 * time window) for high-volume paths. After BREAKER_HALF_OPEN_MS open, the next call is a trial
 * (half-open): success closes the breaker, failure reopens it. While open, calls return at once
 * without touching the dependency, so a dead Redis costs no timeouts per subscribe.
 *
 * Results: `live` (the dependency answered, possibly with `undefined` = absent), `fallback` (the
 * dependency failed or the breaker is open, and a remembered value exists), `none` (failed, no
 * remembered value: the caller waits for the first live update, as today). `fallback` and `none`
 * carry `error` (`failure`, `timeout`, or `open` = short-circuited), so a concurrency permit can be
 * marked `dropped()` (failure/timeout) or `ignore()` (open). `read` never rejects.
 *
 * Metrics: `tickmesh_gateway_breaker_state{breaker}` (0 closed, 1 open, 2 half-open, 3 isolated),
 * `tickmesh_gateway_breaker_calls_total{breaker,result}` (ok, failure, timeout, short_circuit),
 * `tickmesh_gateway_breaker_fallbacks_total{breaker,result}` (hit, miss).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  SamplingBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import { createLogger, metrics, RateLimitedLog } from '@tickmesh/observability';
import type { BreakerConfig } from './protection-config';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';
const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

const stateGauge = metrics.gauge(
  'tickmesh_gateway_breaker_state',
  'circuit breaker state: 0 closed, 1 open, 2 half-open, 3 isolated',
);
const calls = metrics.counter(
  'tickmesh_gateway_breaker_calls_total',
  'calls through a circuit breaker, by breaker and result (ok, failure, timeout, short_circuit)',
);
const fallbacks = metrics.counter(
  'tickmesh_gateway_breaker_fallbacks_total',
  'failed or short-circuited reads, by breaker and whether a remembered value was served (hit, miss)',
);
const transitions = metrics.counter(
  'tickmesh_gateway_breaker_transitions_total',
  'circuit breaker state changes, by breaker and new state',
);

export type CallResult = 'ok' | 'failure' | 'timeout' | 'short_circuit';

export const breakerMetrics = {
  callsOf(breaker: string, result: CallResult): number {
    return calls.labels({ breaker, result }).value;
  },
  fallbacksOf(breaker: string, result: 'hit' | 'miss'): number {
    return fallbacks.labels({ breaker, result }).value;
  },
  transitionsOf(breaker: string, state: BreakerState): number {
    return transitions.labels({ breaker, state }).value;
  },
};

export interface BreakerOptions extends BreakerConfig {
  /** metrics label, e.g. `redis_snapshot` */
  name: string;
  /** use a SamplingBreaker (failure ratio over `durationMs`) instead of the consecutive count */
  sampling?: { threshold: number; durationMs: number; minimumRps?: number };
  /** remembered values kept (oldest evicted first); default 10 000 */
  maxRemembered?: number;
  /** where fallback values come from instead of the internal last-good cache (e.g. the hub's state) */
  fallback?: (key: string) => unknown;
}

export type ReadResult<V> =
  | { source: 'live'; value: V | undefined }
  | { source: 'fallback'; value: V; error: 'failure' | 'timeout' | 'open' }
  | { source: 'none'; value: undefined; error: 'failure' | 'timeout' | 'open' };

export class SnapshotBreaker<V> {
  private readonly policy;
  private readonly cb: CircuitBreakerPolicy;
  private readonly lastGood = new Map<string, V>();
  private readonly max: number;
  private readonly warn = new RateLimitedLog(createLogger('breaker'));
  private readonly disposers: { dispose(): void }[] = [];

  constructor(private readonly opts: BreakerOptions) {
    this.max = opts.maxRemembered ?? 10_000;
    const breaker: IBreaker =
      opts.sampling === undefined
        ? new ConsecutiveBreaker(opts.failures)
        : new SamplingBreaker({
            threshold: opts.sampling.threshold,
            duration: opts.sampling.durationMs,
            ...(opts.sampling.minimumRps === undefined ? {} : { minimumRps: opts.sampling.minimumRps }),
          });
    this.cb = circuitBreaker(handleAll, { halfOpenAfter: opts.halfOpenMs, breaker });
    this.policy = wrap(this.cb, timeout(opts.timeoutMs, TimeoutStrategy.Aggressive));
    stateGauge.set(0, { breaker: opts.name });
    this.disposers.push(
      this.cb.onStateChange((s) => {
        const name = STATE_NAMES[s];
        stateGauge.set(s, { breaker: opts.name });
        transitions.labels({ breaker: opts.name, state: name }).inc();
        if (s === CircuitState.Open) this.warn.warn('open', { breaker: opts.name }, 'circuit breaker open');
      }),
    );
  }

  get state(): BreakerState {
    return STATE_NAMES[this.cb.state];
  }

  /**
   * Reads `key` through the breaker. `fn` gets an AbortSignal cancelled at the deadline; it should
   * throw on failure (not resolve undefined), so failures are counted.
   */
  async read(key: string, fn: (signal: AbortSignal) => Promise<V | undefined>): Promise<ReadResult<V>> {
    const name = this.opts.name;
    let error: 'failure' | 'timeout' | 'open';
    try {
      const value = await this.policy.execute(({ signal }) => fn(signal));
      calls.labels({ breaker: name, result: 'ok' }).inc();
      if (value !== undefined) this.remember(key, value);
      return { source: 'live', value };
    } catch (err) {
      if (err instanceof BrokenCircuitError) error = 'open';
      else if (err instanceof TaskCancelledError) error = 'timeout';
      else error = 'failure';
      calls.labels({ breaker: name, result: error === 'open' ? 'short_circuit' : error }).inc();
    }
    const fb =
      this.opts.fallback !== undefined ? (this.opts.fallback(key) as V | undefined) : this.lastGood.get(key);
    fallbacks.labels({ breaker: name, result: fb === undefined ? 'miss' : 'hit' }).inc();
    return fb === undefined
      ? { source: 'none', value: undefined, error }
      : { source: 'fallback', value: fb, error };
  }

  /** Records the latest known value of `key` (also call it with live updates from NATS). */
  remember(key: string, value: V): void {
    if (this.lastGood.has(key)) this.lastGood.delete(key);
    else if (this.lastGood.size >= this.max) {
      const oldest = this.lastGood.keys().next();
      if (oldest.done !== true) this.lastGood.delete(oldest.value);
    }
    this.lastGood.set(key, value);
  }

  forget(key: string): void {
    this.lastGood.delete(key);
  }

  /** Holds the breaker open (operator action / tests); `release()` closes it. */
  isolate(): { dispose(): void } {
    return this.cb.isolate();
  }

  dispose(): void {
    for (const d of this.disposers) d.dispose();
  }
}
