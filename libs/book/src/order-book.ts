/**
 * Exact L2 order book: two `BookSide`s keyed by the exact decimal value of the price, storing the
 * latest wire text of price and size. Used by the ingestor (validate a venue's book), the
 * book-builder (rebuild books from the bus) and the consolidated book.
 *
 * Contracts
 * - Sizes are ABSOLUTE: a level's new size replaces the old one; a zero size in any spelling
 *   (`"0"`, `"0.00000000"`) removes the level; removing an absent level is a no-op.
 * - Every update is validated as a whole before any level changes: a `BookError` leaves the book
 *   exactly as it was (atomic).
 * - No float arithmetic touches prices or sizes; `Number(price)` is only a sort hint (see
 *   book-side.ts for why ordering is still exact).
 * - `seq` and `epoch` belong to the owner (sync logic): the book never reads or changes them.
 */
import type { Level } from '@tickmesh/contracts';
import { validateLevels, type BookSideName } from './book-error';
import { BookSide, type ReadonlyBookSide } from './book-side';

export interface OrderBookOptions {
  /**
   * Levels kept per side. Levels beyond it are never returned; the worst ones are dropped in
   * batches once a side exceeds `maxDepth + trimSlack`. Default: unbounded.
   */
  maxDepth?: number;
  /** Extra levels tolerated before a trim. Default: max(16, maxDepth / 4). */
  trimSlack?: number;
}

export interface BookTop {
  bids: Level[];
  asks: Level[];
}

export interface BookDepth {
  bids: number;
  asks: number;
}

export class OrderBook {
  /** Venue sequence of the last applied message; set by the owner. */
  seq = 0;
  /** Snapshot generation; set by the owner. */
  epoch = 0;
  private readonly bidSide: BookSide;
  private readonly askSide: BookSide;

  constructor(options: OrderBookOptions = {}) {
    const maxDepth = options.maxDepth ?? Infinity;
    if (maxDepth !== Infinity && (!Number.isSafeInteger(maxDepth) || maxDepth < 1)) {
      throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
    }
    const slack = options.trimSlack ?? (maxDepth === Infinity ? 0 : Math.max(16, maxDepth >>> 2));
    if (!Number.isSafeInteger(slack) || slack < 0) {
      throw new RangeError(`trimSlack must be a non-negative integer, got ${slack}`);
    }
    this.bidSide = new BookSide('bid', maxDepth, slack);
    this.askSide = new BookSide('ask', maxDepth, slack);
  }

  /** Read-only views of the sides. */
  get bids(): ReadonlyBookSide {
    return this.bidSide;
  }

  get asks(): ReadonlyBookSide {
    return this.askSide;
  }

  get maxDepth(): number {
    return this.bidSide.maxDepth;
  }

  /**
   * Replaces the whole book (both sides). Levels may come in any order; for a repeated price the
   * last one wins; zero sizes are ignored. Throws `BookError` (book unchanged) on a bad level.
   */
  applySnapshot(bids: readonly Level[], asks: readonly Level[]): void {
    validateLevels('bid', bids);
    validateLevels('ask', asks);
    this.bidSide.replace(bids);
    this.askSide.replace(asks);
  }

  /**
   * Applies absolute level sizes to one side, in order. Returns whether that side's best level
   * changed (its price or size text). Throws `BookError` (book unchanged) on a bad level.
   */
  applyLevels(side: BookSideName, levels: readonly Level[]): boolean {
    validateLevels(side, levels);
    return applyTo(side === 'bid' ? this.bidSide : this.askSide, levels);
  }

  /**
   * Applies one venue update to both sides. Returns `true` when the top of book changed: the best
   * bid or best ask price or size, compared as the exact text that would be republished (a new
   * spelling of the same best price counts as a change). Throws `BookError` (book unchanged).
   */
  applyDelta(bids: readonly Level[], asks: readonly Level[]): boolean {
    validateLevels('bid', bids);
    validateLevels('ask', asks);
    const bidChanged = applyTo(this.bidSide, bids);
    const askChanged = applyTo(this.askSide, asks);
    return bidChanged || askChanged;
  }

  bestBid(): Level | undefined {
    return this.bidSide.best();
  }

  bestAsk(): Level | undefined {
    return this.askSide.best();
  }

  /** Up to `n` best levels per side, best first (never beyond `maxDepth`). */
  top(n = Infinity): BookTop {
    return { bids: this.bidSide.top(n), asks: this.askSide.top(n) };
  }

  /**
   * Cuts each side to its best `depth` levels, as a venue that only maintains the top N does
   * (Bybit, OKX, Kraken): the removed levels are appended to `bids` / `asks` as deletes (size
   * "0"), so a published delta carries them.
   */
  trimTo(depth: number, bids: Level[], asks: Level[]): void {
    for (const [side, out] of [
      [this.bidSide, bids],
      [this.askSide, asks],
    ] as const) {
      if (side.depth <= depth) continue;
      const cut = side
        .top()
        .slice(depth)
        .map((l): Level => [l[0], '0']);
      applyTo(side, cut); // levels of the book itself: valid by construction
      out.push(...cut);
    }
  }

  /** Visible level counts per side. */
  depth(): BookDepth {
    return { bids: this.bidSide.depth, asks: this.askSide.depth };
  }

  /** True when best bid >= best ask, compared exactly; false when either side is empty. */
  isCrossed(): boolean {
    const c = BookSide.compareBest(this.bidSide, this.askSide);
    return c !== undefined && c >= 0;
  }

  /** Removes every level; `seq` and `epoch` are left to the owner. */
  clear(): void {
    this.bidSide.clear();
    this.askSide.clear();
  }

  /** Visible levels of one side, best first. */
  levels(side: BookSideName): IterableIterator<Level> {
    return (side === 'bid' ? this.bidSide : this.askSide).levels();
  }
}

/** Applies validated levels; reports whether the best level's text changed. */
function applyTo(side: BookSide, levels: readonly Level[]): boolean {
  if (levels.length === 0) return false;
  const price = side.bestPrice();
  const size = side.bestSize();
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    side.set(level[0], level[1]);
  }
  return side.bestPrice() !== price || side.bestSize() !== size;
}
