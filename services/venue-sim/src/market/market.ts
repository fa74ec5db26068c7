/**
 * A venue's market: one `SymbolModel` per symbol, driven by the rate `Driver`, with listeners that
 * turn model events into venue protocol frames. Venue-agnostic: a Bybit or OKX adapter listens to
 * the same events a Binance adapter does.
 *
 * Listeners are called synchronously (a throwing listener is logged and skipped) while the model is at the state right after the event, so a
 * REST snapshot served between two events always matches the last event handed to the sockets.
 */
import type { Logger } from '../log';
import { Driver } from './driver';
import type { SymbolSpec } from './instrument';
import { SymbolModel, type BookUpdate, type ModelParams, type Trade } from './symbol-model';

export interface MarketListener {
  depth(model: SymbolModel, update: BookUpdate): void;
  trade(model: SymbolModel, trade: Trade): void;
}

export interface MarketParams extends ModelParams {
  /** depth updates per second per symbol */
  rate: number;
  /** trades per second per symbol */
  tradeRate: number;
}

export interface SymbolCounters {
  updatesGenerated: number;
  tradesGenerated: number;
}

export class Market {
  private readonly models = new Map<string, SymbolModel>();
  private readonly counters = new Map<string, SymbolCounters>();
  private readonly listeners: MarketListener[] = [];
  private readonly driver: Driver;

  constructor(
    specs: readonly SymbolSpec[],
    params: MarketParams,
    private readonly log: Logger,
    clock?: () => number,
  ) {
    for (const spec of specs) {
      this.models.set(spec.native, new SymbolModel(spec, params));
      this.counters.set(spec.native, { updatesGenerated: 0, tradesGenerated: 0 });
    }
    this.driver = new Driver(
      [...this.models.keys()],
      { rate: params.rate, tradeRate: params.tradeRate, clock },
      {
        update: (symbol) => this.emitUpdate(symbol),
        trade: (symbol) => this.emitTrade(symbol),
        error: (symbol, err) => log.error({ symbol, err }, 'market generator failed'),
        lagged: (symbol, seconds) =>
          log.warn({ symbol, seconds }, 'generator behind wall clock; backlog skipped'),
      },
    );
  }

  get symbols(): string[] {
    return [...this.models.keys()];
  }

  model(symbol: string): SymbolModel | undefined {
    return this.models.get(symbol);
  }

  counts(symbol: string): SymbolCounters | undefined {
    return this.counters.get(symbol);
  }

  /** Registers a listener; returns its removal function. */
  listen(listener: MarketListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  get running(): boolean {
    return this.driver.running;
  }

  start(): void {
    this.driver.start();
  }

  stop(): void {
    this.driver.stop();
  }

  pause(symbol?: string): string[] {
    return this.driver.pause(symbol);
  }

  resume(symbol?: string): string[] {
    return this.driver.resume(symbol);
  }

  isPaused(symbol: string): boolean {
    return this.driver.isPaused(symbol);
  }

  /**
   * Generates `count` updates of `symbol` right now, outside the rate schedule (tests, scripted
   * scenarios). The book sequence stays the seeded one; only timing differs.
   */
  generateUpdates(symbol: string, count: number): void {
    this.require(symbol);
    for (let i = 0; i < count; i++) this.emitUpdate(symbol);
  }

  generateTrades(symbol: string, count: number): void {
    this.require(symbol);
    for (let i = 0; i < count; i++) this.emitTrade(symbol);
  }

  private emitUpdate(symbol: string): void {
    const model = this.require(symbol);
    const update = model.nextUpdate();
    this.counters.get(symbol)!.updatesGenerated++;
    for (const l of this.listeners) {
      try {
        l.depth(model, update);
      } catch (err) {
        this.log.error({ symbol, err }, 'depth listener failed');
      }
    }
  }

  private emitTrade(symbol: string): void {
    const model = this.require(symbol);
    const trade = model.nextTrade();
    this.counters.get(symbol)!.tradesGenerated++;
    for (const l of this.listeners) {
      try {
        l.trade(model, trade);
      } catch (err) {
        this.log.error({ symbol, err }, 'trade listener failed');
      }
    }
  }

  private require(symbol: string): SymbolModel {
    const model = this.models.get(symbol);
    if (model === undefined) throw new Error(`unknown symbol ${symbol}`);
    return model;
  }
}
