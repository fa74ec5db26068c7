/**
 * Integration fixtures: a reference book written independently of libs/book (a Map keyed by the
 * decimal.js value, sorted on read), generators of chained snapshots and deltas, and a naive NBBO
 * over full books — what the book-builder's answers are checked against.
 */
import Decimal from 'decimal.js';
import type { Bus } from '@tickmesh/bus';
import {
  subjectFor,
  type BookDelta,
  type BookSnapshot,
  type Level,
  type WireMessage,
} from '@tickmesh/contracts';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RefBook {
  readonly bids = new Map<string, Level>();
  readonly asks = new Map<string, Level>();
  epoch = 1;
  seq = 0;

  constructor(
    readonly venue: string,
    readonly symbol: string,
  ) {}

  apply(side: 'bids' | 'asks', levels: readonly Level[]): void {
    for (const [p, s] of levels) {
      const key = new Decimal(p).toString();
      if (new Decimal(s).isZero()) this[side].delete(key);
      else this[side].set(key, [p, s]);
    }
  }

  /** The `n` best levels with their latest spelling, best first. */
  top(side: 'bids' | 'asks', n = Infinity): Level[] {
    const dir = side === 'bids' ? -1 : 1;
    return [...this[side].values()]
      .sort((x, y) => dir * new Decimal(x[0]).cmp(new Decimal(y[0])))
      .slice(0, n);
  }
}

/**
 * A venue's quoting grid: bids strictly below `mid`, asks strictly above, so the venue's own book
 * never crosses (books of different venues may).
 */
export interface Grid {
  mid: number;
  tick: string;
  decimals: number;
}

function gridPrice(g: Grid, side: 'bids' | 'asks', k: number): string {
  const off = new Decimal(g.tick).times(k);
  return (side === 'bids' ? new Decimal(g.mid).minus(off) : new Decimal(g.mid).plus(off)).toFixed(g.decimals);
}

const size = (r: () => number): string => new Decimal(Math.floor(r() * 5000) + 1).div(1000).toFixed(3);

export function snapshotOf(
  ref: RefBook,
  r: () => number,
  g: Grid,
  levels: number,
  seq: number,
): BookSnapshot {
  ref.bids.clear();
  ref.asks.clear();
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let k = 1; k <= levels; k++) {
    bids.push([gridPrice(g, 'bids', k), size(r)]);
    asks.push([gridPrice(g, 'asks', k), size(r)]);
  }
  ref.apply('bids', bids);
  ref.apply('asks', asks);
  ref.seq = seq;
  return {
    type: 'book.snapshot',
    venue: ref.venue,
    symbol: ref.symbol,
    epoch: ref.epoch,
    seq,
    venueTs: 1,
    recvTs: 2,
    bids,
    asks,
  };
}

/** The next chained delta: 1–4 levels near the top, a third of them removals. */
export function nextDelta(ref: RefBook, r: () => number, g: Grid): BookDelta {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 0; i < 1 + Math.floor(r() * 4); i++) {
    const side = r() < 0.5 ? 'bids' : 'asks';
    const level: Level = [gridPrice(g, side, 1 + Math.floor(r() * 15)), r() < 0.33 ? '0' : size(r)];
    (side === 'bids' ? bids : asks).push(level);
  }
  ref.apply('bids', bids);
  ref.apply('asks', asks);
  const prevSeq = ref.seq;
  ref.seq += 1 + Math.floor(r() * 3);
  return deltaMsg(ref, prevSeq, bids, asks);
}

export function deltaMsg(ref: RefBook, prevSeq: number, bids: Level[], asks: Level[]): BookDelta {
  return {
    type: 'book.delta',
    venue: ref.venue,
    symbol: ref.symbol,
    epoch: ref.epoch,
    seq: ref.seq,
    prevSeq,
    venueTs: 3,
    recvTs: 4,
    bids,
    asks,
  };
}

export function publishBook(bus: Bus, m: WireMessage & { venue: string; symbol: string }): void {
  if (!bus.publish(subjectFor(m.type === 'trade' ? 'trade' : 'book', m.venue, m.symbol), m)) {
    throw new Error('publish dropped');
  }
}

export interface NaiveNbbo {
  bidPx: Decimal | undefined;
  bidSz: Decimal;
  bidVenue: string;
  askPx: Decimal | undefined;
  askSz: Decimal;
  askVenue: string;
}

/** NBBO from the FULL books of the given sources: best price, summed size, largest source (ties: name order). */
export function naiveNbbo(books: readonly [source: string, ref: RefBook][]): NaiveNbbo {
  const side = (s: 'bids' | 'asks'): [Decimal | undefined, Decimal, string] => {
    let best: Decimal | undefined;
    for (const [, ref] of books) {
      for (const [p] of ref[s].values()) {
        const d = new Decimal(p);
        if (best === undefined || (s === 'bids' ? d.gt(best) : d.lt(best))) best = d;
      }
    }
    let total = new Decimal(0);
    let venue = '';
    let venueSize = new Decimal(0);
    for (const [source, ref] of [...books].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const level = best === undefined ? undefined : ref[s].get(best.toString());
      if (level === undefined) continue;
      total = total.plus(level[1]);
      if (venue === '' || new Decimal(level[1]).gt(venueSize))
        [venue, venueSize] = [source, new Decimal(level[1])];
    }
    return [best, total, venue];
  };
  const [bidPx, bidSz, bidVenue] = side('bids');
  const [askPx, askSz, askVenue] = side('asks');
  return { bidPx, bidSz, bidVenue, askPx, askSz, askVenue };
}

/** Whether published NBBO text equals the naive one (exact decimal equality). */
export function nbboMatches(
  n: { bidPx: string; bidSz: string; bidVenue: string; askPx: string; askSz: string; askVenue: string },
  ref: NaiveNbbo,
): boolean {
  const eq = (text: string, d: Decimal | undefined): boolean =>
    d === undefined ? text === '' : text !== '' && new Decimal(text).eq(d);
  return (
    eq(n.bidPx, ref.bidPx) &&
    eq(n.askPx, ref.askPx) &&
    (ref.bidPx === undefined || (new Decimal(n.bidSz).eq(ref.bidSz) && n.bidVenue === ref.bidVenue)) &&
    (ref.askPx === undefined || (new Decimal(n.askSz).eq(ref.askSz) && n.askVenue === ref.askVenue))
  );
}
