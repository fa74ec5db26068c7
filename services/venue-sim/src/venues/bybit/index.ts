/**
 * Bybit v5 for the simulator: one `BybitVenue` per category, each on its own `Market` (books are
 * seeded per venue, so they differ from Binance's and between categories; with `sharedPrice` they
 * all follow the shared fair-value path of their pair, see market/fair-value.ts).
 */
import type { ResolvedConfig } from '../../config';
import type { Logger } from '../../log';
import { formatUnits, significantDecimals } from '../../market/fixed';
import { resolveSymbol, type SymbolSpec } from '../../market/instrument';
import { Market } from '../../market/market';
import { Prng } from '../../market/prng';
import { BybitVenue, type BybitVenueOptions } from './bybit-venue';
import type { Category } from './wire';

export {
  BybitVenue,
  BOOK_DEPTHS,
  SPOT_MAX_ARGS,
  MAX_ARGS_CHARS,
  type BybitVenueOptions,
} from './bybit-venue';
export { DepthWindow, type TickLevel, type WindowChange } from './depth-window';
export type { Category } from './wire';

export interface BybitSimOptions {
  /** default both */
  categories?: readonly Category[];
  idleTimeoutMs?: number;
  windowExitDeletes?: boolean;
  /** ms clock of the rate driver (tests) */
  clock?: () => number;
}

/**
 * The simulator's symbols as Bybit lists them: same native symbols, assets, start price, tick and
 * step, but wire decimals = tick/step decimals (`"60000.01"`, `"0.00012"`), as Bybit sends them.
 */
export function bybitSpec(s: SymbolSpec): SymbolSpec {
  return resolveSymbol({
    native: s.native,
    base: s.base,
    quote: s.quote,
    startPrice: formatUnits(s.startTicks * s.tickUnits, s.priceDecimals),
    tickSize: s.tickSize,
    stepSize: s.stepSize,
    priceDecimals: significantDecimals(s.tickSize),
    sizeDecimals: significantDecimals(s.stepSize),
  });
}

/** A per-venue seed: same simulator seed → same books, but each venue's books are its own. */
export function venueSeed(seed: number, venue: string): number {
  return Prng.from(seed, 'venue', venue).int(2 ** 31);
}

/** Builds the Bybit venues (add them to the simulator's `venues` list; start/stop their markets). */
export function createBybitVenues(
  config: ResolvedConfig,
  log: Logger,
  opts: BybitSimOptions = {},
): BybitVenue[] {
  const specs = config.specs.map(bybitSpec);
  return (opts.categories ?? ['spot', 'linear']).map((category) => {
    const venueOpts: BybitVenueOptions = { category, maxBufferedBytes: config.maxBufferedBytes };
    if (opts.idleTimeoutMs !== undefined) venueOpts.idleTimeoutMs = opts.idleTimeoutMs;
    if (opts.windowExitDeletes !== undefined) venueOpts.windowExitDeletes = opts.windowExitDeletes;
    const name = category === 'spot' ? 'bybit' : 'bybitlinear';
    const market = new Market(
      specs,
      { ...config, seed: venueSeed(config.seed, name), pathSeed: config.seed },
      log.child({ component: 'market', venue: name }),
      opts.clock,
    );
    return new BybitVenue(market, venueOpts, log.child({ component: name }));
  });
}
