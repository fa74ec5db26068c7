/**
 * Coinbase Advanced Trade wire formats, built as strings by hand on the hot path. Product ids are
 * validated `[A-Z0-9-]` and decimals are digits, so nothing needs escaping; client-supplied text
 * (product ids in errors) goes through JSON.stringify.
 *
 * Envelope (PROTOCOLS.md §4.1): `{"channel","client_id","timestamp","sequence_num","events":[..]}`.
 * `sequence_num` is per connection, so a message is serialized once WITHOUT it (`EnvelopeParts`)
 * and each connection splices its own number in.
 *
 * Numbers: prices and sizes without trailing zeros (`"21921.3"`, `"79944"`, `"0.02"`), as in the
 * docs' level2 example and the live capture. Time: `timestamp`, `event_time` and trade `time` are
 * the SEND time as RFC 3339 with µs (`2026-01-01T00:00:00.123456Z`), read with `nowMicros()` just
 * before the send loop (the venue sends ns on `timestamp`; µs is what the clock gives).
 */
import { formatUnits } from '../../market/fixed';
import type { SymbolSpec } from '../../market/instrument';
import type { LevelChange, Trade } from '../../market/symbol-model';

/** `[ticks, lots]`, best first */
export type TickLevel = readonly [ticks: number, lots: number];

/** Decimal text without trailing fraction zeros: `"60000.10"` → `"60000.1"`, `"5.000"` → `"5"`. */
export function trimDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

export function priceText(spec: SymbolSpec, ticks: number): string {
  return trimDecimal(formatUnits(ticks * spec.tickUnits, spec.priceDecimals));
}

export function sizeText(spec: SymbolSpec, lots: number): string {
  return lots === 0 ? '0' : trimDecimal(formatUnits(lots * spec.stepUnits, spec.sizeDecimals));
}

/** µs since the epoch → RFC 3339 UTC with 6 fraction digits. */
export function rfc3339(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, 19)}.${String(us - Math.floor(us / 1_000_000) * 1_000_000).padStart(6, '0')}Z`;
}

/** A message serialized up to `"sequence_num":` and from `,"events"` on. */
export interface EnvelopeParts {
  head: string;
  tail: string;
}

export function envelope(channel: string, timestamp: string, eventsJson: string): EnvelopeParts {
  return {
    head: `{"channel":"${channel}","client_id":"","timestamp":"${timestamp}","sequence_num":`,
    tail: `,"events":${eventsJson}}`,
  };
}

export function withSequence(p: EnvelopeParts, seq: number): string {
  return `${p.head}${seq}${p.tail}`;
}

function l2Entry(side: 'bid' | 'ask', price: string, size: string, eventTime: string): string {
  return `{"side":"${side === 'bid' ? 'bid' : 'offer'}","event_time":"${eventTime}","price_level":"${price}","new_quantity":"${size}"}`;
}

/** `l2_data` `snapshot` event: every level, bids then offers, best first. */
export function l2SnapshotEvents(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
  eventTime: string,
): string {
  const parts: string[] = [];
  for (const [t, l] of bids) parts.push(l2Entry('bid', priceText(spec, t), sizeText(spec, l), eventTime));
  for (const [t, l] of asks) parts.push(l2Entry('ask', priceText(spec, t), sizeText(spec, l), eventTime));
  return `[{"type":"snapshot","product_id":"${spec.native}","updates":[${parts.join(',')}]}]`;
}

/** `l2_data` `update` event: the model's changes in the order it made them (not sorted). */
export function l2UpdateEvents(spec: SymbolSpec, changes: readonly LevelChange[], eventTime: string): string {
  const parts = changes.map((c) =>
    l2Entry(c.side, priceText(spec, c.ticks), sizeText(spec, c.lots), eventTime),
  );
  return `[{"type":"update","product_id":"${spec.native}","updates":[${parts.join(',')}]}]`;
}

/**
 * One trade object. `side` carries the simulator's reading of the venue's field (the tickmesh
 * adapter's default, see README.md): `maker` → the resting order's side (a taker buy prints `SELL`).
 */
export function tradeJson(spec: SymbolSpec, t: Trade, time: string, sideMeaning: 'maker' | 'taker'): string {
  const buy = sideMeaning === 'taker' ? t.takerSide === 'buy' : t.takerSide === 'sell';
  return (
    `{"trade_id":"${t.id}","product_id":"${spec.native}","price":"${priceText(spec, t.ticks)}",` +
    `"size":"${sizeText(spec, t.lots)}","side":"${buy ? 'BUY' : 'SELL'}","time":"${time}"}`
  );
}

export function tradesEvents(type: 'snapshot' | 'update', trades: readonly string[]): string {
  return `[{"type":"${type}","trades":[${trades.join(',')}]}]`;
}

/** `heartbeats` event, the docs' example shape (`current_time` in Go's time format, counter as a string). */
export function heartbeatEvents(us: number, counter: number, uptimeMs: number): string {
  const iso = rfc3339(us);
  const current = `${iso.slice(0, 10)} ${iso.slice(11, 26)}000 +0000 UTC m=+${(uptimeMs / 1000).toFixed(9)}`;
  return `[{"current_time":"${current}","heartbeat_counter":"${counter}"}]`;
}

/** `subscriptions` event: the connection's subscriptions, per channel. */
export function subscriptionsEvents(subs: ReadonlyMap<string, ReadonlySet<string>>): string {
  const o: Record<string, string[]> = {};
  for (const [channel, products] of subs) o[channel] = [...products];
  return JSON.stringify([{ subscriptions: o }]);
}

/** `{"type":"error","message":..[,"reason":..]}` (no sequence_num; see README.md). */
export function errorMessage(message: string, reason?: string): string {
  return JSON.stringify(
    reason === undefined ? { type: 'error', message } : { type: 'error', message, reason },
  );
}

/** REST `pricebook` (`GET /api/v3/brokerage/market/product_book`, ground truth). */
export function pricebookJson(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
  time: string,
): string {
  const side = (levels: readonly TickLevel[]): string =>
    levels.map(([t, l]) => `{"price":"${priceText(spec, t)}","size":"${sizeText(spec, l)}"}`).join(',');
  return `{"product_id":"${spec.native}","bids":[${side(bids)}],"asks":[${side(asks)}],"time":"${time}"}`;
}
