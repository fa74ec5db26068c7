/**
 * Bybit v5 wire formats, built as strings by hand (no JSON.stringify on the hot path). Symbols are
 * validated `[A-Z0-9]` and decimals are digits, so nothing needs escaping; client-supplied text
 * (`req_id`, topics in error messages) goes through JSON.stringify.
 *
 * Shapes and key order from orderbook.mdx / trade.mdx / "Connect" (PROTOCOLS.md §2):
 *   {"topic":"orderbook.50.BTCUSDT","ts":..,"type":"delta","data":{"s":..,"b":[[p,q]],"a":[[p,q]],"u":..,"seq":..},"cts":..}
 * — `ts` comes before `type` on spot and on level 1 of futures, after it on the other futures
 * levels. Prices and sizes carry the instrument's tick/step decimals (`"16493.50"`, `"0.006"`).
 *
 * Time: `ts` (and trade `T`) is the send time in ms WITH A µs FRACTION (`1672304484978.123`), read
 * with `nowMicros()` just before the send loop, so a client on the same machine can measure frame
 * latency in µs (`Math.round(ts * 1000)`). The venue sends integer ms; a parser that accepts JSON
 * numbers reads both. `cts` (matching-engine time) is integer ms.
 */
import { formatUnits } from '../../market/fixed';
import type { SymbolSpec } from '../../market/instrument';
import type { Trade } from '../../market/symbol-model';
import type { TickLevel } from './depth-window';

export type Category = 'spot' | 'linear';

export function priceText(spec: SymbolSpec, ticks: number): string {
  return formatUnits(ticks * spec.tickUnits, spec.priceDecimals);
}

export function sizeText(spec: SymbolSpec, lots: number): string {
  return formatUnits(lots * spec.stepUnits, spec.sizeDecimals);
}

/** µs since the epoch → ms text with 3 decimals (`"1672304484978.123"`). */
export function msText(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${ms}.${String(us - ms * 1000).padStart(3, '0')}`;
}

export function levelsJson(spec: SymbolSpec, levels: readonly TickLevel[]): string {
  let out = '';
  for (const [ticks, lots] of levels) {
    const l = `["${priceText(spec, ticks)}","${sizeText(spec, lots)}"]`;
    out += out === '' ? l : ',' + l;
  }
  return `[${out}]`;
}

export interface BookMessage {
  category: Category;
  depth: number;
  type: 'snapshot' | 'delta';
  spec: SymbolSpec;
  bids: readonly TickLevel[];
  asks: readonly TickLevel[];
  u: number;
  seq: number;
  /** send time, µs */
  sendUs: number;
}

export function bookMessage(m: BookMessage): string {
  const topic = `"topic":"orderbook.${m.depth}.${m.spec.native}"`;
  const ts = `"ts":${msText(m.sendUs)}`;
  const type = `"type":"${m.type}"`;
  const head = m.category === 'spot' || m.depth === 1 ? `${topic},${ts},${type}` : `${topic},${type},${ts}`;
  const data = `"data":{"s":"${m.spec.native}","b":${levelsJson(m.spec, m.bids)},"a":${levelsJson(m.spec, m.asks)},"u":${m.u},"seq":${m.seq}}`;
  return `{${head},${data},"cts":${Math.floor(m.sendUs / 1000)}}`;
}

export type TickDirection = 'PlusTick' | 'ZeroPlusTick' | 'MinusTick' | 'ZeroMinusTick';

/** Tick direction of a trade at `ticks` after one at `prev` (whose direction was `prevDir`). */
export function tickDirection(
  ticks: number,
  prev: number | undefined,
  prevDir: TickDirection,
): TickDirection {
  if (prev === undefined || ticks > prev) return 'PlusTick';
  if (ticks < prev) return 'MinusTick';
  return prevDir === 'PlusTick' || prevDir === 'ZeroPlusTick' ? 'ZeroPlusTick' : 'ZeroMinusTick';
}

/** Spot trade ids are numeric strings, futures ids UUIDs (trade.mdx); the sim's are derived from the id. */
export function tradeId(category: Category, id: number): string {
  if (category === 'spot') return String(id);
  return `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}`;
}

export interface TradeMessage {
  category: Category;
  spec: SymbolSpec;
  trade: Trade;
  /** futures only */
  tick?: TickDirection;
  seq: number;
  sendUs: number;
}

export function tradeMessage(m: TradeMessage): string {
  const t = msText(m.sendUs);
  const side = m.trade.takerSide === 'buy' ? 'Buy' : 'Sell';
  const tick = m.category === 'linear' && m.tick !== undefined ? `,"L":"${m.tick}"` : '';
  const item =
    `{"T":${t},"s":"${m.spec.native}","S":"${side}","v":"${sizeText(m.spec, m.trade.lots)}",` +
    `"p":"${priceText(m.spec, m.trade.ticks)}"${tick},"i":"${tradeId(m.category, m.trade.id)}","BT":false,"seq":${m.seq}}`;
  return `{"topic":"publicTrade.${m.spec.native}","type":"snapshot","ts":${t},"data":[${item}]}`;
}

export interface OpReply {
  category: Category;
  success: boolean;
  retMsg: string;
  connId: string;
  /** the request's req_id, when it sent one */
  reqId: string | undefined;
  op: string;
  /** spot pongs carry no req_id (Connect, "How to Send the Heartbeat Packet") */
  withReqId?: boolean;
}

/**
 * `{"success":true,"ret_msg":"subscribe","conn_id":"..","req_id":"10001","op":"subscribe"}` (spot);
 * linear always carries `req_id` (empty when none was sent) and an empty `ret_msg` on subscribe.
 */
export function opReply(r: OpReply): string {
  const parts = [
    `"success":${r.success}`,
    `"ret_msg":${JSON.stringify(r.retMsg)}`,
    `"conn_id":"${r.connId}"`,
  ];
  const withReqId = r.withReqId ?? true;
  if (withReqId && (r.reqId !== undefined || r.category === 'linear'))
    parts.push(`"req_id":${JSON.stringify(r.reqId ?? '')}`);
  parts.push(`"op":${JSON.stringify(r.op)}`);
  return `{${parts.join(',')}}`;
}

/** REST envelope `{"retCode":0,"retMsg":"OK","result":..,"retExtInfo":{},"time":..}`. */
export function envelope(result: string, nowMs: number, retCode = 0, retMsg = 'OK'): string {
  return `{"retCode":${retCode},"retMsg":${JSON.stringify(retMsg)},"result":${result},"retExtInfo":{},"time":${nowMs}}`;
}

/** `GET /v5/market/orderbook` result. */
export function restBookResult(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
  u: number,
  seq: number,
  nowMs: number,
): string {
  return `{"s":"${spec.native}","a":${levelsJson(spec, asks)},"b":${levelsJson(spec, bids)},"ts":${nowMs},"u":${u},"seq":${seq},"cts":${nowMs}}`;
}
