/**
 * Decimal text: prices and sizes travel as the venue's exact decimal strings (`"27000.10"`,
 * `"0.00000000"`). They are compared and keyed exactly, never through float arithmetic.
 */
const DECIMAL_RE = /^\d+(?:\.\d+)?$/;

/** A non-negative plain decimal: digits, optional fraction. No sign, exponent, or spaces. */
export function isDecimalText(s: string): boolean {
  return s.length > 0 && s.length <= 64 && DECIMAL_RE.test(s);
}

/** True when the decimal text is zero (`"0"`, `"0.00000000"`, `"000.0"`). */
export function isZeroDecimal(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 48 /* 0 */ && c !== 46 /* . */) return false;
  }
  return true;
}

/**
 * Canonical form of decimal text: no leading zeros in the integer part, no trailing zeros in the
 * fraction, no trailing dot. `"027000.1000"` → `"27000.1"`, `"0.000"` → `"0"`. Two decimal texts
 * denote the same number iff their canonical forms are equal, so it is an exact map key.
 */
export function canonicalDecimal(s: string): string {
  let start = 0;
  const dot = s.indexOf('.');
  const intEnd = dot === -1 ? s.length : dot;
  while (start < intEnd - 1 && s.charCodeAt(start) === 48) start++;
  if (dot === -1) return start === 0 ? s : s.slice(start);
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
  if (end === dot + 1) end = dot;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Exact comparison of two non-negative decimal texts: negative, zero or positive like `a - b`.
 * Works on any length (no float rounding).
 */
export function compareDecimal(a: string, b: string): number {
  const ca = canonicalDecimal(a);
  const cb = canonicalDecimal(b);
  if (ca === cb) return 0;
  const da = ca.indexOf('.');
  const db = cb.indexOf('.');
  const ia = da === -1 ? ca.length : da;
  const ib = db === -1 ? cb.length : db;
  // canonical integer parts have no leading zeros: a longer one is larger
  if (ia !== ib) return ia - ib;
  const intA = ca.slice(0, ia);
  const intB = cb.slice(0, ib);
  if (intA !== intB) return intA < intB ? -1 : 1;
  const fa = da === -1 ? '' : ca.slice(da + 1);
  const fb = db === -1 ? '' : cb.slice(db + 1);
  const len = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(len, '0');
  const pb = fb.padEnd(len, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
