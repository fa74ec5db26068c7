/**
 * Bybit v5 public frame and REST parsing: pure, typed, exact decimal text preserved.
 *
 * Frames are either data pushes with a `topic` (`orderbook.{depth}.{symbol}`,
 * `publicTrade.{symbol}`) or replies to client ops (`{"success":..,"ret_msg":..,"op":..}`).
 * Timestamps are ms; they become µs with `Math.round(ms * 1000)`, which is exact for Bybit's
 * integer ms and keeps the µs fraction the simulator adds (see README.md).
 */
import { isDecimalText, normalizedSymbol, type Instrument, type Level } from '@tickmesh/contracts';
import { VenueParseError, type FrameEvent } from '../core/adapter';
import {
  checkInstrumentsResult,
  checkOpReply,
  checkOrderbookMessage,
  checkPublicTradeMessage,
  checkRestEnvelope,
  checkRestOrderbook,
  type OrderbookMessage,
  type RestOrderbook,
} from './raw';

export type BybitCategory = 'spot' | 'linear';

export interface FrameContext {
  /** only `orderbook.{depth}.*` is followed; other depths are ignored (all when undefined) */
  depth?: number;
  /** the native symbols a subscribe request (by `req_id`) carried, to attribute a rejection */
  requestSymbols?: (reqId: string) => readonly string[] | undefined;
}

/** ms (possibly with a µs fraction) → integer µs. */
export function msToUs(ms: number): number {
  return Math.round(ms * 1000);
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

function checkLevels(levels: readonly (readonly [string, string])[], text: string): void {
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (!isDecimalText(l[0]) || !isDecimalText(l[1])) {
      throw new VenueParseError(`non-decimal level ${JSON.stringify(l)}`, text.slice(0, 200));
    }
  }
}

/** Topics named in a rejection's `ret_msg` (`...,topic:publicTrade.X`, `Invalid symbol :[orderbook.50.X]`). */
const TOPIC_IN_TEXT = /(?:orderbook\.[0-9a-z]+|publicTrade)\.([A-Za-z0-9_-]+)/g;

export function symbolsInText(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(TOPIC_IN_TEXT)) out.add(m[1]!);
  return [...out];
}

export function parseFrame(text: string, ctx: FrameContext = {}): FrameEvent<OrderbookMessage>[] {
  const msg = parseJson(text);
  if (!isRecord(msg)) throw new VenueParseError('frame is not an object', text.slice(0, 200));
  const topic = msg['topic'];
  if (typeof topic === 'string') {
    if (topic.startsWith('orderbook.')) return parseOrderbook(msg, topic, text, ctx);
    if (topic.startsWith('publicTrade.')) return parseTrades(msg, text);
    return [{ kind: 'ignored', reason: `unhandled topic ${topic.slice(0, 80)}` }];
  }
  if ('op' in msg) return parseOpReply(msg, text, ctx);
  return [{ kind: 'ignored', reason: 'message without topic or op' }];
}

function parseOrderbook(
  msg: Record<string, unknown>,
  topic: string,
  text: string,
  ctx: FrameContext,
): FrameEvent<OrderbookMessage>[] {
  if (!checkOrderbookMessage.Check(msg))
    throw new VenueParseError('malformed orderbook message', text.slice(0, 200));
  const parts = topic.split('.');
  if (parts.length !== 3 || parts[2] !== msg.data.s)
    throw new VenueParseError(`topic ${topic} does not match symbol ${msg.data.s}`, text.slice(0, 200));
  checkLevels(msg.data.b, text);
  checkLevels(msg.data.a, text);
  if (ctx.depth !== undefined && parts[1] !== String(ctx.depth))
    return [{ kind: 'ignored', reason: `not the followed depth: ${topic}` }];
  return [{ kind: 'book', native: msg.data.s, update: msg }];
}

function parseTrades(msg: Record<string, unknown>, text: string): FrameEvent<OrderbookMessage>[] {
  if (!checkPublicTradeMessage.Check(msg))
    throw new VenueParseError('malformed publicTrade', text.slice(0, 200));
  const out: FrameEvent<OrderbookMessage>[] = [];
  for (const t of msg.data) {
    if (!isDecimalText(t.p) || !isDecimalText(t.v))
      throw new VenueParseError(`non-decimal trade ${JSON.stringify([t.p, t.v])}`, text.slice(0, 200));
    out.push({
      kind: 'trade',
      native: t.s,
      // `S` is the taker side (trade.mdx)
      trade: { id: t.i, price: t.p, size: t.v, side: t.S === 'Buy' ? 'buy' : 'sell', venueTs: msToUs(t.T) },
    });
  }
  return out.length > 0 ? out : [{ kind: 'ignored', reason: 'empty trade batch' }];
}

function parseOpReply(
  msg: Record<string, unknown>,
  text: string,
  ctx: FrameContext,
): FrameEvent<OrderbookMessage>[] {
  // option/spread-style pong: {"args":["<ms>"],"op":"pong"}
  if (msg['op'] === 'pong') return [{ kind: 'heartbeat' }];
  if (!checkOpReply.Check(msg)) throw new VenueParseError('malformed op reply', text.slice(0, 200));
  const reqId = msg.req_id === undefined || msg.req_id === '' ? null : msg.req_id;
  if (msg.success) {
    if (msg.op === 'ping' || msg.ret_msg === 'pong') return [{ kind: 'heartbeat' }];
    if (msg.op === 'subscribe' || msg.op === 'unsubscribe') return [{ kind: 'ack', id: reqId }];
    return [{ kind: 'ignored', reason: `unhandled op reply ${msg.op}` }];
  }
  const message = `bybit ${msg.op} rejected: ${msg.ret_msg}`;
  // Re-subscribing a live topic is harmless (the stream continues); never fail a symbol for it.
  if (/already subscribed/i.test(msg.ret_msg)) return [{ kind: 'ignored', reason: message }];
  if (msg.op !== 'subscribe') return [{ kind: 'error', message }];
  let natives = symbolsInText(msg.ret_msg);
  if (natives.length === 0 && reqId !== null) {
    const carried = ctx.requestSymbols?.(reqId);
    if (carried !== undefined && carried.length === 1) natives = [...carried];
  }
  if (natives.length === 0) return [{ kind: 'error', message }];
  return natives.map((native) => ({ kind: 'error', message, native }));
}

function envelopeResult(body: string, what: string): unknown {
  const msg = parseJson(body);
  if (!checkRestEnvelope.Check(msg))
    throw new VenueParseError(`malformed ${what} response`, body.slice(0, 200));
  if (msg.retCode !== 0)
    throw new VenueParseError(`bybit ${what} error ${msg.retCode}: ${msg.retMsg}`, body.slice(0, 200));
  return msg.result;
}

/** `GET /v5/market/orderbook` → its `result` (decimal text checked). */
export function parseSnapshot(body: string): RestOrderbook {
  const result = envelopeResult(body, 'orderbook');
  if (!checkRestOrderbook.Check(result))
    throw new VenueParseError('malformed orderbook result', body.slice(0, 200));
  checkLevels(result.b, body);
  checkLevels(result.a, body);
  return result;
}

function decimalsOf(step: string | undefined): number | undefined {
  if (step === undefined || !isDecimalText(step)) return undefined;
  const trimmed = step.replace(/0+$/, '');
  const dot = trimmed.indexOf('.');
  return dot === -1 ? 0 : trimmed.length - dot - 1;
}

/**
 * `GET /v5/market/instruments-info?category=` → instruments. Only `Trading` symbols; on linear,
 * only `LinearPerpetual` contracts (`BASE-SETTLE-PERP`: the settle coin decides, so the USDC
 * perpetual `BTCPERP` is `BTC-USDC-PERP`); spot is `BASE-QUOTE`. Symbols whose coins cannot form a
 * normalized symbol are skipped (reported as unknown by the feed if configured).
 */
export function parseInstruments(body: string, category: BybitCategory, venue: string): Instrument[] {
  const result = envelopeResult(body, 'instruments-info');
  if (!checkInstrumentsResult.Check(result))
    throw new VenueParseError('malformed instruments-info result', body.slice(0, 200));
  if (result.category !== category)
    throw new VenueParseError(`instruments-info for ${result.category}, expected ${category}`);
  const out: Instrument[] = [];
  for (const s of result.list) {
    if (s.status !== 'Trading') continue;
    const perp = category === 'linear';
    if (perp && s.contractType !== 'LinearPerpetual') continue;
    const quote = perp && s.settleCoin !== undefined && s.settleCoin !== '' ? s.settleCoin : s.quoteCoin;
    let symbol: string;
    try {
      symbol = normalizedSymbol(s.baseCoin, quote, perp ? 'perp' : 'spot');
    } catch {
      continue;
    }
    const inst: Instrument = {
      venue,
      symbol,
      native: s.symbol,
      base: s.baseCoin.toUpperCase(),
      quote: quote.toUpperCase(),
      kind: perp ? 'perp' : 'spot',
    };
    const pd = decimalsOf(s.priceFilter?.tickSize);
    const sd = decimalsOf(perp ? s.lotSizeFilter?.qtyStep : s.lotSizeFilter?.basePrecision);
    if (pd !== undefined) inst.priceDecimals = pd;
    if (sd !== undefined) inst.sizeDecimals = sd;
    out.push(inst);
  }
  return out;
}

/** Levels exactly as sent (the wire text is what we republish). */
export function levels(raw: readonly (readonly [string, string])[]): Level[] {
  return raw.map((l) => [l[0], l[1]]);
}
