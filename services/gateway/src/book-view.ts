/**
 * The top-`depth` view of a book and the diff between two views, as sent on `book` channels.
 * Pure. Levels are keyed by their exact price text (the book stores the latest wire text of each
 * price), so a client applying diffs by text reproduces the server's view byte for byte.
 */
import type { Level } from '@tickmesh/contracts';

export interface View {
  bids: Level[];
  asks: Level[];
}

/**
 * Changes turning `prev` into `next` for one side: levels of `next` that are new or changed (their
 * size), then prices of `prev` absent from `next` with size "0". Order within a diff is irrelevant
 * (prices are distinct).
 */
export function diffSide(prev: readonly Level[], next: readonly Level[]): Level[] {
  const old = new Map<string, string>();
  for (const [p, s] of prev) old.set(p, s);
  const out: Level[] = [];
  const seen = new Set<string>();
  for (const [p, s] of next) {
    seen.add(p);
    if (old.get(p) !== s) out.push([p, s]);
  }
  for (const [p] of prev) if (!seen.has(p)) out.push([p, '0']);
  return out;
}

export function diffView(prev: View, next: View): View {
  return { bids: diffSide(prev.bids, next.bids), asks: diffSide(prev.asks, next.asks) };
}

export function isEmptyDiff(d: View): boolean {
  return d.bids.length === 0 && d.asks.length === 0;
}
