/**
 * Binance wire formats, built as strings by hand: field order and decimal text exactly as the real
 * feed (`{"e":"depthUpdate","E":..,"s":..,"U":..,"u":..,"b":[[p,q]],"a":[[p,q]]}`, 8-place
 * decimals), and no generic JSON.stringify on the hot path. Symbols are validated `[A-Z0-9]` and
 * decimals are digits, so nothing needs escaping.
 *
 * Events are split around their time fields: the expensive part is formatted once per event, and
 * `E` (and `T`) are spliced in at send time, per time unit.
 */
import { formatUnits } from '../../market/fixed';
import type { SymbolSpec } from '../../market/instrument';
import type { BookSide } from '../../market/book-side';
import type { BookUpdate, Trade } from '../../market/symbol-model';

export type Level = [price: string, qty: string];

export function priceText(spec: SymbolSpec, ticks: number): string {
  return formatUnits(ticks * spec.tickUnits, spec.priceDecimals);
}

export function qtyText(spec: SymbolSpec, lots: number): string {
  return formatUnits(lots * spec.stepUnits, spec.sizeDecimals);
}

/** A depth event without its leading `{"e":"depthUpdate","E":<E>`: starts at `,"s":`. */
export function depthTail(spec: SymbolSpec, u: BookUpdate): string {
  let b = '';
  let a = '';
  for (const c of u.changes) {
    const level = `["${priceText(spec, c.ticks)}","${qtyText(spec, c.lots)}"]`;
    if (c.side === 'bid') b += b === '' ? level : ',' + level;
    else a += a === '' ? level : ',' + level;
  }
  return `,"s":"${spec.native}","U":${u.firstId},"u":${u.lastId},"b":[${b}],"a":[${a}]}`;
}

export function depthEvent(eventTime: number, tail: string): string {
  return `{"e":"depthUpdate","E":${eventTime}${tail}`;
}

/** A trade event split around `E` and `T`: `head + E + mid + T + tail`. */
export interface TradeParts {
  mid: string;
  tail: string;
}

export function tradeParts(spec: SymbolSpec, t: Trade): TradeParts {
  return {
    mid: `,"s":"${spec.native}","t":${t.id},"p":"${priceText(spec, t.ticks)}","q":"${qtyText(spec, t.lots)}","T":`,
    // m: "is the buyer the market maker?" — true when the taker sold.
    tail: `,"m":${t.takerSide === 'sell'},"M":true}`,
  };
}

export function tradeEvent(eventTime: number, tradeTime: number, p: TradeParts): string {
  return `{"e":"trade","E":${eventTime}${p.mid}${tradeTime}${p.tail}`;
}

/** Combined-stream envelope. */
export function wrap(stream: string, payload: string): string {
  return `{"stream":"${stream}","data":${payload}}`;
}

export function serverShutdownEvent(eventTime: number): string {
  return `{"e":"serverShutdown","E":${eventTime}}`;
}

/** `{"lastUpdateId":..,"bids":[..],"asks":[..]}` with the best `limit` levels per side. */
export function bookJson(
  spec: SymbolSpec,
  lastUpdateId: number,
  bids: BookSide,
  asks: BookSide,
  limit = Infinity,
): string {
  return `{"lastUpdateId":${lastUpdateId},"bids":${levelsJson(spec, bids, limit)},"asks":${levelsJson(spec, asks, limit)}}`;
}

function levelsJson(spec: SymbolSpec, side: BookSide, limit: number): string {
  const n = Math.min(limit, side.length);
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++)
    parts[i] = `["${priceText(spec, side.ticksAt(i))}","${qtyText(spec, side.lotsAt(i))}"]`;
  return `[${parts.join(',')}]`;
}

/** Converts µs since epoch to the connection's unit. */
export function timeIn(micros: number, inMicros: boolean): number {
  return inMicros ? micros : Math.floor(micros / 1000);
}
