/**
 * OKX `books` (400 levels) sync rules (PROTOCOLS.md §5.2–5.3: OKX docs "WS / Order book channel",
 * the 2026 changelog and checksum-deprecation announcement; see README.md):
 *
 *  1. `action: "snapshot"` replaces the book (prevSeqId = -1). In 'stream' mode it makes the book
 *     live; OKX sends it after every (re)subscription, so after a gap the feed re-subscribes.
 *  2. An `update` applies iff `prevSeqId == seqId of the previous message`; anything else is a gap
 *     (`okx:prevSeqId!=last`), the book is discarded and the engine resyncs the symbol. seqIds are
 *     NOT consecutive, and a sequence RESET after maintenance (`seqId < prevSeqId`) is legal as long
 *     as prevSeqId matches.
 *  3. `seqId == prevSeqId` is the keep-alive sent after ~60 s without a depth change: no change
 *     (`ignored`). One that carries levels is treated as a gap (undocumented, resync to be safe).
 *  4. Levels are absolute: size 0 deletes (deleting an absent level is a no-op), a new price
 *     inserts, a known price replaces.
 *  5. Checksum: after each message, when the pushed `checksum` is non-zero, the signed CRC32 of the
 *     book's best 25 levels (original text) must equal it, else gap (`okx:checksum`). A missing or
 *     0 checksum is never a mismatch: from 23 Jun 2026 OKX always sends 0.
 *  6. The book is truncated to `depth` (400) after every message; truncations are published as
 *     explicit deletes so downstream books stay identical (whether OKX deletes levels leaving the
 *     window is undocumented).
 *
 * 'rest' mode — the post-2026 procedure (changelog "Delist initial snapshot and checksum field in
 * order book channels", steps 1–7, scenarios O2/O3): ignore WS `snapshot` events; buffer updates and
 * record the `prevSeqId` of the first one; fetch `GET /api/v5/market/books`; a snapshot whose seqId
 * is < that prevSeqId is fetched again; buffered events with `seqId <= snapshot seqId` are dropped;
 * the first remaining one must satisfy `prevSeqId <= snapshot seqId < seqId` (else gap); then rule 2
 * for every later event (INFERRED: the stored procedure text stops there).
 *
 * Publication: `seq` = seqId. `prevSeq` = the seqId of the previous published book state, which is
 * the message's prevSeqId (rule 2). Snapshots are `live` (a new epoch).
 */
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { BookSync, SyncStep } from '../core/adapter';
import { CHECKSUM_LEVELS, okxChecksum } from './checksum';
import { levels, msTextToUs } from './parse';
import type { BooksData, OkxBookUpdate, RestBook } from './raw';

export type OkxSnapshotMode = 'stream' | 'rest';

/** Levels of the `books` channel. */
export const BOOKS_DEPTH = 400;
/** 'rest' mode: a stuck snapshot fetch must not grow the buffer without bound. */
export const MAX_BUFFERED_EVENTS = 10_000;

export interface OkxSyncOptions {
  /** 'stream' (default): the WS snapshot; 'rest': the post-2026 REST-snapshot procedure */
  mode?: OkxSnapshotMode;
  /** levels kept per side (default 400, the `books` channel) */
  depth?: number;
  /** verify non-zero checksums (default true) */
  verifyChecksum?: boolean;
}

export class OkxBookSync implements BookSync<OkxBookUpdate, RestBook> {
  readonly book = new OrderBook();
  readonly mode: OkxSnapshotMode;
  readonly depth: number;
  private readonly verify: boolean;
  private lastSeqId = -1;
  private live = false;
  /** 'rest' mode: buffered updates, waiting for the REST snapshot */
  private buffer: BooksData[] = [];
  /** 'rest' mode: snapshot applied, waiting for the first event that straddles its seqId */
  private haveSnapshot = false;

  constructor(opts: OkxSyncOptions = {}) {
    this.mode = opts.mode ?? 'stream';
    this.depth = opts.depth ?? BOOKS_DEPTH;
    this.verify = opts.verifyChecksum ?? true;
    if (!Number.isSafeInteger(this.depth) || this.depth < CHECKSUM_LEVELS)
      throw new RangeError(`depth must be an integer >= ${CHECKSUM_LEVELS}, got ${this.depth}`);
  }

  /** seqId of the book (valid while live) */
  get seq(): number {
    return this.lastSeqId;
  }

  reset(): void {
    this.book.clear();
    this.lastSeqId = -1;
    this.live = false;
    this.buffer = [];
    this.haveSnapshot = false;
  }

  onUpdate(u: OkxBookUpdate): SyncStep {
    const d = u.data;
    if (u.action === 'snapshot') {
      if (this.mode === 'stream') return this.onStreamSnapshot(d);
      // rest mode: "ignore the first event (action snapshot)"; on a live book it breaks the chain
      if (!this.live) return { kind: 'ignored', reason: 'rest mode: the WS snapshot is not used' };
      return this.gap(`okx:unexpected snapshot on a live book (seqId ${d.seqId})`);
    }
    if (this.live) return this.applyLive(d);
    if (this.mode === 'stream') return { kind: 'buffered', needSnapshot: false };
    if (this.haveSnapshot) return this.applyFirst(d);
    if (this.buffer.length >= MAX_BUFFERED_EVENTS)
      return this.gap(`snapshot did not arrive within ${MAX_BUFFERED_EVENTS} buffered events`);
    this.buffer.push(d);
    return { kind: 'buffered', needSnapshot: this.buffer.length === 1 };
  }

  /** 'rest' mode only: the `GET /api/v5/market/books` snapshot (with its seqId). */
  onSnapshot(s: RestBook): SyncStep {
    if (this.mode === 'stream')
      return { kind: 'ignored', reason: 'okx stream mode snapshots over the WebSocket' };
    if (this.live || this.haveSnapshot) return { kind: 'ignored', reason: 'book already synced' };
    const first = this.buffer[0];
    if (s.seqId === undefined) return { kind: 'retry-snapshot', reason: 'REST book without seqId' };
    if (first !== undefined && s.seqId < first.prevSeqId) {
      return {
        kind: 'retry-snapshot',
        reason: `snapshot seqId ${s.seqId} < recorded prevSeqId ${first.prevSeqId}`,
      };
    }
    this.book.applySnapshot(levels(s.bids), levels(s.asks));
    this.trim([], []);
    this.lastSeqId = s.seqId;
    this.haveSnapshot = true;
    const buffered = this.buffer;
    this.buffer = [];
    let last: SyncStep = { kind: 'buffered', needSnapshot: false };
    for (const d of buffered) {
      last = this.live ? this.applyLive(d) : this.applyFirst(d);
      if (last.kind === 'gap') return last;
    }
    // live once the straddling event was applied; otherwise wait for it on the stream
    return this.live
      ? { kind: 'live', seq: this.lastSeqId, venueTs: msTextToUs(buffered[buffered.length - 1]!.ts) }
      : last;
  }

  private onStreamSnapshot(d: BooksData): SyncStep {
    this.book.applySnapshot(levels(d.bids), levels(d.asks));
    this.trim([], []);
    const bad = this.checksumError(d);
    if (bad !== undefined) return this.gap(`${bad} on snapshot seqId ${d.seqId}`);
    this.lastSeqId = d.seqId;
    this.live = true;
    return { kind: 'live', seq: d.seqId, venueTs: msTextToUs(d.ts) };
  }

  /** rest mode, rules 3/4 of the procedure: drop covered events; the first kept one must straddle. */
  private applyFirst(d: BooksData): SyncStep {
    if (d.seqId <= this.lastSeqId)
      return { kind: 'ignored', reason: `seqId ${d.seqId} <= snapshot seqId ${this.lastSeqId}` };
    if (d.prevSeqId > this.lastSeqId)
      return this.gap(`okx:first event prevSeqId ${d.prevSeqId} > snapshot seqId ${this.lastSeqId}`);
    const step = this.apply(d, this.lastSeqId);
    if (step.kind !== 'applied') return step;
    this.live = true;
    this.haveSnapshot = false;
    return { kind: 'live', seq: step.seq, venueTs: step.venueTs };
  }

  private applyLive(d: BooksData): SyncStep {
    if (d.prevSeqId !== this.lastSeqId)
      return this.gap(`okx:prevSeqId!=last: prevSeqId ${d.prevSeqId} != last seqId ${this.lastSeqId}`);
    if (d.seqId === d.prevSeqId) {
      if (d.bids.length > 0 || d.asks.length > 0)
        return this.gap(`okx:keep-alive (seqId == prevSeqId ${d.seqId}) carries levels`);
      const bad = this.checksumError(d);
      if (bad !== undefined) return this.gap(`${bad} on keep-alive seqId ${d.seqId}`);
      return { kind: 'ignored', reason: `keep-alive: seqId == prevSeqId ${d.seqId}` };
    }
    return this.apply(d, this.lastSeqId);
  }

  /** Applies one message on top of the book at seqId `prevSeq`; verifies the checksum. */
  private apply(d: BooksData, prevSeq: number): SyncStep {
    const bids = levels(d.bids);
    const asks = levels(d.asks);
    this.book.applyDelta(bids, asks);
    this.trim(bids, asks);
    const bad = this.checksumError(d);
    if (bad !== undefined) return this.gap(`${bad} at seqId ${d.seqId}`);
    this.lastSeqId = d.seqId;
    return { kind: 'applied', seq: d.seqId, prevSeq, venueTs: msTextToUs(d.ts), bids, asks };
  }

  /** A reason when a non-zero pushed checksum does not match the book; undefined otherwise. */
  private checksumError(d: BooksData): string | undefined {
    if (!this.verify || d.checksum === undefined || d.checksum === 0) return undefined;
    const top = this.book.top(CHECKSUM_LEVELS);
    const mine = okxChecksum(top.bids, top.asks);
    return mine === d.checksum ? undefined : `okx:checksum ${mine} != pushed ${d.checksum}`;
  }

  private gap(reason: string): SyncStep {
    this.reset();
    return { kind: 'gap', reason };
  }

  /** Cuts each side to `depth` levels; the cut levels are appended to `bids`/`asks` as deletes. */
  private trim(bids: Level[], asks: Level[]): void {
    this.book.trimTo(this.depth, bids, asks);
  }
}
