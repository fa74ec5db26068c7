/**
 * A client-side depth book view, kept from a `book.<venue>.<SYMBOL>` channel: the snapshot sets it,
 * each update is a diff (absolute sizes, "0" removes a price) that turns it into the server's
 * top-`depth` view, and a snapshot-type message in mid-stream (the gateway rebuilt the book: a
 * venue resync or a new epoch, or a reconnect that could not resume) replaces it. Levels are kept
 * by their exact price text and ordered by exact decimal comparison: no floats.
 */
import type { BookViewData, DataMessage, Level, SyncState } from '@tickmesh/contracts';

export interface BookView {
  venue: string;
  symbol: string;
  /**
   * levels per side at most: the depth asked for, or the gateway's tier when that is smaller (a
   * channel's options are set by its first subscriber on a client, so a second `book()` of the same
   * channel shares the first one's tier)
   */
  depth: number;
  bookEpoch: number;
  bookSeq: number;
  state: SyncState;
  /** best first */
  bids: [price: string, size: string][];
  asks: [price: string, size: string][];
}

export interface BookOptions {
  /** levels per side, 1..100 (the gateway serves tiers 10/25/50/100; default 25) */
  depth?: number;
  /** at most one change per `conflateMs` ms (diffs merged by the gateway) */
  conflateMs?: number;
}

/** Exact comparison of two non-negative decimal texts. */
export function compareDecimalText(a: string, b: string): number {
  const ca = canonical(a);
  const cb = canonical(b);
  if (ca === cb) return 0;
  const [ia, fa = ''] = ca.split('.') as [string, string?];
  const [ib, fb = ''] = cb.split('.') as [string, string?];
  if (ia.length !== ib.length) return ia.length - ib.length;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const len = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(len, '0');
  const pb = fb.padEnd(len, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

function canonical(s: string): string {
  const dot = s.indexOf('.');
  let int = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

function isZero(s: string): boolean {
  return /^0*(\.0*)?$/.test(s);
}

export class BookViewState {
  private readonly bids = new Map<string, string>();
  private readonly asks = new Map<string, string>();
  private header: Omit<BookViewData, 'bids' | 'asks'> | undefined;

  constructor(
    readonly venue: string,
    readonly symbol: string,
    readonly depth: number,
  ) {}

  /** True when the view exists (a snapshot was applied). */
  get ready(): boolean {
    return this.header !== undefined;
  }

  /** Applies a channel message; returns whether the view exists afterwards. */
  apply(m: DataMessage): boolean {
    const d = m.data as BookViewData;
    if (m.type === 'snapshot') {
      this.bids.clear();
      this.asks.clear();
    } else if (this.header === undefined) {
      return false; // an update without a snapshot cannot be applied
    }
    for (const [p, s] of d.bids) this.set(this.bids, p, s);
    for (const [p, s] of d.asks) this.set(this.asks, p, s);
    const { bids: _b, asks: _a, ...header } = d;
    this.header = header;
    return true;
  }

  private set(side: Map<string, string>, price: string, size: string): void {
    if (isZero(size)) side.delete(price);
    else side.set(price, size);
  }

  /** The whole view as channel data (what a snapshot of it would carry). */
  data(): BookViewData {
    const v = this.view();
    return { ...this.header!, bids: v.bids, asks: v.asks };
  }

  view(): BookView {
    const h = this.header!;
    const depth = Math.min(this.depth, h.depth);
    const bids = [...this.bids].sort((a, b) => compareDecimalText(b[0], a[0])).slice(0, depth);
    const asks = [...this.asks].sort((a, b) => compareDecimalText(a[0], b[0])).slice(0, depth);
    return {
      venue: this.venue,
      symbol: this.symbol,
      depth,
      bookEpoch: h.bookEpoch,
      bookSeq: h.bookSeq,
      state: h.state,
      bids: bids as Level[],
      asks: asks as Level[],
    };
  }
}
