/**
 * Kraken Spot WebSocket v2 wire formats, built as strings by hand (no JSON.stringify on the hot
 * path). Native symbols are `BASE/QUOTE` over `[A-Z0-9]`, decimals are digits, so nothing needs
 * escaping; client-supplied text (errors naming a symbol, `req_id`) goes through JSON.stringify.
 *
 * Shapes and key order from "Book (Level 2)", "Trades" and PROTOCOLS.md §3 (the doc's checksum
 * example is reproduced byte for byte by `bookMessage`, see wire.test.ts):
 *   {"channel":"book","type":"snapshot"|"update","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.10000000},...],"asks":[...],"checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}
 *
 * Prices and quantities are JSON NUMBERS written with exactly the instrument's decimals
 * (`price_precision` / `qty_precision`, AssetPairs `pair_decimals` / `lot_decimals`), so their text
 * is the checksum text. A removed level is sent as `"qty":0` (the guide: "An update with "qty": 0
 * indicates that price level should be removed").
 *
 * Time: `timestamp` (book and trade) is the SEND time, RFC 3339 with µs, read with `nowMicros()`
 * just before the send loop: a client on the same clock measures frame latency in µs.
 */
import { crc32 } from 'node:zlib';
import { formatUnits } from '../../market/fixed';
import type { SymbolSpec } from '../../market/instrument';
import type { Trade } from '../../market/symbol-model';

/** [ticks, lots]; lots 0 removes. */
export type TickLevel = [ticks: number, lots: number];

export const HEARTBEAT = '{"channel":"heartbeat"}';
export const CHECKSUM_LEVELS = 10;

export function priceText(spec: SymbolSpec, ticks: number): string {
  return formatUnits(ticks * spec.tickUnits, spec.priceDecimals);
}

export function qtyText(spec: SymbolSpec, lots: number): string {
  return lots === 0 ? '0' : formatUnits(lots * spec.stepUnits, spec.sizeDecimals);
}

/** µs since the epoch → RFC 3339 UTC with 6 fraction digits (`2023-10-06T17:35:55.440295Z`). */
export function rfc3339(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  const frac = us - sec * 1_000_000;
  return `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(frac).padStart(6, '0')}Z`;
}

export function levelsJson(spec: SymbolSpec, levels: readonly TickLevel[]): string {
  let out = '';
  for (const [ticks, lots] of levels) {
    const l = `{"price":${priceText(spec, ticks)},"qty":${qtyText(spec, lots)}}`;
    out += out === '' ? l : ',' + l;
  }
  return `[${out}]`;
}

function token(decimal: string): string {
  return decimal.replace('.', '').replace(/^0+/, '');
}

/**
 * The book checksum of "Book checksum (WebSocket v2)": CRC32 (zlib) of the top 10 asks (ascending)
 * then the top 10 bids (descending), each price then qty with "." and leading zeros removed.
 * `bids`/`asks` are best first (as `BookSide.levels()` returns them); only the first 10 are used.
 */
export function bookChecksum(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
): number {
  let s = '';
  for (let i = 0; i < Math.min(CHECKSUM_LEVELS, asks.length); i++)
    s += token(priceText(spec, asks[i]![0])) + token(qtyText(spec, asks[i]![1]));
  for (let i = 0; i < Math.min(CHECKSUM_LEVELS, bids.length); i++)
    s += token(priceText(spec, bids[i]![0])) + token(qtyText(spec, bids[i]![1]));
  return crc32(s);
}

export interface BookMessage {
  type: 'snapshot' | 'update';
  spec: SymbolSpec;
  bids: readonly TickLevel[];
  asks: readonly TickLevel[];
  checksum: number;
  /** send time, µs */
  sendUs: number;
}

export function bookMessage(m: BookMessage): string {
  return (
    `{"channel":"book","type":"${m.type}","data":[{"symbol":"${m.spec.native}",` +
    `"bids":${levelsJson(m.spec, m.bids)},"asks":${levelsJson(m.spec, m.asks)},` +
    `"checksum":${m.checksum},"timestamp":"${rfc3339(m.sendUs)}"}]}`
  );
}

/** A trade as sent: the model's trade and the time it was (first) sent. */
export interface SentTrade {
  trade: Trade;
  sendUs: number;
}

/**
 * `{"channel":"trade","type":"update"|"snapshot","data":[{symbol,side,price,qty,ord_type,trade_id,timestamp}]}`;
 * `side` is the taker's side; `ord_type` (the taker order's type) alternates deterministically.
 */
export function tradeMessage(
  type: 'snapshot' | 'update',
  spec: SymbolSpec,
  trades: readonly SentTrade[],
): string {
  const items = trades.map(
    ({ trade, sendUs }) =>
      `{"symbol":"${spec.native}","side":"${trade.takerSide}","price":${priceText(spec, trade.ticks)},` +
      `"qty":${qtyText(spec, trade.lots)},"ord_type":"${trade.id % 2 === 0 ? 'limit' : 'market'}",` +
      `"trade_id":${trade.id},"timestamp":"${rfc3339(sendUs)}"}`,
  );
  return `{"channel":"trade","type":"${type}","data":[${items.join(',')}]}`;
}

/** `{"channel":"status","type":"update","data":[{"version":..,"system":"online","api_version":"v2","connection_id":..}]}` */
export function statusMessage(connectionId: number): string {
  return `{"channel":"status","type":"update","data":[{"version":"2.0.0","system":"online","api_version":"v2","connection_id":${connectionId}}]}`;
}

export interface Times {
  /** when the request arrived, µs */
  inUs: number;
  /** when the reply left, µs */
  outUs: number;
}

function tail(times: Times, reqId: number | undefined): string {
  const t = `"time_in":"${rfc3339(times.inUs)}","time_out":"${rfc3339(times.outUs)}"`;
  return reqId === undefined ? t : `${t},"req_id":${reqId}`;
}

/** `{"method":"subscribe","result":{...},"success":true,"time_in":..,"time_out":..[,"req_id":n]}` */
export function ackMessage(
  method: 'subscribe' | 'unsubscribe',
  result: Record<string, unknown>,
  times: Times,
  reqId: number | undefined,
): string {
  return `{"method":"${method}","result":${JSON.stringify(result)},"success":true,${tail(times, reqId)}}`;
}

/** `{"error":"..","method":"subscribe","success":false[,"symbol":".."],"time_in":..,"time_out":..[,"req_id":n]}` */
export function errorMessage(
  error: string,
  method: string | undefined,
  symbol: string | undefined,
  times: Times,
  reqId: number | undefined,
): string {
  const m = method === undefined ? '' : `"method":${JSON.stringify(method)},`;
  const s = symbol === undefined ? '' : `"symbol":${JSON.stringify(symbol)},`;
  return `{"error":${JSON.stringify(error)},${m}"success":false,${s}${tail(times, reqId)}}`;
}

/** `{"method":"pong","req_id":42,"time_in":..,"time_out":..}` (req_id only when the ping had one). */
export function pongMessage(times: Times, reqId: number | undefined): string {
  const id = reqId === undefined ? '' : `"req_id":${reqId},`;
  return `{"method":"pong",${id}"time_in":"${rfc3339(times.inUs)}","time_out":"${rfc3339(times.outUs)}"}`;
}
