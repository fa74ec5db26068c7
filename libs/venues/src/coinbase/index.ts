export {
  coinbaseAdapter,
  subscribeMessage,
  CHANNELS,
  MAX_STREAMS_PER_CONNECTION,
  STALE_SOCKET_MS,
  type CoinbaseAdapter,
  type CoinbaseOptions,
} from './adapter';
export { CoinbaseBookSync } from './sync';
export {
  ConnectionSequence,
  checkSequence,
  type ConnectionFrameEvent,
  type ConnectionGapEvent,
  type ConnectionSeqEvent,
  type ConnectionTracker,
  type SequenceVerdict,
} from './sequence';
export {
  parseFrame,
  parseInstruments,
  parseSnapshot,
  productIdsInText,
  rfc3339ToMicros,
  type CoinbaseFrameEvent,
  type FrameContext,
  type L2Event,
  type ProductBook,
  type TradeSideMeaning,
} from './parse';
export type { Envelope, RawL2Event, RawL2Update, RawMarketTrade, RawProduct } from './raw';
