/**
 * OKX v5 public raw messages, typed and validated at the first parse (TypeBox, compiled once).
 * Sources: the shared PROTOCOLS.md §5 (OKX docs "WS / Order book channel" and "Trades channel" via
 * doc copies, the 2026 changelog and checksum-deprecation announcement) and the real 2022 capture
 * in samples/okx/format-samples.json. Extra fields are allowed everywhere: OKX adds fields without
 * notice.
 *
 * Prices and sizes are decimal strings with no fixed decimals (`"30236"`, `"0.0002"`); `ts` is ms as
 * a string (the simulator adds a µs fraction, `"1700000000000.123"`, see parse.ts); `seqId`,
 * `prevSeqId` and `checksum` are JSON integers.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Dec = Type.String({ maxLength: 64 });
/**
 * `[price, size, "0" (deprecated: liquidated orders), number of orders]`. Only the first two are
 * used; the synthetic sequence scenarios carry two-element levels, so 2..4 elements are accepted.
 */
const RawLevel = Type.Array(Dec, { minItems: 2, maxItems: 4 });
const InstId = Type.String({ minLength: 1, maxLength: 64 });
const MsText = Type.String({ minLength: 1, maxLength: 32 });
const Arg = Type.Object({ channel: Type.String({ maxLength: 64 }), instId: Type.Optional(InstId) });

/** One element of a `books` push's `data` (one book message). */
export const BooksDataSchema = Type.Object({
  asks: Type.Array(RawLevel),
  bids: Type.Array(RawLevel),
  ts: MsText,
  /** signed int32 CRC32 of the top 25 levels; always 0 from 23 Jun 2026 (may also disappear) */
  checksum: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
  /** `-1` on a snapshot */
  prevSeqId: Type.Integer({ minimum: -1 }),
  seqId: Type.Integer({ minimum: 0 }),
});
export type BooksData = Static<typeof BooksDataSchema>;

/** `{"arg":{"channel":"books","instId":".."},"action":"snapshot"|"update","data":[{..}]}` */
export const BooksPushSchema = Type.Object({
  arg: Type.Object({ channel: Type.String({ maxLength: 64 }), instId: InstId }),
  action: Type.Union([Type.Literal('snapshot'), Type.Literal('update')]),
  data: Type.Array(BooksDataSchema, { minItems: 1 }),
});
export type BooksPush = Static<typeof BooksPushSchema>;

/** What the parser hands to the sync: one book message of one instrument. */
export interface OkxBookUpdate {
  action: 'snapshot' | 'update';
  instId: string;
  data: BooksData;
}

/** `trades`: one or more trades per push; `side` is the taker side; `count` (fills aggregated) is newer. */
export const TradesPushSchema = Type.Object({
  arg: Type.Object({ channel: Type.Literal('trades'), instId: InstId }),
  data: Type.Array(
    Type.Object({
      instId: InstId,
      tradeId: Type.String({ minLength: 1, maxLength: 64 }),
      px: Dec,
      sz: Dec,
      side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
      ts: MsText,
      count: Type.Optional(Type.String({ maxLength: 16 })),
    }),
  ),
});
export type TradesPush = Static<typeof TradesPushSchema>;

/**
 * Operation results and notices: `{"id":"1512","event":"subscribe","arg":{..},"connId":".."}`,
 * `{"event":"error","code":"60018","msg":"..","connId":".."}`, `{"event":"notice",..}`.
 */
export const EventMessageSchema = Type.Object({
  event: Type.String({ maxLength: 64 }),
  id: Type.Optional(Type.String({ maxLength: 64 })),
  arg: Type.Optional(Arg),
  code: Type.Optional(Type.String({ maxLength: 16 })),
  msg: Type.Optional(Type.String({ maxLength: 4096 })),
  connId: Type.Optional(Type.String({ maxLength: 64 })),
});
export type EventMessage = Static<typeof EventMessageSchema>;

/** REST envelope: `code` "0" is success; `data` is always an array. */
export const RestEnvelopeSchema = Type.Object({
  code: Type.String({ maxLength: 16 }),
  msg: Type.String({ maxLength: 4096 }),
  data: Type.Array(Type.Unknown()),
});

/**
 * `GET /api/v5/market/books` element. `seqId` is what the 2026 REST-snapshot procedure relies on
 * (implied by the changelog text, not seen in a stored example: UNVERIFIED name and place).
 */
export const RestBookSchema = Type.Object({
  asks: Type.Array(RawLevel),
  bids: Type.Array(RawLevel),
  ts: MsText,
  seqId: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type RestBook = Static<typeof RestBookSchema>;

/** `GET /api/v5/public/instruments` element (the fields used; SWAP has empty baseCcy/quoteCcy). */
export const InstrumentSchema = Type.Object({
  instType: Type.String({ maxLength: 16 }),
  instId: InstId,
  state: Type.String({ maxLength: 32 }),
  baseCcy: Type.Optional(Type.String({ maxLength: 40 })),
  quoteCcy: Type.Optional(Type.String({ maxLength: 40 })),
  settleCcy: Type.Optional(Type.String({ maxLength: 40 })),
  ctValCcy: Type.Optional(Type.String({ maxLength: 40 })),
  ctVal: Type.Optional(Type.String({ maxLength: 64 })),
  /** `linear` | `inverse` (derivatives only) */
  ctType: Type.Optional(Type.String({ maxLength: 16 })),
  tickSz: Type.Optional(Type.String({ maxLength: 64 })),
  lotSz: Type.Optional(Type.String({ maxLength: 64 })),
});
export type RawInstrument = Static<typeof InstrumentSchema>;

export const checkBooksPush = TypeCompiler.Compile(BooksPushSchema);
export const checkTradesPush = TypeCompiler.Compile(TradesPushSchema);
export const checkEventMessage = TypeCompiler.Compile(EventMessageSchema);
export const checkRestEnvelope = TypeCompiler.Compile(RestEnvelopeSchema);
export const checkRestBook = TypeCompiler.Compile(RestBookSchema);
export const checkInstrument = TypeCompiler.Compile(InstrumentSchema);
