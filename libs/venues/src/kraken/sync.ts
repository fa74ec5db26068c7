/**
 * Kraken Spot WebSocket v2 `book` sync (guide "Book checksum (WebSocket v2)", PROTOCOLS.md §3.2):
 *
 *  1. after subscribing with `snapshot: true`, a `snapshot` arrives, then `update`s; an update before
 *     the first snapshot cannot be used (`buffered`, no REST snapshot: Kraken's REST book shares no
 *     sequence with the stream);
 *  2. a `snapshot` replaces the book (a re-subscription's snapshot starts a new epoch);
 *  3. update levels are absolute: qty 0 removes the level (absent level: no-op), an unknown price
 *     inserts, a known price overwrites; levels are applied in message order (the same price may
 *     repeat inside one message) and ALL levels of a message are processed before the checksum;
 *  4. after each message the book is truncated to the subscribed depth: Kraken sends no qty 0 for
 *     levels that fall out of scope; truncations are published as explicit deletes, so downstream
 *     books stay identical to this one;
 *  5. the checksum (CRC32 of the top 10 levels per side, checksum.ts) is verified after EVERY
 *     message, snapshots included; a mismatch is a gap (`kraken:checksum`): the book is discarded and
 *     the engine resyncs the symbol by re-subscribing (there is no sequence to resume from).
 *
 * Sequence numbers: Kraken v2 has none. `seq` is a per-symbol counter incremented for every message
 * this sync publishes (the `live` snapshot and each `applied` update), `prevSeq` the previous value,
 * so the engine's `seq`/`prevSeq` continuity downstream sees consecutive integers. The counter never
 * goes back (not even on reset), so a (symbol, seq) pair is never reused by one sync.
 *
 * Checksum text: the wire text kept by the lossless parse (as Kraken's Go SDK does). If it does not
 * match and the instrument's precisions are known, the text re-formatted at `priceDecimals` /
 * `sizeDecimals` (as Kraken's Python sample does) is tried; the form that matched is kept first.
 */
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { BookSync, SyncStep } from '../core/adapter';
import { atPrecision, bookChecksum, CHECKSUM_LEVELS } from './checksum';
import type { KrakenBookUpdate, KrakenRestBook } from './parse';

export interface KrakenSyncOptions {
  /** the subscribed depth (10, 25, 100, 500 or 1000) */
  depth: number;
  /** instrument price precision (AssetPairs `pair_decimals`), for the precision-formatted checksum */
  priceDecimals?: number;
  /** instrument qty precision (AssetPairs `lot_decimals`) */
  sizeDecimals?: number;
}

export class KrakenBookSync implements BookSync<KrakenBookUpdate, KrakenRestBook> {
  readonly book = new OrderBook();
  readonly depth: number;
  private counter = 0;
  private live = false;
  /** checksum over precision-formatted text first (set once that form matched and the wire text did not) */
  private precisionFirst = false;

  constructor(private readonly opts: KrakenSyncOptions) {
    const { depth } = opts;
    if (!Number.isSafeInteger(depth) || depth < CHECKSUM_LEVELS)
      throw new RangeError(`depth must be an integer >= ${CHECKSUM_LEVELS}, got ${depth}`);
    this.depth = depth;
  }

  /** The seq of the last published message (valid while live). */
  get seq(): number {
    return this.counter;
  }

  get isLive(): boolean {
    return this.live;
  }

  reset(): void {
    this.book.clear();
    this.live = false;
  }

  onUpdate(m: KrakenBookUpdate): SyncStep {
    if (m.type === 'snapshot') return this.onStreamSnapshot(m);
    if (!this.live) return { kind: 'buffered', needSnapshot: false };
    // rule 3: absolute levels in message order (throws BookError, book unchanged, on a bad level)
    this.book.applyDelta(m.bids, m.asks);
    const bids = [...m.bids];
    const asks = [...m.asks];
    this.trim(bids, asks);
    const mismatch = this.verify(m.checksum);
    if (mismatch !== undefined) {
      this.reset();
      return { kind: 'gap', reason: `kraken:checksum mismatch after update: ${mismatch}` };
    }
    const prevSeq = this.counter;
    this.counter++;
    return { kind: 'applied', seq: this.counter, prevSeq, venueTs: m.venueTs, bids, asks };
  }

  /** Kraken's REST book cannot join the stream (no shared sequence): snapshots come from the stream. */
  onSnapshot(_snapshot: KrakenRestBook): SyncStep {
    return { kind: 'ignored', reason: 'kraken books take their snapshot from the stream' };
  }

  private onStreamSnapshot(m: KrakenBookUpdate): SyncStep {
    this.book.applySnapshot(m.bids, m.asks);
    this.trim([], []);
    const mismatch = this.verify(m.checksum);
    if (mismatch !== undefined) {
      this.reset();
      return { kind: 'gap', reason: `kraken:checksum mismatch on snapshot: ${mismatch}` };
    }
    this.live = true;
    this.counter++;
    return { kind: 'live', seq: this.counter, venueTs: m.venueTs };
  }

  /** Returns undefined when the book's checksum is `expected`, else a description of the mismatch. */
  private verify(expected: number): string | undefined {
    const asks = this.book.asks.top(CHECKSUM_LEVELS);
    const bids = this.book.bids.top(CHECKSUM_LEVELS);
    const wire = (): number => bookChecksum(asks, bids);
    const { priceDecimals: pd, sizeDecimals: sd } = this.opts;
    const canFormat = pd !== undefined && sd !== undefined;
    const formatted = (): number => bookChecksum(atPrecision(asks, pd!, sd!), atPrecision(bids, pd!, sd!));
    const first = this.precisionFirst && canFormat ? formatted() : wire();
    if (first === expected) return undefined;
    if (canFormat) {
      const second = this.precisionFirst ? wire() : formatted();
      if (second === expected) {
        this.precisionFirst = !this.precisionFirst;
        return undefined;
      }
    }
    return `computed ${first}, venue sent ${expected}`;
  }

  /** Cuts each side to `depth` levels (rule 4); the cut levels are appended to `bids`/`asks` as deletes. */
  private trim(bids: Level[], asks: Level[]): void {
    this.book.trimTo(this.depth, bids, asks);
  }
}
