export {
  okxAdapter,
  BOOK_CHANNEL,
  TRADE_CHANNEL,
  MAX_STREAMS_PER_CONNECTION,
  PING_INTERVAL_MS,
  SYMBOLS_PER_REQUEST,
  type OkxAdapter,
  type OkxOptions,
} from './adapter';
export {
  OkxBookSync,
  BOOKS_DEPTH,
  MAX_BUFFERED_EVENTS,
  type OkxSnapshotMode,
  type OkxSyncOptions,
} from './sync';
export { CHECKSUM_LEVELS, checksumString, crc32Signed, okxChecksum } from './checksum';
export {
  parseFrame,
  parseSnapshot,
  parseInstruments,
  instIdsInText,
  msTextToUs,
  levels,
  type FrameContext,
  type OkxInstType,
} from './parse';
export type { BooksData, BooksPush, OkxBookUpdate, RestBook, TradesPush, EventMessage } from './raw';
