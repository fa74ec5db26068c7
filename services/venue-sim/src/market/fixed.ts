/**
 * Fixed-point decimal text ↔ integer units. The market model keeps every price and size as an
 * integer count of 10^-decimals units (JS numbers, exact while below 2^53), so no float arithmetic
 * ever touches money; text appears only at the edge, in the venue's own format.
 */

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/**
 * Integer units of `text` at `decimals` places: `toUnits("0.01", 8)` → 1000000.
 * Throws when the text is not a plain non-negative decimal, has more fraction digits than
 * `decimals` (it would be rounded), or does not fit in a safe integer.
 */
export function toUnits(text: string, decimals: number): number {
  const m = DECIMAL_RE.exec(text);
  if (m === null) throw new Error(`not a plain decimal: "${text}"`);
  const int = m[1] ?? '';
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > decimals) throw new Error(`"${text}" has more than ${decimals} decimals`);
  const digits = (int + frac.padEnd(decimals, '0')).replace(/^0+(?=\d)/, '');
  const units = Number(digits);
  if (!Number.isSafeInteger(units)) throw new Error(`"${text}" is too large at ${decimals} decimals`);
  return units;
}

/** Decimal text of integer `units` with exactly `decimals` places: `(1000000, 8)` → "0.01000000". */
export function formatUnits(units: number, decimals: number): string {
  const s = String(units);
  if (decimals === 0) return s;
  if (s.length <= decimals) return '0.' + s.padStart(decimals, '0');
  return s.slice(0, s.length - decimals) + '.' + s.slice(s.length - decimals);
}

/** Number of fraction digits a decimal needs once trailing zeros are dropped ("0.0100" → 2). */
export function significantDecimals(text: string): number {
  const dot = text.indexOf('.');
  if (dot === -1) return 0;
  return text.slice(dot + 1).replace(/0+$/, '').length;
}
