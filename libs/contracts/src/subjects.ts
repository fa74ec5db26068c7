/**
 * NATS subject naming, version 1. One source of truth: every publisher and subscriber builds its
 * subjects here.
 *
 *   md.v1.book.<venue>.<symbol>     BookSnapshot | BookDelta (one subject, so their order is kept)
 *   md.v1.trade.<venue>.<symbol>    Trade
 *   md.v1.status.<venue>.<symbol>   SyncStatus
 *   md.v1.tob.<venue>.<symbol>      TopOfBook (book-builder output)
 *   ctl.v1.ingestor.<venue>         control RPC to a venue's ingestors (Nest NATS transport)
 *
 * Venue ids are lower-case `[a-z0-9]+`; symbols are normalized `BASE-QUOTE` / `BASE-QUOTE-PERP`
 * (`[A-Z0-9]+(-[A-Z0-9]+)+`), so neither may contain a NATS token separator or wildcard.
 */
export const SUBJECT_ROOT = 'md';
export const SUBJECT_VERSION = 'v1';

export type StreamKind = 'book' | 'trade' | 'status' | 'tob';
export const STREAM_KINDS: readonly StreamKind[] = ['book', 'trade', 'status', 'tob'];

const VENUE_RE = /^[a-z0-9]{1,32}$/;
const SYMBOL_RE = /^[A-Z0-9]{1,20}(-[A-Z0-9]{1,20}){1,3}$/;

export class SubjectError extends Error {
  override readonly name = 'SubjectError';
}

export function isVenueId(v: string): boolean {
  return VENUE_RE.test(v);
}

export function isSymbol(s: string): boolean {
  return SYMBOL_RE.test(s);
}

export function assertVenueSymbol(venue: string, symbol: string): void {
  if (!VENUE_RE.test(venue)) throw new SubjectError(`invalid venue id ${JSON.stringify(venue)}`);
  if (!SYMBOL_RE.test(symbol)) throw new SubjectError(`invalid symbol ${JSON.stringify(symbol)}`);
}

/** Subject for one (kind, venue, symbol). Validates its tokens. */
export function subjectFor(kind: StreamKind, venue: string, symbol: string): string {
  assertVenueSymbol(venue, symbol);
  return `${SUBJECT_ROOT}.${SUBJECT_VERSION}.${kind}.${venue}.${symbol}`;
}

/** Wildcard subject: all symbols of a venue (`venue` given) or of every venue. */
export function subjectWildcard(kind: StreamKind, venue?: string): string {
  if (venue !== undefined && !VENUE_RE.test(venue)) throw new SubjectError(`invalid venue id ${venue}`);
  return `${SUBJECT_ROOT}.${SUBJECT_VERSION}.${kind}.${venue ?? '*'}.*`;
}

export interface ParsedSubject {
  kind: StreamKind;
  venue: string;
  symbol: string;
}

/** Parses a data subject; returns undefined for anything that is not one. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== SUBJECT_ROOT || parts[1] !== SUBJECT_VERSION) return undefined;
  const kind = parts[2] as StreamKind;
  if (!STREAM_KINDS.includes(kind)) return undefined;
  const venue = parts[3]!;
  const symbol = parts[4]!;
  if (!VENUE_RE.test(venue) || !SYMBOL_RE.test(symbol)) return undefined;
  return { kind, venue, symbol };
}

/** Control subject of a venue's ingestors (low-rate request/reply through Nest's NATS transport). */
export function ingestorControlSubject(venue: string): string {
  if (!VENUE_RE.test(venue)) throw new SubjectError(`invalid venue id ${venue}`);
  return `ctl.${SUBJECT_VERSION}.ingestor.${venue}`;
}

/** Redis key of a (venue, symbol) top-of-book hash. */
export function tobRedisKey(venue: string, symbol: string): string {
  assertVenueSymbol(venue, symbol);
  return `tm:v1:tob:${venue}:${symbol}`;
}

/**
 * Request/reply subject for a book snapshot of one (venue, symbol) from its ingestor. The reply is
 * a codec-encoded BookSnapshot (current epoch and seq), or a JSON `{"error": "..."}` when the
 * symbol is not live.
 */
export function snapshotRequestSubject(venue: string, symbol: string): string {
  assertVenueSymbol(venue, symbol);
  return `ctl.${SUBJECT_VERSION}.snapshot.${venue}.${symbol}`;
}
