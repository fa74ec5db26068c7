/**
 * OKX v5 for the simulator: one `OkxVenue` (control-API name `okx`) on its own `Market`, serving
 * the simulator's symbols twice — as SPOT instruments (`BTC-USDT`) and as linear SWAP perpetuals
 * (`BTC-USDT-SWAP`) — on the one endpoint `/ws/v5/public`, as OKX does.
 */
import type { ResolvedConfig } from '../../config';
import type { Logger } from '../../log';
import { formatUnits, significantDecimals } from '../../market/fixed';
import { resolveSymbol, type SymbolSpec } from '../../market/instrument';
import { Market } from '../../market/market';
import { venueSeed } from '../bybit';
import { OkxVenue, type OkxInstrumentInfo, type OkxVenueOptions } from './okx-venue';
import type { ChecksumMode, InstType } from './wire';

export {
  OkxVenue,
  WS_PATH,
  BOOKS_DEPTH,
  CHANNELS,
  type OkxVenueOptions,
  type OkxInstrumentInfo,
} from './okx-venue';
export { REST_BOOK_MAX } from './rest';
export { checksumOf, priceText, sizeText, trimmed, type ChecksumMode, type InstType } from './wire';

export interface OkxSimOptions {
  /** default both */
  instTypes?: readonly InstType[];
  checksumMode?: ChecksumMode;
  idleTimeoutMs?: number;
  keepAliveMs?: number;
  windowExitDeletes?: boolean;
  /** ms clock of the rate driver (tests) */
  clock?: () => number;
}

/**
 * The simulator's symbol as OKX lists it. SPOT: instId `BASE-QUOTE`, same tick and step, wire
 * decimals = tick/step decimals (trailing zeros are trimmed on the wire). SWAP: instId
 * `BASE-QUOTE-SWAP`, sizes in whole contracts (lotSz "1") of `ctVal` = the spot step.
 */
export function okxSpec(s: SymbolSpec, instType: InstType): { spec: SymbolSpec; info: OkxInstrumentInfo } {
  const swap = instType === 'SWAP';
  const resolved = resolveSymbol({
    native: s.native,
    base: s.base,
    quote: s.quote,
    startPrice: formatUnits(s.startTicks * s.tickUnits, s.priceDecimals),
    tickSize: s.tickSize,
    stepSize: swap ? '1' : s.stepSize,
    priceDecimals: significantDecimals(s.tickSize),
    sizeDecimals: swap ? 0 : significantDecimals(s.stepSize),
  });
  // OKX instIds contain '-', which the shared symbol validation (Binance-style natives) refuses:
  // the spec is validated with the config's native, then renamed (base/quote are [A-Z0-9]).
  const native = swap ? `${s.base}-${s.quote}-SWAP` : `${s.base}-${s.quote}`;
  const normalized = swap ? `${s.base}-${s.quote}-PERP` : `${s.base}-${s.quote}`;
  const ctVal = swap ? s.stepSize.replace(/\.?0+$/, '') : '';
  return { spec: { ...resolved, native, normalized }, info: { instType, ctVal } };
}

/** Builds the OKX venue (add it to the simulator's venues, before Binance: `/ws/v5/...` is under `/ws/`). */
export function createOkxVenue(config: ResolvedConfig, log: Logger, opts: OkxSimOptions = {}): OkxVenue {
  const name = 'okx';
  const specs: SymbolSpec[] = [];
  const infos = new Map<string, OkxInstrumentInfo>();
  for (const instType of opts.instTypes ?? (['SPOT', 'SWAP'] as const)) {
    for (const s of config.specs) {
      const { spec, info } = okxSpec(s, instType);
      if (infos.has(spec.native)) continue;
      specs.push(spec);
      infos.set(spec.native, info);
    }
  }
  const market = new Market(
    specs,
    { ...config, seed: venueSeed(config.seed, name), pathSeed: config.seed },
    log.child({ component: 'market', venue: name }),
    opts.clock,
  );
  const venueOpts: OkxVenueOptions = { name, maxBufferedBytes: config.maxBufferedBytes };
  if (opts.checksumMode !== undefined) venueOpts.checksumMode = opts.checksumMode;
  if (opts.idleTimeoutMs !== undefined) venueOpts.idleTimeoutMs = opts.idleTimeoutMs;
  if (opts.keepAliveMs !== undefined) venueOpts.keepAliveMs = opts.keepAliveMs;
  if (opts.windowExitDeletes !== undefined) venueOpts.windowExitDeletes = opts.windowExitDeletes;
  return new OkxVenue(market, infos, venueOpts, log.child({ component: name }));
}
