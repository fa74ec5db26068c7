/**
 * Kraken Spot WebSocket v2 and REST raw messages, typed and validated at the first parse (TypeBox,
 * compiled once). Sources: Kraken API Center "Book (Level 2)", "Trades", "Book checksum (WebSocket
 * v2)", "Spot WebSocket Introduction", REST "Get Tradable Asset Pairs" / "Get Order Book" (see
 * PROTOCOLS.md §3 of the shared venue notes and README.md here).
 *
 * WebSocket frames are parsed with `parseJsonLossless`: every JSON number arrives as a `JsonNumber`
 * (its exact literal text), validated here by the custom kind `KrakenJsonNumber`. Prices and
 * quantities are JSON numbers on v2 (`{"price":45283.5,"qty":0.10000000}`), and so are `checksum`
 * and `trade_id`. REST bodies quote their decimals and go through `JSON.parse`.
 * Extra fields are allowed everywhere: venues add fields without notice.
 */
import { Kind, Type, TypeRegistry, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { JsonNumber } from './json-lossless';

const NUMBER_KIND = 'KrakenJsonNumber';
if (!TypeRegistry.Has(NUMBER_KIND)) TypeRegistry.Set(NUMBER_KIND, (_s, v) => v instanceof JsonNumber);

/** A JSON number kept as its literal text (the lossless parser's `JsonNumber`). */
export const Num: TUnsafe<JsonNumber> = Type.Unsafe<JsonNumber>({ [Kind]: NUMBER_KIND });

const Sym = Type.String({ minLength: 1, maxLength: 40 });
const Text = Type.String({ maxLength: 4096 });

/** `{"price":45283.5,"qty":0.10000000}` */
const WireLevel = Type.Object({ price: Num, qty: Num });

/** One element of a `book` message's `data` (one symbol). */
export const BookDataSchema = Type.Object({
  symbol: Sym,
  bids: Type.Array(WireLevel),
  asks: Type.Array(WireLevel),
  /** CRC32 of the top 10 levels per side after this message, unsigned */
  checksum: Num,
  /** RFC 3339 with µs, e.g. `2023-10-06T17:35:55.440295Z` */
  timestamp: Type.Optional(Type.String({ maxLength: 40 })),
});
export type BookData = Static<typeof BookDataSchema>;

/** `{"channel":"book","type":"snapshot"|"update","data":[...]}` ("Book (Level 2)"). */
export const BookMessageSchema = Type.Object({
  channel: Type.Literal('book'),
  type: Type.Union([Type.Literal('snapshot'), Type.Literal('update')]),
  data: Type.Array(BookDataSchema),
});
export type BookMessage = Static<typeof BookMessageSchema>;

/** `{"channel":"trade","type":"update","data":[{symbol,side,price,qty,ord_type,trade_id,timestamp}]}` ("Trades"). */
export const TradeMessageSchema = Type.Object({
  channel: Type.Literal('trade'),
  type: Type.Union([Type.Literal('snapshot'), Type.Literal('update')]),
  data: Type.Array(
    Type.Object({
      symbol: Sym,
      /** the taker's side */
      side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
      price: Num,
      qty: Num,
      ord_type: Type.Optional(Type.String({ maxLength: 16 })),
      /** sequential integer per pair (v1-vs-v2 table: "Trade ID: Sequential int") */
      trade_id: Num,
      timestamp: Type.String({ maxLength: 40 }),
    }),
  ),
});
export type TradeMessage = Static<typeof TradeMessageSchema>;

/**
 * Replies to client requests: subscribe/unsubscribe acks (one per symbol)
 * `{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":..,"time_out":..,"req_id":1}`,
 * rejections `{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,"symbol":"XBT/USD",...}`,
 * and the pong `{"method":"pong","req_id":42,"time_in":..,"time_out":..}`.
 */
export const MethodReplySchema = Type.Object({
  method: Type.String({ maxLength: 64 }),
  success: Type.Optional(Type.Boolean()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Text),
  symbol: Type.Optional(Type.String({ maxLength: 64 })),
  req_id: Type.Optional(Num),
  time_in: Type.Optional(Type.String({ maxLength: 40 })),
  time_out: Type.Optional(Type.String({ maxLength: 40 })),
});
export type MethodReply = Static<typeof MethodReplySchema>;

/** `{"channel":"status","type":"update","data":[{"system":"online","api_version":"v2",...}]}` */
export const StatusMessageSchema = Type.Object({
  channel: Type.Literal('status'),
  data: Type.Array(Type.Object({ system: Type.Optional(Type.String({ maxLength: 32 })) })),
});

// ---- REST (JSON.parse: decimals are quoted strings) ------------------------------------------

/** REST envelope: `{"error":[],"result":{...}}`; errors come as `"error":["EQuery:Unknown asset pair"]`. */
export const RestEnvelopeSchema = Type.Object({
  error: Type.Array(Type.String()),
  result: Type.Optional(Type.Unknown()),
});

/** One entry of `GET /0/public/AssetPairs` (REST "Get Tradable Asset Pairs"). */
export const AssetPairSchema = Type.Object({
  altname: Type.Optional(Type.String()),
  /** the v1 WebSocket name, `XBT/USD`; absent for pairs not on WebSocket */
  wsname: Type.Optional(Type.String({ maxLength: 64 })),
  base: Type.String(),
  quote: Type.String(),
  /** price precision (= WS v2 `price_precision`) */
  pair_decimals: Type.Integer({ minimum: 0, maximum: 20 }),
  /** volume precision (= WS v2 `qty_precision`) */
  lot_decimals: Type.Integer({ minimum: 0, maximum: 20 }),
  tick_size: Type.Optional(Type.String()),
  /** `online`, `cancel_only`, `post_only`, `limit_only`, `reduce_only`, `delisted`, ... */
  status: Type.Optional(Type.String()),
});
export type AssetPair = Static<typeof AssetPairSchema>;

export const AssetPairsResultSchema = Type.Record(Type.String(), Type.Unknown());

/** `GET /0/public/Depth` result entry: `[price, volume, timestamp]` per level. */
const RestLevel = Type.Tuple([Type.String({ maxLength: 64 }), Type.String({ maxLength: 64 }), Type.Number()]);
export const RestDepthSchema = Type.Object({
  asks: Type.Array(RestLevel),
  bids: Type.Array(RestLevel),
});
export type RestDepth = Static<typeof RestDepthSchema>;

function compile<T extends TSchema>(schema: T) {
  return TypeCompiler.Compile(schema);
}

export const checkBookMessage = compile(BookMessageSchema);
export const checkTradeMessage = compile(TradeMessageSchema);
export const checkMethodReply = compile(MethodReplySchema);
export const checkStatusMessage = compile(StatusMessageSchema);
export const checkRestEnvelope = compile(RestEnvelopeSchema);
export const checkAssetPair = compile(AssetPairSchema);
export const checkAssetPairsResult = compile(AssetPairsResultSchema);
export const checkRestDepth = compile(RestDepthSchema);
