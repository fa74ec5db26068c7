/**
 * Depth snapshots on request: `ctl.v1.book.<venue>.<symbol>` (libs/contracts book-request.ts).
 * The reply is the book's top N levels per side as a codec-encoded `book.snapshot` at the book's
 * current epoch and seq — consistent by construction, since the handler runs between two applied
 * messages on the one JS thread — or JSON `{"error": ...}` for an unknown or not-live book (with
 * its state) and for invalid requests. Served from a raw subscription in the replicas' queue group;
 * a reply costs O(N) and never awaits.
 */
import type { Bus, BusSubscription, RawHandler } from '@tickmesh/bus';
import {
  bookRequestSubject,
  bookRequestWildcard,
  encodeBookRequestError,
  parseBookRequest,
  parseBookRequestSubject,
  type BookSnapshot,
  type Codec,
} from '@tickmesh/contracts';
import { metrics } from '@tickmesh/observability';
import type { BookState } from './book-state';

const requests = metrics.counter(
  'tickmesh_bookbuilder_depth_requests_total',
  'depth snapshot requests answered',
);

export interface DepthServerOptions {
  /** DEPTH_REQUEST_MAX */
  maxDepth: number;
  codec: Codec;
  /** venues to serve, or undefined for every venue */
  venues: readonly string[] | undefined;
  queue: string;
}

/** The reply bytes for one request. Pure apart from reading the book. */
export function depthReply(
  book: BookState | undefined,
  venue: string,
  symbol: string,
  data: Uint8Array,
  maxDepth: number,
  codec: Codec,
): { reply: Uint8Array; outcome: 'snapshot' | 'invalid' | 'unknown' | 'not-live' } {
  const req = parseBookRequest(data);
  if ('error' in req) return { reply: encodeBookRequestError({ error: req.error }), outcome: 'invalid' };
  if (req.depth > maxDepth) {
    return {
      reply: encodeBookRequestError({ error: `depth ${req.depth} exceeds DEPTH_REQUEST_MAX (${maxDepth})` }),
      outcome: 'invalid',
    };
  }
  if (book === undefined) {
    return {
      reply: encodeBookRequestError({ error: `unknown book ${venue} ${symbol}` }),
      outcome: 'unknown',
    };
  }
  const state = book.state;
  if (state !== 'live') {
    return {
      reply: encodeBookRequestError({ error: `${venue} ${symbol} is ${state}`, state }),
      outcome: 'not-live',
    };
  }
  const top = book.book.top(req.depth);
  const snap: BookSnapshot = {
    type: 'book.snapshot',
    venue,
    symbol,
    epoch: book.epoch,
    seq: book.seq,
    venueTs: book.venueTs,
    recvTs: book.recvTs,
    bids: top.bids,
    asks: top.asks,
  };
  return { reply: codec.encode(snap), outcome: 'snapshot' };
}

function handlerOf(
  bus: Bus,
  lookup: (venue: string, symbol: string) => BookState | undefined,
  opts: DepthServerOptions,
): RawHandler {
  return (data, subject, reply) => {
    if (reply === undefined) return;
    const p = parseBookRequestSubject(subject);
    if (p === undefined) return;
    const r = depthReply(lookup(p.venue, p.symbol), p.venue, p.symbol, data, opts.maxDepth, opts.codec);
    requests.labels({ outcome: r.outcome }).inc();
    bus.respond(reply, r.reply);
  };
}

/**
 * Subscribes the request handlers (one wildcard per venue: an unpartitioned builder owns every
 * book of its venues, and answers `unknown book` for the others); `lookup` finds a book without
 * creating it.
 */
export function serveDepthRequests(
  bus: Bus,
  lookup: (venue: string, symbol: string) => BookState | undefined,
  opts: DepthServerOptions,
): BusSubscription[] {
  const handler = handlerOf(bus, lookup, opts);
  const venues = opts.venues ?? [undefined];
  return venues.map((v) => bus.subscribeRaw(bookRequestWildcard(v), handler, { queue: opts.queue }));
}

/**
 * A partitioned replica serves only the books it owns: one subscription per owned book
 * (`ctl.v1.book.<venue>.<symbol>`, made when the book is discovered), so non-owners never see the
 * request and a request for a book no live replica owns gets NATS's immediate "no responders"
 * instead of a wrong or empty answer.
 */
export function depthServerForBooks(
  bus: Bus,
  lookup: (venue: string, symbol: string) => BookState | undefined,
  opts: DepthServerOptions,
): (venue: string, symbol: string) => BusSubscription {
  const handler = handlerOf(bus, lookup, opts);
  return (venue, symbol) =>
    bus.subscribeRaw(bookRequestSubject(venue, symbol), handler, { queue: opts.queue });
}
