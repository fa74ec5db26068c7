/**
 * The venue-agnostic market model of one symbol: a seeded random-walk L2 book and a trade tape.
 *
 * Contracts
 * - Determinism: the sequence of book updates (and the initial book) is a pure function of
 *   (seed, symbol, model parameters). Trades draw from a separate random stream and never modify
 *   the book, so how updates and trades interleave in time cannot change the book sequence.
 * - The book is never crossed (best bid < best ask) and each side keeps between `minBookLevels`
 *   and `maxBookLevels` levels.
 * - Update ids: every update consumes 1–3 ids, like a Binance event aggregating several internal
 *   changes: `firstId = previous lastId + 1`, `lastId = firstId + k - 1`.
 * - An update lists each touched level once with its final absolute size (0 = removed); applying
 *   it to a copy of the previous book yields exactly the model's book.
 */
import { BookSide, type Side } from './book-side';
import { MAX_LEVEL_LOTS, type SymbolSpec } from './instrument';
import { Prng } from './prng';

export interface LevelChange {
  side: Side;
  ticks: number;
  /** absolute new size in lots; 0 removes the level */
  lots: number;
}

export interface BookUpdate {
  symbol: string;
  firstId: number;
  lastId: number;
  changes: LevelChange[];
}

export interface Trade {
  symbol: string;
  id: number;
  ticks: number;
  lots: number;
  /** the aggressor: `sell` means the buyer was the maker (Binance `m: true`) */
  takerSide: 'buy' | 'sell';
}

export interface ModelParams {
  seed: number;
  /** distinct levels changed per update (a mid move may touch one or two more) */
  levelsPerUpdate: number;
  /** initial levels per side */
  bookLevels: number;
  minBookLevels: number;
  maxBookLevels: number;
}

/** Operation mix of one level change; the remainder after these is "add a level". */
const P_MOVE = 0.08;
const P_MODIFY = 0.54;
const P_REMOVE = 0.19;
/** Trades take at most this many lots, so prints stay small next to the touch. */
const MAX_TRADE_LOTS = 20_000;

export class SymbolModel {
  readonly bids = new BookSide('bid');
  readonly asks = new BookSide('ask');
  private lastId: number;
  private lastTradeId: number;
  private readonly rng: Prng;
  private readonly tradeRng: Prng;
  /** levels touched by the update being built, keyed by `ticks * 2 + (bid ? 1 : 0)` */
  private readonly touched = new Map<number, LevelChange>();

  constructor(
    readonly spec: SymbolSpec,
    private readonly params: ModelParams,
  ) {
    this.rng = Prng.from(params.seed, spec.native, 'book');
    this.tradeRng = Prng.from(params.seed, spec.native, 'trade');
    this.lastId = 1_000_000 + this.rng.int(1_000_000);
    this.lastTradeId = 100_000 + this.tradeRng.int(100_000);
    this.seed();
  }

  /** Id of the last generated update: the book currently reflects every id up to this one. */
  get updateId(): number {
    return this.lastId;
  }

  /** Applies the next random update to the book and returns it. */
  nextUpdate(): BookUpdate {
    const rng = this.rng;
    const k = rng.range(1, 3);
    const firstId = this.lastId + 1;
    this.lastId += k;
    this.touched.clear();
    // Each operation touches at least one level; the cap only guards against pathological repeats.
    for (
      let ops = 0;
      this.touched.size < this.params.levelsPerUpdate && ops < 4 * this.params.levelsPerUpdate;
      ops++
    ) {
      this.operate();
    }
    const changes: LevelChange[] = [];
    for (const c of this.touched.values()) {
      c.lots = (c.side === 'bid' ? this.bids : this.asks).get(c.ticks);
      changes.push(c);
    }
    return { symbol: this.spec.native, firstId, lastId: this.lastId, changes };
  }

  /** The next trade, printed at the current touch. Does not change the book. */
  nextTrade(): Trade {
    const rng = this.tradeRng;
    const takerSide = rng.chance(0.5) ? 'buy' : 'sell';
    const touch = takerSide === 'buy' ? this.asks : this.bids;
    const lots = rng.range(1, Math.min(touch.lotsAt(0), MAX_TRADE_LOTS));
    this.lastTradeId++;
    return { symbol: this.spec.native, id: this.lastTradeId, ticks: touch.ticksAt(0), lots, takerSide };
  }

  private seed(): void {
    const rng = this.rng;
    let bid = this.spec.startTicks - 1;
    let ask = this.spec.startTicks + 1;
    for (let i = 0; i < this.params.bookLevels; i++) {
      this.bids.set(bid, this.randomLots());
      this.asks.set(ask, this.randomLots());
      bid -= rng.range(1, 3);
      ask += rng.range(1, 3);
    }
  }

  private operate(): void {
    const rng = this.rng;
    const r = rng.next();
    if (r < P_MOVE) {
      if (rng.chance(0.5)) this.move(this.asks, this.bids);
      else this.move(this.bids, this.asks);
      return;
    }
    const side = rng.chance(0.5) ? this.bids : this.asks;
    if (r < P_MOVE + P_MODIFY) this.modify(side);
    else if (r < P_MOVE + P_MODIFY + P_REMOVE) {
      if (side.length > this.params.minBookLevels)
        this.setLevel(side, side.ticksAt(rng.skewedIndex(side.length, 2)), 0);
      else this.modify(side);
    } else if (side.length >= this.params.maxBookLevels || !this.add(side)) this.modify(side);
  }

  /**
   * Moves the mid one level towards `from`: its best level is taken out and re-appears on the
   * other side at the same price. Uncrossed by construction: the new level is strictly between
   * the other side's old touch and `from`'s next level.
   */
  private move(from: BookSide, to: BookSide): void {
    if (from.length <= this.params.minBookLevels) return this.modify(from);
    const price = from.ticksAt(0);
    this.setLevel(from, price, 0);
    this.setLevel(to, price, this.randomLots());
    if (to.length > this.params.maxBookLevels) this.setLevel(to, to.ticksAt(to.length - 1), 0);
  }

  private modify(side: BookSide): void {
    this.setLevel(side, side.ticksAt(this.rng.skewedIndex(side.length, 2)), this.randomLots());
  }

  /** Adds a level at a free price: inside the spread (improving the touch) or deeper in the book. */
  private add(side: BookSide): boolean {
    const rng = this.rng;
    const deeper = side.side === 'bid' ? -1 : 1;
    const spread = this.asks.ticksAt(0) - this.bids.ticksAt(0);
    let price: number;
    if (spread >= 2 && rng.chance(0.3)) {
      price = side.ticksAt(0) - deeper * rng.range(1, spread - 1);
    } else {
      const i = rng.skewedIndex(side.length, 1.5);
      const gap = i + 1 < side.length ? Math.abs(side.ticksAt(i + 1) - side.ticksAt(i)) : 0;
      if (gap >= 2) price = side.ticksAt(i) + deeper * rng.range(1, gap - 1);
      else price = side.ticksAt(side.length - 1) + deeper * rng.range(1, 3);
    }
    if (price < 1) return false;
    this.setLevel(side, price, this.randomLots());
    return true;
  }

  private setLevel(side: BookSide, ticks: number, lots: number): void {
    side.set(ticks, lots);
    const isBid = side.side === 'bid';
    const key = ticks * 2 + (isBid ? 1 : 0);
    if (!this.touched.has(key)) this.touched.set(key, { side: side.side, ticks, lots: 0 });
  }

  private randomLots(): number {
    return this.rng.range(1, MAX_LEVEL_LOTS);
  }
}
