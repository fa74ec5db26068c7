/**
 * @tickmesh/venue-sim: venue simulator speaking the real venue protocols (Binance spot today),
 * with ground truth and fault injection, for offline runs, tests and benchmarks.
 */
export { startSimulator, type Simulator, type SimulatorOptions } from './simulator';
export {
  configFromEnv,
  resolveConfig,
  parseSymbolList,
  ConfigError,
  DEFAULTS,
  DEFAULT_SYMBOLS,
} from './config';
export type { SimulatorConfig, ResolvedConfig } from './config';
export type { SymbolConfig, SymbolSpec } from './market/instrument';
export type { BookUpdate, Trade, LevelChange } from './market/symbol-model';
export { Market, type MarketListener } from './market/market';
export { createLogger, silentLogger, type Logger, type LogLevel } from './log';
export type { Fault } from './control/faults';
