/**
 * Per-symbol instrument parameters of the simulated market: the venue's native symbol with its
 * explicit base/quote assets (never derived by splitting the symbol), the price tick and size step,
 * and the wire decimals used to format them (Binance sends 8 places: "27000.01000000").
 */
import { normalizedSymbol, type Instrument } from '@tickmesh/contracts';
import { significantDecimals, toUnits, formatUnits } from './fixed';

export interface SymbolConfig {
  /** the venue's own symbol, e.g. `BTCUSDT` */
  native: string;
  base: string;
  quote: string;
  /** initial mid price; default depends on the base asset (BTC 60000, ETH 3000, SOL 150, else 100) */
  startPrice?: string;
  /** price tick, default "0.01" */
  tickSize?: string;
  /** size step, default by base asset (BTC 0.00001, ETH 0.0001, else 0.001) */
  stepSize?: string;
  /** decimals of prices on the wire, default 8 (Binance) */
  priceDecimals?: number;
  /** decimals of sizes on the wire, default 8 (Binance) */
  sizeDecimals?: number;
}

/** Resolved, validated instrument: every amount as integer units at the wire decimals. */
export interface SymbolSpec {
  readonly native: string;
  readonly base: string;
  readonly quote: string;
  /** tickmesh normalized symbol (`BTC-USDT`) */
  readonly normalized: string;
  readonly priceDecimals: number;
  readonly sizeDecimals: number;
  /** one tick, in units of 10^-priceDecimals */
  readonly tickUnits: number;
  /** one size step (lot), in units of 10^-sizeDecimals */
  readonly stepUnits: number;
  /** initial mid, in ticks */
  readonly startTicks: number;
  /** tick and step as wire text ("0.01000000") */
  readonly tickSize: string;
  readonly stepSize: string;
}

/** Largest resting size the model generates, in lots (steps). */
export const MAX_LEVEL_LOTS = 100_000;

const NATIVE_RE = /^[A-Z0-9]{2,20}$/;
const ASSET_RE = /^[A-Z0-9]{1,20}$/;

const DEFAULTS: Record<string, { startPrice: string; stepSize: string }> = {
  BTC: { startPrice: '60000', stepSize: '0.00001' },
  ETH: { startPrice: '3000', stepSize: '0.0001' },
  SOL: { startPrice: '150', stepSize: '0.001' },
};
const FALLBACK = { startPrice: '100', stepSize: '0.001' };

/** Validates a symbol config and converts it to integer units. Throws an Error naming the field. */
export function resolveSymbol(c: SymbolConfig): SymbolSpec {
  const where = `symbol ${JSON.stringify(c.native)}`;
  if (!NATIVE_RE.test(c.native)) throw new Error(`${where}: native symbol must match ${NATIVE_RE.source}`);
  if (!ASSET_RE.test(c.base)) throw new Error(`${where}: base asset must match ${ASSET_RE.source}`);
  if (!ASSET_RE.test(c.quote)) throw new Error(`${where}: quote asset must match ${ASSET_RE.source}`);
  const d = DEFAULTS[c.base] ?? FALLBACK;
  const priceDecimals = c.priceDecimals ?? 8;
  const sizeDecimals = c.sizeDecimals ?? 8;
  for (const [name, v] of [
    ['priceDecimals', priceDecimals],
    ['sizeDecimals', sizeDecimals],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 12)
      throw new Error(`${where}: ${name} must be an integer 0..12`);
  }
  const tickSize = c.tickSize ?? '0.01';
  const stepSize = c.stepSize ?? d.stepSize;
  const startPrice = c.startPrice ?? d.startPrice;
  const tickUnits = units(where, 'tickSize', tickSize, priceDecimals);
  const stepUnits = units(where, 'stepSize', stepSize, sizeDecimals);
  const startUnits = units(where, 'startPrice', startPrice, priceDecimals);
  if (tickUnits === 0) throw new Error(`${where}: tickSize must be positive`);
  if (stepUnits === 0) throw new Error(`${where}: stepSize must be positive`);
  if (startUnits % tickUnits !== 0) throw new Error(`${where}: startPrice must be a multiple of tickSize`);
  const startTicks = startUnits / tickUnits;
  // Room for the random walk: the model refuses to quote prices below one tick, and a 10x drift
  // upwards would take centuries at the simulated volatility.
  if (startTicks < 1000) throw new Error(`${where}: startPrice must be at least 1000 ticks`);
  if (!Number.isSafeInteger(startUnits * 10))
    throw new Error(`${where}: startPrice too large for its decimals`);
  if (!Number.isSafeInteger(stepUnits * MAX_LEVEL_LOTS)) throw new Error(`${where}: stepSize too large`);
  return {
    native: c.native,
    base: c.base,
    quote: c.quote,
    normalized: normalizedSymbol(c.base, c.quote, 'spot'),
    priceDecimals,
    sizeDecimals,
    tickUnits,
    stepUnits,
    startTicks,
    tickSize: formatUnits(tickUnits, priceDecimals),
    stepSize: formatUnits(stepUnits, sizeDecimals),
  };
}

/** The contracts' instrument record; `priceDecimals`/`sizeDecimals` there are tick/step decimals. */
export function toInstrument(venue: string, s: SymbolSpec): Instrument {
  return {
    venue,
    symbol: s.normalized,
    native: s.native,
    base: s.base,
    quote: s.quote,
    kind: 'spot',
    priceDecimals: significantDecimals(s.tickSize),
    sizeDecimals: significantDecimals(s.stepSize),
  };
}

function units(where: string, field: string, text: string, decimals: number): number {
  try {
    return toUnits(text, decimals);
  } catch (e) {
    throw new Error(`${where}: ${field}: ${(e as Error).message}`);
  }
}
