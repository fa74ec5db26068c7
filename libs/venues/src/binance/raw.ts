/**
 * Binance spot raw messages, typed and validated at the first parse (TypeBox, compiled once).
 * Source: binance/binance-spot-api-docs web-socket-streams.md and rest-api.md (see
 * docs/venues/binance.md). Prices and sizes are decimal strings; ids are JSON integers.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Dec = Type.String({ maxLength: 64 });
const RawLevel = Type.Tuple([Dec, Dec]);

export const DepthUpdateSchema = Type.Object({
  e: Type.Literal('depthUpdate'),
  E: Type.Number(),
  s: Type.String({ maxLength: 32 }),
  U: Type.Integer({ minimum: 0 }),
  u: Type.Integer({ minimum: 0 }),
  b: Type.Array(RawLevel),
  a: Type.Array(RawLevel),
});
export type DepthUpdate = Static<typeof DepthUpdateSchema>;

export const TradeEventSchema = Type.Object({
  e: Type.Literal('trade'),
  E: Type.Number(),
  s: Type.String({ maxLength: 32 }),
  t: Type.Integer(),
  p: Dec,
  q: Dec,
  T: Type.Number(),
  m: Type.Boolean(),
});
export type TradeEvent = Static<typeof TradeEventSchema>;

export const DepthSnapshotSchema = Type.Object({
  lastUpdateId: Type.Integer({ minimum: 0 }),
  bids: Type.Array(RawLevel),
  asks: Type.Array(RawLevel),
});
export type DepthSnapshot = Static<typeof DepthSnapshotSchema>;

export const ExchangeInfoSchema = Type.Object({
  symbols: Type.Array(
    Type.Object({
      symbol: Type.String({ maxLength: 32 }),
      status: Type.String(),
      baseAsset: Type.String({ maxLength: 20 }),
      quoteAsset: Type.String({ maxLength: 20 }),
      filters: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    }),
  ),
});
export type ExchangeInfo = Static<typeof ExchangeInfoSchema>;

export const checkDepthUpdate = TypeCompiler.Compile(DepthUpdateSchema);
export const checkTradeEvent = TypeCompiler.Compile(TradeEventSchema);
export const checkDepthSnapshot = TypeCompiler.Compile(DepthSnapshotSchema);
export const checkExchangeInfo = TypeCompiler.Compile(ExchangeInfoSchema);
