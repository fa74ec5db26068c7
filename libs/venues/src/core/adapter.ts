/**
 * The venue adapter contract. A venue is one folder implementing `VenueAdapter`: pure functions and
 * pure state machines only (no sockets, timers or files — lint enforces it). libs/feed owns the
 * socket lifecycle and REST calls and drives an adapter through `VenueEngine`; the `replay` tool
 * drives the same engine from a recording.
 */
import type { Instrument, Level } from '@tickmesh/contracts';
import type { OrderBook } from '@tickmesh/book';

export class VenueParseError extends Error {
  override readonly name = 'VenueParseError';
  constructor(
    message: string,
    readonly frame?: string,
  ) {
    super(message);
  }
}

/** A trade as the mapper produces it, before the engine adds venue/symbol. */
export interface TradeEvent {
  id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell' | 'unknown';
  venueTs: number;
}

/** What one inbound frame means. A frame may carry several events (batched trades). */
export type FrameEvent<U> =
  | { kind: 'book'; native: string; update: U }
  | { kind: 'trade'; native: string; trade: TradeEvent }
  | { kind: 'ack'; id: string | number | null }
  | { kind: 'error'; message: string; native?: string }
  | { kind: 'shutdown'; message: string }
  | { kind: 'heartbeat' }
  | { kind: 'ignored'; reason: string }
  /** the frame's number in a sequence spanning its whole connection (Coinbase `sequence_num`) */
  | { kind: 'connection-seq'; seq: number }
  /** the connection lost a message: every symbol it carries must resync */
  | { kind: 'connection-gap'; reason: string };

/**
 * Pure per-connection state for venues whose continuity spans a connection rather than a symbol
 * (Coinbase: one `sequence_num` for every channel and product). The engine creates one per socket
 * (fresh on every open) and passes each frame's events through it; it typically consumes the
 * `connection-seq` events and answers a discontinuity with a `connection-gap`.
 */
export interface ConnectionTracker<U> {
  onFrame(events: FrameEvent<U>[]): FrameEvent<U>[];
}

/** One step of a symbol's book sync, as decided by the venue's documented rules. */
export type SyncStep =
  /** update kept for later (no book yet); `needSnapshot` asks the engine to fetch one now */
  | { kind: 'buffered'; needSnapshot: boolean }
  /** update older than the book: dropped per the venue's rules */
  | { kind: 'ignored'; reason: string }
  /** the book became live (snapshot + buffered updates applied): publish a snapshot of it */
  | { kind: 'live'; seq: number; venueTs: number }
  /** a live update was applied: publish these absolute levels */
  | { kind: 'applied'; seq: number; prevSeq: number; venueTs: number; bids: Level[]; asks: Level[] }
  /** the snapshot cannot be used (older than the buffered stream): fetch another */
  | { kind: 'retry-snapshot'; reason: string }
  /** continuity or checksum broken: discard the book and resync this symbol */
  | { kind: 'gap'; reason: string };

/** The pure per-symbol sync state machine of one venue. */
export interface BookSync<U, S> {
  readonly book: OrderBook;
  /** venue sequence of the book (valid while live) */
  readonly seq: number;
  onUpdate(update: U): SyncStep;
  onSnapshot(snapshot: S): SyncStep;
  /** forget the book and any buffered updates (new connection, or resync) */
  reset(): void;
}

export interface RestRequest {
  /** path and query, relative to the venue's REST base URL */
  path: string;
  /** request weight charged by the venue (shared budget across replicas) */
  weight: number;
}

export interface VenueDefaults {
  wsUrl: string;
  restUrl: string;
  /** most streams one connection may carry; the feed shards beyond */
  maxStreamsPerConnection: number;
  /** streams one symbol uses (book + trades) */
  streamsPerSymbol: number;
  /** no frame for this long → the socket is considered dead */
  staleSocketMs: number;
  /** the venue closes connections after this long (Binance: 24 h); the feed rolls over before */
  maxConnectionAgeMs?: number;
  /** text keep-alive the client must send (venues with server pings leave this undefined) */
  clientPing?: { intervalMs: number; payload: string };
}

export interface VenueAdapter<U = unknown, S = unknown> {
  readonly id: string;
  readonly defaults: VenueDefaults;
  /** instrument metadata request and its parser (symbols come from metadata, never from splitting) */
  instrumentsRequest(natives: readonly string[]): RestRequest;
  parseInstruments(body: string): Instrument[];
  /** WebSocket URL for one connection carrying these symbols */
  connectionUrl(wsBase: string, natives: readonly string[]): string;
  /** frames to send after the socket opens */
  subscribeFrames(natives: readonly string[]): string[];
  /** parses one text frame; throws VenueParseError on malformed input */
  parseFrame(text: string, recvTs: number): FrameEvent<U>[];
  /**
   * Where book snapshots come from. 'rest' (default): the sync asks for one (`needSnapshot`) and the
   * feed fetches `snapshotRequest`. 'stream': the venue sends it on the WebSocket when the book topic
   * is subscribed; to resync a symbol the feed sends `resubscribeFrames(native)` on its connection.
   */
  readonly snapshotSource?: 'rest' | 'stream';
  /** frames that make a 'stream' venue send a fresh snapshot of one symbol (e.g. unsubscribe + subscribe) */
  resubscribeFrames?(native: string): string[];
  /** venues with connection-wide continuity: the engine keeps one tracker per connection */
  createConnectionTracker?(): ConnectionTracker<U>;
  /** REST snapshot request and parser (venues that snapshot over REST) */
  snapshotRequest(native: string): RestRequest;
  parseSnapshot(body: string): S;
  createSync(instrument: Instrument): BookSync<U, S>;
}
