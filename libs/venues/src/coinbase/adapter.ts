/**
 * Coinbase Advanced Trade public market-data adapter (venue id `coinbase`). Connection rules from
 * "Advanced Trade WebSocket Overview" / "Channels" (PROTOCOLS.md §4.1), book rules in sync.ts,
 * connection-wide continuity in sequence.ts; see README.md:
 *
 * - URL `wss://advanced-trade-ws.coinbase.com`: the configured base URL is used as is (the venue
 *   serves the feed at the root of its host; the simulator does too, and also at `/coinbase`);
 * - ONE channel per subscribe message: `{"type":"subscribe","product_ids":[..],"channel":"level2"}`,
 *   then `market_trades`, then `heartbeats` (no jwt: public channels);
 * - no client ping: the `heartbeats` channel sends a message every second and keeps the other
 *   channels open (they close after 60-90 s without updates), so 30 s without any frame means the
 *   socket is dead;
 * - book snapshots come over the stream (`snapshotSource: 'stream'`): resyncing one product is
 *   `unsubscribe` + `subscribe` of its level2; a `sequence_num` jump resyncs every product of the
 *   connection (`createConnectionTracker`).
 */
import type { Instrument } from '@tickmesh/contracts';
import type { RestRequest, VenueAdapter } from '../core/adapter';
import {
  parseFrame,
  parseInstruments,
  parseSnapshot,
  type CoinbaseFrameEvent,
  type L2Event,
  type ProductBook,
  type TradeSideMeaning,
} from './parse';
import { ConnectionSequence } from './sequence';
import { CoinbaseBookSync } from './sync';

export interface CoinbaseOptions {
  /** venue id; default `coinbase` */
  id?: string;
  /** whose side `market_trades[].side` is (UNVERIFIED, README.md "Trades"); default `maker` */
  tradeSide?: TradeSideMeaning;
}

/** Channels subscribed per connection, one subscribe message each, in this order. */
export const CHANNELS = ['level2', 'market_trades', 'heartbeats'] as const;
/**
 * Products per connection: Coinbase documents no per-connection subscription limit; full-book
 * level2 snapshots are large, so connections are kept to 50 products (100 streams).
 */
export const MAX_STREAMS_PER_CONNECTION = 100;
/** heartbeats arrive every second: 30 s of silence is a dead socket */
export const STALE_SOCKET_MS = 30_000;

/**
 * `VenueAdapter` with the connection-level members proposed for the core contract (see
 * sequence.ts): parseFrame adds `connection-seq` events, and the engine keeps one
 * `createConnectionTracker()` per socket.
 */
export interface CoinbaseAdapter extends Omit<VenueAdapter<L2Event, ProductBook>, 'parseFrame'> {
  readonly snapshotSource: 'stream';
  readonly tradeSide: TradeSideMeaning;
  parseFrame(text: string, recvTs: number): CoinbaseFrameEvent[];
  resubscribeFrames(native: string): string[];
  createConnectionTracker(): ConnectionSequence<L2Event>;
}

export function subscribeMessage(
  type: 'subscribe' | 'unsubscribe',
  channel: string,
  productIds: readonly string[],
): string {
  return JSON.stringify({ type, product_ids: productIds, channel });
}

export function coinbaseAdapter(opts: CoinbaseOptions = {}): CoinbaseAdapter {
  const id = opts.id ?? 'coinbase';
  const tradeSide = opts.tradeSide ?? 'maker';
  if (tradeSide !== 'maker' && tradeSide !== 'taker')
    throw new RangeError(`bad tradeSide ${String(tradeSide)}`);
  // products this adapter subscribed, so an error naming one fails only that symbol
  const subscribed = new Set<string>();
  const ctx = { tradeSide, known: (p: string) => subscribed.has(p) };

  return {
    id,
    tradeSide,
    snapshotSource: 'stream',
    defaults: {
      wsUrl: 'wss://advanced-trade-ws.coinbase.com',
      restUrl: 'https://api.coinbase.com',
      maxStreamsPerConnection: MAX_STREAMS_PER_CONNECTION,
      streamsPerSymbol: 2,
      staleSocketMs: STALE_SOCKET_MS,
    },
    instrumentsRequest: (): RestRequest => ({
      path: '/api/v3/brokerage/market/products?product_type=SPOT',
      weight: 1,
    }),
    parseInstruments: (body) => parseInstruments(body, id),
    connectionUrl: (wsBase) => wsBase,
    subscribeFrames: (natives) => {
      if (natives.length === 0) return [];
      for (const n of natives) subscribed.add(n);
      return CHANNELS.map((channel) => subscribeMessage('subscribe', channel, natives));
    },
    resubscribeFrames: (native) => [
      subscribeMessage('unsubscribe', 'level2', [native]),
      subscribeMessage('subscribe', 'level2', [native]),
    ],
    parseFrame: (text) => parseFrame(text, ctx),
    snapshotRequest: (native) => ({
      path: `/api/v3/brokerage/market/product_book?product_id=${encodeURIComponent(native)}`,
      weight: 1,
    }),
    parseSnapshot,
    createSync: (_instrument: Instrument) => new CoinbaseBookSync(),
    createConnectionTracker: () => new ConnectionSequence<L2Event>(),
  };
}
