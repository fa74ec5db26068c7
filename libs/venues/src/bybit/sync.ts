/**
 * Bybit v5 `orderbook.{depth}.{symbol}` book sync (orderbook.mdx, PROTOCOLS.md §2.2):
 *
 *  1. after subscribing, a `snapshot` arrives, then `delta`s; nothing is usable before the snapshot
 *     (deltas before it are dropped: the snapshot supersedes them) → `buffered`;
 *  2. a new `snapshot` at any time replaces the book (Bybit re-sends one "if there is a problem on
 *     Bybit's end"; level 1 re-pushes it every 3 s with the SAME `u`);
 *  3. `u = 1` is "snapshot data due to the restart of the service": overwrite the book — applied to
 *     any message with u = 1, whatever its `type`;
 *  4. delta levels are absolute: size "0" deletes (absent level: no-op), unknown price inserts,
 *     known price overwrites;
 *  5. continuity (recommended, not documented for depth streams — real captures step by +1): a
 *     delta applies iff `u == previous u + 1`; `u <= previous u` is a duplicate/old message and is
 *     ignored; anything else is a gap → the book is discarded and the engine resyncs the symbol
 *     (Bybit has no REST snapshot matching a depth stream: the feed must re-subscribe the topic);
 *  6. the book is truncated to the subscribed depth after every message (whether Bybit deletes
 *     levels leaving the window is undocumented); truncations are published as explicit deletes so
 *     downstream books stay identical.
 *
 * Publication: the first snapshot (and any snapshot that moves `u` backwards, e.g. the `u = 1`
 * restart) is `live` (new epoch). A snapshot with a newer `u` on a live book replaces the book too,
 * but is published as the `applied` difference between the old and new books, so consumers keep
 * their epoch (level 1 sends nothing but snapshots). An identical re-push with the same `u` is
 * `ignored`.
 */
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { BookSync, SyncStep } from '../core/adapter';
import { levels, msToUs } from './parse';
import type { OrderbookMessage, RestOrderbook } from './raw';

export class BybitBookSync implements BookSync<OrderbookMessage, RestOrderbook> {
  readonly book = new OrderBook();
  private localU = -1;
  private live = false;

  constructor(readonly depth: number) {
    if (!Number.isSafeInteger(depth) || depth < 1) throw new RangeError(`bad depth ${depth}`);
  }

  get seq(): number {
    return this.localU;
  }

  reset(): void {
    this.book.clear();
    this.localU = -1;
    this.live = false;
  }

  onUpdate(m: OrderbookMessage): SyncStep {
    if (m.type === 'snapshot' || m.data.u === 1) return this.onStreamSnapshot(m);
    if (!this.live) return { kind: 'buffered', needSnapshot: false };
    const u = m.data.u;
    if (u <= this.localU) return { kind: 'ignored', reason: `u ${u} <= local u ${this.localU}` };
    if (u !== this.localU + 1) {
      const reason = `bybit:u jump: u ${u} != local u + 1 (${this.localU + 1})`;
      this.reset();
      return { kind: 'gap', reason };
    }
    const bids = levels(m.data.b);
    const asks = levels(m.data.a);
    this.book.applyDelta(bids, asks);
    this.trim(bids, asks);
    const prevSeq = this.localU;
    this.localU = u;
    return { kind: 'applied', seq: u, prevSeq, venueTs: msToUs(m.ts), bids, asks };
  }

  /** Depth books are snapshotted over the stream; a REST book (1000-level `u`) cannot join them. */
  onSnapshot(_snapshot: RestOrderbook): SyncStep {
    return { kind: 'ignored', reason: 'bybit depth books take their snapshot from the stream' };
  }

  private onStreamSnapshot(m: OrderbookMessage): SyncStep {
    const u = m.data.u;
    const venueTs = msToUs(m.ts);
    if (!this.live || u === 1 || u < this.localU) {
      this.replace(m);
      this.live = true;
      this.localU = u;
      return { kind: 'live', seq: u, venueTs };
    }
    const before = this.book.top();
    this.replace(m);
    const after = this.book.top();
    const bids = difference(before.bids, after.bids);
    const asks = difference(before.asks, after.asks);
    if (u === this.localU) {
      if (bids.length === 0 && asks.length === 0)
        return { kind: 'ignored', reason: `snapshot re-push with the same u ${u}` };
      // Same u, other content: the books cannot be chained; start a new epoch.
      return { kind: 'live', seq: u, venueTs };
    }
    const prevSeq = this.localU;
    this.localU = u;
    return { kind: 'applied', seq: u, prevSeq, venueTs, bids, asks };
  }

  private replace(m: OrderbookMessage): void {
    this.book.applySnapshot(levels(m.data.b), levels(m.data.a));
    this.trim([], []);
  }

  /** Cuts each side to `depth` levels; the cut levels are appended to `bids`/`asks` as deletes. */
  private trim(bids: Level[], asks: Level[]): void {
    this.book.trimTo(this.depth, bids, asks);
  }
}

/** Absolute levels turning side `before` into side `after`: deletes first, then new/changed levels. */
function difference(before: readonly Level[], after: readonly Level[]): Level[] {
  const next = new Map(after.map((l) => [l[0], l[1]]));
  const prev = new Map(before.map((l) => [l[0], l[1]]));
  const out: Level[] = [];
  for (const [p] of before) if (!next.has(p)) out.push([p, '0']);
  for (const [p, s] of after) if (prev.get(p) !== s) out.push([p, s]);
  return out;
}
