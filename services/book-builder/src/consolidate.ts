/**
 * Pure aggregation of per-venue top-of-book slices into one consolidated book (see
 * libs/contracts consolidated.ts for the wire contract). No I/O, no clock: the caller passes `ts`.
 *
 * Why the members' top N suffice: the consolidated top N holds the N best distinct prices of the
 * union of the members' books. A member level at one of those prices has fewer than N better
 * prices in its own book (they are all distinct prices of the union, better than it), so it is in
 * that member's top N. Sizes at every consolidated level are therefore complete.
 *
 * Cost: a k-way merge of k best-first lists, each output level scanning the k cursors twice, so
 * O(N × k) comparisons per side, plus one exact decimal addition per extra source at a shared
 * price. Prices are compared exactly (`comparePrice`: a numeric hint, `compareDecimal` only when
 * the hint ties) and published canonical; sizes are summed exactly (`sumExact`: integer
 * arithmetic on the digits, no float, no decimal.js — ~20× cheaper, measured by
 * tools/bench/book-builder.bench.ts).
 */
import { sortKey } from '@tickmesh/book';
import {
  canonicalDecimal,
  compareDecimal,
  isDecimalText,
  type ConsolidatedBook,
  type ConsolidatedLevel,
  type Level,
  type Nbbo,
  type SyncState,
} from '@tickmesh/contracts';

/** One live member book: its source id and its best levels (best first, at most N per side). */
export interface SourceTop {
  source: string;
  bids: readonly Level[];
  asks: readonly Level[];
  /** `priceKeys(bids)` / `priceKeys(asks)`, kept by the caller with its cached top (optional) */
  bidKeys?: readonly number[];
  askKeys?: readonly number[];
  venueTs: number;
  bookTs: number;
}

export interface ConsolidateInput {
  symbol: string;
  depth: number;
  /** live members, in source-name order (the order of each level's source list) */
  included: readonly SourceTop[];
  /** members left out, with their state */
  excluded: readonly { venue: string; state: SyncState }[];
  ts: number;
}

/**
 * Exact comparison of two decimal texts, like `compareDecimal`: `priceKey(a) < priceKey(b)` proves
 * `a < b`; only equal keys (the same price, or prices beyond 15 significant digits) go to the exact
 * text comparison.
 */
export function comparePrice(a: string, b: string): number {
  if (a === b) return 0;
  const x = priceKey(a);
  const y = priceKey(b);
  return x < y ? -1 : x > y ? 1 : compareDecimal(a, b);
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Σ sizes for non-negative decimal text, exact, canonical result (`["1.50", "1"]` → `"2.5"`). The
 * operands are scaled to the largest number of fraction digits and added as integers: as doubles
 * while every scaled operand has at most 14 digits (each < 1e14, so any sum of up to 90 of them
 * stays below 2^53 and every step is exact), with BigInt otherwise. No fractional value ever
 * passes through a float. Throws on anything that is not decimal text.
 */
export function sumExact(sizes: readonly string[]): string {
  let f = 0;
  let small = sizes.length <= 90;
  for (const s of sizes) {
    if (!isDecimalText(s)) throw new RangeError(`not decimal text: ${s}`);
    const dot = s.indexOf('.');
    const fl = dot < 0 ? 0 : s.length - dot - 1;
    if (fl > f) f = fl;
  }
  for (const s of sizes) {
    const dot = s.indexOf('.');
    const digits = (dot < 0 ? s.length : s.length - 1) + f - (dot < 0 ? 0 : s.length - dot - 1);
    if (digits > 14) small = false;
  }
  let digits: string;
  if (small) {
    let total = 0;
    for (const s of sizes) {
      let v = 0;
      let fl = 0;
      let frac = false;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 46 /* . */) frac = true;
        else {
          v = v * 10 + (c - 48);
          if (frac) fl++;
        }
      }
      total += v * POW10[f - fl]!;
    }
    digits = String(total);
  } else {
    let total = 0n;
    for (const s of sizes) {
      const dot = s.indexOf('.');
      const fr = dot < 0 ? '' : s.slice(dot + 1);
      total += BigInt((dot < 0 ? s : s.slice(0, dot)) + fr.padEnd(f, '0'));
    }
    digits = total.toString();
  }
  if (f === 0) return canonicalDecimal(digits);
  const d = digits.padStart(f + 1, '0');
  return canonicalDecimal(`${d.slice(0, d.length - f)}.${d.slice(d.length - f)}`);
}

/** `a + b`, exact (see `sumExact`). */
export function addExact(a: string, b: string): string {
  return sumExact([a, b]);
}

/**
 * Order-preserving numeric key of decimal text (libs/book's `sortKey`, proof there): value(a) <=
 * value(b) implies key(a) <= key(b), so different keys order two prices exactly and only equal
 * keys need `compareDecimal`. Input must be decimal text (it comes from a book, which validated it).
 */
export const priceKey = sortKey;

/** The keys of a side's prices (see `priceKey`). */
export function priceKeys(levels: readonly Level[]): number[] {
  const out = new Array<number>(levels.length);
  for (let i = 0; i < levels.length; i++) out[i] = priceKey(levels[i]![0]);
  return out;
}

/**
 * The best `depth` aggregated levels of one side. `lists[i]` belongs to `sources[i]`; each list is
 * best first with distinct prices (an OrderBook's top).
 */
export function aggregateSide(
  lists: readonly (readonly Level[])[],
  sources: readonly string[],
  side: 'bid' | 'ask',
  depth: number,
  /** `keys[i][j]` = `priceKey(lists[i][j][0])`, when the caller keeps them (see `priceKeys`) */
  keys?: readonly (readonly number[])[],
): ConsolidatedLevel[] {
  const k = lists.length;
  const ks = keys ?? lists.map(priceKeys);
  const pos = new Array<number>(k).fill(0);
  const sign = side === 'bid' ? 1 : -1;
  const out: ConsolidatedLevel[] = [];
  while (out.length < depth) {
    // the numeric key orders exactly unless two keys are equal (see comparePrice): then compare text
    let best: string | undefined;
    let bestKey = 0;
    for (let i = 0; i < k; i++) {
      const l = lists[i]![pos[i]!];
      if (l === undefined) continue;
      const key = ks[i]![pos[i]!]!;
      if (
        best === undefined ||
        sign * key > sign * bestKey ||
        (key === bestKey && l[0] !== best && sign * compareDecimal(l[0], best) > 0)
      ) {
        best = l[0];
        bestKey = key;
      }
    }
    if (best === undefined) break;
    const contributions: [string, string][] = [];
    for (let i = 0; i < k; i++) {
      const l = lists[i]![pos[i]!];
      if (
        l === undefined ||
        ks[i]![pos[i]!] !== bestKey ||
        (l[0] !== best && compareDecimal(l[0], best) !== 0)
      )
        continue;
      contributions.push([sources[i]!, l[1]]);
      pos[i]!++;
    }
    const total =
      contributions.length === 1
        ? canonicalDecimal(contributions[0]![1])
        : sumExact(contributions.map((c) => c[1]));
    out.push([canonicalDecimal(best), total, contributions]);
  }
  return out;
}

/** The source quoting the largest size at a level; ties go to the first in source order. */
function largestSource(level: ConsolidatedLevel | undefined): string {
  if (level === undefined) return '';
  let best = level[2][0]!;
  for (let i = 1; i < level[2].length; i++) {
    const c = level[2][i]!;
    if (comparePrice(c[1], best[1]) > 0) best = c;
  }
  return best[0];
}

/** NBBO from aggregated sides: best level price, total size, largest source. */
export function nbboOf(bids: readonly ConsolidatedLevel[], asks: readonly ConsolidatedLevel[]): Nbbo {
  const b = bids[0];
  const a = asks[0];
  return {
    bidPx: b?.[0] ?? '',
    bidSz: b?.[1] ?? '',
    bidVenue: largestSource(b),
    askPx: a?.[0] ?? '',
    askSz: a?.[1] ?? '',
    askVenue: largestSource(a),
  };
}

/** The consolidated book of one symbol from its members' tops. */
export function consolidate(input: ConsolidateInput): ConsolidatedBook {
  const sources = input.included.map((m) => m.source);
  const bids = aggregateSide(
    input.included.map((m) => m.bids),
    sources,
    'bid',
    input.depth,
    input.included.map((m) => m.bidKeys ?? priceKeys(m.bids)),
  );
  const asks = aggregateSide(
    input.included.map((m) => m.asks),
    sources,
    'ask',
    input.depth,
    input.included.map((m) => m.askKeys ?? priceKeys(m.asks)),
  );
  const nbbo = nbboOf(bids, asks);
  const cmp = nbbo.bidPx !== '' && nbbo.askPx !== '' ? comparePrice(nbbo.bidPx, nbbo.askPx) : -1;
  let venueTs = 0;
  let bookTs = 0;
  for (const m of input.included) {
    if (m.venueTs > venueTs) venueTs = m.venueTs;
    if (m.bookTs > bookTs) bookTs = m.bookTs;
  }
  return {
    type: 'consolidated',
    symbol: input.symbol,
    depth: input.depth,
    bids,
    asks,
    nbbo,
    crossed: cmp > 0,
    locked: cmp === 0,
    venues: sources,
    excluded: input.excluded.map((e) => ({ venue: e.venue, state: e.state })),
    venueTs,
    bookTs,
    ts: input.ts,
  };
}
