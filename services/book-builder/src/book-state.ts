/**
 * One (venue, symbol) book rebuilt from the bus. Pure: no I/O. Continuity is checked without venue
 * knowledge: a delta applies iff it belongs to the book's epoch and its `prevSeq` equals the book's
 * `seq`. Anything else (a lost NATS message, a consumer that started mid-stream) makes the book
 * `resyncing` until a snapshot arrives — from the ingestor's own snapshot publication or from a
 * snapshot request. Deltas that arrive while waiting are kept (bounded) and replayed on top of the
 * snapshot when they chain onto it.
 *
 * Crossed books (best bid >= best ask) are never published as live. The first time a rebuilt book
 * crosses, the owner asks the ingestor for a fresh snapshot (the book may be wrong); if that
 * snapshot is crossed too, the venue's own book is crossed: the book stays not live, keeps applying
 * deltas, and becomes live again as soon as it uncrosses. (Asking the ingestor to resync from the
 * venue needs its control RPC, which takes the venue's native symbol; the book-builder only knows
 * the normalized one. A native-symbol mapping for that RPC is future work.)
 */
import { OrderBook } from '@tickmesh/book';
import type { BookDelta, BookSnapshot, SyncState, TopOfBook } from '@tickmesh/contracts';

export const MAX_PENDING = 10_000;

export type ApplyResult =
  /** applied; `tobChanged` says whether best bid/ask changed */
  | { kind: 'applied'; tobChanged: boolean }
  /** older epoch or already covered: dropped */
  | { kind: 'ignored' }
  /** continuity broken or no book yet: the owner should request a snapshot */
  | { kind: 'need-snapshot'; reason: string };

/** What a crossing check after an applied message found (see `checkCrossed`). */
export type CrossCheck =
  /** not crossed, and was not */
  | 'ok'
  /** just crossed: the book is no longer continuous; request a snapshot to verify */
  | 'crossed'
  /** the verifying snapshot (or a published one) is crossed itself: keep the book not live */
  | 'snapshot-crossed'
  /** crossed before and still crossed: nothing new */
  | 'still-crossed'
  /** was crossed, is not any more: live again */
  | 'uncrossed';

export type Crossing = 'none' | 'verifying' | 'confirmed';

export class BookState {
  readonly book: OrderBook;
  epoch = -1;
  seq = -1;
  /** the book is a snapshot plus an unbroken chain of deltas */
  continuous = false;
  /** the ingestor's last reported state for this symbol */
  feedState: SyncState = 'connecting';
  /** no update within the freshness window */
  timedOut = false;
  venueTs = 0;
  recvTs = 0;
  bookTs = 0;
  lastUpdateAt = 0;
  snapshotInFlight = false;
  /** crossed-book handling: a snapshot was requested to verify, or the snapshot was crossed too */
  crossing: Crossing = 'none';
  private pending: BookDelta[] = [];

  constructor(
    readonly venue: string,
    readonly symbol: string,
    maxDepth: number,
    /** venue → apply latency histogram child, resolved once per book (not per message) */
    readonly latency: { observe(v: number): void } = { observe: () => undefined },
    /** ingestor receive → apply latency histogram child, resolved once per book */
    readonly hopLatency: { observe(v: number): void } = { observe: () => undefined },
  ) {
    this.book = new OrderBook({ maxDepth });
  }

  /**
   * The published state: live only when the book is continuous, its ingestor reports live, and an
   * update arrived within the freshness window.
   */
  get state(): SyncState {
    if (!this.continuous) return this.epoch < 0 ? 'snapshotting' : 'resyncing';
    if (this.crossing !== 'none') return 'resyncing';
    if (this.feedState !== 'live') return this.feedState;
    return this.timedOut ? 'stale' : 'live';
  }

  applySnapshot(s: BookSnapshot, now: number): ApplyResult {
    if (s.epoch < this.epoch || (s.epoch === this.epoch && this.continuous && s.seq <= this.seq)) {
      return { kind: 'ignored' };
    }
    this.book.applySnapshot(s.bids, s.asks);
    this.epoch = s.epoch;
    this.seq = s.seq;
    this.continuous = true;
    // a snapshot is only ever published or served for a live symbol at this epoch
    this.feedState = 'live';
    this.touch(s.venueTs, s.recvTs, now);
    const pending = this.pending;
    this.pending = [];
    for (const d of pending) {
      if (d.epoch !== this.epoch || d.seq <= this.seq) continue;
      const r = this.applyDelta(d, now);
      if (r.kind === 'need-snapshot') return r;
    }
    return { kind: 'applied', tobChanged: true };
  }

  applyDelta(d: BookDelta, now: number): ApplyResult {
    if (d.epoch < this.epoch) return { kind: 'ignored' };
    if (this.continuous && d.epoch === this.epoch && d.seq <= this.seq) return { kind: 'ignored' };
    if (!this.continuous || d.epoch > this.epoch || d.prevSeq !== this.seq) {
      const reason = !this.continuous
        ? 'no book yet'
        : d.epoch > this.epoch
          ? `new epoch ${d.epoch} without its snapshot`
          : `gap: prevSeq ${d.prevSeq} != seq ${this.seq}`;
      this.continuous = false;
      if (this.pending.length < MAX_PENDING) this.pending.push(d);
      else this.pending = [];
      return { kind: 'need-snapshot', reason };
    }
    const wasTimedOut = this.timedOut;
    const changed = this.book.applyDelta(d.bids, d.asks);
    this.seq = d.seq;
    this.touch(d.venueTs, d.recvTs, now);
    return { kind: 'applied', tobChanged: changed || wasTimedOut };
  }

  /**
   * Call after every applied message (`fromSnapshot`: it was a snapshot, with any replayed deltas).
   * A newly crossed book loses continuity, so the next snapshot replaces it whatever its seq.
   */
  checkCrossed(fromSnapshot: boolean): CrossCheck {
    const crossed = this.book.isCrossed();
    if (!crossed) {
      if (this.crossing === 'none') return 'ok';
      this.crossing = 'none';
      return 'uncrossed';
    }
    if (this.crossing === 'confirmed') return 'still-crossed';
    if (this.crossing === 'verifying' && fromSnapshot) {
      this.crossing = 'confirmed';
      return 'snapshot-crossed';
    }
    this.crossing = 'verifying';
    this.continuous = false;
    return 'crossed';
  }

  /**
   * Mirrors the ingestor's status. A live status for a newer epoch than the book's means the
   * snapshot that started it was missed: the book needs one. Returns whether the published state
   * changed and whether a snapshot is needed.
   */
  onFeedState(state: SyncState, epoch: number): { changed: boolean; needSnapshot: boolean } {
    const before = this.state;
    this.feedState = state;
    const needSnapshot = state === 'live' && (epoch > this.epoch || !this.continuous);
    if (needSnapshot) this.continuous = false;
    return { changed: before !== this.state, needSnapshot };
  }

  /** Flags the book stale when no update arrived within the window; returns whether it changed. */
  checkFresh(now: number, staleAfterUs: number): boolean {
    if (!this.timedOut && this.continuous && now - this.lastUpdateAt > staleAfterUs) {
      this.timedOut = true;
      return true;
    }
    return false;
  }

  private touch(venueTs: number, recvTs: number, now: number): void {
    this.venueTs = venueTs;
    this.recvTs = recvTs;
    this.bookTs = now;
    this.lastUpdateAt = now;
    this.timedOut = false;
  }

  tob(): TopOfBook {
    const bid = this.book.bestBid();
    const ask = this.book.bestAsk();
    return {
      type: 'tob',
      venue: this.venue,
      symbol: this.symbol,
      bidPx: bid?.[0] ?? '',
      bidSz: bid?.[1] ?? '',
      askPx: ask?.[0] ?? '',
      askSz: ask?.[1] ?? '',
      epoch: Math.max(0, this.epoch),
      seq: Math.max(0, this.seq),
      state: this.state,
      venueTs: this.venueTs,
      recvTs: this.recvTs,
      bookTs: this.bookTs,
    };
  }
}
