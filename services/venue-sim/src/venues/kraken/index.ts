/**
 * Kraken Spot WebSocket v2 for the simulator: one `KrakenVenue` on its own `Market` (books seeded
 * per venue, so they differ from the other venues' but the same seed gives the same books; with
 * `sharedPrice` they follow the shared fair-value path of their pair, see market/fair-value.ts).
 */
import type { ResolvedConfig } from '../../config';
import type { Logger } from '../../log';
import { formatUnits, significantDecimals } from '../../market/fixed';
import { resolveSymbol, type SymbolSpec } from '../../market/instrument';
import { Market } from '../../market/market';
import { Prng } from '../../market/prng';
import { KrakenVenue, type KrakenVenueOptions } from './kraken-venue';

export {
  KrakenVenue,
  BOOK_DEPTHS,
  TRADE_SNAPSHOT_SIZE,
  WS_PATH,
  type KrakenVenueOptions,
} from './kraken-venue';
export { BookView, type ViewChange } from './book-view';
export { bookChecksum, bookMessage, rfc3339, type TickLevel } from './wire';
export { pairNames, type PairNames } from './rest';

/** Kraken's qty precision for nearly every pair (AssetPairs `lot_decimals`, v2 `qty_precision`). */
export const KRAKEN_QTY_DECIMALS = 8;

export interface KrakenSimOptions {
  /** period of heartbeats to subscribed connections (ms); default 1000 */
  heartbeatMs?: number;
  /** ms clock of the rate driver (tests) */
  clock?: () => number;
}

/** WS v2 asset codes: the v1 `XBT`/`XDG` are `BTC`/`DOGE` on v2. */
const V2_CODES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** The WS v2 symbol of a simulator symbol: `BTC/USDT` (base and quote from the config, never split). */
export function krakenNative(s: Pick<SymbolSpec, 'base' | 'quote'>): string {
  return `${V2_CODES[s.base] ?? s.base}/${V2_CODES[s.quote] ?? s.quote}`;
}

/**
 * The simulator's symbols as Kraken lists them: same assets, start price, tick and step, but the v2
 * native (`BTC/USDT`), prices at the tick's decimals (`pair_decimals`) and quantities at
 * max(8, step decimals) (`lot_decimals`: Kraken sends `0.12345000`, trailing zeros included, which
 * the checksum depends on).
 */
export function krakenSpec(s: SymbolSpec): SymbolSpec {
  const spec = resolveSymbol({
    native: s.native,
    base: s.base,
    quote: s.quote,
    startPrice: formatUnits(s.startTicks * s.tickUnits, s.priceDecimals),
    tickSize: s.tickSize,
    stepSize: s.stepSize,
    priceDecimals: significantDecimals(s.tickSize),
    sizeDecimals: Math.max(KRAKEN_QTY_DECIMALS, significantDecimals(s.stepSize)),
  });
  // The market keys symbols by `native`; Kraken's contains "/", which the config's native symbols
  // (`[A-Z0-9]`) cannot, so it is set after validation.
  return { ...spec, native: krakenNative(spec) };
}

/** A per-venue seed (the same derivation as the other venues'): same seed → same books. */
export function venueSeed(seed: number, venue: string): number {
  return Prng.from(seed, 'venue', venue).int(2 ** 31);
}

/** Builds the Kraken venue (add it to the simulator's `venues` list; start/stop its market). */
export function createKrakenVenue(
  config: ResolvedConfig,
  log: Logger,
  opts: KrakenSimOptions = {},
): KrakenVenue {
  const name = 'kraken';
  const specs = config.specs.map(krakenSpec);
  const market = new Market(
    specs,
    { ...config, seed: venueSeed(config.seed, name), pathSeed: config.seed },
    log.child({ component: 'market', venue: name }),
    opts.clock,
  );
  const venueOpts: KrakenVenueOptions = {
    name,
    maxBufferedBytes: config.maxBufferedBytes,
    aliases: new Map(config.specs.map((s, i) => [s.native, specs[i]!.native])),
  };
  if (opts.heartbeatMs !== undefined) venueOpts.heartbeatMs = opts.heartbeatMs;
  return new KrakenVenue(market, venueOpts, log.child({ component: name }));
}
