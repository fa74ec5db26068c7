/**
 * Test support for the order book: a seeded PRNG and a naive reference book. The reference keys
 * levels by canonical price and re-sorts with compareDecimal on every read: slow, but obviously
 * right, so the fast book is checked against it over thousands of random operations.
 */
import { canonicalDecimal, compareDecimal, isZeroDecimal, type Level } from '@tickmesh/contracts';

/** Naive reference: a map by canonical price, fully re-sorted with compareDecimal on every read. */
export class ReferenceBook {
  readonly sides = { bid: new Map<string, Level>(), ask: new Map<string, Level>() };
  constructor(
    readonly maxDepth = Infinity,
    readonly slack = 0,
  ) {}

  sorted(side: 'bid' | 'ask'): Level[] {
    const dir = side === 'bid' ? -1 : 1;
    return [...this.sides[side].values()].sort((a, b) => dir * compareDecimal(a[0], b[0]));
  }
  set(side: 'bid' | 'ask', [price, size]: Level): void {
    const m = this.sides[side];
    const key = canonicalDecimal(price);
    if (isZeroDecimal(size)) m.delete(key);
    else if (m.has(key)) m.set(key, [price, size]);
    else {
      m.set(key, [price, size]);
      // the book's documented trimming rule: past maxDepth + slack, keep the best maxDepth
      if (m.size > this.maxDepth + this.slack) this.keepBest(side);
    }
  }
  snapshot(bids: Level[], asks: Level[]): void {
    for (const [side, levels] of [
      ['bid', bids],
      ['ask', asks],
    ] as const) {
      this.sides[side].clear();
      for (const l of levels) {
        if (isZeroDecimal(l[1])) this.sides[side].delete(canonicalDecimal(l[0]));
        else this.sides[side].set(canonicalDecimal(l[0]), l);
      }
      this.keepBest(side);
    }
  }
  private keepBest(side: 'bid' | 'ask'): void {
    const keep = this.sorted(side).slice(0, this.maxDepth);
    this.sides[side] = new Map(keep.map((l) => [canonicalDecimal(l[0]), l]));
  }
}

/** Seeded PRNG (mulberry32), so a failing random test reproduces from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// values that collide as doubles, differ only in spelling, or sit far apart in magnitude
export const BASE = [
  '0.1',
  '0.10000000000000000001',
  '0.10000000000000000002',
  '0.3',
  '1',
  '1.5',
  '2',
  '27000.1',
  '27000.10000000000000000001',
  '27000.2',
  '99.99',
  '100',
  '123456789012345678901234567890',
  '123456789012345678901234567891',
  '0.00000000000000000000000001',
  '0',
];
/** BASE plus 120 tick prices: sides deep enough to take both the short-shift and splice paths. */
export const WIDE = [
  ...BASE,
  ...Array.from({ length: 120 }, (_, i) => `270${String(i).padStart(2, '0')}.${i % 10}5`),
];

export const SIZES = [
  '1',
  '1.5',
  '1.50',
  '0.001',
  '12345.678901234567890123',
  '0',
  '0.0',
  '0.00000000',
  '000',
];

export function spell(rand: () => number, canonical: string): string {
  let s = rand() < 0.2 ? '0'.repeat(1 + Math.floor(rand() * 2)) + canonical : canonical;
  if (rand() < 0.3) s += (s.includes('.') ? '' : '.') + '0'.repeat(1 + Math.floor(rand() * 3));
  return s;
}

export function randomLevels(rand: () => number, n: number, pool: readonly string[] = BASE): Level[] {
  return Array.from({ length: n }, (): Level => [
    spell(rand, pool[Math.floor(rand() * pool.length)]!),
    SIZES[Math.floor(rand() * SIZES.length)]!,
  ]);
}
