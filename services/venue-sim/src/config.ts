/**
 * Simulator configuration: the one place where options are defaulted and validated, whether they
 * come from environment variables (main.ts) or from code (startSimulator). Every problem is
 * reported at once, naming the variable or field, instead of failing on the first.
 */
import { isLogLevel, type LogLevel } from './log';
import { resolveSymbol, type SymbolConfig, type SymbolSpec } from './market/instrument';

export interface SimulatorConfig {
  /** interface to bind, default 127.0.0.1 */
  host: string;
  /** TCP port, default 9100; 0 picks an ephemeral port */
  port: number;
  /** PRNG seed: same seed → same book sequence per symbol */
  seed: number;
  /** Binance symbols with explicit base/quote assets */
  symbols: SymbolConfig[];
  /** depth updates per second per symbol (one Binance event each) */
  rate: number;
  /** trades per second per symbol */
  tradeRate: number;
  /** levels changed per depth update */
  levelsPerUpdate: number;
  /** initial levels per side */
  bookLevels: number;
  /** the model never removes levels below this count per side */
  minBookLevels: number;
  /** the model never adds levels above this count per side (≤ 5000, the REST depth maximum) */
  maxBookLevels: number;
  /** WS server ping period */
  pingIntervalMs: number;
  /** a connection with no pong for this long is dropped */
  pongTimeoutMs: number;
  /** a connection whose unsent data exceeds this is closed with 1008 (slow consumer) */
  maxBufferedBytes: number;
  /** start the generator immediately (false: call `start()` or `generateUpdates()` yourself) */
  autoStart: boolean;
  /**
   * venues to serve (each runs its own market model, so unused ones cost CPU); Binance is always
   * served, the others are `bybit` (spot and linear), `okx`, `coinbase`, `kraken`
   */
  venues: string[];
  /**
   * every venue's book of a base/quote follows one shared fair-value path (seeded by `seed`), so
   * the venues' books overlap; false: each venue's book walks on its own, as before
   */
  sharedPrice: boolean;
  logLevel: LogLevel;
}

export const DEFAULT_SYMBOLS: readonly SymbolConfig[] = [
  { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { native: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
  { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
];

export const DEFAULTS: SimulatorConfig = {
  host: '127.0.0.1',
  port: 9100,
  seed: 1,
  symbols: [...DEFAULT_SYMBOLS],
  rate: 10,
  tradeRate: 2,
  levelsPerUpdate: 3,
  bookLevels: 200,
  minBookLevels: 50,
  maxBookLevels: 1000,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 60_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  venues: ['binance', 'bybit', 'okx', 'coinbase', 'kraken'],
  autoStart: true,
  sharedPrice: true,
  logLevel: 'info',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid venue-sim configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** A validated configuration plus the resolved instruments. */
export interface ResolvedConfig extends SimulatorConfig {
  specs: SymbolSpec[];
}

type NumericField = {
  [K in keyof SimulatorConfig]: SimulatorConfig[K] extends number ? K : never;
}[keyof SimulatorConfig];

/** [field, min, max, integer] */
const NUMERIC_RULES: [NumericField, number, number, boolean][] = [
  ['port', 0, 65535, true],
  ['seed', 0, Number.MAX_SAFE_INTEGER, true],
  ['rate', 0, 1_000_000, false],
  ['tradeRate', 0, 100_000, false],
  ['levelsPerUpdate', 1, 100, true],
  ['bookLevels', 2, 5000, true],
  ['minBookLevels', 2, 5000, true],
  ['maxBookLevels', 2, 5000, true],
  ['pingIntervalMs', 10, 3_600_000, true],
  ['pongTimeoutMs', 10, 3_600_000, true],
  ['maxBufferedBytes', 65_536, 2 ** 31, true],
];

/** Defaults then validates. Throws ConfigError listing every problem. */
export function resolveConfig(options: Partial<SimulatorConfig> = {}): ResolvedConfig {
  const c: SimulatorConfig = { ...DEFAULTS, ...stripUndefined(options) };
  const problems: string[] = [];
  for (const [field, min, max, integer] of NUMERIC_RULES) {
    const v = c[field];
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < min ||
      v > max ||
      (integer && !Number.isInteger(v))
    ) {
      problems.push(
        `${label(field)} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max} (got ${String(v)})`,
      );
    }
  }
  if (typeof c.host !== 'string' || c.host.length === 0) problems.push('host must be a non-empty string');
  const knownVenues = ['binance', 'bybit', 'okx', 'coinbase', 'kraken'];
  const badVenues = c.venues.filter((v) => !knownVenues.includes(v));
  if (badVenues.length > 0 || !c.venues.includes('binance')) {
    problems.push(
      `venues (SIM_VENUES) must include binance and only ${knownVenues.join(', ')} (got ${c.venues.join(',')})`,
    );
  }
  if (typeof c.sharedPrice !== 'boolean') problems.push('sharedPrice must be a boolean');
  if (!isLogLevel(c.logLevel))
    problems.push(`logLevel must be debug|info|warn|error|silent (got ${String(c.logLevel)})`);
  if (c.minBookLevels > c.bookLevels || c.bookLevels > c.maxBookLevels) {
    problems.push(
      `need minBookLevels (${c.minBookLevels}) <= bookLevels (${c.bookLevels}) <= maxBookLevels (${c.maxBookLevels})`,
    );
  }
  const specs: SymbolSpec[] = [];
  if (!Array.isArray(c.symbols) || c.symbols.length === 0 || c.symbols.length > 100) {
    problems.push('symbols must list 1..100 symbols');
  } else {
    const seen = new Set<string>();
    for (const s of c.symbols) {
      try {
        const spec = resolveSymbol(s);
        if (seen.has(spec.native)) throw new Error(`symbol ${spec.native} listed twice`);
        seen.add(spec.native);
        // The initial book spans up to 3 ticks per level below the mid; it must stay above 0.
        if (spec.startTicks <= 3 * c.bookLevels + 2)
          throw new Error(`symbol ${spec.native}: startPrice too low for ${c.bookLevels} levels`);
        specs.push(spec);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...c, specs };
}

/**
 * Parses `NATIVE:BASE:QUOTE[:START_PRICE[:TICK_SIZE[:STEP_SIZE]]]`, comma-separated, e.g.
 * `BTCUSDT:BTC:USDT,ETHUSDT:ETH:USDT:3000:0.01:0.0001`. Base and quote are always explicit.
 */
export function parseSymbolList(text: string): SymbolConfig[] {
  const out: SymbolConfig[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const parts = item.split(':').map((p) => p.trim());
    if (parts.length < 3 || parts.length > 6 || parts.some((p) => p === '')) {
      throw new Error(`"${item}" is not NATIVE:BASE:QUOTE[:START_PRICE[:TICK_SIZE[:STEP_SIZE]]]`);
    }
    const [native, base, quote, startPrice, tickSize, stepSize] = parts as [
      string,
      string,
      string,
      ...string[],
    ];
    out.push({ native, base, quote, startPrice, tickSize, stepSize });
  }
  return out;
}

const ENV: Record<string, (c: Partial<SimulatorConfig>, v: string) => void> = {
  SIM_HOST: (c, v) => (c.host = v),
  SIM_PORT: (c, v) => (c.port = num(v)),
  SIM_SEED: (c, v) => (c.seed = num(v)),
  SIM_SYMBOLS: (c, v) => (c.symbols = parseSymbolList(v)),
  SIM_RATE: (c, v) => (c.rate = num(v)),
  SIM_TRADE_RATE: (c, v) => (c.tradeRate = num(v)),
  SIM_LEVELS_PER_UPDATE: (c, v) => (c.levelsPerUpdate = num(v)),
  SIM_BOOK_LEVELS: (c, v) => (c.bookLevels = num(v)),
  SIM_MIN_BOOK_LEVELS: (c, v) => (c.minBookLevels = num(v)),
  SIM_MAX_BOOK_LEVELS: (c, v) => (c.maxBookLevels = num(v)),
  SIM_PING_INTERVAL_MS: (c, v) => (c.pingIntervalMs = num(v)),
  SIM_PONG_TIMEOUT_MS: (c, v) => (c.pongTimeoutMs = num(v)),
  SIM_MAX_BUFFERED_BYTES: (c, v) => (c.maxBufferedBytes = num(v)),
  SIM_AUTOSTART: (c, v) => (c.autoStart = bool(v)),
  SIM_VENUES: (c, v) => (c.venues = v.split(',').map((x) => x.trim().toLowerCase())),
  SIM_SHARED_PRICE: (c, v) => (c.sharedPrice = onOff(v)),
  LOG_LEVEL: (c, v) => (c.logLevel = v.toLowerCase() as LogLevel),
};

/** Builds the configuration from environment variables. Unknown `SIM_*` variables are errors (typos). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const partial: Partial<SimulatorConfig> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || (!name.startsWith('SIM_') && name !== 'LOG_LEVEL')) continue;
    const apply = ENV[name];
    if (apply === undefined) {
      problems.push(`${name} is not a known variable (known: ${Object.keys(ENV).join(', ')})`);
      continue;
    }
    if (value.trim() === '') continue;
    try {
      apply(partial, value.trim());
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolveConfig(partial);
}

/** `rate (SIM_RATE)`: name the environment variable too, since most users set those. */
function label(field: keyof SimulatorConfig): string {
  const env = Object.keys(ENV).find(
    (k) => k === 'SIM_' + field.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase(),
  );
  return env === undefined ? field : `${field} (${env})`;
}

function num(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) throw new Error(`"${v}" is not a non-negative number`);
  return Number(v);
}

function onOff(v: string): boolean {
  const t = v.toLowerCase();
  if (t === 'on') return true;
  if (t === 'off') return false;
  try {
    return bool(t);
  } catch {
    throw new Error(`"${v}" is not on|off`);
  }
}

function bool(v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`"${v}" is not true|false`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
