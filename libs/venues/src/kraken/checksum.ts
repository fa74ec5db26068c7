/**
 * Kraken WebSocket v2 book checksum (Kraken API Center, guide "Book checksum (WebSocket v2)";
 * PROTOCOLS.md §3.2; Kraken's own Go SDK `krakenfx/api-go pkg/book/checksum.go`):
 *
 *  1. always the top 10 levels of each side, whatever the subscription depth;
 *  2. asks first, price ascending, then bids, price descending;
 *  3. for each level: the price text with "." removed and leading zeros removed, then the qty text
 *     the same way (`"45285.2"`,`"0.00100000"` → `"452852"` + `"100000"`);
 *  4. CRC32 (IEEE, as zlib.crc32) of the concatenated ASCII string, compared as an UNSIGNED 32-bit
 *     integer with the message's `checksum`.
 *
 * The text must be the instrument-precision text (trailing zeros are significant): the wire text of
 * a lossless parse (json-lossless.ts), or a decimal re-formatted at the instrument's precision
 * (`formatAtPrecision`). `String(number)` is wrong (`0.10000000` → `"0.1"`).
 *
 * CRC32 is a 256-entry table implementation so this pure library does not depend on `node:zlib`
 * (its tests compare it with `zlib.crc32`).
 */
import type { Level } from '@tickmesh/contracts';

/** Levels per side covered by the checksum, "regardless of the subscription depth". */
export const CHECKSUM_LEVELS = 10;

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32 (IEEE 802.3, reflected, init and xorout 0xFFFFFFFF) of an ASCII string; unsigned. */
export function crc32(ascii: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < ascii.length; i++) c = CRC_TABLE[(c ^ ascii.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One price or qty as it enters the checksum: "." removed, then leading zeros removed. */
export function checksumToken(decimal: string): string {
  const digits = decimal.replace('.', '');
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48 /* 0 */) i++;
  return digits.slice(i);
}

/**
 * The checksum input: the first 10 asks (best = lowest first) then the first 10 bids (best =
 * highest first), each price then qty. Both arrays must be best first, as `OrderBook.top()` returns.
 */
export function checksumString(asks: readonly Level[], bids: readonly Level[]): string {
  let out = '';
  const na = Math.min(CHECKSUM_LEVELS, asks.length);
  for (let i = 0; i < na; i++) out += checksumToken(asks[i]![0]) + checksumToken(asks[i]![1]);
  const nb = Math.min(CHECKSUM_LEVELS, bids.length);
  for (let i = 0; i < nb; i++) out += checksumToken(bids[i]![0]) + checksumToken(bids[i]![1]);
  return out;
}

/** The unsigned CRC32 Kraken sends in `checksum`, for a book's best-first asks and bids. */
export function bookChecksum(asks: readonly Level[], bids: readonly Level[]): number {
  return crc32(checksumString(asks, bids));
}

/**
 * Decimal text at exactly `decimals` fraction digits, without float arithmetic: pads with zeros,
 * drops extra trailing zeros (`("45281", 1)` → `"45281.0"`, `("0.1", 8)` → `"0.10000000"`). Extra
 * non-zero digits cannot be represented at that precision: the text is returned unchanged.
 */
export function formatAtPrecision(decimal: string, decimals: number): string {
  const dot = decimal.indexOf('.');
  const int = dot === -1 ? decimal : decimal.slice(0, dot);
  let frac = dot === -1 ? '' : decimal.slice(dot + 1);
  if (frac.length > decimals) {
    if (!/^0*$/.test(frac.slice(decimals))) return decimal;
    frac = frac.slice(0, decimals);
  }
  return decimals === 0 ? int : `${int}.${frac.padEnd(decimals, '0')}`;
}

/** Best-first levels re-formatted at the instrument's price and qty precision. */
export function atPrecision(levels: readonly Level[], priceDecimals: number, qtyDecimals: number): Level[] {
  const n = Math.min(CHECKSUM_LEVELS, levels.length);
  const out: Level[] = [];
  for (let i = 0; i < n; i++) {
    const l = levels[i]!;
    out.push([formatAtPrecision(l[0], priceDecimals), formatAtPrecision(l[1], qtyDecimals)]);
  }
  return out;
}
