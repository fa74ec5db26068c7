/**
 * Coinbase Advanced Trade frame and REST parsing: pure, typed, exact decimal text preserved.
 *
 * Data messages are envelopes `{"channel","client_id","timestamp","sequence_num","events":[..]}`;
 * every one yields a `connection-seq` event first (its `sequence_num`, judged per connection by
 * sequence.ts), then what its events mean. Errors are bare `{"type":"error","message":..}` objects
 * without a sequence number.
 */
import { isDecimalText, normalizedSymbol, type Instrument, type Level } from '@tickmesh/contracts';
import { VenueParseError } from '../core/adapter';
import { isDecimalAscii } from '../core/decimal';
import {
  checkEnvelope,
  checkErrorMessage,
  checkHeartbeatEvent,
  checkL2Event,
  checkMarketTradesEvent,
  checkProductBookResponse,
  checkProductsResponse,
  checkSubscriptionsEvent,
  type RawMarketTrade,
} from './raw';
import type { ConnectionFrameEvent } from './sequence';

/** One product's `l2_data` event, levels split by side and checked (the BookSync's update type). */
export interface L2Event {
  type: 'snapshot' | 'update';
  productId: string;
  bids: Level[];
  asks: Level[];
  /** the envelope `timestamp` (the venue's send time), µs */
  venueTs: number;
}

/** The REST product book (tooling only: books come from the level2 stream). */
export interface ProductBook {
  productId: string;
  bids: Level[];
  asks: Level[];
  /** `pricebook.time` in µs, 0 when absent */
  venueTs: number;
}

/**
 * Whose side `market_trades[].side` is. `maker` (the default): the side of the resting order, so
 * the taker is the opposite side (`BUY` → a taker sell). `taker`: the side as sent. See README.md.
 */
export type TradeSideMeaning = 'maker' | 'taker';

export interface FrameContext {
  /** products this adapter subscribed: an error naming one of them fails only that symbol */
  known?: (productId: string) => boolean;
  /** default `maker` */
  tradeSide?: TradeSideMeaning;
}

export type CoinbaseFrameEvent = ConnectionFrameEvent<L2Event>;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** `YYYY-MM-DD` of the last fast-path timestamp, and `Date.UTC` of that day (undefined: invalid day). */
let cachedDay = '';
let cachedDayMs: number | undefined;

function digits(text: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * RFC 3339 text → integer µs since the epoch, exactly (digits past µs are truncated; no float).
 * `2023-02-09T20:32:50.714964855Z` → 1675974770714964. Undefined when the text is not RFC 3339.
 *
 * Fast path for the shape Coinbase sends on every frame (`YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`): character
 * codes, the day's `Date.UTC` cached (consecutive frames share it); anything else takes the regex
 * path (`rfc3339ToMicrosStrict`), which defines the result.
 */
export function rfc3339ToMicros(text: string): number | undefined {
  const n = text.length;
  if (
    n < 20 ||
    n > 30 ||
    text.charCodeAt(n - 1) !== 90 /* Z */ ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  )
    return rfc3339ToMicrosStrict(text);
  const h = digits(text, 11, 13);
  const mi = digits(text, 14, 16);
  const s = digits(text, 17, 19);
  let frac = 0;
  if (n > 20) {
    // `.` and 1..9 digits, of which the first 6 count
    if (text.charCodeAt(19) !== 46 || n - 21 < 1 || n - 21 > 9) return rfc3339ToMicrosStrict(text);
    let scale = 100_000;
    for (let i = 20; i < n - 1; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return rfc3339ToMicrosStrict(text);
      if (scale >= 1) frac += c * scale;
      scale /= 10;
    }
  }
  if (h < 0 || mi < 0 || s < 0 || h > 23 || mi > 59 || s > 60) return rfc3339ToMicrosStrict(text);
  const day = text.slice(0, 10);
  if (day !== cachedDay) {
    const y = digits(text, 0, 4);
    const mo = digits(text, 5, 7);
    const d = digits(text, 8, 10);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return rfc3339ToMicrosStrict(text);
    const dayMs = Date.UTC(y, mo - 1, d);
    cachedDay = day;
    cachedDayMs = new Date(dayMs).getUTCDate() === d ? dayMs : undefined;
  }
  if (cachedDayMs === undefined) return rfc3339ToMicrosStrict(text); // 2023-02-30 (or a leap second on it)
  return (cachedDayMs + h * 3_600_000 + mi * 60_000 + s * 1000) * 1000 + frac;
}

/** `rfc3339ToMicros` by the RFC 3339 regex: every shape (offsets, lower case, space separator). */
export function rfc3339ToMicrosStrict(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d && s !== 60) return undefined; // 2023-02-30
  const frac = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const zone = m[8]!;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  return (ms - offsetMin * 60_000) * 1000 + frac;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VenueParseError('invalid JSON', text.slice(0, 200));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function micros(text: string, what: string, frame: string): number {
  const us = rfc3339ToMicros(text);
  if (us === undefined)
    throw new VenueParseError(
      `${what} is not RFC 3339: ${JSON.stringify(text.slice(0, 40))}`,
      frame.slice(0, 200),
    );
  return us;
}

/** Product ids (`BTC-USD`, `BTC-PERP-INTX`) named in free text. */
const PRODUCT_IN_TEXT = /[A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){1,3}/g;

export function productIdsInText(text: string): string[] {
  return [...new Set(text.match(PRODUCT_IN_TEXT) ?? [])];
}

export function parseFrame(text: string, ctx: FrameContext = {}): CoinbaseFrameEvent[] {
  const msg = parseJson(text);
  if (!isRecord(msg)) throw new VenueParseError('frame is not an object', text.slice(0, 200));
  if ('channel' in msg) return parseEnvelope(msg, text, ctx);
  if (msg['type'] === 'error') return parseError(msg, text, ctx);
  if (typeof msg['type'] === 'string')
    return [{ kind: 'ignored', reason: `message of type ${String(msg['type']).slice(0, 40)}` }];
  throw new VenueParseError('message without channel or type', text.slice(0, 200));
}

function parseEnvelope(msg: Record<string, unknown>, text: string, ctx: FrameContext): CoinbaseFrameEvent[] {
  if (!checkEnvelope.Check(msg)) throw new VenueParseError('malformed envelope', text.slice(0, 200));
  const out: CoinbaseFrameEvent[] = [{ kind: 'connection-seq', seq: msg.sequence_num }];
  switch (msg.channel) {
    case 'l2_data': {
      const venueTs = micros(msg.timestamp, 'timestamp', text);
      for (const ev of msg.events) out.push(l2Event(ev, venueTs, text));
      break;
    }
    case 'market_trades':
      for (const ev of msg.events) out.push(...tradeEvents(ev, text, ctx.tradeSide ?? 'maker'));
      break;
    case 'heartbeats':
      for (const ev of msg.events)
        if (!checkHeartbeatEvent.Check(ev))
          throw new VenueParseError('malformed heartbeat', text.slice(0, 200));
      out.push({ kind: 'heartbeat' });
      break;
    case 'subscriptions':
      for (const ev of msg.events)
        if (!checkSubscriptionsEvent.Check(ev))
          throw new VenueParseError('malformed subscriptions message', text.slice(0, 200));
      out.push({ kind: 'ack', id: null });
      break;
    default:
      out.push({ kind: 'ignored', reason: `unhandled channel ${msg.channel.slice(0, 40)}` });
  }
  if (out.length === 1) out.push({ kind: 'ignored', reason: `${msg.channel} message without events` });
  return out;
}

function l2Event(ev: unknown, venueTs: number, text: string): CoinbaseFrameEvent {
  if (!checkL2Event.Check(ev)) throw new VenueParseError('malformed l2_data event', text.slice(0, 200));
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (const u of ev.updates) {
    if (!isDecimalAscii(u.price_level) || !isDecimalAscii(u.new_quantity))
      throw new VenueParseError(
        `non-decimal level ${JSON.stringify([u.price_level, u.new_quantity])}`,
        text.slice(0, 200),
      );
    // the ask side is spelled "offer" on the wire; "ask" is accepted defensively (PROTOCOLS §4.1)
    if (u.side === 'bid') bids.push([u.price_level, u.new_quantity]);
    else if (u.side === 'offer' || u.side === 'ask') asks.push([u.price_level, u.new_quantity]);
    else throw new VenueParseError(`unknown level side ${JSON.stringify(u.side)}`, text.slice(0, 200));
  }
  return {
    kind: 'book',
    native: ev.product_id,
    update: { type: ev.type, productId: ev.product_id, bids, asks, venueTs },
  };
}

function takerSide(t: RawMarketTrade, meaning: TradeSideMeaning): 'buy' | 'sell' | 'unknown' {
  const s = t.side.toUpperCase();
  if (s !== 'BUY' && s !== 'SELL') return 'unknown';
  if (meaning === 'taker') return s === 'BUY' ? 'buy' : 'sell';
  return s === 'BUY' ? 'sell' : 'buy';
}

function tradeEvents(ev: unknown, text: string, meaning: TradeSideMeaning): CoinbaseFrameEvent[] {
  if (!checkMarketTradesEvent.Check(ev))
    throw new VenueParseError('malformed market_trades event', text.slice(0, 200));
  // The snapshot sent on subscribe lists trades from before the subscription: history, not live
  // prints (and duplicates after every reconnect). Only `update` events are published.
  if (ev.type === 'snapshot')
    return [{ kind: 'ignored', reason: `market_trades snapshot of ${ev.trades.length} past trades` }];
  const out: CoinbaseFrameEvent[] = [];
  for (const t of ev.trades) {
    if (!isDecimalText(t.price) || !isDecimalText(t.size))
      throw new VenueParseError(`non-decimal trade ${JSON.stringify([t.price, t.size])}`, text.slice(0, 200));
    out.push({
      kind: 'trade',
      native: t.product_id,
      trade: {
        id: String(t.trade_id),
        price: t.price,
        size: t.size,
        side: takerSide(t, meaning),
        venueTs: micros(t.time, 'trade time', text),
      },
    });
  }
  return out.length > 0 ? out : [{ kind: 'ignored', reason: 'empty trade batch' }];
}

function parseError(msg: Record<string, unknown>, text: string, ctx: FrameContext): CoinbaseFrameEvent[] {
  if (!checkErrorMessage.Check(msg)) throw new VenueParseError('malformed error message', text.slice(0, 200));
  const message = `coinbase error: ${msg.message}${msg.reason !== undefined && msg.reason !== '' ? `: ${msg.reason}` : ''}`;
  const natives = ctx.known === undefined ? [] : productIdsInText(message).filter((p) => ctx.known!(p));
  if (natives.length === 0) return [{ kind: 'error', message }];
  return natives.map((native) => ({ kind: 'error', message, native }));
}

function decimalsOf(step: string | undefined): number | undefined {
  if (step === undefined || !isDecimalText(step)) return undefined;
  const trimmed = step.replace(/0+$/, '');
  const dot = trimmed.indexOf('.');
  return dot === -1 ? 0 : trimmed.length - dot - 1;
}

/**
 * `GET /api/v3/brokerage/market/products?product_type=SPOT` → instruments `BASE-QUOTE` from
 * `base_currency_id` / `quote_currency_id` (never split from the product id). Kept: `SPOT`, not
 * `is_disabled`, `status` `online` (when sent), and no `alias`: an aliased product (`BTC-USDC`,
 * alias `BTC-USD`) returns its alias's market data on public channels, so it is left out and a
 * configured `BTC-USDC` is reported unknown instead of never going live. USD, USDC and USDT are
 * never merged.
 */
export function parseInstruments(body: string, venue: string): Instrument[] {
  const msg = parseJson(body);
  if (!checkProductsResponse.Check(msg))
    throw new VenueParseError('malformed products response', body.slice(0, 200));
  const out: Instrument[] = [];
  for (const p of msg.products) {
    if (p.product_type.toUpperCase() !== 'SPOT') continue;
    if (p.is_disabled === true) continue;
    if (p.status !== undefined && p.status.toLowerCase() !== 'online') continue;
    if (p.alias !== undefined && p.alias !== '') continue;
    let symbol: string;
    try {
      symbol = normalizedSymbol(p.base_currency_id, p.quote_currency_id, 'spot');
    } catch {
      continue;
    }
    const inst: Instrument = {
      venue,
      symbol,
      native: p.product_id,
      base: p.base_currency_id.toUpperCase(),
      quote: p.quote_currency_id.toUpperCase(),
      kind: 'spot',
    };
    const tick =
      p.price_increment !== undefined && p.price_increment !== '' ? p.price_increment : p.quote_increment;
    const pd = decimalsOf(tick);
    const sd = decimalsOf(p.base_increment);
    if (pd !== undefined) inst.priceDecimals = pd;
    if (sd !== undefined) inst.sizeDecimals = sd;
    out.push(inst);
  }
  return out;
}

/** `GET /api/v3/brokerage/market/product_book?product_id=` → its levels (decimal text checked). */
export function parseSnapshot(body: string): ProductBook {
  const msg = parseJson(body);
  if (!checkProductBookResponse.Check(msg))
    throw new VenueParseError('malformed product_book response', body.slice(0, 200));
  const side = (entries: readonly { price: string; size: string }[]): Level[] =>
    entries.map((e) => {
      if (!isDecimalText(e.price) || !isDecimalText(e.size))
        throw new VenueParseError(
          `non-decimal level ${JSON.stringify([e.price, e.size])}`,
          body.slice(0, 200),
        );
      return [e.price, e.size];
    });
  const pb = msg.pricebook;
  return {
    productId: pb.product_id,
    bids: side(pb.bids),
    asks: side(pb.asks),
    venueTs: pb.time === undefined ? 0 : (rfc3339ToMicros(pb.time) ?? 0),
  };
}
