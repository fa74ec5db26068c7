export { binanceAdapter, snapshotWeight, streamsFor, type BinanceOptions } from './adapter';
export { BinanceBookSync, MAX_BUFFERED_EVENTS } from './sync';
export { parseFrame, parseSnapshot, parseInstruments } from './parse';
export type { DepthUpdate, DepthSnapshot, TradeEvent } from './raw';
