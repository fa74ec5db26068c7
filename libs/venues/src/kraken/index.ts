export {
  krakenAdapter,
  KRAKEN_DEPTHS,
  MAX_SYMBOLS_PER_REQUEST,
  MAX_STREAMS_PER_CONNECTION,
  PING_INTERVAL_MS,
  STALE_SOCKET_MS,
  type KrakenAdapter,
  type KrakenOptions,
} from './adapter';
export { KrakenBookSync, type KrakenSyncOptions } from './sync';
export {
  parseFrame,
  parseInstruments,
  parseSnapshot,
  rfc3339ToUs,
  v2Asset,
  V1_ASSET_ALIASES,
  LISTED_STATUSES,
  type FrameContext,
  type KrakenBookUpdate,
  type KrakenRestBook,
} from './parse';
export {
  bookChecksum,
  checksumString,
  checksumToken,
  crc32,
  formatAtPrecision,
  atPrecision,
  CHECKSUM_LEVELS,
} from './checksum';
export { parseJsonLossless, JsonNumber, JsonSyntaxError } from './json-lossless';
