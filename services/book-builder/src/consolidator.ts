/**
 * Keeps one consolidated book per consolidated symbol (see equivalence.ts) and recomputes it only
 * when it can have changed: a member's top N changed, or a member's published state changed (it
 * joins or leaves the live set). Recomputes are coalesced: at most once per event-loop turn per
 * symbol, and under load at most once per `intervalMs` (Coalescer).
 *
 * Detecting a top-N change without reading the top N on every delta: at each recompute a member
 * remembers its N-th best price per side (the boundary; none when the side had fewer than N
 * levels). A delta that changes only levels strictly worse than the boundary cannot change the
 * top N, and leaves the boundary in place (the N levels at or above it are untouched), so the
 * check stays valid until the next recompute. Any level at or better than the boundary, or any
 * level on a side without one, marks the symbol dirty (false positives only cost a recompute).
 */
import type { BookTop } from '@tickmesh/book';
import { Coalescer } from '@tickmesh/bus';
import {
  consolidationSource,
  nowMicros,
  type ConsolidatedBook,
  type Level,
  type SyncState,
} from '@tickmesh/contracts';
import type { BookState } from './book-state';
import { comparePrice, consolidate, priceKeys, type SourceTop } from './consolidate';
import { consolidatedSymbolOf, type Equivalences } from './equivalence';

export interface ConsolidatorOptions {
  /** N: aggregated levels per side (CONSOLIDATED_DEPTH) */
  depth: number;
  equivalences: Equivalences;
  /** minimum interval between recompute rounds under load (0 = every turn) */
  intervalMs: number;
  /** receives every recomputed book (publish + Redis) */
  publish(book: ConsolidatedBook): void;
}

class Group {
  readonly members: ConsolidationMember[] = [];
  dirty = false;
  constructor(readonly symbol: string) {}
}

/** One book's membership in a consolidated book; the owner keeps it next to the BookState. */
export class ConsolidationMember {
  /** the top N when the member was live at the last recompute; undefined while excluded */
  top: BookTop | undefined;
  /** numeric keys of the top's prices (read once per top, used by every merge) */
  bidKeys: number[] = [];
  askKeys: number[] = [];
  bidBoundary: string | undefined;
  askBoundary: string | undefined;
  /** the book changed since its top was read */
  stale = true;
  /** the state it was excluded with at the last recompute; undefined while included */
  excludedAs: SyncState | undefined;

  constructor(
    readonly book: BookState,
    readonly source: string,
    readonly group: Group,
  ) {}
}

export class Consolidator {
  private readonly groups = new Map<string, Group>();
  private readonly dirty: Group[] = [];
  private readonly flusher: Coalescer;
  private closed = false;

  constructor(private readonly opts: ConsolidatorOptions) {
    this.flusher = new Coalescer(() => this.flush(), opts.intervalMs);
  }

  /** Registers a book in its consolidated symbol's group (once per book). */
  join(book: BookState): ConsolidationMember {
    const symbol = consolidatedSymbolOf(book.symbol, this.opts.equivalences);
    let g = this.groups.get(symbol);
    if (g === undefined) this.groups.set(symbol, (g = new Group(symbol)));
    const m = new ConsolidationMember(book, consolidationSource(book.venue, book.symbol, symbol), g);
    g.members.push(m);
    g.members.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    this.markDirty(g);
    return m;
  }

  /**
   * The member's best levels or published state may have changed: recompute its group. An excluded
   * member contributes only its state, so it matters again only once its state changes.
   */
  touch(m: ConsolidationMember): void {
    if (m.excludedAs !== undefined && m.book.state === m.excludedAs) return;
    m.stale = true;
    this.markDirty(m.group);
  }

  /**
   * A delta was applied without changing the best bid/ask: recompute only when one of its levels
   * is inside the member's top N (see the boundary rule above). Excluded members are ignored: they
   * rejoin through `touch` when their state changes.
   */
  onLevels(m: ConsolidationMember, bids: readonly Level[], asks: readonly Level[]): void {
    if (m.top === undefined || m.stale) return;
    if (touchesTop(bids, m.top.bids.length, this.opts.depth, m.bidBoundary, 1)) this.touch(m);
    else if (touchesTop(asks, m.top.asks.length, this.opts.depth, m.askBoundary, -1)) this.touch(m);
  }

  /** The latest consolidated symbols (for tests and stats). */
  get symbols(): string[] {
    return [...this.groups.keys()];
  }

  close(): void {
    this.closed = true;
  }

  private markDirty(g: Group): void {
    if (g.dirty || this.closed) return;
    g.dirty = true;
    this.dirty.push(g);
    this.flusher.request();
  }

  private flush(): void {
    const ts = nowMicros();
    for (const g of this.dirty.splice(0)) {
      g.dirty = false;
      if (!this.closed) this.opts.publish(this.recompute(g, ts));
    }
  }

  private recompute(g: Group, ts: number): ConsolidatedBook {
    const depth = this.opts.depth;
    const included: SourceTop[] = [];
    const excluded: { venue: string; state: SyncState }[] = [];
    for (const m of g.members) {
      const b = m.book;
      const state = b.state;
      if (state !== 'live') {
        m.top = undefined;
        m.stale = true;
        m.excludedAs = state;
        excluded.push({ venue: m.source, state });
        continue;
      }
      m.excludedAs = undefined;
      if (m.stale || m.top === undefined) {
        const top = b.book.top(depth);
        m.top = top;
        m.bidKeys = priceKeys(top.bids);
        m.askKeys = priceKeys(top.asks);
        m.bidBoundary = top.bids.length === depth ? top.bids[depth - 1]![0] : undefined;
        m.askBoundary = top.asks.length === depth ? top.asks[depth - 1]![0] : undefined;
        m.stale = false;
      }
      included.push({
        source: m.source,
        bids: m.top.bids,
        asks: m.top.asks,
        bidKeys: m.bidKeys,
        askKeys: m.askKeys,
        venueTs: b.venueTs,
        bookTs: b.bookTs,
      });
    }
    return consolidate({ symbol: g.symbol, depth, included, excluded, ts });
  }
}

/**
 * Whether any level may be inside the top N of a side that had `count` levels at the last read:
 * a side with fewer than N levels always may; otherwise a level at or better than the boundary.
 * `sign` is +1 for bids (higher is better), -1 for asks.
 */
function touchesTop(
  levels: readonly Level[],
  count: number,
  depth: number,
  boundary: string | undefined,
  sign: 1 | -1,
): boolean {
  if (levels.length === 0) return false;
  if (count < depth || boundary === undefined) return true;
  for (let i = 0; i < levels.length; i++) {
    if (sign * comparePrice(levels[i]![0], boundary) >= 0) return true;
  }
  return false;
}
