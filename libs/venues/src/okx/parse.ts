/**
 * OKX v5 public frame and REST parsing: pure, typed, exact decimal text preserved.
 *
 * Frames on `/ws/v5/public` are:
 * - the plain text `pong` (reply to the client's text `ping`) → `heartbeat`;
 * - data pushes `{"arg":{"channel":..,"instId":..},["action":..,]"data":[..]}` (`books`, `trades`);
 * - events `{"event":"subscribe"|"unsubscribe"|"error"|"notice",..}`.
 *
 * Timestamps are ms as strings (`"1597026383085"`). The simulator appends a µs fraction
 * (`"1597026383085.123"`) so that frame latency can be measured on one clock; `msTextToUs` reads
 * both exactly (integer arithmetic, no float rounding).
 */
import { isDecimalText, normalizedSymbol, type Instrument, type Level } from '@tickmesh/contracts';
import { VenueParseError, type FrameEvent } from '../core/adapter';
import { isDecimalAscii } from '../core/decimal';
import {
  checkBooksPush,
  checkEventMessage,
  checkInstrument,
  checkRestBook,
  checkRestEnvelope,
  checkTradesPush,
  type EventMessage,
  type OkxBookUpdate,
  type RestBook,
} from './raw';

export type OkxInstType = 'SPOT' | 'SWAP';

export interface FrameContext {
  /** the book channel followed (`books`); pushes of other book channels are ignored */
  bookChannel?: string;
  /** the natives a request (by `id`) carried, and whether it was an unsubscribe */
  request?: (id: string) => { natives: readonly string[]; op: 'subscribe' | 'unsubscribe' } | undefined;
  /** natives this adapter subscribed (an error naming another instrument is not attributed) */
  isSubscribed?: (native: string) => boolean;
}

function badTimestamp(ts: string): VenueParseError {
  return new VenueParseError(`bad timestamp ${JSON.stringify(ts.slice(0, 40))}`);
}

/**
 * `"1597026383085"` or `"1597026383085.123"` (ms, optional µs fraction) → integer µs: 1–16 digits,
 * optionally `.` and 1–3 digits. One pass over the characters (no regex, no float: every partial
 * value stays below 2^53 until the final range check).
 */
export function msTextToUs(ts: string): number {
  const n = ts.length;
  let ms = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = ts.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    ms = ms * 10 + c;
  }
  if (i === 0 || i > 16) throw badTimestamp(ts);
  let frac = 0;
  if (i < n) {
    if (ts.charCodeAt(i) !== 46 /* . */ || n - i - 1 < 1 || n - i - 1 > 3) throw badTimestamp(ts);
    let scale = 100;
    for (let j = i + 1; j < n; j++, scale /= 10) {
      const c = ts.charCodeAt(j) - 48;
      if (c < 0 || c > 9) throw badTimestamp(ts);
      frac += c * scale;
    }
  }
  const us = ms * 1000 + frac;
  if (!Number.isSafeInteger(us) || !Number.isSafeInteger(ms))
    throw new VenueParseError(`timestamp out of range ${ts}`);
  return us;
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

function checkLevels(levels: readonly (readonly string[])[], text: string): void {
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (!isDecimalAscii(l[0]!) || !isDecimalAscii(l[1]!))
      throw new VenueParseError(`non-decimal level ${JSON.stringify(l)}`, text.slice(0, 200));
  }
}

/** Levels as `[price, size]`, exactly as sent (the deprecated "0" and the order count are dropped). */
export function levels(raw: readonly (readonly string[])[]): Level[] {
  const out = new Array<Level>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = [raw[i]![0]!, raw[i]![1]!];
  return out;
}

/** Instruments named in an error text: `...channel:trades,instId:trades.BTC-USDT-SWAP doesn't exist`. */
const INST_IN_TEXT = /instId:\s*(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9][A-Za-z0-9_-]*)/g;

export function instIdsInText(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(INST_IN_TEXT)) out.add(m[1]!);
  return [...out];
}

export function parseFrame(text: string, ctx: FrameContext = {}): FrameEvent<OkxBookUpdate>[] {
  if (text === 'pong') return [{ kind: 'heartbeat' }];
  const msg = parseJson(text);
  if (!isRecord(msg)) throw new VenueParseError('frame is not an object', text.slice(0, 200));
  if (typeof msg['event'] === 'string') return parseEvent(msg, text, ctx);
  const arg = msg['arg'];
  if (isRecord(arg) && 'data' in msg) {
    const channel = arg['channel'];
    if (channel === 'trades') return parseTrades(msg, text);
    if (channel === (ctx.bookChannel ?? 'books')) return parseBooks(msg, text);
    return [{ kind: 'ignored', reason: `unhandled channel ${String(channel).slice(0, 40)}` }];
  }
  return [{ kind: 'ignored', reason: 'message without event or arg/data' }];
}

function parseBooks(msg: Record<string, unknown>, text: string): FrameEvent<OkxBookUpdate>[] {
  if (!checkBooksPush.Check(msg)) throw new VenueParseError('malformed books push', text.slice(0, 200));
  const instId = msg.arg.instId;
  const out: FrameEvent<OkxBookUpdate>[] = [];
  for (const data of msg.data) {
    checkLevels(data.bids, text);
    checkLevels(data.asks, text);
    if (!Number.isSafeInteger(data.seqId) || !Number.isSafeInteger(data.prevSeqId))
      throw new VenueParseError('seqId beyond the safe integer range', text.slice(0, 200));
    msTextToUs(data.ts);
    out.push({ kind: 'book', native: instId, update: { action: msg.action, instId, data } });
  }
  return out;
}

function parseTrades(msg: Record<string, unknown>, text: string): FrameEvent<OkxBookUpdate>[] {
  if (!checkTradesPush.Check(msg)) throw new VenueParseError('malformed trades push', text.slice(0, 200));
  const out: FrameEvent<OkxBookUpdate>[] = [];
  for (const t of msg.data) {
    if (!isDecimalText(t.px) || !isDecimalText(t.sz))
      throw new VenueParseError(`non-decimal trade ${JSON.stringify([t.px, t.sz])}`, text.slice(0, 200));
    out.push({
      kind: 'trade',
      native: t.instId,
      // `side` is the taker side (trades channel docs)
      trade: { id: t.tradeId, price: t.px, size: t.sz, side: t.side, venueTs: msTextToUs(t.ts) },
    });
  }
  return out.length > 0 ? out : [{ kind: 'ignored', reason: 'empty trade batch' }];
}

function parseEvent(
  msg: Record<string, unknown>,
  text: string,
  ctx: FrameContext,
): FrameEvent<OkxBookUpdate>[] {
  if (!checkEventMessage.Check(msg)) throw new VenueParseError('malformed event', text.slice(0, 200));
  switch (msg.event) {
    case 'subscribe':
    case 'unsubscribe':
      return [{ kind: 'ack', id: msg.id ?? null }];
    case 'error':
      return errorEvents(msg, ctx);
    case 'notice':
      // 64008: "The connection will soon be closed for a service upgrade" (UNVERIFIED, see README)
      if (msg.code === '64008')
        return [{ kind: 'shutdown', message: `okx notice ${msg.code}: ${msg.msg ?? ''}` }];
      return [{ kind: 'ignored', reason: `okx notice ${msg.code ?? ''}: ${(msg.msg ?? '').slice(0, 120)}` }];
    default:
      return [{ kind: 'ignored', reason: `unhandled event ${msg.event.slice(0, 40)}` }];
  }
}

/**
 * A subscription error fails the symbols it names: `arg.instId`, instruments named in `msg`
 * (`instId:<channel>.<instId>` as observed for 60018), or the request's only symbol (by `id`).
 * Errors of our own unsubscribe requests (a resync's first half) never fail a symbol.
 */
function errorEvents(msg: EventMessage, ctx: FrameContext): FrameEvent<OkxBookUpdate>[] {
  const message = `okx error ${msg.code ?? '?'}: ${msg.msg ?? ''}`;
  const request = msg.id !== undefined && msg.id !== '' ? ctx.request?.(msg.id) : undefined;
  if (request?.op === 'unsubscribe') return [{ kind: 'ignored', reason: message }];
  const named = new Set<string>();
  if (msg.arg?.instId !== undefined) named.add(msg.arg.instId);
  for (const n of instIdsInText(msg.msg ?? '')) named.add(n);
  let natives = [...named].filter((n) => ctx.isSubscribed?.(n) ?? true);
  if (natives.length === 0 && request !== undefined && request.natives.length === 1)
    natives = [...request.natives];
  if (natives.length === 0) return [{ kind: 'error', message }];
  return natives.map((native) => ({ kind: 'error', message, native }));
}

function envelopeData(body: string, what: string): unknown[] {
  const msg = parseJson(body);
  if (!checkRestEnvelope.Check(msg))
    throw new VenueParseError(`malformed ${what} response`, body.slice(0, 200));
  if (msg.code !== '0')
    throw new VenueParseError(`okx ${what} error ${msg.code}: ${msg.msg}`, body.slice(0, 200));
  return msg.data;
}

/**
 * `GET /api/v5/market/books?instId=&sz=` → its single element (decimal text checked). With
 * `requireSeqId` (the REST-snapshot mode), a book without `seqId` is rejected: it cannot be joined
 * to the stream.
 */
export function parseSnapshot(body: string, requireSeqId = false): RestBook {
  const data = envelopeData(body, 'books');
  const book = data[0];
  if (data.length !== 1 || !checkRestBook.Check(book))
    throw new VenueParseError('malformed books data', body.slice(0, 200));
  checkLevels(book.bids, body);
  checkLevels(book.asks, body);
  msTextToUs(book.ts);
  if (requireSeqId && book.seqId === undefined)
    throw new VenueParseError('REST book without seqId: cannot join the stream', body.slice(0, 200));
  return book;
}

function decimalsOf(step: string | undefined): number | undefined {
  if (step === undefined || !isDecimalText(step)) return undefined;
  const trimmed = step.replace(/0+$/, '');
  const dot = trimmed.indexOf('.');
  return dot === -1 ? 0 : trimmed.length - dot - 1;
}

/**
 * `GET /api/v5/public/instruments?instType=` → instruments. Only `state: "live"`. SPOT →
 * `BASE-QUOTE` from `baseCcy`/`quoteCcy`. SWAP: only `ctType: "linear"` perpetuals →
 * `BASE-QUOTE-PERP` with base = `ctValCcy` (the contract's currency) and quote = `settleCcy`
 * (SWAP entries leave baseCcy/quoteCcy empty). Sizes on a SWAP book are in contracts of `ctVal`.
 * Entries whose assets cannot form a normalized symbol are skipped.
 */
export function parseInstruments(body: string, instType: OkxInstType, venue: string): Instrument[] {
  const data = envelopeData(body, 'instruments');
  const out: Instrument[] = [];
  for (const raw of data) {
    if (!checkInstrument.Check(raw)) throw new VenueParseError('malformed instrument', body.slice(0, 200));
    if (raw.instType !== instType || raw.state !== 'live') continue;
    const perp = instType === 'SWAP';
    if (perp && raw.ctType !== 'linear') continue;
    const base = (perp ? raw.ctValCcy : raw.baseCcy) ?? '';
    const quote = (perp ? raw.settleCcy : raw.quoteCcy) ?? '';
    let symbol: string;
    try {
      symbol = normalizedSymbol(base, quote, perp ? 'perp' : 'spot');
    } catch {
      continue;
    }
    const inst: Instrument = {
      venue,
      symbol,
      native: raw.instId,
      base: base.toUpperCase(),
      quote: quote.toUpperCase(),
      kind: perp ? 'perp' : 'spot',
    };
    const pd = decimalsOf(raw.tickSz);
    const sd = decimalsOf(raw.lotSz);
    if (pd !== undefined) inst.priceDecimals = pd;
    if (sd !== undefined) inst.sizeDecimals = sd;
    out.push(inst);
  }
  return out;
}
