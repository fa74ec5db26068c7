/**
 * Depth snapshots on request from the book-builder, version 1.
 *
 *   ctl.v1.book.<venue>.<symbol>
 *     request: empty, or JSON `{"depth": n}` with 1 <= n <= 1000 (default 50); unknown fields are
 *              ignored, so later versions may add optional ones
 *     reply:   a codec-encoded `book.snapshot` (binary or JSON, see codec.ts: `decode` reads both)
 *              holding the top `depth` levels per side at the book's current epoch and seq, or JSON
 *              `{"error": "...", "state"?: "<SyncState>"}` — unknown book, book not live (with its
 *              state), or an invalid request. A book-builder may also cap `depth` lower
 *              (DEPTH_REQUEST_MAX) and answers an error above its cap.
 *
 * Book-builder replicas that own the same books answer in one NATS queue group, so a request gets
 * exactly one reply. Unlike `ctl.v1.snapshot.<venue>.<symbol>` (served by the ingestor, full book,
 * for consumers that rebuild books themselves), this is for clients that want a bounded view.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CodecError, decode } from './codec';
import { SyncStateSchema, type BookSnapshot, type SyncState } from './messages';
import { assertVenueSymbol, isSymbol, isVenueId, SubjectError, SUBJECT_VERSION } from './subjects';
import { encodeJsonV1, jsonV1Decoder, parseJsonBytes } from './v1-json';

export const BOOK_REQUEST_DEFAULT_DEPTH = 50;
export const BOOK_REQUEST_MAX_DEPTH = 1000;

export const BookRequestSchema = Type.Object(
  {
    depth: Type.Optional(
      Type.Integer({ minimum: 1, maximum: BOOK_REQUEST_MAX_DEPTH, description: 'levels per side' }),
    ),
  },
  { $id: 'tickmesh.book.request.v1', description: 'Depth snapshot request (body of ctl.v1.book.*.*).' },
);
export type BookRequest = Static<typeof BookRequestSchema>;

export const BookRequestErrorSchema = Type.Object(
  {
    error: Type.String({ maxLength: 512 }),
    state: Type.Optional(SyncStateSchema),
  },
  { $id: 'tickmesh.book.request.error.v1' },
);
export interface BookRequestError {
  error: string;
  /** the book's state when it exists but is not live */
  state?: SyncState;
}

const PREFIX = `ctl.${SUBJECT_VERSION}.book.`;

/** Request subject for the depth snapshot of one (venue, symbol) book. */
export function bookRequestSubject(venue: string, symbol: string): string {
  assertVenueSymbol(venue, symbol);
  return `${PREFIX}${venue}.${symbol}`;
}

/** Wildcard over every symbol of a venue (`venue` given) or of every venue (a server's subscription). */
export function bookRequestWildcard(venue?: string): string {
  if (venue !== undefined && !isVenueId(venue)) throw new SubjectError(`invalid venue id ${venue}`);
  return `${PREFIX}${venue ?? '*'}.*`;
}

/** Venue and symbol of a request subject; undefined for anything else. */
export function parseBookRequestSubject(subject: string): { venue: string; symbol: string } | undefined {
  if (!subject.startsWith(PREFIX)) return undefined;
  const rest = subject.slice(PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return undefined;
  const venue = rest.slice(0, dot);
  const symbol = rest.slice(dot + 1);
  return isVenueId(venue) && isSymbol(symbol) ? { venue, symbol } : undefined;
}

const decodeRequest = jsonV1Decoder<BookRequest>(BookRequestSchema, 'book request');
const decodeError = jsonV1Decoder<BookRequestError>(BookRequestErrorSchema, 'book request error');

/**
 * Parses a request body: empty means the default depth. Returns the requested depth, or an error
 * text for a malformed body or a depth outside 1..1000.
 */
export function parseBookRequest(data: Uint8Array): { depth: number } | { error: string } {
  if (data.length === 0) return { depth: BOOK_REQUEST_DEFAULT_DEPTH };
  try {
    return { depth: decodeRequest(data).depth ?? BOOK_REQUEST_DEFAULT_DEPTH };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function encodeBookRequest(req: BookRequest): Uint8Array {
  return encodeJsonV1(req);
}

export function encodeBookRequestError(e: BookRequestError): Uint8Array {
  return encodeJsonV1(e);
}

/** Reads a reply: the snapshot, or the error object. Throws CodecError on anything else. */
export function decodeBookReply(data: Uint8Array): BookSnapshot | BookRequestError {
  // an error object is JSON without a `type`; a JSON-encoded snapshot has one
  if (data.length > 0 && data[0] === 0x7b /* { */) {
    const value = parseJsonBytes(data);
    if (typeof value === 'object' && value !== null && !('type' in value)) return decodeError(data);
  }
  const msg = decode(data);
  if (msg.type !== 'book.snapshot') throw new CodecError(`unexpected ${msg.type} in a book reply`);
  return msg;
}
