/**
 * Which consolidated book a (venue, symbol) book joins. Quote currencies are kept apart by default:
 * the symbol is the key, so BTC-USD and BTC-USDT are two consolidated books. CONSOLIDATE_EQUIVALENT
 * (`USDT=USD,USDC=USD`) declares explicit quote equivalences: a book whose quote (the symbol's
 * second token) is a declared alias joins the book of the target quote, so BTC-USDT, BTC-USDC and
 * BTC-USD all feed `BTC-USD`, and BTC-USDT-PERP feeds `BTC-USD-PERP` (the kind suffix is kept:
 * spot and perpetuals never mix). Only quotes are mapped, never bases, and prices are taken at face
 * value (the equivalence asserts a 1:1 peg; no conversion happens).
 *
 * Rules checked at start (a bad value stops the process): `ALIAS=TARGET` pairs of asset tokens, an
 * alias maps to one target only, an alias is not also a target (no chains: `USDT=USD,USD=EUR`
 * would make the result depend on order), and nothing maps to itself.
 */
export class EquivalenceError extends Error {
  override readonly name = 'EquivalenceError';
}

export type Equivalences = ReadonlyMap<string, string>;

const ASSET_RE = /^[A-Z0-9]{1,20}$/;

/** Parses `USDT=USD,USDC=USD`; the empty string means no equivalence. */
export function parseEquivalences(text: string): Equivalences {
  const out = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed === '') return out;
  for (const part of trimmed.split(',')) {
    const [alias, target, ...extra] = part.split('=').map((s) => s.trim());
    if (alias === undefined || target === undefined || extra.length > 0) {
      throw new EquivalenceError(`CONSOLIDATE_EQUIVALENT: "${part}" is not ALIAS=TARGET`);
    }
    if (!ASSET_RE.test(alias) || !ASSET_RE.test(target)) {
      throw new EquivalenceError(`CONSOLIDATE_EQUIVALENT: "${part}" is not two upper-case asset ids`);
    }
    if (alias === target) throw new EquivalenceError(`CONSOLIDATE_EQUIVALENT: ${alias} maps to itself`);
    const prev = out.get(alias);
    if (prev !== undefined && prev !== target) {
      throw new EquivalenceError(`CONSOLIDATE_EQUIVALENT: ${alias} maps to both ${prev} and ${target}`);
    }
    out.set(alias, target);
  }
  for (const [alias, target] of out) {
    if (out.has(target)) {
      throw new EquivalenceError(
        `CONSOLIDATE_EQUIVALENT: ${target} is both a target (of ${alias}) and an alias; map to the final quote directly`,
      );
    }
  }
  return out;
}

/** The consolidated symbol a normalized symbol (`BASE-QUOTE[-KIND]`) belongs to. */
export function consolidatedSymbolOf(symbol: string, eq: Equivalences): string {
  if (eq.size === 0) return symbol;
  const first = symbol.indexOf('-');
  if (first < 0) return symbol;
  const second = symbol.indexOf('-', first + 1);
  const end = second < 0 ? symbol.length : second;
  const target = eq.get(symbol.slice(first + 1, end));
  return target === undefined ? symbol : `${symbol.slice(0, first + 1)}${target}${symbol.slice(end)}`;
}
