/**
 * One side of an exact L2 book: a sorted array of levels, best level LAST.
 *
 * Exactness. Each level has a numeric sort key `dir * sortKey(price)` (dir = +1 for bids, -1 for
 * asks) and the array is ascending by (key, dir * exact decimal value). `sortKey` never reverses
 * order (value(a) <= value(b) implies sortKey(a) <= sortKey(b), see sort-key.ts), so different
 * keys order two prices exactly; equal keys (same number in another spelling, or two decimals a
 * double cannot tell apart) fall back to `compareDecimal`. A level's identity is its canonical
 * price text (`canonicalDecimal`): two prices are the same level iff `compareDecimal` is 0, which
 * compares canonical forms. The canonical string is not stored: the key plus that fallback decide
 * identity exactly without building it on the hot path. Each level keeps the latest wire spelling
 * of price and size, which is what gets republished.
 *
 * Why best last: venue updates cluster at the top of book, and `splice` moves only the elements
 * after the index, so inserting or removing near the best is the cheap end of the array.
 */
import { compareDecimal, isDecimalText, isZeroDecimal, type Level } from '@tickmesh/contracts';
import { sortKey } from './sort-key';
import type { BookSideName } from './book-error';

/** A stored level. Mutated in place on size updates; never handed out (callers get `Level` copies). */
class Entry {
  constructor(
    readonly key: number,
    public price: string,
    public size: string,
  ) {}
}

/** Read-only view of a side, as exposed by `OrderBook.bids` / `OrderBook.asks`. */
export interface ReadonlyBookSide {
  readonly side: BookSideName;
  /** Visible levels (at most `maxDepth`). */
  readonly depth: number;
  best(): Level | undefined;
  /** Up to `n` best levels, best first, never beyond `maxDepth`. */
  top(n?: number): Level[];
  /** Visible levels, best first. */
  levels(): IterableIterator<Level>;
  /** The level at exactly this price (any spelling), if visible. */
  get(price: string): Level | undefined;
}

/**
 * Mutation methods take levels that were already validated (`validateLevels`): OrderBook validates
 * the whole update first so that a bad level cannot leave the book half applied.
 */
export class BookSide implements ReadonlyBookSide {
  private entries: Entry[] = [];
  private readonly dir: 1 | -1;

  /**
   * @param maxDepth levels kept visible; `Infinity` for an unbounded side.
   * @param slack extra levels tolerated beyond `maxDepth` before the worst ones are cut in one
   *   splice, so trimming costs O(1) amortized instead of a shift on every insert.
   */
  constructor(
    readonly side: BookSideName,
    readonly maxDepth = Infinity,
    readonly slack = 0,
  ) {
    this.dir = side === 'bid' ? 1 : -1;
  }

  get depth(): number {
    return Math.min(this.entries.length, this.maxDepth);
  }

  best(): Level | undefined {
    const e = this.entries[this.entries.length - 1];
    return e === undefined ? undefined : [e.price, e.size];
  }

  /** Best price and size text, without allocating; `undefined` when empty. */
  bestPrice(): string | undefined {
    return this.entries[this.entries.length - 1]?.price;
  }

  bestSize(): string | undefined {
    return this.entries[this.entries.length - 1]?.size;
  }

  top(n = Infinity): Level[] {
    const a = this.entries;
    const stop = a.length - Math.min(n, this.depth);
    const out: Level[] = [];
    for (let i = a.length - 1; i >= stop; i--) out.push([a[i]!.price, a[i]!.size]);
    return out;
  }

  *levels(): IterableIterator<Level> {
    const a = this.entries;
    const stop = a.length - this.depth;
    for (let i = a.length - 1; i >= stop; i--) yield [a[i]!.price, a[i]!.size];
  }

  get(price: string): Level | undefined {
    if (!isDecimalText(price)) return undefined;
    const i = this.locate(this.dir * sortKey(price), price);
    if (i < 0 || i < this.entries.length - this.depth) return undefined;
    const e = this.entries[i]!;
    return [e.price, e.size];
  }

  /**
   * Sets one level to an absolute size; a zero size (any spelling) removes it, and removing an
   * absent level is a no-op.
   */
  set(price: string, size: string): void {
    const a = this.entries;
    const key = this.dir * sortKey(price);
    const i = this.locate(key, price);
    if (i >= 0) {
      if (isZeroDecimal(size)) removeAt(a, i);
      else {
        const e = a[i]!;
        e.price = price;
        e.size = size;
      }
      return;
    }
    if (isZeroDecimal(size)) return;
    insertAt(a, ~i, new Entry(key, price, size));
    if (a.length > this.maxDepth + this.slack) a.splice(0, a.length - this.maxDepth);
  }

  /** Replaces the side. Later duplicates of a price win; zero sizes are dropped. */
  replace(levels: readonly Level[]): void {
    const dir = this.dir;
    const fresh = levels.map(([price, size]) => new Entry(dir * sortKey(price), price, size));
    // Array.prototype.sort is stable, so among equal prices the input order survives
    fresh.sort((x, y) => x.key - y.key || (x.price === y.price ? 0 : dir * compareDecimal(x.price, y.price)));
    const out: Entry[] = [];
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i]!;
      const next = fresh[i + 1];
      // a duplicate followed by a later spelling of the same price: the later one decides
      if (next !== undefined && next.key === e.key && compareDecimal(next.price, e.price) === 0) continue;
      if (!isZeroDecimal(e.size)) out.push(e);
    }
    if (out.length > this.maxDepth) out.splice(0, out.length - this.maxDepth);
    this.entries = out;
  }

  clear(): void {
    this.entries = [];
  }

  /**
   * Index of the entry at exactly this price, or `~insertionIndex` (negative) when absent.
   * Binary search on the numeric key, then a walk over the (almost always 0 or 1 long) run of
   * equal keys, which `compareDecimal` orders exactly.
   */
  private locate(key: number, price: string): number {
    const a = this.entries;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    for (; lo < a.length; lo++) {
      const e = a[lo]!;
      if (e.key !== key) break;
      // same text is the common case (a size update): skip canonicalisation
      const c = e.price === price ? 0 : this.dir * compareDecimal(e.price, price);
      if (c === 0) return lo;
      if (c > 0) break;
    }
    return ~lo;
  }

  /** Sign of (best bid - best ask), exact; `undefined` when either side is empty. */
  static compareBest(bids: BookSide, asks: BookSide): number | undefined {
    const b = bids.entries[bids.entries.length - 1];
    const a = asks.entries[asks.entries.length - 1];
    if (b === undefined || a === undefined) return undefined;
    const bn = b.key;
    const an = -a.key;
    return bn !== an ? bn - an : compareDecimal(b.price, a.price);
  }
}

/**
 * Below this many moved elements a JS loop beats `splice`, whose fixed cost (it allocates the array
 * of removed items) dominates the short moves that top-of-book traffic makes (best is last).
 */
const SHORT_MOVE = 32;

function insertAt(a: Entry[], i: number, e: Entry): void {
  const n = a.length;
  if (n - i > SHORT_MOVE) {
    a.splice(i, 0, e);
    return;
  }
  if (i === n) {
    a.push(e);
    return;
  }
  a.push(a[n - 1]!);
  for (let j = n - 1; j > i; j--) a[j] = a[j - 1]!;
  a[i] = e;
}

function removeAt(a: Entry[], i: number): void {
  const last = a.length - 1;
  if (last - i > SHORT_MOVE) {
    a.splice(i, 1);
    return;
  }
  for (let j = i; j < last; j++) a[j] = a[j + 1]!;
  a.pop();
}
