/**
 * A reference client for Binance diff-depth streams, written from the venue's documented procedure
 * ("How to manage a local order book correctly", PROTOCOLS.md §1.5) and nothing else, so that the
 * simulator is checked against the rules rather than against its own code.
 */
export type Level = [string, string];

export interface DepthEvent {
  U: number;
  u: number;
  b: Level[];
  a: Level[];
}

export interface Snapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

export type Action = 'drop' | 'apply' | 'ignore' | 'gap';

export class ReferenceBook {
  private bids = new Map<string, string>();
  private asks = new Map<string, string>();
  /** undefined until a snapshot is loaded (and again after a gap) */
  localId: number | undefined;
  buffered: DepthEvent[] = [];
  gaps = 0;

  /** Live event: buffered until a snapshot exists, then applied. */
  onEvent(e: DepthEvent): Action | 'buffer' {
    if (this.localId === undefined) {
      this.buffered.push(e);
      return 'buffer';
    }
    return this.apply(e);
  }

  /** Steps 4–7. Returns false when the snapshot is too old (fetch another). */
  loadSnapshot(s: Snapshot): boolean {
    const first = this.buffered[0];
    if (first !== undefined && s.lastUpdateId < first.U) return false;
    this.bids = new Map(s.bids);
    this.asks = new Map(s.asks);
    this.localId = s.lastUpdateId;
    const pending = this.buffered;
    this.buffered = [];
    for (const e of pending) {
      if (e.u <= s.lastUpdateId) continue; // step 5: covered by the snapshot
      if (this.apply(e) === 'gap') return true;
    }
    return true;
  }

  /** Step 7. */
  private apply(e: DepthEvent): Action {
    const local = this.localId!;
    if (e.u < local) return 'ignore';
    if (e.U > local + 1) {
      this.gaps++;
      this.localId = undefined;
      this.buffered = [];
      return 'gap';
    }
    for (const [p, q] of e.b) setLevel(this.bids, p, q);
    for (const [p, q] of e.a) setLevel(this.asks, p, q);
    this.localId = e.u;
    return 'apply';
  }

  /** Best-first levels, compared as decimals (all prices share one decimal count here). */
  book(): Snapshot {
    const sort = (m: Map<string, string>, desc: boolean): Level[] =>
      [...m].sort((x, y) => (desc ? -1 : 1) * (Number(x[0]) - Number(y[0])));
    return { lastUpdateId: this.localId ?? -1, bids: sort(this.bids, true), asks: sort(this.asks, false) };
  }
}

function setLevel(side: Map<string, string>, price: string, qty: string): void {
  if (/^0(\.0+)?$/.test(qty)) side.delete(price);
  else side.set(price, qty);
}
