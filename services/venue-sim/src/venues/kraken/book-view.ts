/**
 * One Kraken `book` subscription depth of a symbol: the top-`depth` view of the model's book that
 * Kraken streams, and how it changes with each model update.
 *
 * Kraken's rules ("Book checksum (WebSocket v2)"): an update carries the levels of the subscribed
 * depth that changed, with absolute quantities; `qty: 0` removes a level; levels that fall out of
 * scope are NOT deleted ("you won't receive "qty": 0 for price levels that fall out of scope"): the
 * client truncates to its depth; a level entering the scope (a better one was removed) is sent with
 * its quantity. So an update lists:
 *   - levels of the new view whose quantity differs from the old view (changed or entering),
 *   - levels of the old view that were removed from the book (qty 0);
 * a level of the old view that is still in the book but was pushed out by a better one is not sent.
 *
 * Cost: an update that only touches levels behind a full view is skipped in O(changes); otherwise
 * the view is recomputed in O(depth).
 */
import type { BookSide } from '../../market/book-side';
import type { BookUpdate, SymbolModel } from '../../market/symbol-model';
import type { TickLevel } from './wire';

export interface ViewChange {
  bids: TickLevel[];
  asks: TickLevel[];
}

interface View {
  /** ticks → lots, best first */
  levels: Map<number, number>;
  /** worst price in the view (meaningless when empty) */
  worst: number;
}

export class BookView {
  private bids: View;
  private asks: View;

  constructor(
    readonly depth: number,
    model: SymbolModel,
  ) {
    this.bids = view(model.bids, depth);
    this.asks = view(model.asks, depth);
  }

  /** The current view, best first (the snapshot). */
  levels(model: SymbolModel): ViewChange {
    return { bids: model.bids.levels(this.depth), asks: model.asks.levels(this.depth) };
  }

  /** Moves the view to the model's state after `update`; the changes, or undefined when none. */
  advance(model: SymbolModel, update: BookUpdate): ViewChange | undefined {
    if (!this.touches(update)) return undefined;
    const bids = this.side(model.bids, 'bid');
    const asks = this.side(model.asks, 'ask');
    return bids.length === 0 && asks.length === 0 ? undefined : { bids, asks };
  }

  /** False only when every change is strictly behind a full view (it cannot enter it). */
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
    const out: TickLevel[] = [];
    for (const [ticks, lots] of next.levels) if (before.get(ticks) !== lots) out.push([ticks, lots]);
    // removed from the book → qty 0; pushed out of scope (still in the book) → nothing (client truncates)
    for (const ticks of before.keys())
      if (!next.levels.has(ticks) && side.get(ticks) === 0) out.push([ticks, 0]);
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

function view(side: BookSide, depth: number): View {
  const n = Math.min(depth, side.length);
  const levels = new Map<number, number>();
  for (let i = 0; i < n; i++) levels.set(side.ticksAt(i), side.lotsAt(i));
  return { levels, worst: n > 0 ? side.ticksAt(n - 1) : 0 };
}
