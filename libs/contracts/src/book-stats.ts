/**
 * Per-symbol book statistics (book-builder output), version 1.
 *
 *   md.v1.stats.<venue>.<symbol>   JSON only (`{"v":1,"type":"stats",...}`), every STATS_INTERVAL_MS
 *                                  (default 5 s) for every book the book-builder holds
 *
 * Rates are per second over a sliding window of about `windowMs` (the window is sampled every
 * second, so it may be up to a second shorter than nominal just after start). `messagesPerSec`
 * counts every bus message about the (venue, symbol): book messages, status and trades;
 * `updatesPerSec` the book messages applied; `tradesPerSec` the trades. `spreadBps` is
 * (ask − bid) / mid × 10 000 computed in decimal and rounded to a double, `null` when a side is
 * empty (negative when the book is crossed). `resyncs` and `crossed` count since the book-builder
 * started. The same values are exported on /metrics as gauges labelled {venue, symbol}.
 */
import { Type, type Static } from '@sinclair/typebox';
import { SyncStateSchema } from './messages';
import { assertVenueSymbol, isVenueId, SubjectError, SUBJECT_VERSION } from './subjects';
import { encodeJsonV1, jsonV1Decoder, MicrosSchema, SymbolIdSchema, VenueIdSchema } from './v1-json';

const Rate = Type.Number({ minimum: 0, description: 'per second' });
const Count = Type.Integer({ minimum: 0 });

export const BookStatsSchema = Type.Object(
  {
    type: Type.Literal('stats'),
    venue: VenueIdSchema,
    symbol: SymbolIdSchema,
    state: SyncStateSchema,
    windowMs: Type.Integer({ minimum: 0, description: 'span the rates were measured over' }),
    messagesPerSec: Rate,
    updatesPerSec: Rate,
    tradesPerSec: Rate,
    spreadBps: Type.Union([Type.Number(), Type.Null()]),
    bidDepth: Count,
    askDepth: Count,
    resyncs: Count,
    crossed: Count,
    ts: MicrosSchema,
  },
  { $id: 'tickmesh.stats.v1', description: 'Per-symbol book statistics of a book-builder.' },
);
export type BookStats = Static<typeof BookStatsSchema>;

const STATS_PREFIX = `md.${SUBJECT_VERSION}.stats.`;

/** Subject of one (venue, symbol)'s stats (JSON only). */
export function statsSubject(venue: string, symbol: string): string {
  assertVenueSymbol(venue, symbol);
  return `${STATS_PREFIX}${venue}.${symbol}`;
}

/** All symbols of a venue (`venue` given) or of every venue. */
export function statsWildcard(venue?: string): string {
  if (venue !== undefined && !isVenueId(venue)) throw new SubjectError(`invalid venue id ${venue}`);
  return `${STATS_PREFIX}${venue ?? '*'}.*`;
}

export function encodeBookStats(s: BookStats): Uint8Array {
  return encodeJsonV1(s);
}

/** Validates a stats payload; throws CodecError. */
export const decodeBookStats = jsonV1Decoder<BookStats>(BookStatsSchema, 'book stats');
