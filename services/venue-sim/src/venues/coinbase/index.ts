/**
 * Coinbase Advanced Trade for the simulator: one `CoinbaseVenue` on its own `Market` (seeded per
 * venue, so its books differ from Binance's and Bybit's; the same seed gives the same books; with
 * `sharedPrice` they follow the shared fair-value path of their pair, see market/fair-value.ts).
 */
import type { ResolvedConfig } from '../../config';
import type { Logger } from '../../log';
import { formatUnits, significantDecimals } from '../../market/fixed';
import { resolveSymbol, type SymbolSpec } from '../../market/instrument';
import { Market } from '../../market/market';
import { Prng } from '../../market/prng';
import { CoinbaseVenue, type CoinbaseVenueOptions } from './coinbase-venue';

export {
  CoinbaseVenue,
  DATA_CHANNELS,
  SILENT_CHANNELS,
  AUTH_CHANNELS,
  WS_PATHS,
  type CoinbaseVenueOptions,
} from './coinbase-venue';
export { REST_PREFIX } from './rest';

export interface CoinbaseSimOptions {
  /** ms clock of the rate driver (tests) */
  clock?: () => number;
  heartbeatIntervalMs?: number;
  subscribeTimeoutMs?: number;
  tradeSide?: 'maker' | 'taker';
}

/**
 * A simulator symbol as a Coinbase product: product id `BASE-QUOTE` from the configured assets
 * (`BTCUSD:BTC:USD` → `BTC-USD`; never derived from the native symbol), same start price, tick and
 * step, wire decimals = tick/step decimals (trailing zeros are trimmed on the wire, see wire.ts).
 */
export function coinbaseSpec(s: SymbolSpec): SymbolSpec {
  const spec = resolveSymbol({
    native: s.native,
    base: s.base,
    quote: s.quote,
    startPrice: formatUnits(s.startTicks * s.tickUnits, s.priceDecimals),
    tickSize: s.tickSize,
    stepSize: s.stepSize,
    priceDecimals: significantDecimals(s.tickSize),
    sizeDecimals: significantDecimals(s.stepSize),
  });
  return { ...spec, native: `${s.base}-${s.quote}` };
}

/** Builds the Coinbase venue (add it to the simulator's `venues` list BEFORE Binance, see README.md). */
export function createCoinbaseVenue(
  config: ResolvedConfig,
  log: Logger,
  opts: CoinbaseSimOptions = {},
): CoinbaseVenue {
  const name = 'coinbase';
  const seen = new Set<string>();
  const specs: SymbolSpec[] = [];
  for (const s of config.specs.map(coinbaseSpec)) {
    if (seen.has(s.native)) {
      log.warn(
        { product: s.native },
        'two simulator symbols map to the same Coinbase product: keeping the first',
      );
      continue;
    }
    seen.add(s.native);
    specs.push(s);
  }
  const market = new Market(
    specs,
    { ...config, seed: Prng.from(config.seed, 'venue', name).int(2 ** 31), pathSeed: config.seed },
    log.child({ component: 'market', venue: name }),
    opts.clock,
  );
  const venueOpts: CoinbaseVenueOptions = { name, maxBufferedBytes: config.maxBufferedBytes };
  if (opts.heartbeatIntervalMs !== undefined) venueOpts.heartbeatIntervalMs = opts.heartbeatIntervalMs;
  if (opts.subscribeTimeoutMs !== undefined) venueOpts.subscribeTimeoutMs = opts.subscribeTimeoutMs;
  if (opts.tradeSide !== undefined) venueOpts.tradeSide = opts.tradeSide;
  return new CoinbaseVenue(market, venueOpts, log.child({ component: name }));
}
