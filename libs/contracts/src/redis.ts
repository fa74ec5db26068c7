/**
 * Redis layout, version 1. Top-of-book per (venue, symbol) is a hash at `tobRedisKey(venue,
 * symbol)` (`tm:v1:tob:<venue>:<symbol>`) whose fields are exactly the TopOfBook fields (numbers as
 * decimal strings) plus `updatedAt` (µs, when the book-builder wrote it). Consumers must treat the
 * hash as stale when `state` is not `live` or `updatedAt` is older than their freshness window.
 */
import { SYNC_STATES, type SyncState, type TopOfBook } from './messages';

export const TOB_FIELDS = [
  'venue',
  'symbol',
  'bidPx',
  'bidSz',
  'askPx',
  'askSz',
  'epoch',
  'seq',
  'state',
  'venueTs',
  'recvTs',
  'bookTs',
  'updatedAt',
] as const;

/** Flat [field, value, ...] list for HSET. */
export function tobToRedisFields(t: TopOfBook, updatedAt: number): string[] {
  return [
    'venue', t.venue,
    'symbol', t.symbol,
    'bidPx', t.bidPx,
    'bidSz', t.bidSz,
    'askPx', t.askPx,
    'askSz', t.askSz,
    'epoch', String(t.epoch),
    'seq', String(t.seq),
    'state', t.state,
    'venueTs', String(t.venueTs),
    'recvTs', String(t.recvTs),
    'bookTs', String(t.bookTs),
    'updatedAt', String(updatedAt),
  ]; // prettier-ignore
}

/** Parses an HGETALL result; undefined when absent or malformed. */
export function tobFromRedisHash(h: Record<string, string>): (TopOfBook & { updatedAt: number }) | undefined {
  if (h['venue'] === undefined || h['symbol'] === undefined) return undefined;
  const num = (k: string): number => {
    const v = Number(h[k]);
    return Number.isFinite(v) ? v : NaN;
  };
  const state = h['state'] as SyncState;
  if (!SYNC_STATES.includes(state)) return undefined;
  const out = {
    type: 'tob' as const,
    venue: h['venue'],
    symbol: h['symbol'],
    bidPx: h['bidPx'] ?? '',
    bidSz: h['bidSz'] ?? '',
    askPx: h['askPx'] ?? '',
    askSz: h['askSz'] ?? '',
    epoch: num('epoch'),
    seq: num('seq'),
    state,
    venueTs: num('venueTs'),
    recvTs: num('recvTs'),
    bookTs: num('bookTs'),
    updatedAt: num('updatedAt'),
  };
  for (const k of ['epoch', 'seq', 'venueTs', 'recvTs', 'bookTs', 'updatedAt'] as const) {
    if (Number.isNaN(out[k])) return undefined;
  }
  return out;
}
