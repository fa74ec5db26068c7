export {
  bybitAdapter,
  bookTopic,
  tradeTopic,
  BYBIT_DEPTHS,
  MAX_ARGS_PER_REQUEST,
  MAX_STREAMS_PER_CONNECTION,
  PING_INTERVAL_MS,
  type BybitAdapter,
  type BybitOptions,
} from './adapter';
export { BybitBookSync } from './sync';
export {
  parseFrame,
  parseSnapshot,
  parseInstruments,
  symbolsInText,
  msToUs,
  type BybitCategory,
  type FrameContext,
} from './parse';
export type { OrderbookMessage, PublicTradeMessage, OpReply, RestOrderbook } from './raw';
