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
 * price. Prices are compared with `compareDecimal` (exact, any spelling) and published canonical.
 */
import { addDecimal } from '@tickmesh/book';
import {
  canonicalDecimal,
  compareDecimal,
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
 * The best `depth` aggregated levels of one side. `lists[i]` belongs to `sources[i]`; each list is
 * best first with distinct prices (an OrderBook's top).
 */
export function aggregateSide(
  lists: readonly (readonly Level[])[],
  sources: readonly string[],
  side: 'bid' | 'ask',
  depth: number,
): ConsolidatedLevel[] {
  const k = lists.length;
  const pos = new Array<number>(k).fill(0);
  const sign = side === 'bid' ? 1 : -1;
  const out: ConsolidatedLevel[] = [];
  while (out.length < depth) {
    let best: string | undefined;
    for (let i = 0; i < k; i++) {
      const l = lists[i]![pos[i]!];
      if (l !== undefined && (best === undefined || sign * compareDecimal(l[0], best) > 0)) best = l[0];
    }
    if (best === undefined) break;
    let total = '';
    const contributions: [string, string][] = [];
    for (let i = 0; i < k; i++) {
      const l = lists[i]![pos[i]!];
      if (l === undefined || (l[0] !== best && compareDecimal(l[0], best) !== 0)) continue;
      contributions.push([sources[i]!, l[1]]);
      total = total === '' ? canonicalDecimal(l[1]) : addDecimal(total, l[1]);
      pos[i]!++;
    }
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
    if (compareDecimal(c[1], best[1]) > 0) best = c;
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
  );
  const asks = aggregateSide(
    input.included.map((m) => m.asks),
    sources,
    'ask',
    input.depth,
  );
  const nbbo = nbboOf(bids, asks);
  const cmp = nbbo.bidPx !== '' && nbbo.askPx !== '' ? compareDecimal(nbbo.bidPx, nbbo.askPx) : -1;
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
