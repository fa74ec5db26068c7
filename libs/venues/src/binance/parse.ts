/**
 * Binance spot frame and REST parsing: pure, typed, exact decimal text preserved.
 * Frames arrive on combined streams (`{"stream":..., "data":...}`) or raw streams; control
 * replies are `{"result":..., "id":...}` and errors `{"error":{"code","msg"}}` (or bare
 * `{"code","msg"}`).
 */
import { isDecimalText, normalizedSymbol, type Instrument, type Level } from '@tickmesh/contracts';
import { VenueParseError, type FrameEvent } from '../core/adapter';
import {
  checkDepthSnapshot,
  checkDepthUpdate,
  checkExchangeInfo,
  checkTradeEvent,
  type DepthSnapshot,
  type DepthUpdate,
} from './raw';

/** The adapter always asks for `timeUnit=MICROSECOND`, so E/T are µs. */
export const VENUE_TIME_UNIT_US = 1;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VenueParseError('invalid JSON', text.slice(0, 200));
  }
}

function checkLevels(levels: readonly (readonly [string, string])[], text: string): void {
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (!isDecimalText(l[0]) || !isDecimalText(l[1])) {
      throw new VenueParseError(`non-decimal level ${JSON.stringify(l)}`, text.slice(0, 200));
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseFrame(text: string): FrameEvent<DepthUpdate>[] {
  const msg = parseJson(text);
  if (!isRecord(msg)) throw new VenueParseError('frame is not an object', text.slice(0, 200));
  const data = 'stream' in msg && 'data' in msg ? msg['data'] : msg;
  if (!isRecord(data)) throw new VenueParseError('stream data is not an object', text.slice(0, 200));
  switch (data['e']) {
    case 'depthUpdate': {
      if (!checkDepthUpdate.Check(data))
        throw new VenueParseError('malformed depthUpdate', text.slice(0, 200));
      if (data.u < data.U) throw new VenueParseError(`depthUpdate with u < U`, text.slice(0, 200));
      checkLevels(data.b, text);
      checkLevels(data.a, text);
      return [{ kind: 'book', native: data.s, update: data }];
    }
    case 'trade': {
      if (!checkTradeEvent.Check(data)) throw new VenueParseError('malformed trade', text.slice(0, 200));
      if (!isDecimalText(data.p) || !isDecimalText(data.q))
        throw new VenueParseError('non-decimal trade', text);
      return [
        {
          kind: 'trade',
          native: data.s,
          // m = "is the buyer the market maker?": true means the taker sold
          trade: {
            id: String(data.t),
            price: data.p,
            size: data.q,
            side: data.m ? 'sell' : 'buy',
            venueTs: data.T,
          },
        },
      ];
    }
    case 'serverShutdown':
      return [{ kind: 'shutdown', message: 'serverShutdown event' }];
    default:
      break;
  }
  if ('result' in msg && 'id' in msg) {
    const id = msg['id'];
    return [{ kind: 'ack', id: typeof id === 'number' || typeof id === 'string' ? id : null }];
  }
  const err = isRecord(msg['error']) ? msg['error'] : 'code' in msg && 'msg' in msg ? msg : undefined;
  if (err !== undefined)
    return [{ kind: 'error', message: `binance error ${String(err['code'])}: ${String(err['msg'])}` }];
  return [{ kind: 'ignored', reason: `unhandled event ${String(data['e'])}` }];
}

export function parseSnapshot(body: string): DepthSnapshot {
  const msg = parseJson(body);
  if (!checkDepthSnapshot.Check(msg))
    throw new VenueParseError('malformed depth snapshot', body.slice(0, 200));
  checkLevels(msg.bids, body);
  checkLevels(msg.asks, body);
  return msg;
}

function decimalsOf(step: unknown): number | undefined {
  if (typeof step !== 'string' || !isDecimalText(step)) return undefined;
  const trimmed = step.replace(/0+$/, '');
  const dot = trimmed.indexOf('.');
  return dot === -1 ? 0 : trimmed.length - dot - 1;
}

/** exchangeInfo → instruments (base/quote from metadata; only TRADING symbols). */
export function parseInstruments(body: string): Instrument[] {
  const msg = parseJson(body);
  if (!checkExchangeInfo.Check(msg)) throw new VenueParseError('malformed exchangeInfo', body.slice(0, 200));
  const out: Instrument[] = [];
  for (const s of msg.symbols) {
    if (s.status !== 'TRADING') continue;
    const price = s.filters?.find((f) => f['filterType'] === 'PRICE_FILTER');
    const lot = s.filters?.find((f) => f['filterType'] === 'LOT_SIZE');
    const inst: Instrument = {
      venue: 'binance',
      symbol: normalizedSymbol(s.baseAsset, s.quoteAsset, 'spot'),
      native: s.symbol,
      base: s.baseAsset,
      quote: s.quoteAsset,
      kind: 'spot',
    };
    const pd = decimalsOf(price?.['tickSize']);
    const sd = decimalsOf(lot?.['stepSize']);
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
