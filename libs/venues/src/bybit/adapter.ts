/**
 * Bybit v5 public adapter, one per category (`spot` → venue id `bybit`, `linear` → `bybitlinear`;
 * venue ids are `[a-z0-9]+`). Connect/subscribe/heartbeat rules from "Connect"
 * (wss-authentication.mdx), book rules from orderbook.mdx (see sync.ts and README.md):
 *
 * - URL `<wsBase>/v5/public/<category>` (`wss://stream.bybit.com/v5/public/spot`);
 * - `{"op":"subscribe","args":[...],"req_id":".."}` with at most 10 args per request (the spot
 *   limit, used for both categories) and both topics of a symbol in the same request;
 * - the client sends `{"op":"ping"}` every 20 s (the docs' recommendation); the pong is a frame, so
 *   the stale-socket window only has to exceed that period;
 * - the book snapshot comes over the stream (`snapshotSource: 'stream'`): the REST snapshot request
 *   exists for tooling only. After a gap the feed must re-subscribe the symbol's book topic
 *   (`resubscribeFrames`) to get a fresh snapshot.
 */
import type { Instrument } from '@tickmesh/contracts';
import type { RestRequest, VenueAdapter } from '../core/adapter';
import { parseFrame, parseInstruments, parseSnapshot, type BybitCategory } from './parse';
import type { OrderbookMessage, RestOrderbook } from './raw';
import { BybitBookSync } from './sync';

export interface BybitOptions {
  category?: BybitCategory;
  /** `orderbook.{depth}` topic: 1, 50, 200 or 1000 (spot and linear). Default 50. */
  depth?: number;
  /** venue id; default `bybit` (spot) / `bybitlinear` (linear) */
  id?: string;
}

export const BYBIT_DEPTHS: readonly number[] = [1, 50, 200, 1000];
/** "Spot: at most 10 args per subscribe request" (Connect, "Args limits"). */
export const MAX_ARGS_PER_REQUEST = 10;
/**
 * The docs cap the `args` of one connection at 21,000 characters; ~63 characters per symbol
 * (two topics, quoted) with 16-character symbols allows ~330 symbols. 200 leaves a wide margin.
 */
export const MAX_STREAMS_PER_CONNECTION = 400;
export const PING_INTERVAL_MS = 20_000;

/**
 * What the Bybit adapter adds to `VenueAdapter`. Both members are proposed additions to the core
 * interface (see README.md): the engine/feed need them to resync a stream-snapshot venue.
 */
export interface BybitAdapter extends VenueAdapter<OrderbookMessage, RestOrderbook> {
  readonly category: BybitCategory;
  readonly depth: number;
  /** where the book snapshot comes from: Bybit depth streams send it on subscribe */
  readonly snapshotSource: 'stream';
  /** frames that make the venue send a fresh snapshot of one symbol (unsubscribe + subscribe) */
  resubscribeFrames(native: string): string[];
}

export function bookTopic(depth: number, native: string): string {
  return `orderbook.${depth}.${native}`;
}

export function tradeTopic(native: string): string {
  return `publicTrade.${native}`;
}

export function bybitAdapter(opts: BybitOptions = {}): BybitAdapter {
  const category = opts.category ?? 'spot';
  const depth = opts.depth ?? 50;
  if (category !== 'spot' && category !== 'linear')
    throw new RangeError(`unsupported category ${String(category)}`);
  if (!BYBIT_DEPTHS.includes(depth)) throw new RangeError(`depth must be one of ${BYBIT_DEPTHS.join(', ')}`);
  const id = opts.id ?? (category === 'spot' ? 'bybit' : 'bybitlinear');

  // req_id → the natives of that request, so a rejection without a topic in its text can still be
  // attributed when the request carried one symbol. Ids are stable: frames are resent on reconnect,
  // and a symbol's re-subscription always reuses its own ids (the map does not grow with resyncs).
  const requests = new Map<string, readonly string[]>();
  let nextReq = 1;
  const frame = (
    reqId: string,
    op: 'subscribe' | 'unsubscribe',
    args: string[],
    natives: readonly string[],
  ): string => {
    requests.set(reqId, natives);
    return JSON.stringify({ req_id: reqId, op, args });
  };
  const ctx = { depth, requestSymbols: (reqId: string) => requests.get(reqId) };
  const perRequest = Math.floor(MAX_ARGS_PER_REQUEST / 2);

  return {
    id,
    category,
    depth,
    snapshotSource: 'stream',
    defaults: {
      wsUrl: 'wss://stream.bybit.com',
      restUrl: 'https://api.bybit.com',
      maxStreamsPerConnection: MAX_STREAMS_PER_CONNECTION,
      streamsPerSymbol: 2,
      staleSocketMs: 2 * PING_INTERVAL_MS,
      clientPing: { intervalMs: PING_INTERVAL_MS, payload: '{"op":"ping"}' },
    },
    // Spot has no pagination; linear has more than 500 symbols (default page size): ask for 1000.
    instrumentsRequest: (): RestRequest => ({
      path: `/v5/market/instruments-info?category=${category}${category === 'linear' ? '&limit=1000' : ''}`,
      weight: 1,
    }),
    parseInstruments: (body) => parseInstruments(body, category, id),
    connectionUrl: (wsBase) => `${wsBase.replace(/\/$/, '')}/v5/public/${category}`,
    subscribeFrames: (natives) => {
      const frames: string[] = [];
      for (let i = 0; i < natives.length; i += perRequest) {
        const chunk = natives.slice(i, i + perRequest);
        const args = chunk.flatMap((n) => [bookTopic(depth, n), tradeTopic(n)]);
        frames.push(frame(`s${nextReq++}`, 'subscribe', args, chunk));
      }
      return frames;
    },
    resubscribeFrames: (native) => [
      frame(`u-${native}`, 'unsubscribe', [bookTopic(depth, native)], [native]),
      frame(`r-${native}`, 'subscribe', [bookTopic(depth, native)], [native]),
    ],
    parseFrame: (text) => parseFrame(text, ctx),
    snapshotRequest: (native) => ({
      path: `/v5/market/orderbook?category=${category}&symbol=${encodeURIComponent(native)}&limit=${depth}`,
      weight: 1,
    }),
    parseSnapshot,
    createSync: (_instrument: Instrument) => new BybitBookSync(depth),
  };
}
