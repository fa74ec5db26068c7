/**
 * Exact decimal arithmetic for the few places where money is added or subtracted (aggregating
 * sizes across levels or venues, notional value of a depth range). The book itself never does
 * arithmetic; it orders and keys decimal text.
 *
 * decimal.js rounds every result to `precision` significant digits (default 20), which would
 * silently round 64-character wire decimals. The private constructor below uses a precision far
 * above anything valid input can produce (two 64-character factors have at most 128 significant
 * digits; sums add a few more), so every result here is exact.
 *
 * Results are canonical decimal text (`canonicalDecimal` form: `"2.5"`, not `"2.50"`), never in
 * exponent notation, so they can be published or keyed directly. decimal.js is ~10× slower than
 * the book's hot path: keep these helpers off per-update paths that do not need a sum.
 */
import Decimal from 'decimal.js';
import { isDecimalText, type Level } from '@tickmesh/contracts';
import { BookError } from './book-error';

const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_UP });
type Exact = InstanceType<typeof Exact>;

function parse(s: string): Exact {
  if (typeof s !== 'string' || !isDecimalText(s)) throw new BookError('not decimal text', s);
  return new Exact(s);
}

function text(d: Exact): string {
  if (d.isNegative() && !d.isZero()) throw new BookError('negative result', d.toFixed());
  return d.abs().toFixed();
}

/** `a + b`, exact. Throws `BookError` when either operand is not decimal text. */
export function addDecimal(a: string, b: string): string {
  return text(parse(a).plus(parse(b)));
}

/**
 * `a - b`, exact. Decimal text is non-negative, so a negative difference is a caller bug (e.g.
 * removing more size than was aggregated) and throws `BookError` instead of returning `"-…"`.
 */
export function subDecimal(a: string, b: string): string {
  return text(parse(a).minus(parse(b)));
}

/** Σ size over the levels, exact; `"0"` for none. */
export function sumSizes(levels: Iterable<Level>): string {
  let sum = new Exact(0);
  for (const level of levels) sum = sum.plus(parse(level[1]));
  return text(sum);
}

/** Σ price × size over the levels (quote-currency value of a depth range), exact; `"0"` for none. */
export function notional(levels: Iterable<Level>): string {
  let sum = new Exact(0);
  for (const level of levels) sum = sum.plus(parse(level[0]).times(parse(level[1])));
  return text(sum);
}
