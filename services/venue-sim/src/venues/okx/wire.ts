/**
 * OKX v5 public wire formats, built as strings by hand (no JSON.stringify on the hot path).
 * instIds are `[A-Z0-9-]` and decimals are digits, so nothing needs escaping; client-supplied text
 * (`id`, channel names and instIds in errors) goes through JSON.stringify.
 *
 * Shapes from PROTOCOLS.md §5 (doc copies and the real 2022 capture):
 *   {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot"|"update","data":[{"asks":[["8476.98","415","0","13"]],"bids":[..],"ts":"..","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}
 *   {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"1"}]}
 *   {"id":"1512","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}
 *   {"id":"1512","event":"error","code":"60012","msg":"Invalid request: ..","connId":"a4d3ae55"}
 *
 * Prices and sizes are sent the OKX way, without trailing zeros (`"60000.1"`, `"60000"`,
 * `"0.0002"`). Level entries are `[price, size, "0", orders]`; the simulator has no orders, so
 * the count is a small deterministic number (`"0"` on deletes).
 *
 * Time: `ts` is the SEND time in ms with a µs fraction, as a string (`"1700000000000.123"`), read
 * with `nowMicros()` just before the send loop, so a client on the same machine can measure frame
 * latency in µs. OKX sends integer ms strings; the tickmesh adapter reads both exactly.
 *
 * Checksum: CRC32 (zlib) of `bid1:ask1:bid2:ask2:...` over the best 25 levels of the book after the
 * message, with the same text as sent, read as a signed int32; or always 0 (`checksumMode: 'zero'`,
 * the 23 June 2026 change).
 */
import { crc32 } from 'node:zlib';
import { formatUnits } from '../../market/fixed';
import type { SymbolSpec } from '../../market/instrument';
import type { Trade } from '../../market/symbol-model';

export type InstType = 'SPOT' | 'SWAP';
export type ChecksumMode = 'crc' | 'zero';
/** [ticks, lots]; lots 0 deletes. */
export type TickLevel = readonly [ticks: number, lots: number];

export const CHECKSUM_LEVELS = 25;

/** Decimal text without trailing zeros (`"60000.10"` → `"60000.1"`, `"60000.00"` → `"60000"`). */
export function trimmed(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/\.?0+$/, '');
}

export function priceText(spec: SymbolSpec, ticks: number): string {
  return trimmed(formatUnits(ticks * spec.tickUnits, spec.priceDecimals));
}

export function sizeText(spec: SymbolSpec, lots: number): string {
  return trimmed(formatUnits(lots * spec.stepUnits, spec.sizeDecimals));
}

/** µs since the epoch → ms text with 3 decimals (`"1700000000000.123"`). */
export function msText(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${ms}.${String(us - ms * 1000).padStart(3, '0')}`;
}

/** `[price, size, "0", orders]` entries. */
export function levelsJson(spec: SymbolSpec, levels: readonly TickLevel[]): string {
  let out = '';
  for (const [ticks, lots] of levels) {
    const orders = lots === 0 ? 0 : 1 + (lots % 9);
    const l = `["${priceText(spec, ticks)}","${sizeText(spec, lots)}","0","${orders}"]`;
    out += out === '' ? l : ',' + l;
  }
  return `[${out}]`;
}

/** The signed OKX checksum of a book whose best levels are `bids`/`asks` (best first). */
export function checksumOf(spec: SymbolSpec, bids: readonly TickLevel[], asks: readonly TickLevel[]): number {
  const parts: string[] = [];
  for (let i = 0; i < CHECKSUM_LEVELS; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b === undefined && a === undefined) break;
    if (b !== undefined) parts.push(`${priceText(spec, b[0])}:${sizeText(spec, b[1])}`);
    if (a !== undefined) parts.push(`${priceText(spec, a[0])}:${sizeText(spec, a[1])}`);
  }
  return crc32(parts.join(':')) | 0;
}

export interface BooksMessage {
  spec: SymbolSpec;
  action: 'snapshot' | 'update';
  bids: readonly TickLevel[];
  asks: readonly TickLevel[];
  checksum: number;
  prevSeqId: number;
  seqId: number;
  /** send time, µs */
  sendUs: number;
}

export function booksMessage(m: BooksMessage): string {
  return (
    `{"arg":{"channel":"books","instId":"${m.spec.native}"},"action":"${m.action}","data":[{` +
    `"asks":${levelsJson(m.spec, m.asks)},"bids":${levelsJson(m.spec, m.bids)},"ts":"${msText(m.sendUs)}",` +
    `"checksum":${m.checksum},"prevSeqId":${m.prevSeqId},"seqId":${m.seqId}}]}`
  );
}

export function tradeMessage(spec: SymbolSpec, trade: Trade, sendUs: number): string {
  const item =
    `{"instId":"${spec.native}","tradeId":"${trade.id}","px":"${priceText(spec, trade.ticks)}",` +
    `"sz":"${sizeText(spec, trade.lots)}","side":"${trade.takerSide}","ts":"${msText(sendUs)}","count":"1"}`;
  return `{"arg":{"channel":"trades","instId":"${spec.native}"},"data":[${item}]}`;
}

export interface Arg {
  channel: string;
  instId: string;
}

function argJson(arg: Arg): string {
  return `{"channel":${JSON.stringify(arg.channel)},"instId":${JSON.stringify(arg.instId)}}`;
}

function idPart(id: string | undefined): string {
  return id === undefined ? '' : `"id":${JSON.stringify(id)},`;
}

/** `{"id":"1512","event":"subscribe","arg":{..},"connId":".."}` (`id` only when the request had one). */
export function eventReply(
  event: 'subscribe' | 'unsubscribe',
  arg: Arg,
  id: string | undefined,
  connId: string,
): string {
  return `{${idPart(id)}"event":"${event}","arg":${argJson(arg)},"connId":"${connId}"}`;
}

export function errorReply(code: string, msg: string, id: string | undefined, connId: string): string {
  return `{${idPart(id)}"event":"error","code":"${code}","msg":${JSON.stringify(msg)},"connId":"${connId}"}`;
}

/** REST envelope `{"code":"0","msg":"","data":[..]}`. */
export function envelope(data: string, code = '0', msg = ''): string {
  return `{"code":"${code}","msg":${JSON.stringify(msg)},"data":${data}}`;
}

/** One `GET /api/v5/market/books` element: `{"asks":[..],"bids":[..],"ts":"..","seqId":..}`. */
export function restBook(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
  nowMs: number,
  seqId: number,
): string {
  return `{"asks":${levelsJson(spec, asks)},"bids":${levelsJson(spec, bids)},"ts":"${nowMs}","seqId":${seqId}}`;
}
