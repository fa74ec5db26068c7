/**
 * Per-symbol metrics (the FlowRS parity set): messages/s, updates/s, trades/s, spread in bps,
 * depth per side and resyncs, per {venue, symbol}. Exported on /metrics as gauges refreshed on
 * collect (nothing per message beyond an integer increment), and published every
 * STATS_INTERVAL_MS as JSON on md.v1.stats.<venue>.<symbol> (libs/contracts book-stats.ts).
 *
 * Trades are counted from the subject alone (raw subscription): decoding every trade only to count
 * it would cost more than everything else here.
 */
import type { Bus } from '@tickmesh/bus';
import { encodeBookStats, nowMicros, parseSubject, statsSubject } from '@tickmesh/contracts';
import { metrics, type Labels } from '@tickmesh/observability';
import { SymbolStats } from './symbol-stats';

const PREFIX = 'tickmesh_bookbuilder_symbol_';
const gauges = {
  messages: metrics.gauge(
    `${PREFIX}messages_per_second`,
    'bus messages per symbol (book, status, trade), ~10 s window',
  ),
  updates: metrics.gauge(`${PREFIX}updates_per_second`, 'book messages applied per second, ~10 s window'),
  trades: metrics.gauge(`${PREFIX}trades_per_second`, 'trades per second, ~10 s window'),
  spread: metrics.gauge(`${PREFIX}spread_bps`, 'best ask - best bid over mid, basis points'),
  depth: metrics.gauge(`${PREFIX}depth_levels`, 'levels per side'),
  resyncs: metrics.gauge(`${PREFIX}resyncs`, 'continuity breaks that required a snapshot, since start'),
  crossed: metrics.gauge(`${PREFIX}crossed`, 'times the rebuilt book crossed, since start'),
  live: metrics.gauge(`${PREFIX}live`, '1 when the book is published as live'),
};

/** Sampling period of the rate windows (10 slots of it make the ~10 s window). */
const SAMPLE_MS = 1000;

export class StatsReporter {
  private readonly stats = new Map<string, SymbolStats>();
  /** trade subject → stats, so a trade costs one map lookup */
  private readonly bySubject = new Map<string, SymbolStats>();
  private readonly sampler: NodeJS.Timeout;
  private readonly publisher: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    intervalMs: number,
  ) {
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
    this.sampler.unref();
    this.publisher = setInterval(() => this.publish(), intervalMs);
    this.publisher.unref();
    // the registry is process-wide and has no unregister: a closed reporter just stops refreshing
    metrics.onCollect(() => {
      if (!this.closed) this.collect();
    });
  }

  /** The stats of one (venue, symbol), created on first use. */
  of(venue: string, symbol: string): SymbolStats {
    const key = `${venue}\u0000${symbol}`;
    let s = this.stats.get(key);
    if (s === undefined) this.stats.set(key, (s = new SymbolStats(venue, symbol, performance.now())));
    return s;
  }

  /** A trade arrived on `subject` (md.v1.trade.<venue>.<symbol>). */
  onTradeSubject(subject: string): void {
    let s = this.bySubject.get(subject);
    if (s === undefined) {
      const p = parseSubject(subject);
      if (p === undefined || p.kind !== 'trade') return;
      s = this.of(p.venue, p.symbol);
      this.bySubject.set(subject, s);
    }
    s.trades++;
    s.messages++;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sampler);
    clearInterval(this.publisher);
  }

  private sample(): void {
    const now = performance.now();
    for (const s of this.stats.values()) s.sample(now);
  }

  private collect(): void {
    const now = performance.now();
    const ts = nowMicros();
    for (const s of this.stats.values()) {
      const v = s.snapshot(now, ts);
      const labels: Labels = { venue: s.venue, symbol: s.symbol };
      gauges.messages.set(v.messagesPerSec, labels);
      gauges.updates.set(v.updatesPerSec, labels);
      gauges.trades.set(v.tradesPerSec, labels);
      gauges.spread.set(v.spreadBps ?? NaN, labels);
      gauges.depth.set(v.bidDepth, { ...labels, side: 'bid' });
      gauges.depth.set(v.askDepth, { ...labels, side: 'ask' });
      gauges.resyncs.set(v.resyncs, labels);
      gauges.crossed.set(v.crossed, labels);
      gauges.live.set(v.state === 'live' ? 1 : 0, labels);
    }
  }

  /** Every symbol's stats as JSON on its subject. */
  private publish(): void {
    const now = performance.now();
    const ts = nowMicros();
    for (const s of this.stats.values()) {
      this.bus.publishRaw(statsSubject(s.venue, s.symbol), encodeBookStats(s.snapshot(now, ts)));
    }
  }
}
