/**
 * Coinbase Advanced Trade raw messages, typed and validated at the first parse (TypeBox, compiled
 * once). Sources (summarised in the shared PROTOCOLS.md §4.1; see README.md here): the CDP docs
 * "Advanced Trade WebSocket Overview", "Advanced Trade WebSocket Channels", "Level 2 order book"
 * and "Market trades" (AsyncAPI), and the REST "List Public Products" / "Get Public Product Book"
 * (OpenAPI) pages. Prices and sizes are decimal strings; times are RFC 3339 strings (ns on the
 * envelope `timestamp`, µs on trades). Extra fields are allowed everywhere: Coinbase adds fields
 * without notice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Dec = Type.String({ maxLength: 64 });
const Time = Type.String({ maxLength: 64 });
const ProductId = Type.String({ minLength: 1, maxLength: 40 });

/**
 * Every WebSocket data message: `{"channel","client_id","timestamp","sequence_num","events":[..]}`.
 * `sequence_num` is one counter per connection across all channels (OBSERVED, see README.md).
 */
export const EnvelopeSchema = Type.Object({
  channel: Type.String({ maxLength: 64 }),
  client_id: Type.Optional(Type.String()),
  timestamp: Time,
  sequence_num: Type.Integer({ minimum: 0 }),
  events: Type.Array(Type.Unknown()),
});
export type Envelope = Static<typeof EnvelopeSchema>;

/** One entry of `updates[]`: `side` is `bid` or `offer` (`ask` accepted defensively). */
export const L2UpdateSchema = Type.Object({
  side: Type.String({ maxLength: 16 }),
  event_time: Type.Optional(Time),
  price_level: Dec,
  /** absolute size; "0" removes the level */
  new_quantity: Dec,
});
export type RawL2Update = Static<typeof L2UpdateSchema>;

/** `l2_data` event (subscribed as `level2`): `snapshot` (the whole book) or `update`. */
export const L2EventSchema = Type.Object({
  type: Type.Union([Type.Literal('snapshot'), Type.Literal('update')]),
  product_id: ProductId,
  updates: Type.Array(L2UpdateSchema),
});
export type RawL2Event = Static<typeof L2EventSchema>;

/** One trade of a `market_trades` event. */
export const MarketTradeSchema = Type.Object({
  trade_id: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Integer({ minimum: 0 })]),
  product_id: ProductId,
  price: Dec,
  size: Dec,
  /** `BUY` / `SELL`: whose side it is is UNVERIFIED (README.md, "Trades") */
  side: Type.String({ maxLength: 32 }),
  time: Time,
});
export type RawMarketTrade = Static<typeof MarketTradeSchema>;

/** `market_trades` event: `snapshot` (recent trades, sent on subscribe) or `update` (batched). */
export const MarketTradesEventSchema = Type.Object({
  type: Type.Union([Type.Literal('snapshot'), Type.Literal('update')]),
  trades: Type.Array(MarketTradeSchema),
});
export type RawMarketTradesEvent = Static<typeof MarketTradesEventSchema>;

/** `heartbeats` event; the docs' example sends the counter as a string, other captures as a number. */
export const HeartbeatEventSchema = Type.Object({
  current_time: Type.Optional(Type.String()),
  heartbeat_counter: Type.Union([Type.String({ maxLength: 32 }), Type.Integer()]),
});

/** `subscriptions` event: the connection's subscriptions after a (un)subscribe, per channel. */
export const SubscriptionsEventSchema = Type.Object({
  subscriptions: Type.Record(Type.String(), Type.Array(Type.String())),
});

/** `{"type":"error","message":..}`; the legacy feed adds `reason` (OBSERVED). */
export const ErrorMessageSchema = Type.Object({
  type: Type.Literal('error'),
  message: Type.String({ maxLength: 4096 }),
  reason: Type.Optional(Type.String({ maxLength: 4096 })),
});

/** One product of `GET /api/v3/brokerage/market/products`. */
export const ProductSchema = Type.Object({
  product_id: ProductId,
  base_currency_id: Type.String({ maxLength: 40 }),
  quote_currency_id: Type.String({ maxLength: 40 }),
  /** `SPOT` or `FUTURE` */
  product_type: Type.String({ maxLength: 40 }),
  /** `online`, ... */
  status: Type.Optional(Type.String({ maxLength: 40 })),
  is_disabled: Type.Optional(Type.Boolean()),
  trading_disabled: Type.Optional(Type.Boolean()),
  /** the product whose market data this one returns (`BTC-USDC` → `BTC-USD`); empty otherwise */
  alias: Type.Optional(Type.String({ maxLength: 40 })),
  /** price tick */
  price_increment: Type.Optional(Type.String({ maxLength: 64 })),
  quote_increment: Type.Optional(Type.String({ maxLength: 64 })),
  /** size step */
  base_increment: Type.Optional(Type.String({ maxLength: 64 })),
});
export type RawProduct = Static<typeof ProductSchema>;

export const ProductsResponseSchema = Type.Object({
  products: Type.Array(ProductSchema),
  num_products: Type.Optional(Type.Integer()),
});

const BookEntry = Type.Object({ price: Dec, size: Dec });

/** `GET /api/v3/brokerage/market/product_book?product_id=` (tooling only, see sync.ts). */
export const ProductBookResponseSchema = Type.Object({
  pricebook: Type.Object({
    product_id: ProductId,
    bids: Type.Array(BookEntry),
    asks: Type.Array(BookEntry),
    time: Type.Optional(Time),
  }),
});

export const checkEnvelope = TypeCompiler.Compile(EnvelopeSchema);
export const checkL2Event = TypeCompiler.Compile(L2EventSchema);
export const checkMarketTradesEvent = TypeCompiler.Compile(MarketTradesEventSchema);
export const checkHeartbeatEvent = TypeCompiler.Compile(HeartbeatEventSchema);
export const checkSubscriptionsEvent = TypeCompiler.Compile(SubscriptionsEventSchema);
export const checkErrorMessage = TypeCompiler.Compile(ErrorMessageSchema);
export const checkProductsResponse = TypeCompiler.Compile(ProductsResponseSchema);
export const checkProductBookResponse = TypeCompiler.Compile(ProductBookResponseSchema);
