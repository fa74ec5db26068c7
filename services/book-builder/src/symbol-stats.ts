/**
 * Per-(venue, symbol) counters and their rates. The hot path only increments plain integers
 * (`messages++`); rates come from periodic samples of those totals (`sample`, about once a second),
 * so no clock is read per message. Pure: the caller passes the time.
 */
import Decimal from 'decimal.js';
import type { BookStats, SyncState } from '@tickmesh/contracts';
import type { BookState } from './book-state';

/**
 * Rate of a monotonically increasing total over a sliding window: a ring of (time, total) samples;
 * the rate is (total now − oldest total in the window) / elapsed. With one sample per second and
 * `slots` = 10 the window spans 9–10 s once warm, and the time since the first sample before that.
 */
export class RateWindow {
  private readonly times: number[] = [];
  private readonly totals: number[] = [];
  private head = 0;

  constructor(
    startMs: number,
    private readonly slots = 10,
  ) {
    this.times.push(startMs);
    this.totals.push(0);
  }

  sample(nowMs: number, total: number): void {
    if (this.times.length < this.slots + 1) {
      this.times.push(nowMs);
      this.totals.push(total);
      return;
    }
    this.times[this.head] = nowMs;
    this.totals[this.head] = total;
    this.head = (this.head + 1) % this.times.length;
  }

  /** Oldest sample's time: the window is [oldest, now]. */
  private oldest(): number {
    return this.times.length < this.slots + 1 ? 0 : this.head;
  }

  /** Per second; 0 before any time has passed. */
  rate(nowMs: number, total: number): number {
    const i = this.oldest();
    const dt = nowMs - this.times[i]!;
    return dt <= 0 ? 0 : ((total - this.totals[i]!) * 1000) / dt;
  }

  spanMs(nowMs: number): number {
    return Math.max(0, nowMs - this.times[this.oldest()]!);
  }
}

/** (ask − bid) / mid × 10 000 computed in decimal, as a double; undefined when a side is empty. */
export function spreadBps(bidPx: string | undefined, askPx: string | undefined): number | undefined {
  if (bidPx === undefined || askPx === undefined || bidPx === '' || askPx === '') return undefined;
  const bid = new Decimal(bidPx);
  const ask = new Decimal(askPx);
  const mid = bid.plus(ask).div(2);
  if (mid.isZero()) return undefined;
  return ask.minus(bid).div(mid).times(10_000).toNumber();
}

export class SymbolStats {
  messages = 0;
  updates = 0;
  trades = 0;
  resyncs = 0;
  crossed = 0;
  /** the book, once a book message or status arrived (trades alone do not create one) */
  book: BookState | undefined;
  private readonly messageRate: RateWindow;
  private readonly updateRate: RateWindow;
  private readonly tradeRate: RateWindow;

  constructor(
    readonly venue: string,
    readonly symbol: string,
    nowMs: number,
  ) {
    this.messageRate = new RateWindow(nowMs);
    this.updateRate = new RateWindow(nowMs);
    this.tradeRate = new RateWindow(nowMs);
  }

  sample(nowMs: number): void {
    this.messageRate.sample(nowMs, this.messages);
    this.updateRate.sample(nowMs, this.updates);
    this.tradeRate.sample(nowMs, this.trades);
  }

  /** The stats message / gauge values at `nowMs` (`ts` in µs). */
  snapshot(nowMs: number, ts: number): BookStats {
    const b = this.book;
    const depth = b?.book.depth();
    const spread = b === undefined ? undefined : spreadBps(b.book.bestBid()?.[0], b.book.bestAsk()?.[0]);
    const state: SyncState = b?.state ?? 'connecting';
    return {
      type: 'stats',
      venue: this.venue,
      symbol: this.symbol,
      state,
      windowMs: Math.round(this.messageRate.spanMs(nowMs)),
      messagesPerSec: this.messageRate.rate(nowMs, this.messages),
      updatesPerSec: this.updateRate.rate(nowMs, this.updates),
      tradesPerSec: this.tradeRate.rate(nowMs, this.trades),
      spreadBps: spread ?? null,
      bidDepth: depth?.bids ?? 0,
      askDepth: depth?.asks ?? 0,
      resyncs: this.resyncs,
      crossed: this.crossed,
      ts,
    };
  }
}
