/**
 * Kraken Spot WebSocket v2 public adapter (venue id `kraken`). Connection rules from "Spot
 * WebSocket Introduction" and "Book (Level 2)" / "Trades", book rules from "Book checksum
 * (WebSocket v2)" (see sync.ts and README.md):
 *
 * - URL `<wsBase>/v2` (`wss://ws.kraken.com/v2`);
 * - `{"method":"subscribe","params":{"channel":"book","symbol":[...],"depth":10,"snapshot":true},"req_id":1}`
 *   and the same for `trade` with `snapshot: false` (recent trades are not republished);
 * - the client sends `{"method":"ping"}` (answered by `{"method":"pong",...}`); the server also sends
 *   `{"channel":"heartbeat"}` about once per second while subscribed (OBSERVED);
 * - book snapshots come over the stream (`snapshotSource: 'stream'`); after a checksum mismatch the
 *   feed sends `resubscribeFrames(native)` (unsubscribe + subscribe of that symbol's book) to get a
 *   fresh snapshot. The REST `Depth` book exists for tooling only;
 * - instruments from REST `GET /0/public/AssetPairs` (the feed loads metadata over REST; the WS v2
 *   `instrument` channel carries the same precisions but the feed has no WS metadata path).
 */
import type { Instrument } from '@tickmesh/contracts';
import type { RestRequest, VenueAdapter } from '../core/adapter';
import {
  parseFrame,
  parseInstruments,
  parseSnapshot,
  type KrakenBookUpdate,
  type KrakenRestBook,
} from './parse';
import { KrakenBookSync } from './sync';

/** `depth` values of the v2 `book` channel ("Book (Level 2)"). */
export const KRAKEN_DEPTHS: readonly number[] = [10, 25, 100, 500, 1000];
/** Symbols per subscribe request. Kraken documents no public limit; kept small so one rejection names few. */
export const MAX_SYMBOLS_PER_REQUEST = 50;
/**
 * Streams (book + trade per symbol) per connection. Kraken documents no public limit (only the
 * authenticated `level3` channel's 200 symbols); 100 symbols per connection is a conservative choice.
 */
export const MAX_STREAMS_PER_CONNECTION = 200;
/** Client ping period. Kraken documents no idle timeout; the pong doubles as the stale-socket signal. */
export const PING_INTERVAL_MS = 10_000;
export const STALE_SOCKET_MS = 25_000;

export interface KrakenOptions {
  /** `book` depth: 10 (default), 25, 100, 500 or 1000 */
  depth?: number;
  /** venue id; default `kraken` */
  id?: string;
}

export interface KrakenAdapter extends VenueAdapter<KrakenBookUpdate, KrakenRestBook> {
  readonly depth: number;
  readonly snapshotSource: 'stream';
  resubscribeFrames(native: string): string[];
}

export function krakenAdapter(opts: KrakenOptions = {}): KrakenAdapter {
  const depth = opts.depth ?? 10;
  if (!KRAKEN_DEPTHS.includes(depth))
    throw new RangeError(`depth must be one of ${KRAKEN_DEPTHS.join(', ')}`);
  const id = opts.id ?? 'kraken';

  // req_id → the natives of that request, so a rejection without a `symbol` can still be attributed
  // when the request carried one symbol. A symbol's re-subscription reuses its own ids, so the map
  // does not grow with resyncs.
  const requests = new Map<number, readonly string[]>();
  const resubIds = new Map<string, number>();
  let nextReq = 1;
  const request = (
    method: 'subscribe' | 'unsubscribe',
    params: Record<string, unknown>,
    natives: readonly string[],
    reqId = nextReq++,
  ): string => {
    requests.set(reqId, natives);
    return JSON.stringify({ method, params, req_id: reqId });
  };
  const ctx = { requestSymbols: (reqId: number) => requests.get(reqId) };

  return {
    id,
    depth,
    snapshotSource: 'stream',
    defaults: {
      wsUrl: 'wss://ws.kraken.com',
      restUrl: 'https://api.kraken.com',
      maxStreamsPerConnection: MAX_STREAMS_PER_CONNECTION,
      streamsPerSymbol: 2,
      staleSocketMs: STALE_SOCKET_MS,
      clientPing: { intervalMs: PING_INTERVAL_MS, payload: '{"method":"ping"}' },
    },
    // Every pair (the REST pair filter takes REST names, not v2 symbols); the feed selects.
    instrumentsRequest: (): RestRequest => ({ path: '/0/public/AssetPairs', weight: 1 }),
    parseInstruments: (body) => parseInstruments(body, id),
    connectionUrl: (wsBase) => {
      const base = wsBase.replace(/\/+$/, '');
      return base.endsWith('/v2') ? base : `${base}/v2`;
    },
    subscribeFrames: (natives) => {
      const frames: string[] = [];
      for (let i = 0; i < natives.length; i += MAX_SYMBOLS_PER_REQUEST) {
        const symbol = natives.slice(i, i + MAX_SYMBOLS_PER_REQUEST);
        frames.push(request('subscribe', { channel: 'book', symbol, depth, snapshot: true }, symbol));
        frames.push(request('subscribe', { channel: 'trade', symbol, snapshot: false }, symbol));
      }
      return frames;
    },
    resubscribeFrames: (native) => {
      let base = resubIds.get(native);
      if (base === undefined) {
        base = nextReq;
        nextReq += 2;
        resubIds.set(native, base);
      }
      const symbol = [native];
      return [
        request('unsubscribe', { channel: 'book', symbol, depth }, symbol, base),
        request('subscribe', { channel: 'book', symbol, depth, snapshot: true }, symbol, base + 1),
      ];
    },
    parseFrame: (text, recvTs) => parseFrame(text, recvTs, ctx),
    // Tooling only (see README.md): the REST book shares no sequence with the stream.
    snapshotRequest: (native) => ({
      path: `/0/public/Depth?pair=${encodeURIComponent(native)}&count=${Math.min(depth, 500)}`,
      weight: 1,
    }),
    parseSnapshot,
    createSync: (instrument: Instrument) =>
      new KrakenBookSync({
        depth,
        ...(instrument.priceDecimals !== undefined ? { priceDecimals: instrument.priceDecimals } : {}),
        ...(instrument.sizeDecimals !== undefined ? { sizeDecimals: instrument.sizeDecimals } : {}),
      }),
  };
}
