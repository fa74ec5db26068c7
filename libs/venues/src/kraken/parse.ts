/**
 * Kraken Spot WebSocket v2 frame and REST parsing: pure, typed, exact decimal text preserved.
 *
 * Frames are either channel pushes (`{"channel":"book"|"trade"|"heartbeat"|"status",...}`) or
 * replies to client requests (`{"method":"subscribe"|"unsubscribe"|"pong",...}`). Frames are parsed
 * losslessly (json-lossless.ts): prices and quantities are JSON numbers whose literal text is the
 * instrument-precision text the checksum needs. Timestamps are RFC 3339 with µs and become integer
 * µs since the epoch, exactly.
 */
import { isDecimalText, normalizedSymbol, type Instrument, type Level } from '@tickmesh/contracts';
import { VenueParseError, type FrameEvent } from '../core/adapter';
import { JsonNumber, parseJsonLossless } from './json-lossless';
import {
  checkAssetPair,
  checkAssetPairsResult,
  checkBookMessage,
  checkMethodReply,
  checkRestDepth,
  checkRestEnvelope,
  checkStatusMessage,
  checkTradeMessage,
  type BookData,
  type MethodReply,
} from './raw';

/** One symbol's book message, parsed: what `KrakenBookSync.onUpdate` consumes. */
export interface KrakenBookUpdate {
  type: 'snapshot' | 'update';
  /** native v2 symbol, `BTC/USD` */
  symbol: string;
  /** levels in message order, exact wire text; qty 0 removes */
  bids: Level[];
  asks: Level[];
  /** the unsigned CRC32 Kraken computed over its top 10 levels per side after this message */
  checksum: number;
  /** the message's `timestamp` in µs since the epoch (the receive time when it has none) */
  venueTs: number;
}

/** `GET /0/public/Depth` (tooling only: it cannot be aligned with the stream, see README.md). */
export interface KrakenRestBook {
  bids: Level[];
  asks: Level[];
}

export interface FrameContext {
  /** the native symbols a subscribe request (by `req_id`) carried, to attribute a rejection */
  requestSymbols?: (reqId: number) => readonly string[] | undefined;
}

/** v1/REST asset codes that WS v2 spells differently (PROTOCOLS.md §3.4; normalization.json). */
export const V1_ASSET_ALIASES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** AssetPairs statuses whose book is published (market data flows; trading may be restricted). */
export const LISTED_STATUSES: readonly string[] = [
  'online',
  'cancel_only',
  'post_only',
  'limit_only',
  'reduce_only',
];

const MAX_CHECKSUM = 0xffffffff;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** RFC 3339 UTC timestamp (`2023-10-06T17:35:55.440295Z`) → integer µs since the epoch, exactly. */
export function rfc3339ToUs(ts: string): number {
  const m = RFC3339_RE.exec(ts);
  if (m === null) throw new VenueParseError(`invalid timestamp ${JSON.stringify(ts.slice(0, 40))}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const date = new Date(ms);
  if (Number.isNaN(ms) || date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1)
    throw new VenueParseError(`invalid timestamp ${JSON.stringify(ts)}`);
  const us = frac === undefined ? 0 : Number(frac.padEnd(6, '0').slice(0, 6));
  return ms * 1000 + us;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function parseFrameJson(text: string): unknown {
  try {
    return parseJsonLossless(text);
  } catch (err) {
    throw new VenueParseError(`invalid JSON: ${(err as Error).message}`, text.slice(0, 200));
  }
}

/** A JSON number that must be a non-negative plain decimal (no sign, no exponent). */
function decimalText(n: JsonNumber, what: string, text: string): string {
  if (!isDecimalText(n.text))
    throw new VenueParseError(`non-decimal ${what} ${JSON.stringify(n.text)}`, text.slice(0, 200));
  return n.text;
}

function integerText(n: JsonNumber, what: string, text: string): string {
  if (!/^\d{1,20}$/.test(n.text))
    throw new VenueParseError(`non-integer ${what} ${JSON.stringify(n.text)}`, text.slice(0, 200));
  return n.text;
}

export function parseFrame(
  text: string,
  recvTs: number,
  ctx: FrameContext = {},
): FrameEvent<KrakenBookUpdate>[] {
  const msg = parseFrameJson(text);
  if (!isRecord(msg)) throw new VenueParseError('frame is not an object', text.slice(0, 200));
  const channel = msg['channel'];
  if (typeof channel === 'string') {
    switch (channel) {
      case 'book':
        return parseBook(msg, text, recvTs);
      case 'trade':
        return parseTrades(msg, text);
      case 'heartbeat':
        return [{ kind: 'heartbeat' }];
      case 'status':
        if (!checkStatusMessage.Check(msg)) throw new VenueParseError('malformed status', text.slice(0, 200));
        return [
          {
            kind: 'ignored',
            reason: `status: system ${msg.data.map((d) => d.system ?? '?').join(',')}`.slice(0, 120),
          },
        ];
      default:
        return [{ kind: 'ignored', reason: `unhandled channel ${channel.slice(0, 40)}` }];
    }
  }
  if ('method' in msg) return parseMethodReply(msg, text, ctx);
  return [{ kind: 'ignored', reason: 'message without channel or method' }];
}

function parseBook(
  msg: Record<string, unknown>,
  text: string,
  recvTs: number,
): FrameEvent<KrakenBookUpdate>[] {
  if (!checkBookMessage.Check(msg)) throw new VenueParseError('malformed book message', text.slice(0, 200));
  if (msg.data.length === 0) return [{ kind: 'ignored', reason: 'book message without data' }];
  // validate every element before emitting any, so a bad frame is rejected as a whole
  const updates = msg.data.map((d) => bookUpdate(msg.type, d, text, recvTs));
  return updates.map((update) => ({ kind: 'book', native: update.symbol, update }));
}

function bookUpdate(
  type: 'snapshot' | 'update',
  d: BookData,
  text: string,
  recvTs: number,
): KrakenBookUpdate {
  const side = (levels: BookData['bids'], name: string): Level[] =>
    levels.map((l): Level => [decimalText(l.price, `${name} price`, text), decimalText(l.qty, 'qty', text)]);
  const checksum = Number(integerText(d.checksum, 'checksum', text));
  if (checksum > MAX_CHECKSUM)
    throw new VenueParseError(`checksum ${d.checksum.text} exceeds 32 bits`, text.slice(0, 200));
  return {
    type,
    symbol: d.symbol,
    bids: side(d.bids, 'bid'),
    asks: side(d.asks, 'ask'),
    checksum,
    venueTs: d.timestamp === undefined ? recvTs : timestampUs(d.timestamp, text),
  };
}

function timestampUs(ts: string, text: string): number {
  try {
    return rfc3339ToUs(ts);
  } catch (err) {
    throw new VenueParseError((err as Error).message, text.slice(0, 200));
  }
}

function parseTrades(msg: Record<string, unknown>, text: string): FrameEvent<KrakenBookUpdate>[] {
  if (!checkTradeMessage.Check(msg)) throw new VenueParseError('malformed trade message', text.slice(0, 200));
  const out: FrameEvent<KrakenBookUpdate>[] = msg.data.map((t) => ({
    kind: 'trade',
    native: t.symbol,
    trade: {
      id: integerText(t.trade_id, 'trade_id', text),
      price: decimalText(t.price, 'trade price', text),
      size: decimalText(t.qty, 'trade qty', text),
      // `side` is the taker's side
      side: t.side,
      venueTs: timestampUs(t.timestamp, text),
    },
  }));
  // A snapshot replays recent trades already published before a reconnect: never republish them.
  // (The adapter subscribes with `snapshot: false`; this guards against a venue that sends one.)
  if (msg.type === 'snapshot')
    return [{ kind: 'ignored', reason: `trade snapshot (${out.length} historical trades) not republished` }];
  return out.length > 0 ? out : [{ kind: 'ignored', reason: 'empty trade batch' }];
}

function parseMethodReply(
  msg: Record<string, unknown>,
  text: string,
  ctx: FrameContext,
): FrameEvent<KrakenBookUpdate>[] {
  if (!checkMethodReply.Check(msg)) throw new VenueParseError('malformed method reply', text.slice(0, 200));
  const reqId = msg.req_id === undefined ? null : Number(integerText(msg.req_id, 'req_id', text));
  if (msg.method === 'pong') return [{ kind: 'heartbeat' }];
  if (msg.success === true) {
    if (msg.method === 'subscribe' || msg.method === 'unsubscribe') return [{ kind: 'ack', id: reqId }];
    return [{ kind: 'ignored', reason: `unhandled reply to ${msg.method.slice(0, 40)}` }];
  }
  return rejection(msg, reqId, ctx);
}

function rejection(
  msg: MethodReply,
  reqId: number | null,
  ctx: FrameContext,
): FrameEvent<KrakenBookUpdate>[] {
  const message = `kraken ${msg.method} rejected: ${msg.error ?? 'no error text'}`;
  // Re-subscribing a live subscription, or unsubscribing one that is gone, is harmless.
  if (/already subscribed/i.test(msg.error ?? '')) return [{ kind: 'ignored', reason: message }];
  if (msg.method === 'unsubscribe') return [{ kind: 'ignored', reason: message }];
  if (msg.method !== 'subscribe') return [{ kind: 'error', message }];
  if (msg.symbol !== undefined && msg.symbol !== '') return [{ kind: 'error', message, native: msg.symbol }];
  const carried = reqId === null ? undefined : ctx.requestSymbols?.(reqId);
  if (carried !== undefined && carried.length === 1) return [{ kind: 'error', message, native: carried[0]! }];
  return [{ kind: 'error', message }];
}

function parseRest(body: string, what: string): unknown {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch {
    throw new VenueParseError(`invalid JSON in ${what} response`, body.slice(0, 200));
  }
  if (!checkRestEnvelope.Check(msg))
    throw new VenueParseError(`malformed ${what} response`, body.slice(0, 200));
  if (msg.error.length > 0)
    throw new VenueParseError(`kraken ${what} error: ${msg.error.join('; ')}`, body.slice(0, 200));
  return msg.result;
}

/** v1/REST asset code → the WS v2 code (`XBT` → `BTC`, `XDG` → `DOGE`). */
export function v2Asset(code: string): string {
  return V1_ASSET_ALIASES[code] ?? code;
}

/**
 * `GET /0/public/AssetPairs` → instruments. The WS v2 symbol and the assets come from `wsname`
 * (the v1 WebSocket name, `XBT/USD`) with the v1 aliases mapped (`BTC/USD`); the pair key
 * (`XXBTZUSD`) and the REST asset ids (`XXBT`, `ZUSD`) are not used. `pair_decimals` is the price
 * precision and `lot_decimals` the qty precision (the WS v2 `price_precision`/`qty_precision`).
 * Pairs without `wsname`, with a status outside `LISTED_STATUSES`, or whose assets cannot form a
 * normalized symbol are skipped (a configured symbol among them is reported unknown by the feed).
 */
export function parseInstruments(body: string, venue: string): Instrument[] {
  const result = parseRest(body, 'AssetPairs');
  if (!checkAssetPairsResult.Check(result))
    throw new VenueParseError('malformed AssetPairs result', body.slice(0, 200));
  const out: Instrument[] = [];
  const seen = new Set<string>();
  for (const pair of Object.values(result)) {
    if (!checkAssetPair.Check(pair)) throw new VenueParseError('malformed asset pair', body.slice(0, 200));
    if (pair.wsname === undefined) continue;
    if (pair.status !== undefined && !LISTED_STATUSES.includes(pair.status)) continue;
    const parts = pair.wsname.split('/');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') continue;
    const base = v2Asset(parts[0]!);
    const quote = v2Asset(parts[1]!);
    let symbol: string;
    try {
      symbol = normalizedSymbol(base, quote, 'spot');
    } catch {
      continue;
    }
    const native = `${base}/${quote}`;
    if (seen.has(native)) continue;
    seen.add(native);
    out.push({
      venue,
      symbol,
      native,
      base: base.toUpperCase(),
      quote: quote.toUpperCase(),
      kind: 'spot',
      priceDecimals: pair.pair_decimals,
      sizeDecimals: pair.lot_decimals,
    });
  }
  return out;
}

/** `GET /0/public/Depth?pair=..&count=..` → its single book (decimal text checked). */
export function parseSnapshot(body: string): KrakenRestBook {
  const result = parseRest(body, 'Depth');
  if (!isRecord(result)) throw new VenueParseError('malformed Depth result', body.slice(0, 200));
  const books = Object.values(result);
  if (books.length !== 1 || !checkRestDepth.Check(books[0]))
    throw new VenueParseError('malformed Depth result', body.slice(0, 200));
  const side = (levels: readonly (readonly [string, string, number])[]): Level[] =>
    levels.map((l): Level => {
      if (!isDecimalText(l[0]) || !isDecimalText(l[1]))
        throw new VenueParseError(`non-decimal level ${JSON.stringify(l)}`, body.slice(0, 200));
      return [l[0], l[1]];
    });
  return { bids: side(books[0].bids), asks: side(books[0].asks) };
}
