/**
 * The gateway's mirror of one (venue, symbol) depth book, shared by every `book` channel tier of
 * that instrument.
 *
 * Source of truth: a depth snapshot from the book-builder (`ctl.v1.book.<venue>.<symbol>`,
 * libs/contracts book-request.ts), or a full snapshot the ingestor publishes on
 * `md.v1.book.<venue>.<symbol>`; then the ingestor's deltas on that subject, applied with the
 * book-builder's continuity rules: a delta applies iff it is of the book's epoch and its `prevSeq`
 * equals the book's `seq`. A gap, a delta of a newer epoch, a bad level, or a `live` status of a
 * newer epoch makes the mirror not continuous: it stops changing (its state is `resyncing`) and
 * asks for a snapshot (with backoff while the book-builder cannot answer). Every delta received
 * is kept in a bounded ring, so the deltas after the snapshot's seq are replayed onto it whatever
 * the order in which the reply and the deltas arrive.
 *
 * Bounded knowledge. A depth snapshot holds the top `snapshotDepth` levels; what lies below its
 * worst level (the side's `boundary`) is unknown, even after deltas add levels there. The mirror
 * therefore serves only levels at or better than the boundary. When deltas remove levels so that
 * fewer than the largest served tier remain above the boundary, the mirror fetches a fresh snapshot
 * (same epoch: served as an ordinary diff); meanwhile the view is shallower, never wrong.
 *
 * Listeners are told once per event-loop turn: `reset` when the book was (re)built from a snapshot
 * after a discontinuity or in a new epoch, `change` otherwise (levels or state changed).
 */
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import { OrderBook } from '@tickmesh/book';
import {
  bookRequestSubject,
  compareDecimal,
  decodeBookReply,
  encodeBookRequest,
  subjectFor,
  type BookDelta,
  type BookSnapshot,
  type Level,
  type SyncState,
  type WireMessage,
} from '@tickmesh/contracts';
import type { Permit } from './adaptive-concurrency';
import type { View } from './book-view';
import { gatewayMetrics } from './metrics';

/** Permits for depth snapshot requests (the snapshot path's adaptive limiter). */
export interface RequestLimiter {
  tryAcquire(): Permit | undefined;
}

export interface MirrorBus {
  subscribe(subject: string, handler: WireHandler): BusSubscription;
  request(subject: string, data: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
}

export interface MirrorOptions {
  /** levels per side asked of the book-builder (≥ the largest tier) */
  snapshotDepth: number;
  requestTimeoutMs: number;
  /** levels kept per side (full ingestor snapshots are cut there) */
  maxDepth: number;
  /** deltas kept for replay onto a snapshot */
  recentSize: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export const DEFAULT_MIRROR_OPTIONS: MirrorOptions = {
  snapshotDepth: 200,
  requestTimeoutMs: 2000,
  maxDepth: 1000,
  recentSize: 4096,
  retryMinMs: 100,
  retryMaxMs: 2000,
};

/** the largest `book` tier: the least a snapshot must hold */
const MAX_TIER = 100;

export type MirrorEvent = 'reset' | 'change';
export type MirrorListener = (ev: MirrorEvent) => void;

export class BookMirror {
  private readonly book: OrderBook;
  epoch = -1;
  seq = -1;
  continuous = false;
  hasBook = false;
  /** the ingestor's last reported state (undefined: none seen yet) */
  private feedState: SyncState | undefined;
  private boundary: { bid: string | undefined; ask: string | undefined } = { bid: undefined, ask: undefined };
  private recent: BookDelta[] = [];
  private inFlight = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closed = false;
  private readonly sub: BusSubscription;
  private readonly listeners = new Map<MirrorListener, number>();
  private dirty: MirrorEvent | undefined;
  /** counted in the frozen-mirrors gauge (has a book, not continuous) */
  private frozen = false;
  /** snapshots requested (tests, metrics) */
  requests = 0;
  /** levels per side asked for; drops to the largest tier if the book-builder caps lower */
  private requestDepth: number;
  readonly opts: MirrorOptions;

  constructor(
    readonly venue: string,
    readonly symbol: string,
    private readonly bus: MirrorBus,
    opts: Partial<MirrorOptions> = {},
    /** when set, every depth request holds a permit until its answer or timeout */
    private readonly limiter?: RequestLimiter,
  ) {
    this.opts = { ...DEFAULT_MIRROR_OPTIONS, ...opts };
    this.retryMs = this.opts.retryMinMs;
    this.requestDepth = this.opts.snapshotDepth;
    this.book = new OrderBook({ maxDepth: this.opts.maxDepth });
    // Subscribe before requesting: NATS handles the SUB before the request on one connection.
    this.sub = bus.subscribe(subjectFor('book', venue, symbol), (m) => this.onMessage(m));
    this.requestSnapshot();
  }

  get subject(): string {
    return this.sub.subject;
  }

  /** `live` only while continuous and the venue feed is live (or not reported yet). */
  get state(): SyncState {
    if (!this.hasBook) return 'snapshotting';
    if (!this.continuous) return 'resyncing';
    return this.feedState === undefined || this.feedState === 'live' ? 'live' : this.feedState;
  }

  /** Adds a listener serving `tier` levels (the largest tier decides snapshot refreshes). */
  listen(fn: MirrorListener, tier: number): void {
    this.listeners.set(fn, tier);
  }

  unlisten(fn: MirrorListener): void {
    this.listeners.delete(fn);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The top `n` levels per side that the mirror knows exactly (see the module comment). */
  view(n: number): View {
    return { bids: this.sideView('bid', n), asks: this.sideView('ask', n) };
  }

  private sideView(side: 'bid' | 'ask', n: number): Level[] {
    const b = this.boundary[side];
    const out: Level[] = [];
    for (const l of this.book.levels(side)) {
      if (out.length >= n) break;
      if (b !== undefined) {
        const c = compareDecimal(l[0], b);
        if (side === 'bid' ? c < 0 : c > 0) break;
      }
      out.push(l);
    }
    return out;
  }

  /** The ingestor's status for this instrument (from md.v1.status.>). */
  onStatus(state: SyncState, epoch: number): void {
    const before = this.state;
    this.feedState = state;
    if (state === 'live' && this.hasBook && (epoch > this.epoch || !this.continuous)) {
      if (this.continuous) {
        this.continuous = false;
        gatewayMetrics.bookResync();
      }
      this.requestSnapshot();
    }
    if (this.state !== before) this.mark('change');
  }

  close(): void {
    this.closed = true;
    this.updateFrozen();
    this.sub.unsubscribe();
    clearTimeout(this.retryTimer);
    this.listeners.clear();
  }

  private onMessage(m: WireMessage): void {
    if (this.closed) return;
    if (m.type === 'book.delta') this.onDelta(m);
    else if (m.type === 'book.snapshot') this.applySnapshot(m, this.opts.maxDepth, false);
  }

  private onDelta(d: BookDelta): void {
    this.recent.push(d);
    if (this.recent.length > this.opts.recentSize + (this.opts.recentSize >> 3))
      this.recent.splice(0, this.recent.length - this.opts.recentSize);
    if (!this.continuous) {
      this.requestSnapshot();
      return;
    }
    if (d.epoch < this.epoch || (d.epoch === this.epoch && d.seq <= this.seq)) return;
    if (d.epoch > this.epoch || d.prevSeq !== this.seq) {
      this.lose();
      return;
    }
    try {
      this.book.applyDelta(d.bids, d.asks);
    } catch {
      this.lose();
      return;
    }
    this.seq = d.seq;
    this.mark('change');
    this.checkDepletion();
  }

  /** Continuity lost: freeze, tell listeners (state), fetch a snapshot. */
  private lose(): void {
    if (this.continuous) gatewayMetrics.bookResync();
    this.continuous = false;
    this.mark('change');
    this.requestSnapshot();
  }

  /**
   * `limit`: levels per side the source holds at most (a side that full may continue below).
   * `fromReply`: a requested snapshot, applied even at or behind the mirror's seq in its epoch
   * (a refresh), since the recent deltas bring it forward again.
   */
  private applySnapshot(s: BookSnapshot, limit: number, fromReply: boolean): void {
    if (s.epoch < this.epoch) {
      // a stale reply (an older epoch than the deltas already seen): ask again rather than wait
      // for the next delta or status, which on a quiet book may be seconds away
      if (fromReply && !this.continuous) this.retryLater();
      return;
    }
    const sameEpochContinuous = this.continuous && s.epoch === this.epoch;
    if (sameEpochContinuous && s.seq <= this.seq && !fromReply) return;
    try {
      this.book.applySnapshot(s.bids, s.asks);
    } catch {
      this.continuous = false;
      this.retryLater();
      return;
    }
    const cut = Math.min(limit, this.opts.maxDepth);
    const worst = (side: 'bid' | 'ask', n: number): string | undefined => {
      if (n < cut) return undefined;
      const top = side === 'bid' ? this.book.bids.top(cut) : this.book.asks.top(cut);
      return top[top.length - 1]?.[0];
    };
    this.boundary = { bid: worst('bid', s.bids.length), ask: worst('ask', s.asks.length) };
    const prevSeq = this.seq;
    this.epoch = s.epoch;
    this.seq = s.seq;
    this.continuous = true;
    this.hasBook = true;
    this.retryMs = this.opts.retryMinMs;
    for (const d of this.recent) {
      if (d.epoch !== this.epoch || d.seq <= this.seq) continue;
      if (d.prevSeq !== this.seq) {
        this.continuous = false;
        break;
      }
      try {
        this.book.applyDelta(d.bids, d.asks);
      } catch {
        this.continuous = false;
        break;
      }
      this.seq = d.seq;
    }
    // A refresh that could not be brought back to where the mirror was is a resync.
    const refresh = sameEpochContinuous && this.continuous && this.seq >= prevSeq;
    this.mark(refresh ? 'change' : 'reset');
    if (!this.continuous) this.retryLater();
    else this.checkDepletion();
  }

  private checkDepletion(): void {
    let need = 0;
    for (const t of this.listeners.values()) need = Math.max(need, t);
    if (need === 0) return;
    if (
      (this.boundary.bid !== undefined && this.sideView('bid', need).length < need) ||
      (this.boundary.ask !== undefined && this.sideView('ask', need).length < need)
    )
      this.requestSnapshot();
  }

  private requestSnapshot(): void {
    if (this.inFlight || this.closed || this.retryTimer !== undefined) return;
    let permit: Permit | undefined;
    if (this.limiter !== undefined) {
      permit = this.limiter.tryAcquire();
      if (permit === undefined) {
        // the snapshot path is saturated: try again later (a continuous book keeps serving)
        gatewayMetrics.bookRequest('shed');
        this.retryLater(true);
        return;
      }
    }
    this.inFlight = true;
    this.requests++;
    const depth = this.requestDepth;
    let req: Promise<Uint8Array>;
    try {
      req = this.bus.request(
        bookRequestSubject(this.venue, this.symbol),
        encodeBookRequest({ depth }),
        this.opts.requestTimeoutMs,
      );
    } catch (err) {
      req = Promise.reject(err as Error);
    }
    req.then(
      (bytes) => {
        this.inFlight = false;
        permit?.success();
        if (this.closed) return;
        let reply;
        try {
          reply = decodeBookReply(bytes);
        } catch {
          gatewayMetrics.bookRequest('error');
          this.retryLater();
          return;
        }
        if ('error' in reply || reply.venue !== this.venue || reply.symbol !== this.symbol) {
          gatewayMetrics.bookRequest('error');
          // a book-builder with a lower DEPTH_REQUEST_MAX: ask for the largest tier only
          if ('error' in reply && reply.error.includes('DEPTH_REQUEST_MAX')) this.requestDepth = MAX_TIER;
          this.retryLater();
          return;
        }
        gatewayMetrics.bookRequest('ok');
        this.applySnapshot(reply, depth, true);
      },
      (err: unknown) => {
        this.inFlight = false;
        // A timeout says the path is slow (a load signal); no responder / no connection does not.
        if ((err as { code?: unknown } | undefined)?.code === 'TIMEOUT') permit?.dropped();
        else permit?.ignore();
        gatewayMetrics.bookRequest('failed');
        if (!this.closed) this.retryLater();
      },
    );
  }

  /** `always`: retry even when continuous (a shed depth refresh), else only while not continuous. */
  private retryLater(always = false): void {
    this.updateFrozen();
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.opts.retryMaxMs, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (always || !this.continuous || !this.hasBook) this.requestSnapshot();
    }, delay);
    this.retryTimer.unref();
  }

  private updateFrozen(): void {
    const f = !this.closed && this.hasBook && !this.continuous;
    if (f === this.frozen) return;
    this.frozen = f;
    gatewayMetrics.mirrorFrozenChanged(f ? 1 : -1);
  }

  private mark(ev: MirrorEvent): void {
    this.updateFrozen();
    if (this.dirty === undefined) setImmediate(this.emit);
    if (this.dirty !== 'reset') this.dirty = ev;
  }

  private emit = (): void => {
    const ev = this.dirty;
    this.dirty = undefined;
    if (ev === undefined || this.closed) return;
    for (const fn of [...this.listeners.keys()]) fn(ev);
  };
}
