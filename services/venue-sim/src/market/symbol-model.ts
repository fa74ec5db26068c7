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
 * - Shared price (`sharedPrice`): instead of walking on its own, the book follows the shared
 *   fair-value path of its base/quote (fair-value.ts), one path step per update, plus the venue's
 *   own small offset and half-spread (its `quote` random stream): bids stay at or below
 *   `fair + offset - halfSpread`, asks at or above `fair + offset + 1 + halfSpread`. Books of
 *   different venues therefore overlap, and only cross when their offsets pull apart (rarely,
 *   briefly) or when one venue lags the path.
 */
import { BookSide, type Side } from './book-side';
import { FairValuePath } from './fair-value';
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
  /** follow the shared fair-value path of the symbol's base/quote (default false: independent walk) */
  sharedPrice?: boolean;
  /** seed of the shared path: the simulator's seed, the same for every venue (default `seed`) */
  pathSeed?: number;
}

/** Operation mix of one level change; the remainder after these is "add a level". */
const P_MOVE = 0.08;
const P_MODIFY = 0.54;
const P_REMOVE = 0.19;
/** Trades take at most this many lots, so prints stay small next to the touch. */
const MAX_TRADE_LOTS = 20_000;
/** Shared price: per update, chance that a venue's offset leaves 0 (to ±1 tick), and returns to 0. */
const P_OFFSET_OUT = 0.005;
const P_OFFSET_BACK = 0.15;
/** Shared price: chance that a venue's half-spread (per symbol) is one tick instead of zero. */
const P_HALF_SPREAD = 0.5;
/** Shared price: per update and side, chance that a touch 1–2 ticks behind its band edge moves up to it. */
const P_REQUOTE = 0.3;

export class SymbolModel {
  readonly bids = new BookSide('bid');
  readonly asks = new BookSide('ask');
  private lastId: number;
  private lastTradeId: number;
  private readonly rng: Prng;
  private readonly tradeRng: Prng;
  /** levels touched by the update being built, keyed by `ticks * 2 + (bid ? 1 : 0)` */
  private readonly touched = new Map<number, LevelChange>();
  /** shared price only: the path, the venue's own noise stream, offset and half-spread (ticks) */
  private readonly fair: FairValuePath | undefined;
  private readonly quoteRng: Prng | undefined;
  private offset = 0;
  private readonly halfSpread: number = 0;

  constructor(
    readonly spec: SymbolSpec,
    private readonly params: ModelParams,
  ) {
    this.rng = Prng.from(params.seed, spec.native, 'book');
    this.tradeRng = Prng.from(params.seed, spec.native, 'trade');
    if (params.sharedPrice === true) {
      this.fair = new FairValuePath(params.pathSeed ?? params.seed, spec);
      this.quoteRng = Prng.from(params.seed, spec.native, 'quote');
      this.halfSpread = this.quoteRng.chance(P_HALF_SPREAD) ? 1 : 0;
    }
    this.lastId = 1_000_000 + this.rng.int(1_000_000);
    this.lastTradeId = 100_000 + this.tradeRng.int(100_000);
    this.seed();
  }

  /** Id of the last generated update: the book currently reflects every id up to this one. */
  get updateId(): number {
    return this.lastId;
  }

  /** Shared price only: the fair value (ticks) the book currently follows, else undefined. */
  get fairTicks(): number | undefined {
    return this.fair?.ticks;
  }

  /** Applies the next random update to the book and returns it. */
  nextUpdate(): BookUpdate {
    const rng = this.rng;
    const k = rng.range(1, 3);
    const firstId = this.lastId + 1;
    this.lastId += k;
    this.touched.clear();
    if (this.fair !== undefined) this.follow(this.fair);
    // Each operation touches at least one level; the cap only guards against pathological repeats.
    for (
      let ops = 0;
      this.touched.size < this.params.levelsPerUpdate && ops < 4 * this.params.levelsPerUpdate;
      ops++
    ) {
      this.operate();
    }
    if (this.quoteRng !== undefined) {
      this.requote(this.bids, this.bidCap(), this.quoteRng);
      this.requote(this.asks, this.askFloor(), this.quoteRng);
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
    let bid = this.fair === undefined ? this.spec.startTicks - 1 : this.bidCap();
    let ask = this.fair === undefined ? this.spec.startTicks + 1 : this.askFloor();
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
      // With a shared price the mid follows the path (see follow); a free move would leave the band.
      if (this.fair !== undefined) this.modify(rng.chance(0.5) ? this.bids : this.asks);
      else if (rng.chance(0.5)) this.move(this.asks, this.bids);
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

  /**
   * Shared price: takes the next path step and moves the venue's offset, then brings the touch back
   * inside the band. A bid above the cap becomes an ask at the same price when that price is at or
   * above the ask floor (the mid moving, as `move` does), else it is removed; asks likewise. Each
   * side is refilled at its far end if that took it below `minBookLevels`.
   */
  private follow(fair: FairValuePath): void {
    fair.next();
    const q = this.quoteRng!;
    const r = q.next();
    if (this.offset === 0) {
      if (r < P_OFFSET_OUT) this.offset = q.chance(0.5) ? 1 : -1;
    } else if (r < P_OFFSET_BACK) this.offset = 0;
    const cap = this.bidCap();
    const floor = this.askFloor();
    while (this.bids.ticksAt(0) > cap) this.pushOut(this.bids, this.asks, floor);
    while (this.asks.ticksAt(0) < floor) this.pushOut(this.asks, this.bids, cap);
  }

  /**
   * Shared price, at the end of each update: a touch behind its band edge sometimes (always when
   * more than 2 ticks behind) gets a new level at the edge or one tick behind it, as market makers
   * re-quote after the price moved, so the spread stays within a few ticks.
   */
  private requote(side: BookSide, edge: number, q: Prng): void {
    const gap = Math.abs(edge - side.ticksAt(0));
    if (gap < 1 || (gap <= 2 && !q.chance(P_REQUOTE))) return;
    const deeper = side.side === 'bid' ? -1 : 1;
    this.setLevel(side, edge + deeper * q.int(Math.min(gap, 2)), this.randomLots());
    if (side.length > this.params.maxBookLevels) this.setLevel(side, side.ticksAt(side.length - 1), 0);
  }

  /** Takes `from`'s touch out; it re-appears on `to` if it is on `to`'s side of `limit`. */
  private pushOut(from: BookSide, to: BookSide, limit: number): void {
    const price = from.ticksAt(0);
    this.setLevel(from, price, 0);
    if (to.side === 'ask' ? price >= limit : price <= limit) {
      this.setLevel(to, price, this.randomLots());
      if (to.length > this.params.maxBookLevels) this.setLevel(to, to.ticksAt(to.length - 1), 0);
    }
    if (from.length < this.params.minBookLevels) {
      const deeper = from.side === 'bid' ? -1 : 1;
      const far = from.ticksAt(from.length - 1) + deeper * this.rng.range(1, 3);
      if (far >= 1) this.setLevel(from, far, this.randomLots());
    }
  }

  /** Shared price: the highest price a bid may have. */
  private bidCap(): number {
    return this.fair!.ticks + this.offset - this.halfSpread;
  }

  /** Shared price: the lowest price an ask may have. */
  private askFloor(): number {
    return this.fair!.ticks + this.offset + 1 + this.halfSpread;
  }

  private modify(side: BookSide): void {
    this.setLevel(side, side.ticksAt(this.rng.skewedIndex(side.length, 2)), this.randomLots());
  }

  /** Adds a level at a free price: inside the spread (improving the touch) or deeper in the book. */
  private add(side: BookSide): boolean {
    const rng = this.rng;
    const deeper = side.side === 'bid' ? -1 : 1;
    // free prices strictly inside the spread (and, with a shared price, inside the venue's band)
    let room = this.asks.ticksAt(0) - this.bids.ticksAt(0) - 1;
    if (this.fair !== undefined) {
      room =
        side.side === 'bid'
          ? Math.min(this.asks.ticksAt(0) - 1, this.bidCap()) - this.bids.ticksAt(0)
          : this.asks.ticksAt(0) - Math.max(this.bids.ticksAt(0) + 1, this.askFloor());
    }
    let price: number;
    if (room >= 1 && rng.chance(0.3)) {
      price = side.ticksAt(0) - deeper * rng.range(1, room);
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
