/**
 * Coinbase Advanced Trade `level2` book sync (one product), from the "Level 2 order book" docs and
 * PROTOCOLS.md §4.1:
 *
 *  1. After subscribing, an `l2_data` `snapshot` event carries the whole book, then `update` events.
 *     An update before the first snapshot → `buffered` (`needSnapshot: false`), not kept: the
 *     snapshot supersedes it (it can only be a leftover of an earlier subscription).
 *  2. A `snapshot` at any time replaces the book (a resubscription's answer) and starts a new epoch.
 *  3. `new_quantity` is ABSOLUTE: a known price is overwritten, an unknown one inserted, `"0"` (any
 *     zero spelling) removes the level; removing an absent level is a no-op. Entries are not sorted.
 *  4. There is no per-product sequence and no checksum. Continuity is the connection's
 *     `sequence_num` (sequence.ts): a jump resyncs every book of the connection in the engine, so
 *     this sync never reports a `gap` itself.
 *
 * Normalized sequence: Coinbase gives a book nothing to chain on, so `seq` is a per-symbol counter
 * incremented by every snapshot that goes live and every applied update event; `prevSeq` is the
 * previous value. It never restarts during the sync's life (a resync's snapshot continues it), so it
 * is strictly increasing across epochs as well.
 */
import { OrderBook } from '@tickmesh/book';
import type { BookSync, SyncStep } from '../core/adapter';
import type { L2Event, ProductBook } from './parse';

export class CoinbaseBookSync implements BookSync<L2Event, ProductBook> {
  readonly book = new OrderBook();
  private counter = 0;
  private live = false;

  get seq(): number {
    return this.counter;
  }

  reset(): void {
    this.book.clear();
    this.live = false;
  }

  onUpdate(ev: L2Event): SyncStep {
    if (ev.type === 'snapshot') {
      this.book.applySnapshot(ev.bids, ev.asks); // throws before any change on a bad level
      this.live = true;
      this.counter++;
      return { kind: 'live', seq: this.counter, venueTs: ev.venueTs };
    }
    if (!this.live) return { kind: 'buffered', needSnapshot: false };
    if (ev.bids.length === 0 && ev.asks.length === 0) return { kind: 'ignored', reason: 'empty update' };
    this.book.applyDelta(ev.bids, ev.asks);
    const prevSeq = this.counter;
    this.counter++;
    return { kind: 'applied', seq: this.counter, prevSeq, venueTs: ev.venueTs, bids: ev.bids, asks: ev.asks };
  }

  /** Books come from the level2 stream; no documented sequence links the REST book to it. */
  onSnapshot(_snapshot: ProductBook): SyncStep {
    return { kind: 'ignored', reason: 'coinbase books take their snapshot from the level2 stream' };
  }
}
