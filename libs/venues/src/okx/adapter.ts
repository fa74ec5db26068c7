/**
 * OKX v5 public adapter, one per instrument type (`SPOT` → venue id `okx`, `SWAP` → `okxswap`;
 * venue ids are `[a-z0-9]+`). Rules from PROTOCOLS.md §5 (see README.md):
 *
 * - URL `<wsBase>/ws/v5/public` (`wss://ws.okx.com:8443/ws/v5/public`), REST `https://www.okx.com`;
 * - `{"id":"s1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}`;
 *   one request per connection shard (well below the 64 KB request limit; 480 requests per hour
 *   per connection);
 * - fewer than 30 `books` (400-level) channels per connection ("use several connections with fewer
 *   than 30 channels each"): 29 symbols (58 streams) per connection;
 * - keep-alive: the client sends the text `ping` every 20 s (< 30 s, after which OKX drops a
 *   connection that received no data); the `pong` is a frame, so the stale window is 40 s;
 * - snapshots: 'stream' (default) — the WS `snapshot` after each subscription; a gap re-subscribes
 *   the symbol's book channel (`resubscribeFrames`). 'rest' — the post-2026 procedure: the book is
 *   synced from `GET /api/v5/market/books?instId=&sz=400` + seqId (see sync.ts).
 */
import type { Instrument } from '@tickmesh/contracts';
import type { RestRequest, VenueAdapter } from '../core/adapter';
import { parseFrame, parseInstruments, parseSnapshot, type OkxInstType } from './parse';
import type { OkxBookUpdate, RestBook } from './raw';
import { BOOKS_DEPTH, OkxBookSync, type OkxSnapshotMode } from './sync';

export interface OkxOptions {
  instType?: OkxInstType;
  /** where book snapshots come from; default 'stream' (see sync.ts) */
  snapshotMode?: OkxSnapshotMode;
  /** verify non-zero checksums (default true; OKX sends 0 from 23 Jun 2026) */
  verifyChecksum?: boolean;
  /** venue id; default `okx` (SPOT) / `okxswap` (SWAP) */
  id?: string;
}

export const BOOK_CHANNEL = 'books';
export const TRADE_CHANNEL = 'trades';
/** "fewer than 30 channels each" for 400-depth books: 29 book + 29 trade channels. */
export const MAX_STREAMS_PER_CONNECTION = 58;
export const PING_INTERVAL_MS = 20_000;
/** Symbols per subscribe request: 2 args each, far below the 64 KB request limit. */
export const SYMBOLS_PER_REQUEST = 100;

export interface OkxAdapter extends VenueAdapter<OkxBookUpdate, RestBook> {
  readonly instType: OkxInstType;
  readonly snapshotMode: OkxSnapshotMode;
  readonly snapshotSource: 'stream' | 'rest';
  resubscribeFrames(native: string): string[];
}

export function okxAdapter(opts: OkxOptions = {}): OkxAdapter {
  const instType = opts.instType ?? 'SPOT';
  if (instType !== 'SPOT' && instType !== 'SWAP')
    throw new RangeError(`unsupported instType ${String(instType)}`);
  const snapshotMode = opts.snapshotMode ?? 'stream';
  if (snapshotMode !== 'stream' && snapshotMode !== 'rest')
    throw new RangeError(`unsupported snapshotMode ${String(snapshotMode)}`);
  const id = opts.id ?? (instType === 'SPOT' ? 'okx' : 'okxswap');
  const verifyChecksum = opts.verifyChecksum ?? true;

  // request id → what it carried, so an error without an instrument in its text can still be
  // attributed when the request had one symbol. Ids are stable ("alphanumeric, up to 32"): a
  // symbol's re-subscription always reuses its own ids, so the maps do not grow with resyncs.
  const requests = new Map<string, { natives: readonly string[]; op: 'subscribe' | 'unsubscribe' }>();
  const subscribed = new Set<string>();
  const symbolIndex = new Map<string, number>();
  let nextReq = 1;
  const frame = (
    reqId: string,
    op: 'subscribe' | 'unsubscribe',
    natives: readonly string[],
    channels: string[],
  ) => {
    requests.set(reqId, { natives, op });
    const args = natives.flatMap((instId) => channels.map((channel) => ({ channel, instId })));
    return JSON.stringify({ id: reqId, op, args });
  };
  const indexOf = (native: string): number => {
    let i = symbolIndex.get(native);
    if (i === undefined) symbolIndex.set(native, (i = symbolIndex.size + 1));
    return i;
  };
  const ctx = {
    bookChannel: BOOK_CHANNEL,
    request: (reqId: string) => requests.get(reqId),
    isSubscribed: (native: string) => subscribed.has(native),
  };

  return {
    id,
    instType,
    snapshotMode,
    snapshotSource: snapshotMode,
    defaults: {
      wsUrl: 'wss://ws.okx.com:8443',
      restUrl: 'https://www.okx.com',
      maxStreamsPerConnection: MAX_STREAMS_PER_CONNECTION,
      streamsPerSymbol: 2,
      staleSocketMs: 2 * PING_INTERVAL_MS,
      clientPing: { intervalMs: PING_INTERVAL_MS, payload: 'ping' },
    },
    instrumentsRequest: (): RestRequest => ({
      path: `/api/v5/public/instruments?instType=${instType}`,
      weight: 1,
    }),
    parseInstruments: (body) => parseInstruments(body, instType, id),
    connectionUrl: (wsBase) => `${wsBase.replace(/\/$/, '')}/ws/v5/public`,
    subscribeFrames: (natives) => {
      const frames: string[] = [];
      for (let i = 0; i < natives.length; i += SYMBOLS_PER_REQUEST) {
        const chunk = natives.slice(i, i + SYMBOLS_PER_REQUEST);
        for (const n of chunk) subscribed.add(n);
        frames.push(frame(`s${nextReq++}`, 'subscribe', chunk, [BOOK_CHANNEL, TRADE_CHANNEL]));
      }
      return frames;
    },
    // OKX sends a fresh snapshot after a subscription: drop the book channel and take it again
    resubscribeFrames: (native) => {
      const k = indexOf(native);
      return [
        frame(`u${k}`, 'unsubscribe', [native], [BOOK_CHANNEL]),
        frame(`r${k}`, 'subscribe', [native], [BOOK_CHANNEL]),
      ];
    },
    parseFrame: (text) => parseFrame(text, ctx),
    snapshotRequest: (native) => ({
      path: `/api/v5/market/books?instId=${encodeURIComponent(native)}&sz=${BOOKS_DEPTH}`,
      weight: 1,
    }),
    parseSnapshot: (body) => parseSnapshot(body, snapshotMode === 'rest'),
    createSync: (_instrument: Instrument) =>
      new OkxBookSync({ mode: snapshotMode, depth: BOOKS_DEPTH, verifyChecksum }),
  };
}
