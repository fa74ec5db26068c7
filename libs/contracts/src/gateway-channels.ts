/**
 * Gateway channel data of the depth, trades, consolidated and stats channels, the instrument list
 * and the trades gap notice (docs/gateway-protocol.md). Client-facing JSON only; nothing here is a
 * bus message.
 *
 *   book.<venue>.<SYMBOL>     BookViewData: snapshot = the top `depth` levels; update = the diff
 *                             of that view (size "0" removes a level)
 *   trades.<venue>.<SYMBOL>   TradesData: snapshot = the last trades (oldest first); update = new ones
 *   consolidated.<SYMBOL>     ConsolidatedData (the book-builder's consolidated book)
 *   stats.<venue>.<SYMBOL>    StatsData (the book-builder's per-book statistics)
 */
import type { BookStats } from './book-stats';
import type { ConsolidatedBook } from './consolidated';
import type { Level, SyncState, Trade } from './messages';

/** Depth tiers of `book` channels: a requested depth is rounded up to the next tier. */
export const BOOK_DEPTH_TIERS = [10, 25, 50, 100] as const;
export const BOOK_DEFAULT_DEPTH = 25;

/** The tier serving a requested depth (1..100): the smallest tier at least as deep. */
export function bookDepthTier(depth: number | undefined): number {
  if (depth === undefined) return BOOK_DEFAULT_DEPTH;
  for (const t of BOOK_DEPTH_TIERS) if (depth <= t) return t;
  return BOOK_DEPTH_TIERS[BOOK_DEPTH_TIERS.length - 1]!;
}

/**
 * `data` of a `book` message. In a snapshot, `bids`/`asks` are the whole top-`depth` view, best
 * first. In an update they are the changes to apply to the previous view: absolute sizes, `"0"`
 * removes the price (a level that left the view), any other size sets it (a level that entered or
 * changed). After applying, the view holds exactly the server's top `depth` levels per side.
 */
export interface BookViewData {
  venue: string;
  symbol: string;
  /** the served tier (levels per side at most) */
  depth: number;
  /** the venue book's epoch and seq this view reflects */
  bookEpoch: number;
  bookSeq: number;
  /** `live` while the gateway's mirror is continuous and the venue is live */
  state: SyncState;
  bids: Level[];
  asks: Level[];
}

export type TradeData = Omit<Trade, 'type' | 'venue' | 'symbol'>;

/** `data` of a `trades` message: one or more trades, oldest first. */
export interface TradesData {
  venue: string;
  symbol: string;
  trades: TradeData[];
}

export type ConsolidatedData = Omit<ConsolidatedBook, 'type'>;
export type StatsData = Omit<BookStats, 'type'>;

export interface InstrumentInfo {
  venue: string;
  symbol: string;
  /** the ingestor's last reported sync state */
  state: SyncState;
}

/** Answer to `{"op":"list"}`: every (venue, symbol) the gateway has seen a status for. */
export interface ListMessage {
  type: 'list';
  id?: number | string;
  instruments: InstrumentInfo[];
}

/**
 * Trades are never conflated: when a slow consumer's trade updates had to be dropped, this notice
 * names the dropped seqs (inclusive) before the channel's next message.
 */
export interface GapMessage {
  type: 'gap';
  ch: string;
  from: number;
  to: number;
}
