/**
 * The consolidated book of one instrument across venues (book-builder output), version 1.
 *
 *   md.v1.consolidated.<symbol>   JSON only in v1 (`{"v":1,"type":"consolidated",...}`): it is not
 *                                 a type of the binary codec, so `decode` rejects it; read it with
 *                                 `decodeConsolidated`. Published when a member book's top N changed
 *                                 or a member's state changed, at most once per event-loop turn per
 *                                 symbol.
 *   tm:v1:nbbo:<symbol>           Redis hash: the NBBO fields below plus `updatedAt` (µs).
 *
 * Members and sources. A consolidated symbol gathers every venue's book of that symbol. Quote
 * currencies are never merged implicitly (BTC-USD ≠ BTC-USDT); a book-builder may be configured
 * with explicit quote equivalences (`USDT=USD`), then BTC-USDT books join the BTC-USD consolidated
 * book at face value (1 USDT counted as 1 USD: no price conversion). Each member is named by a
 * `source`: its venue id, or `venue:SYMBOL` when the member's own symbol differs from the
 * consolidated one (`binance:BTC-USDT` in `BTC-USD`), so one venue's BTC-USDT and BTC-USDC books
 * stay distinguishable.
 *
 * Contents. Only members whose book is `live` are aggregated (`venues`); the others are listed in
 * `excluded` with their state. `bids`/`asks` are the best `depth` aggregated price levels, best
 * first: `[price, totalSize, [[source, size], ...]]` with canonical decimal price and total (summed
 * exactly), and each source's own size text. The NBBO is the best aggregated level of each side:
 * its price, its total size, and the source quoting the largest size there (ties: first source in
 * name order). `crossed`: best bid > best ask across venues; `locked`: equal. Prices and sizes are
 * decimal text; an empty side gives `""` NBBO fields.
 */
import { Type, type Static } from '@sinclair/typebox';
import { SyncStateSchema } from './messages';
import { assertVenueSymbol, isSymbol, SubjectError, SUBJECT_VERSION } from './subjects';
import { DecimalTextSchema, encodeJsonV1, jsonV1Decoder, MicrosSchema, SymbolIdSchema } from './v1-json';

export const SourceIdSchema = Type.String({
  pattern: '^[a-z0-9]{1,32}(:[A-Z0-9]{1,20}(-[A-Z0-9]{1,20}){1,3})?$',
  description: 'venue id, or venue:SYMBOL for a member under an equivalent quote',
});

const PriceOrEmpty = Type.String({ pattern: '^(\\d+(\\.\\d+)?)?$', maxLength: 64 });

export const ConsolidatedLevelSchema = Type.Tuple([
  DecimalTextSchema,
  DecimalTextSchema,
  Type.Array(Type.Tuple([SourceIdSchema, DecimalTextSchema])),
]);
export type ConsolidatedLevel = [price: string, totalSize: string, sources: [source: string, size: string][]];

export const NbboSchema = Type.Object({
  bidPx: PriceOrEmpty,
  bidSz: PriceOrEmpty,
  bidVenue: Type.String({ maxLength: 64 }),
  askPx: PriceOrEmpty,
  askSz: PriceOrEmpty,
  askVenue: Type.String({ maxLength: 64 }),
});
export type Nbbo = Static<typeof NbboSchema>;

export const ConsolidatedBookSchema = Type.Object(
  {
    type: Type.Literal('consolidated'),
    symbol: SymbolIdSchema,
    /** the N of "top N": levels per side at most */
    depth: Type.Integer({ minimum: 1 }),
    bids: Type.Array(ConsolidatedLevelSchema),
    asks: Type.Array(ConsolidatedLevelSchema),
    nbbo: NbboSchema,
    crossed: Type.Boolean(),
    locked: Type.Boolean(),
    /** sources aggregated (live), in name order */
    venues: Type.Array(SourceIdSchema),
    /** sources left out, with their state (stale, resyncing, ...) */
    excluded: Type.Array(Type.Object({ venue: SourceIdSchema, state: SyncStateSchema })),
    /** latest venue event time among the aggregated books (0 when none) */
    venueTs: MicrosSchema,
    /** latest book-builder apply time among the aggregated books (0 when none) */
    bookTs: MicrosSchema,
    /** when this consolidated book was computed */
    ts: MicrosSchema,
  },
  { $id: 'tickmesh.consolidated.v1', description: 'Consolidated book of one instrument across venues.' },
);
export type ConsolidatedBook = Static<typeof ConsolidatedBookSchema>;

const CONSOLIDATED_PREFIX = `md.${SUBJECT_VERSION}.consolidated.`;

/** Subject of one symbol's consolidated book (JSON only in v1). */
export function consolidatedSubject(symbol: string): string {
  if (!isSymbol(symbol)) throw new SubjectError(`invalid symbol ${JSON.stringify(symbol)}`);
  return `${CONSOLIDATED_PREFIX}${symbol}`;
}

export function consolidatedWildcard(): string {
  return `${CONSOLIDATED_PREFIX}*`;
}

/** Redis key of a symbol's consolidated NBBO hash. */
export function nbboRedisKey(symbol: string): string {
  if (!isSymbol(symbol)) throw new SubjectError(`invalid symbol ${JSON.stringify(symbol)}`);
  return `tm:v1:nbbo:${symbol}`;
}

/** The source id of a member book (see the module comment). */
export function consolidationSource(venue: string, symbol: string, consolidatedSymbol: string): string {
  assertVenueSymbol(venue, symbol);
  return symbol === consolidatedSymbol ? venue : `${venue}:${symbol}`;
}

export function encodeConsolidated(c: ConsolidatedBook): Uint8Array {
  return encodeJsonV1(c);
}

/** Validates a consolidated payload; throws CodecError. */
export const decodeConsolidated = jsonV1Decoder<ConsolidatedBook>(
  ConsolidatedBookSchema,
  'consolidated book',
);

export const NBBO_FIELDS = [
  'symbol',
  'bidPx',
  'bidSz',
  'bidVenue',
  'askPx',
  'askSz',
  'askVenue',
  'crossed',
  'locked',
  'venues',
  'excluded',
  'ts',
  'updatedAt',
] as const;

/**
 * Flat [field, value, ...] list for HSET of `nbboRedisKey(symbol)`: the NBBO, `crossed`/`locked` as
 * "1"/"0", `venues` and `excluded` as comma-separated sources, `ts` (computed) and `updatedAt`
 * (written), µs. Treat it as stale when `updatedAt` is older than your freshness window or
 * `venues` is empty.
 */
export function nbboToRedisFields(c: ConsolidatedBook, updatedAt: number): string[] {
  const n = c.nbbo;
  return [
    'symbol', c.symbol,
    'bidPx', n.bidPx,
    'bidSz', n.bidSz,
    'bidVenue', n.bidVenue,
    'askPx', n.askPx,
    'askSz', n.askSz,
    'askVenue', n.askVenue,
    'crossed', c.crossed ? '1' : '0',
    'locked', c.locked ? '1' : '0',
    'venues', c.venues.join(','),
    'excluded', c.excluded.map((e) => e.venue).join(','),
    'ts', String(c.ts),
    'updatedAt', String(updatedAt),
  ]; // prettier-ignore
}
