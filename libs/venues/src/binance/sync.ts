/**
 * Binance's documented local order book procedure ("How to manage a local order book correctly",
 * web-socket-streams.md, text as corrected 2025-11-12):
 *  1. buffer diff events, note U of the first;
 *  2. fetch a REST snapshot; if its lastUpdateId < that first U, fetch again;
 *  3. drop buffered events with u <= lastUpdateId;
 *  4. the first remaining event must straddle lastUpdateId+1 (U <= lastUpdateId+1 <= u), else gap;
 *  5. then for every event: u < local id → ignore; U > local id + 1 → gap (restart); else set each
 *     level's absolute quantity (0 removes) and set local id = u.
 * Deviation, on purpose: an event with u == local id is ignored rather than re-applied. Its updates
 * are all already in the book and quantities are absolute, so the book is the same either way, and
 * the normalized stream keeps strictly increasing sequences.
 */
import { OrderBook } from '@tickmesh/book';
import type { BookSync, SyncStep } from '../core/adapter';
import { levels } from './parse';
import type { DepthSnapshot, DepthUpdate } from './raw';

/** A stuck snapshot fetch must not grow the buffer without bound. */
export const MAX_BUFFERED_EVENTS = 10_000;

export class BinanceBookSync implements BookSync<DepthUpdate, DepthSnapshot> {
  readonly book = new OrderBook();
  private buffer: DepthUpdate[] = [];
  private localId = -1;
  /** true once the snapshot was applied and the straddling event seen */
  private live = false;
  /** snapshot applied, waiting for the first event that straddles lastUpdateId+1 */
  private haveSnapshot = false;

  get seq(): number {
    return this.localId;
  }

  reset(): void {
    this.book.clear();
    this.buffer = [];
    this.localId = -1;
    this.live = false;
    this.haveSnapshot = false;
  }

  onUpdate(ev: DepthUpdate): SyncStep {
    if (this.live) return this.applyLive(ev);
    if (this.haveSnapshot) return this.applyFirst(ev);
    if (this.buffer.length >= MAX_BUFFERED_EVENTS) {
      this.reset();
      return { kind: 'gap', reason: `snapshot did not arrive within ${MAX_BUFFERED_EVENTS} buffered events` };
    }
    this.buffer.push(ev);
    return { kind: 'buffered', needSnapshot: this.buffer.length === 1 };
  }

  onSnapshot(snap: DepthSnapshot): SyncStep {
    const first = this.buffer[0];
    if (first !== undefined && snap.lastUpdateId < first.U) {
      return {
        kind: 'retry-snapshot',
        reason: `snapshot lastUpdateId ${snap.lastUpdateId} < first buffered U ${first.U}`,
      };
    }
    this.book.applySnapshot(levels(snap.bids), levels(snap.asks));
    this.localId = snap.lastUpdateId;
    this.haveSnapshot = true;
    const buffered = this.buffer;
    this.buffer = [];
    let last: SyncStep = { kind: 'buffered', needSnapshot: false };
    for (const ev of buffered) {
      last = this.live ? this.applyLive(ev) : this.applyFirst(ev);
      if (last.kind === 'gap') return last;
    }
    // Live once the straddling event was applied; otherwise wait for it on the stream.
    return this.live ? { kind: 'live', seq: this.localId, venueTs: buffered[buffered.length - 1]!.E } : last;
  }

  /** Step 3/4: drop covered events; the first kept one must straddle lastUpdateId+1. */
  private applyFirst(ev: DepthUpdate): SyncStep {
    if (ev.u <= this.localId) return { kind: 'ignored', reason: `u ${ev.u} <= lastUpdateId ${this.localId}` };
    if (ev.U > this.localId + 1) {
      const reason = `first event U ${ev.U} > lastUpdateId+1 ${this.localId + 1}`;
      this.reset();
      return { kind: 'gap', reason };
    }
    this.book.applyDelta(levels(ev.b), levels(ev.a));
    this.localId = ev.u;
    this.live = true;
    return { kind: 'live', seq: this.localId, venueTs: ev.E };
  }

  private applyLive(ev: DepthUpdate): SyncStep {
    if (ev.u <= this.localId) return { kind: 'ignored', reason: `u ${ev.u} <= local id ${this.localId}` };
    if (ev.U > this.localId + 1) {
      const reason = `gap: U ${ev.U} > local id + 1 (${this.localId + 1})`;
      this.reset();
      return { kind: 'gap', reason };
    }
    const bids = levels(ev.b);
    const asks = levels(ev.a);
    this.book.applyDelta(bids, asks);
    const prevSeq = this.localId;
    this.localId = ev.u;
    return { kind: 'applied', seq: ev.u, prevSeq, venueTs: ev.E, bids, asks };
  }
}
