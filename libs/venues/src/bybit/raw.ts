/**
 * Bybit v5 public raw messages, typed and validated at the first parse (TypeBox, compiled once).
 * Sources: bybit-exchange/docs @ 072c197 — websocket/public/orderbook.mdx, trade.mdx,
 * wss-authentication.mdx ("Connect"), market/orderbook.mdx, market/instrument.mdx (summarised in
 * PROTOCOLS.md §2 of the shared venue notes; see README.md here). Prices and sizes are decimal strings; `ts`,
 * `cts` and `T` are ms numbers (the simulator adds a µs fraction, so they are not integers here).
 * Extra fields are allowed everywhere: Bybit adds fields without notice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Dec = Type.String({ maxLength: 64 });
const RawLevel = Type.Tuple([Dec, Dec]);
const Sym = Type.String({ minLength: 1, maxLength: 40 });
const Ms = Type.Number({ minimum: 0 });

/** `orderbook.{depth}.{symbol}`: `snapshot` or `delta` (orderbook.mdx). */
export const OrderbookMessageSchema = Type.Object({
  topic: Type.String({ maxLength: 80 }),
  type: Type.Union([Type.Literal('snapshot'), Type.Literal('delta')]),
  ts: Ms,
  data: Type.Object({
    s: Sym,
    b: Type.Array(RawLevel),
    a: Type.Array(RawLevel),
    u: Type.Integer({ minimum: 0 }),
    seq: Type.Optional(Type.Integer()),
  }),
  cts: Type.Optional(Ms),
});
export type OrderbookMessage = Static<typeof OrderbookMessageSchema>;

/** `publicTrade.{symbol}`: always `type: "snapshot"`, up to 1024 trades per message (trade.mdx). */
export const PublicTradeMessageSchema = Type.Object({
  topic: Type.String({ maxLength: 80 }),
  type: Type.String({ maxLength: 16 }),
  ts: Ms,
  data: Type.Array(
    Type.Object({
      T: Ms,
      s: Sym,
      /** taker side */
      S: Type.Union([Type.Literal('Buy'), Type.Literal('Sell')]),
      v: Dec,
      p: Dec,
      /** tick direction, futures only */
      L: Type.Optional(Type.String()),
      /** numeric string on spot, UUID on futures */
      i: Type.String({ minLength: 1, maxLength: 64 }),
      BT: Type.Optional(Type.Boolean()),
      RPI: Type.Optional(Type.Boolean()),
      seq: Type.Optional(Type.Integer()),
    }),
  ),
});
export type PublicTradeMessage = Static<typeof PublicTradeMessageSchema>;

/**
 * Replies to client ops (subscribe, unsubscribe, ping). Spot:
 * `{"success":true,"ret_msg":"subscribe","conn_id":"..","req_id":"10001","op":"subscribe"}`;
 * linear adds `"req_id":""`; the pong is `{"success":true,"ret_msg":"pong",..,"op":"ping"}`.
 */
export const OpReplySchema = Type.Object({
  success: Type.Boolean(),
  ret_msg: Type.String({ maxLength: 4096 }),
  op: Type.String({ maxLength: 32 }),
  conn_id: Type.Optional(Type.String()),
  req_id: Type.Optional(Type.String()),
});
export type OpReply = Static<typeof OpReplySchema>;

/** REST envelope: `retCode` 0 is success; errors come with HTTP 200 and `result: {}`. */
export const RestEnvelopeSchema = Type.Object({
  retCode: Type.Integer(),
  retMsg: Type.String(),
  result: Type.Unknown(),
});

const InstrumentSchema = Type.Object({
  symbol: Sym,
  status: Type.String(),
  baseCoin: Type.String({ maxLength: 40 }),
  quoteCoin: Type.String({ maxLength: 40 }),
  settleCoin: Type.Optional(Type.String({ maxLength: 40 })),
  /** linear/inverse only: `LinearPerpetual`, `LinearFutures`, ... */
  contractType: Type.Optional(Type.String()),
  priceFilter: Type.Optional(Type.Object({ tickSize: Type.Optional(Type.String()) })),
  lotSizeFilter: Type.Optional(
    Type.Object({
      /** spot: base size step */
      basePrecision: Type.Optional(Type.String()),
      /** linear: quantity step */
      qtyStep: Type.Optional(Type.String()),
    }),
  ),
});
export type RawInstrument = Static<typeof InstrumentSchema>;

export const InstrumentsResultSchema = Type.Object({
  category: Type.String(),
  list: Type.Array(InstrumentSchema),
  nextPageCursor: Type.Optional(Type.String()),
});

/** `GET /v5/market/orderbook` result: `u` is the 1000-level stream's update id (orderbook.mdx). */
export const RestOrderbookSchema = Type.Object({
  s: Sym,
  b: Type.Array(RawLevel),
  a: Type.Array(RawLevel),
  ts: Ms,
  u: Type.Integer({ minimum: 0 }),
  seq: Type.Optional(Type.Integer()),
  cts: Type.Optional(Ms),
});
export type RestOrderbook = Static<typeof RestOrderbookSchema>;

export const checkOrderbookMessage = TypeCompiler.Compile(OrderbookMessageSchema);
export const checkPublicTradeMessage = TypeCompiler.Compile(PublicTradeMessageSchema);
export const checkOpReply = TypeCompiler.Compile(OpReplySchema);
export const checkRestEnvelope = TypeCompiler.Compile(RestEnvelopeSchema);
export const checkInstrumentsResult = TypeCompiler.Compile(InstrumentsResultSchema);
export const checkRestOrderbook = TypeCompiler.Compile(RestOrderbookSchema);
