/**
 * Wire messages, schema version 1. Each message type has a TypeBox schema (the documentation and
 * the validator for JSON input) and a TypeScript type derived from it. The binary layout of each
 * type is in codec.ts; docs/wire-schemas.md describes both.
 *
 * Conventions
 * - prices and sizes are exact decimal text (see decimal.ts); a size of zero in a delta removes the
 *   level; levels are [price, size] pairs, best first;
 * - timestamps are µs since the Unix epoch (see time.ts);
 * - `seq` is the venue's sequence for the book after this message (Binance `u`, OKX `seqId`, ...);
 *   `prevSeq` is the `seq` of the book message it follows in the same epoch, so any consumer can
 *   check continuity without venue knowledge: a delta applies iff `prevSeq === book.seq`;
 * - `epoch` increments at every (re)snapshot of a (venue, symbol) book; messages of an older epoch
 *   must be ignored.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SCHEMA_VERSION = 1;

const Decimal = Type.String({
  pattern: '^\\d+(\\.\\d+)?$',
  maxLength: 64,
  description: 'exact decimal text',
});
const Venue = Type.String({ pattern: '^[a-z0-9]{1,32}$' });
const Symbol = Type.String({ pattern: '^[A-Z0-9]{1,20}(-[A-Z0-9]{1,20}){1,3}$' });
const Micros = Type.Number({ minimum: 0, description: 'µs since the Unix epoch' });
const Seq = Type.Number({ minimum: 0, description: 'venue sequence (safe integer)' });
const Epoch = Type.Integer({ minimum: 0 });

export const LevelSchema = Type.Tuple([Decimal, Decimal]);
export type Level = [price: string, size: string];

export const BookSnapshotSchema = Type.Object(
  {
    type: Type.Literal('book.snapshot'),
    venue: Venue,
    symbol: Symbol,
    epoch: Epoch,
    seq: Seq,
    venueTs: Micros,
    recvTs: Micros,
    bids: Type.Array(LevelSchema),
    asks: Type.Array(LevelSchema),
  },
  { $id: 'tickmesh.book.snapshot.v1', description: 'Full book state that starts an epoch.' },
);
export type BookSnapshot = Static<typeof BookSnapshotSchema>;

export const BookDeltaSchema = Type.Object(
  {
    type: Type.Literal('book.delta'),
    venue: Venue,
    symbol: Symbol,
    epoch: Epoch,
    seq: Seq,
    prevSeq: Seq,
    venueTs: Micros,
    recvTs: Micros,
    bids: Type.Array(LevelSchema),
    asks: Type.Array(LevelSchema),
  },
  {
    $id: 'tickmesh.book.delta.v1',
    description: 'Absolute level sizes after one venue update; size 0 removes.',
  },
);
export type BookDelta = Static<typeof BookDeltaSchema>;

export const TradeSchema = Type.Object(
  {
    type: Type.Literal('trade'),
    venue: Venue,
    symbol: Symbol,
    id: Type.String({ maxLength: 64 }),
    price: Decimal,
    size: Decimal,
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell'), Type.Literal('unknown')], {
      description: 'taker side',
    }),
    venueTs: Micros,
    recvTs: Micros,
  },
  { $id: 'tickmesh.trade.v1' },
);
export type Trade = Static<typeof TradeSchema>;

export const SYNC_STATES = ['connecting', 'snapshotting', 'live', 'resyncing', 'stale', 'error'] as const;
export type SyncState = (typeof SYNC_STATES)[number];
export const SyncStateSchema = Type.Union(SYNC_STATES.map((s) => Type.Literal(s)));

export const SyncStatusSchema = Type.Object(
  {
    type: Type.Literal('status'),
    venue: Venue,
    symbol: Symbol,
    state: SyncStateSchema,
    epoch: Epoch,
    seq: Seq,
    reason: Type.String({ maxLength: 256, description: 'why the state was entered ("" when live)' }),
    resyncs: Type.Integer({ minimum: 0, description: 'resyncs of this symbol since the ingestor started' }),
    ts: Micros,
  },
  { $id: 'tickmesh.status.v1', description: 'Per-symbol sync state of an ingestor.' },
);
export type SyncStatus = Static<typeof SyncStatusSchema>;

export const TopOfBookSchema = Type.Object(
  {
    type: Type.Literal('tob'),
    venue: Venue,
    symbol: Symbol,
    bidPx: Type.String({ description: 'best bid price, "" when the side is empty' }),
    bidSz: Type.String(),
    askPx: Type.String(),
    askSz: Type.String(),
    epoch: Epoch,
    seq: Seq,
    state: SyncStateSchema,
    venueTs: Micros,
    recvTs: Micros,
    bookTs: Micros,
  },
  { $id: 'tickmesh.tob.v1', description: 'Best bid/ask of one venue book, with freshness.' },
);
export type TopOfBook = Static<typeof TopOfBookSchema>;

export type BookMessage = BookSnapshot | BookDelta;
export type WireMessage = BookSnapshot | BookDelta | Trade | SyncStatus | TopOfBook;
export type WireType = WireMessage['type'];

export const WIRE_SCHEMAS = {
  'book.snapshot': BookSnapshotSchema,
  'book.delta': BookDeltaSchema,
  trade: TradeSchema,
  status: SyncStatusSchema,
  tob: TopOfBookSchema,
} as const;
