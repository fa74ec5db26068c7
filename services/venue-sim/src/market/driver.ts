/**
 * Rate driver: turns wall-clock time into model events at the configured rates.
 *
 * Each symbol is a lane with its own model clock. Update n is due at model time n/rate seconds and
 * trade m at m/tradeRate; a 1 ms timer emits every event that is due, in model-time order, so a
 * late timer (GC pause, busy event loop) catches up in a batch instead of spinning, and the
 * interleaving of updates and trades depends only on the rates, never on timer jitter.
 *
 * Catch-up is bounded: at most ~50 ms of events per lane per tick, and a lane more than one second
 * behind skips its backlog (its model clock is moved forward, no event is lost or reordered: the
 * lane simply falls behind wall time). Pausing freezes a lane's model clock; resuming continues
 * from the same model time, without a burst.
 */
export interface DriverSink {
  update(symbol: string): void;
  trade(symbol: string): void;
  /** a sink call threw; the driver keeps running */
  error(symbol: string, err: unknown): void;
  /** a lane skipped `seconds` of backlog */
  lagged(symbol: string, seconds: number): void;
}

export interface DriverOptions {
  /** depth updates per second per symbol (0 = none) */
  rate: number;
  /** trades per second per symbol (0 = none) */
  tradeRate: number;
  /** milliseconds clock, injectable for tests; default `performance.now` */
  clock?: () => number;
}

interface Lane {
  readonly symbol: string;
  updates: number;
  trades: number;
  /** clock value at model time 0, valid while the lane runs */
  origin: number;
  /** model time (ms) at which the lane is frozen; undefined while it runs */
  frozenAt: number | undefined;
  /** paused by the control API (as opposed to frozen because the whole driver is stopped) */
  paused: boolean;
}

export class Driver {
  private readonly lanes = new Map<string, Lane>();
  private readonly clock: () => number;
  private readonly maxBatch: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    symbols: readonly string[],
    private readonly opts: DriverOptions,
    private readonly sink: DriverSink,
  ) {
    this.clock = opts.clock ?? (() => performance.now());
    this.maxBatch = Math.max(64, Math.ceil((opts.rate + opts.tradeRate) * 0.05));
    for (const symbol of symbols) {
      this.lanes.set(symbol, { symbol, updates: 0, trades: 0, origin: 0, frozenAt: 0, paused: false });
    }
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts the 1 ms timer; lanes continue from their current model time. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    const now = this.clock();
    for (const lane of this.lanes.values()) if (!lane.paused) this.thaw(lane, now);
    this.timer = setInterval(() => this.tick(), 1);
  }

  /** Stops the timer and freezes every lane. Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    this.tick();
    clearInterval(this.timer);
    this.timer = undefined;
    const now = this.clock();
    for (const lane of this.lanes.values()) this.freeze(lane, now);
  }

  /** Pauses one symbol or all (undefined); returns the symbols affected. Unknown symbol → []. */
  pause(symbol?: string): string[] {
    const now = this.clock();
    return this.select(symbol).map((lane) => {
      if (this.running && lane.frozenAt === undefined) this.emitDue(lane, now);
      this.freeze(lane, now);
      lane.paused = true;
      return lane.symbol;
    });
  }

  resume(symbol?: string): string[] {
    const now = this.clock();
    return this.select(symbol).map((lane) => {
      lane.paused = false;
      if (this.running) this.thaw(lane, now);
      return lane.symbol;
    });
  }

  isPaused(symbol: string): boolean {
    return this.lanes.get(symbol)?.paused ?? false;
  }

  /** Emits everything due now. Called by the timer; public so tests can drive a fake clock. */
  tick(): void {
    const now = this.clock();
    for (const lane of this.lanes.values()) if (lane.frozenAt === undefined) this.emitDue(lane, now);
  }

  private emitDue(lane: Lane, now: number): void {
    const { rate, tradeRate } = this.opts;
    const t = (now - lane.origin) / 1000;
    let budget = this.maxBatch;
    while (budget > 0) {
      const nextUpdate = rate > 0 ? (lane.updates + 1) / rate : Infinity;
      const nextTrade = tradeRate > 0 ? (lane.trades + 1) / tradeRate : Infinity;
      const isUpdate = nextUpdate <= nextTrade;
      const due = isUpdate ? nextUpdate : nextTrade;
      if (due > t) return;
      budget--;
      try {
        if (isUpdate) {
          lane.updates++;
          this.sink.update(lane.symbol);
        } else {
          lane.trades++;
          this.sink.trade(lane.symbol);
        }
      } catch (err) {
        this.sink.error(lane.symbol, err);
      }
    }
    // Out of budget: if more than a second behind, drop the backlog by moving the model clock.
    const next = Math.min(
      rate > 0 ? (lane.updates + 1) / rate : Infinity,
      tradeRate > 0 ? (lane.trades + 1) / tradeRate : Infinity,
    );
    if (t - next > 1) {
      lane.origin = now - next * 1000;
      this.sink.lagged(lane.symbol, t - next);
    }
  }

  private freeze(lane: Lane, now: number): void {
    if (lane.frozenAt === undefined) lane.frozenAt = now - lane.origin;
  }

  private thaw(lane: Lane, now: number): void {
    if (lane.frozenAt === undefined) return;
    lane.origin = now - lane.frozenAt;
    lane.frozenAt = undefined;
  }

  private select(symbol: string | undefined): Lane[] {
    if (symbol === undefined) return [...this.lanes.values()];
    const lane = this.lanes.get(symbol);
    return lane === undefined ? [] : [lane];
  }
}
