/**
 * One side of an L2 book: price levels in integer ticks with integer lot sizes, kept sorted
 * best-first (bids descending, asks ascending). Sizes are absolute; size 0 means "no level".
 *
 * Sorted parallel arrays with binary search: a side holds at most ~1000 levels and most changes
 * are near the top, so `splice` beats a tree here and iteration in price order is free.
 */
export type Side = 'bid' | 'ask';

export class BookSide {
  /** sort keys, ascending: -ticks for bids, +ticks for asks, so index 0 is always the best level */
  private readonly keys: number[] = [];
  private readonly sizes: number[] = [];
  private readonly sign: 1 | -1;

  constructor(readonly side: Side) {
    this.sign = side === 'bid' ? -1 : 1;
  }

  get length(): number {
    return this.keys.length;
  }

  /** Price in ticks of the i-th best level (0 = touch). */
  ticksAt(i: number): number {
    return this.sign * this.keys[i]!;
  }

  lotsAt(i: number): number {
    return this.sizes[i]!;
  }

  /** Best price in ticks, or undefined when the side is empty. */
  best(): number | undefined {
    return this.keys.length === 0 ? undefined : this.sign * this.keys[0]!;
  }

  /** Size in lots at `ticks`, 0 when there is no level. */
  get(ticks: number): number {
    const i = this.search(this.sign * ticks);
    return i >= 0 ? this.sizes[i]! : 0;
  }

  /** Sets the absolute size at `ticks`; 0 removes the level (removing an absent level is a no-op). */
  set(ticks: number, lots: number): void {
    const key = this.sign * ticks;
    const i = this.search(key);
    if (i >= 0) {
      if (lots === 0) {
        this.keys.splice(i, 1);
        this.sizes.splice(i, 1);
      } else {
        this.sizes[i] = lots;
      }
    } else if (lots !== 0) {
      const at = -i - 1;
      this.keys.splice(at, 0, key);
      this.sizes.splice(at, 0, lots);
    }
  }

  /** The best `limit` levels (all when omitted) as [ticks, lots] pairs, best first. */
  levels(limit = Infinity): [ticks: number, lots: number][] {
    const n = Math.min(limit, this.keys.length);
    const out = new Array<[number, number]>(n);
    for (let i = 0; i < n; i++) out[i] = [this.sign * this.keys[i]!, this.sizes[i]!];
    return out;
  }

  /** Binary search: index when found, else -(insertion point) - 1. */
  private search(key: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }
}
