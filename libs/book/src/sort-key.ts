/**
 * Numeric sort key for decimal text: a fast, provably order-preserving hint.
 *
 * Contract: for valid decimal text a, b (see `isDecimalText`),
 *   value(a) <= value(b)  implies  sortKey(a) <= sortKey(b).
 * So `sortKey(a) < sortKey(b)` proves a < b, and only equal keys need the exact (slower)
 * `compareDecimal`. The key is NOT a price: it is never published or used in arithmetic.
 *
 * Construction. T(x) truncates x to a grid g(x) = max(1e-22, 10^(E-14)) with E = floor(log10 x),
 * i.e. to at most 15 significant digits and at most 22 fraction digits. Truncation to a grid that
 * only coarsens as x grows, in powers of ten, is non-decreasing: if a <= b fall on different grids
 * then b >= 10^E(b), a point of both grids, and T(a) <= a < 10^E(b) <= T(b). T(x) = m * 10^e or
 * m / 10^f with an integer m < 10^15 and e, f <= 22, so both operands are exact doubles and the one
 * IEEE operation rounds correctly; correct rounding is non-decreasing, hence so is the key.
 * Values with e > 22 (>= 1e37, never a real price) share the key 1e37, which is >= every other
 * key: still non-decreasing, and ties are resolved exactly by the caller.
 *
 * For the usual wire prices (<= 15 significant digits, <= 22 decimals) the key equals
 * `Number(text)`, but a hand scan is ~5x cheaper than V8's string-to-number, and the argument above
 * does not depend on how an engine rounds decimal strings longer than 20 digits.
 */

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_SIG = 15;
const MAX_FRAC = 22;
const CAP = 1e37;

/** Order-preserving numeric key of decimal text. Input must already be valid decimal text. */
export function sortKey(s: string): number {
  let m = 0; // first significant digits, an exact integer < 10^15
  let sig = 0; // significant digits in m
  let e = 0; // integer digits dropped beyond MAX_SIG
  let f = 0; // fraction digits kept in m
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) break;
    if (sig >= MAX_SIG) e++;
    else {
      m = m * 10 + (c - 48);
      if (m !== 0) sig++;
    }
  }
  if (e > 0) return e > MAX_FRAC ? CAP : m * POW10[e]!;
  for (i++; i < n && sig < MAX_SIG && f < MAX_FRAC; i++) {
    m = m * 10 + (s.charCodeAt(i) - 48);
    f++;
    if (m !== 0) sig++;
  }
  return f === 0 ? m : m / POW10[f]!;
}
