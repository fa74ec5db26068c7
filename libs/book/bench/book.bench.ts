/**
 * Micro-benchmark: µs per delta of 10 level changes on a ~1000-level book, including reading best
 * bid and best ask after each delta (what the book-builder does per message).
 * Run: npx tsx bench/book.bench.ts   (a few seconds; compare ratios within one run, see PERF.md)
 *
 * Changes are skewed toward the top of book like real venue traffic: the tick distance from the
 * touch is geometric; 20% of changes remove a level, the rest set a new absolute size (an update
 * when the level exists, an insert when it does not). Deltas are generated up front so the timed
 * loop measures only the book.
 */
import type { Level } from '@tickmesh/contracts';
import { OrderBook } from '../src/index';

const CHANGES = 10;
const DELTAS = 20_000;
const RUNS = 9;

let seed = 0x2545f491;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const mid = 2_700_000; // 27000.00 in cents
const px = (cents: number): string => (cents / 100).toFixed(2);
const sizes = Array.from({ length: 512 }, () => (rand() * 10).toFixed(4));
const size = (): string => sizes[Math.floor(rand() * sizes.length)]!;

function initial(perSide: number): { bids: Level[]; asks: Level[] } {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 0; i < perSide; i++) {
    bids.push([px(mid - 1 - i), size()]);
    asks.push([px(mid + 1 + i), size()]);
  }
  return { bids, asks };
}

function makeDeltas(perSide: number): Array<{ bids: Level[]; asks: Level[] }> {
  const out: Array<{ bids: Level[]; asks: Level[] }> = [];
  for (let d = 0; d < DELTAS; d++) {
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let c = 0; c < CHANGES; c++) {
      // geometric distance from the touch, mean ~perSide/20, capped inside the book's range
      const dist = Math.min(perSide - 1, Math.floor(-Math.log(1 - rand()) * (perSide / 20)));
      const s = rand() < 0.2 ? '0' : size();
      if (rand() < 0.5) bids.push([px(mid - 1 - dist), s]);
      else asks.push([px(mid + 1 + dist), s]);
    }
    out.push({ bids, asks });
  }
  return out;
}

function run(perSide: number, maxDepth?: number): { median: number; min: number; depth: string } {
  const start = initial(perSide);
  const deltas = makeDeltas(perSide);
  const results: number[] = [];
  let sink = 0;
  let depth = '';
  for (let r = 0; r < RUNS; r++) {
    const book = new OrderBook(maxDepth === undefined ? {} : { maxDepth });
    book.applySnapshot(start.bids, start.asks);
    const t0 = performance.now();
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i]!;
      if (book.applyDelta(d.bids, d.asks)) sink++;
      const bb = book.bestBid();
      const ba = book.bestAsk();
      if (bb !== undefined && ba !== undefined) sink += bb[0].length + ba[1].length;
    }
    results.push(((performance.now() - t0) * 1000) / deltas.length);
    const dep = book.depth();
    depth = `${dep.bids}/${dep.asks}`;
  }
  if (sink === 0) console.log('');
  results.sort((a, b) => a - b);
  return { median: results[RUNS >> 1]!, min: results[0]!, depth };
}

/**
 * Floor for comparison (PERF.md "numbers" row): the same best-last sorted array and binary search,
 * but on pre-parsed doubles, with no validation and no exactness. Not a usable book: prices that
 * differ beyond double precision would merge. Only the ratio to it, within one run, is meaningful.
 */
function runFloat(perSide: number): number {
  const start = initial(perSide);
  const deltas = makeDeltas(perSide).map((d) => ({
    bids: d.bids.map(([p, q]) => [Number(p), Number(q)] as const),
    asks: d.asks.map(([p, q]) => [Number(p), Number(q)] as const),
  }));
  type E = { key: number; sz: number };
  const apply = (a: E[], dir: number, levels: ReadonlyArray<readonly [number, number]>): void => {
    for (let l = 0; l < levels.length; l++) {
      const p = levels[l]![0];
      const q = levels[l]![1];
      const k = dir * p;
      let lo = 0;
      let hi = a.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (a[mid]!.key < k) lo = mid + 1;
        else hi = mid;
      }
      const hit = lo < a.length && a[lo]!.key === k;
      if (q === 0) {
        if (hit) a.splice(lo, 1);
      } else if (hit) a[lo]!.sz = q;
      else a.splice(lo, 0, { key: k, sz: q });
    }
  };
  const results: number[] = [];
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const bids: E[] = start.bids.map(([p, q]) => ({ key: Number(p), sz: Number(q) })).reverse();
    const asks: E[] = start.asks.map(([p, q]) => ({ key: -Number(p), sz: Number(q) })).reverse();
    const t0 = performance.now();
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i]!;
      apply(bids, 1, d.bids);
      apply(asks, -1, d.asks);
      const bb = bids[bids.length - 1];
      const ba = asks[asks.length - 1];
      if (bb !== undefined && ba !== undefined) sink += bb.key + ba.key;
    }
    results.push(((performance.now() - t0) * 1000) / deltas.length);
  }
  if (sink === 0) console.log('');
  results.sort((a, b) => a - b);
  return results[RUNS >> 1]!;
}

const floor = runFloat(500);
console.log(
  `${'float floor, 500 per side'.padEnd(30)} ${CHANGES} changes + best bid/ask: median ${floor.toFixed(3)} µs/delta`,
);
for (const [label, perSide, maxDepth] of [
  ['1000 levels (500 per side)', 500, undefined],
  ['2000 levels (1000 per side)', 1000, undefined],
  ['1000 per side, maxDepth 500', 1000, 500],
] as const) {
  const r = run(perSide, maxDepth);
  console.log(
    `${label.padEnd(30)} ${CHANGES} changes + best bid/ask: median ${r.median.toFixed(3)} µs/delta ` +
      `(${(r.median / floor).toFixed(1)}× floor; min ${r.min.toFixed(3)}, ${RUNS} runs × ${DELTAS} deltas, ` +
      `final depth ${r.depth})`,
  );
}
