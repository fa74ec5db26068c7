export * from './core/adapter';
export * from './core/engine';
export * from './registry';
export * as binance from './binance';
export * as bybit from './bybit';
export * as coinbase from './coinbase';
export * as kraken from './kraken';
export * as okx from './okx';
