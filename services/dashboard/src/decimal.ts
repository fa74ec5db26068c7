/**
 * Decimal text for display. Prices and sizes arrive as the venue's exact decimal text and stay
 * text: display decimals come from the text itself (its significant decimals: Binance's
 * "2999.86000000" shows as 2,999.86, padded to the most decimals its column has seen), sums and differences are exact (BigInt on a
 * common scale), and nothing money-valued goes through a float. `Number()` is used only for bar
 * widths and ratios (basis points), never for a displayed amount.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
/** more decimals than this are shown as they come (no padding beyond it) */
export const MAX_DECIMALS = 12;

/** Digits after the point ("97000.10" → 2, "5" → 0, "" → 0). */
export function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Significant digits after the point: trailing zeros do not count ("2999.860" → 2). */
export function significantDecimals(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return 0;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}

/** The most significant decimals among `texts` (at most MAX_DECIMALS), at least `floor`. */
export function maxDecimals(texts: Iterable<string>, floor = 0): number {
  let d = floor;
  for (const t of texts) {
    const n = significantDecimals(t);
    if (n > d) d = n;
  }
  return Math.min(d, MAX_DECIMALS);
}

/**
 * `text` with `decimals` digits after the point: insignificant trailing zeros dropped, then zeros
 * added up to `decimals` (a value with more significant decimals keeps them all: nothing is ever
 * rounded), and the integer part grouped by thousands. Text that is not a decimal stays as it is.
 */
export function formatDecimal(text: string, decimals: number, group = true): string {
  const m = DECIMAL.exec(text);
  if (m === null) return text;
  const int = group ? groupThousands(m[1]!) : m[1]!;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const pad = decimals > frac.length ? '0'.repeat(decimals - frac.length) : '';
  const f = frac + pad;
  return f.length > 0 ? `${int}.${f}` : int;
}

export function groupThousands(int: string): string {
  if (int.length <= 3) return int;
  let out = '';
  for (let i = 0; i < int.length; i++) {
    if (i > 0 && (int.length - i) % 3 === 0) out += ',';
    out += int[i];
  }
  return out;
}

/** Exact scaled integer: toScaled("1.5", 3) = 1500n. Undefined for text that is not a decimal. */
export function toScaled(text: string, scale: number): bigint | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '').padEnd(scale, '0');
  if (frac.length > scale) return undefined; // would lose digits: pick a larger scale
  return BigInt(m[1]! + frac);
}

/** Decimal text of a scaled integer (non-negative or negative), with exactly `scale` decimals. */
export function fromScaled(n: bigint, scale: number): string {
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return (neg ? '-' : '') + (scale > 0 ? `${int}.${frac}` : int);
}

/** Exact a − b as decimal text with the larger of the two scales; undefined if either is not a decimal. */
export function subtract(a: string, b: string): string | undefined {
  const s = Math.max(decimalsOf(a), decimalsOf(b));
  const x = toScaled(a, s);
  const y = toScaled(b, s);
  return x === undefined || y === undefined ? undefined : fromScaled(x - y, s);
}

/** Exact a + b as decimal text with the larger of the two scales; undefined if either is not a decimal. */
export function add(a: string, b: string): string | undefined {
  const s = Math.max(decimalsOf(a), decimalsOf(b));
  const x = toScaled(a, s);
  const y = toScaled(b, s);
  return x === undefined || y === undefined ? undefined : fromScaled(x + y, s);
}

/** Exact compare of two decimal texts: negative, 0, positive (like a sort comparator). */
export function compareDecimal(a: string, b: string): number {
  const s = Math.max(decimalsOf(a), decimalsOf(b));
  const x = toScaled(a, s) ?? 0n;
  const y = toScaled(b, s) ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Running totals of `sizes` as exact decimal text (cumulative depth), each with the scale of the
 * most precise size so far.
 */
export function cumulative(sizes: readonly string[]): string[] {
  const scale = Math.min(maxDecimals(sizes), 18);
  let sum = 0n;
  const out: string[] = [];
  for (const s of sizes) {
    sum += toScaled(s, scale) ?? 0n;
    out.push(fromScaled(sum, scale));
  }
  return out;
}

/**
 * Spread in basis points, (ask − bid) / mid × 10 000, computed exactly and truncated to 0.0001 bp
 * (a 0.01 spread on 60 000 is 0.0017 bp); undefined when a side is missing.
 */
export function spreadBps(bid: string, ask: string): number | undefined {
  if (bid === '' || ask === '') return undefined;
  const s = Math.max(decimalsOf(bid), decimalsOf(ask));
  const b = toScaled(bid, s);
  const a = toScaled(ask, s);
  if (a === undefined || b === undefined || a + b === 0n) return undefined;
  // (a − b) / ((a + b) / 2) × 10 000, in ten-thousandths of a bp
  const units = ((a - b) * 200_000_000n) / (a + b);
  return Number(units) / 10_000;
}

/** A size as a number for proportional bars only. */
export function barValue(size: string): number {
  const n = Number(size);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Remembers, per key (instrument and column), the most decimals seen so far, so a column keeps
 * its width when a level with fewer decimals arrives ("97000.1" after "97000.25" → "97000.10").
 */
export class DecimalsMemo {
  private readonly seen = new Map<string, number>();

  of(key: string, texts: Iterable<string>): number {
    const d = maxDecimals(texts, this.seen.get(key) ?? 0);
    this.seen.set(key, d);
    return d;
  }
}

export const decimalsMemo = new DecimalsMemo();
