/**
 * One `orderbook.{depth}.{symbol}` topic: the top-`depth` view of a symbol's model book that Bybit
 * streams, and the topic's update id `u`.
 *
 * - `u` belongs to the topic (shared by every subscriber, like the venue's): it steps by 1 for each
 *   message that changes the view, so a new subscriber's snapshot carries the current `u` and the
 *   deltas continue from it. A message suppressed by a gap fault still consumes its `u`.
 * - A delta lists every level of the view that changed, with its absolute size: levels that
 *   changed inside the view, levels that entered it (a better level was removed) and levels that
 *   were removed. Levels pushed out of the view by a better one are sent as deletes when
 *   `exitDeletes` is set (the default); otherwise they are left to the client's truncation to
 *   `depth` (the venue's own behaviour here is undocumented).
 * - Cost: a model update that only touches levels behind a full view is skipped in O(changes);
 *   otherwise the view is recomputed in O(depth).
 */
import type { SymbolModel, BookUpdate } from '../../market/symbol-model';
import type { BookSide } from '../../market/book-side';

/** [ticks, lots]; lots 0 deletes. */
export type TickLevel = [ticks: number, lots: number];

export interface WindowChange {
  bids: TickLevel[];
  asks: TickLevel[];
}

export class DepthWindow {
  /** update id of the last message of this topic (sent or suppressed) */
  u: number;
  private bids: View;
  private asks: View;

  constructor(
    readonly depth: number,
    model: SymbolModel,
    startU: number,
    private readonly exitDeletes = true,
  ) {
    this.u = startU;
    this.bids = view(model.bids, depth);
    this.asks = view(model.asks, depth);
  }

  /** The current view, best first (the snapshot). */
  levels(model: SymbolModel): WindowChange {
    return { bids: model.bids.levels(this.depth), asks: model.asks.levels(this.depth) };
  }

  /**
   * Moves the view to the model's state after `update`. Returns the changes, or undefined when the
   * view did not change. Does not touch `u`.
   */
  advance(model: SymbolModel, update: BookUpdate): WindowChange | undefined {
    if (!this.touches(update)) return undefined;
    const bids = this.side(model.bids, 'bid');
    const asks = this.side(model.asks, 'ask');
    return bids.length === 0 && asks.length === 0 ? undefined : { bids, asks };
  }

  /** False only when every change is strictly behind a full view (cannot enter it). */
  private touches(update: BookUpdate): boolean {
    for (const c of update.changes) {
      const v = c.side === 'bid' ? this.bids : this.asks;
      if (v.levels.size < this.depth) return true;
      if (c.side === 'bid' ? c.ticks >= v.worst : c.ticks <= v.worst) return true;
    }
    return false;
  }

  private side(side: BookSide, name: 'bid' | 'ask'): TickLevel[] {
    const before = (name === 'bid' ? this.bids : this.asks).levels;
    const next = view(side, this.depth);
    const after = next.levels;
    const out: TickLevel[] = [];
    for (const [ticks, lots] of after) if (before.get(ticks) !== lots) out.push([ticks, lots]);
    for (const ticks of before.keys()) {
      if (after.has(ticks)) continue;
      // removed from the book, or pushed out of the view by a better level
      if (this.exitDeletes || side.get(ticks) === 0) out.push([ticks, 0]);
    }
    if (name === 'bid') {
      this.bids = next;
      out.sort((x, y) => y[0] - x[0]);
    } else {
      this.asks = next;
      out.sort((x, y) => x[0] - y[0]);
    }
    return out;
  }
}

interface View {
  /** ticks → lots, best first */
  levels: Map<number, number>;
  /** worst price in the view (meaningless when empty) */
  worst: number;
}

function view(side: BookSide, depth: number): View {
  const n = Math.min(depth, side.length);
  const levels = new Map<number, number>();
  for (let i = 0; i < n; i++) levels.set(side.ticksAt(i), side.lotsAt(i));
  return { levels, worst: n > 0 ? side.ticksAt(n - 1) : 0 };
}
