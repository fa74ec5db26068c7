/**
 * Instrument metadata: the mapping between a venue's native symbol and tickmesh's normalized
 * symbol is always built from the venue's instrument metadata (base/quote assets, contract type),
 * never by splitting strings. USD and USDT stay distinct.
 */
export type InstrumentKind = 'spot' | 'perp';

export interface Instrument {
  venue: string;
  /** normalized: `BASE-QUOTE` (spot) or `BASE-QUOTE-PERP` */
  symbol: string;
  /** the venue's own symbol, exactly as its API spells it (`BTCUSDT`, `BTC/USD`, `BTC-USDT-SWAP`) */
  native: string;
  base: string;
  quote: string;
  kind: InstrumentKind;
  /** decimals of the price tick, when the venue publishes it */
  priceDecimals?: number;
  sizeDecimals?: number;
}

const ASSET_RE = /^[A-Z0-9]{1,20}$/;

/** Normalized symbol from metadata fields. Throws on assets that cannot form a subject token. */
export function normalizedSymbol(base: string, quote: string, kind: InstrumentKind): string {
  const b = base.toUpperCase();
  const q = quote.toUpperCase();
  if (!ASSET_RE.test(b) || !ASSET_RE.test(q)) throw new Error(`cannot normalize asset pair ${base}/${quote}`);
  return kind === 'perp' ? `${b}-${q}-PERP` : `${b}-${q}`;
}
