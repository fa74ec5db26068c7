import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderBook } from '@tickmesh/book';
import type { BookViewData, Level } from '@tickmesh/contracts';
import { diffView, isEmptyDiff, type View } from './book-view';
import { dataFrame, mergeBookFrames } from './frame';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The client side: a price → size map per side, ordered by exact value when read. */
class ClientView {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();
  apply(d: View): void {
    for (const [side, levels] of [
      [this.bids, d.bids],
      [this.asks, d.asks],
    ] as const) {
      for (const [p, s] of levels) {
        if (s === '0') side.delete(p);
        else side.set(p, s);
      }
    }
  }
  view(): View {
    // test prices are integers with 1 decimal: Number() orders them exactly here
    const bids = [...this.bids].sort((a, b) => Number(b[0]) - Number(a[0])) as Level[];
    const asks = [...this.asks].sort((a, b) => Number(a[0]) - Number(b[0])) as Level[];
    return { bids, asks };
  }
}

function randomLevels(r: () => number, side: 'bid' | 'ask', n: number): Level[] {
  const out: Level[] = [];
  for (let i = 0; i < n; i++) {
    const p = side === 'bid' ? 1000 - Math.floor(r() * 60) : 1001 + Math.floor(r() * 60);
    const size = r() < 0.35 ? '0' : `${1 + Math.floor(r() * 9)}.${Math.floor(r() * 10)}`;
    out.push([`${p}.5`, size]);
  }
  return out;
}

for (const depth of [1, 10, 25]) {
  test(`applying diffs keeps the client view equal to the server's top ${depth} (random deltas)`, () => {
    const r = rng(depth * 7919);
    const book = new OrderBook();
    book.applySnapshot(randomLevels(r, 'bid', 40), randomLevels(r, 'ask', 40));
    const client = new ClientView();
    let prev: View = { bids: [], asks: [] };
    for (let step = 0; step < 2000; step++) {
      book.applyDelta(
        randomLevels(r, 'bid', 1 + Math.floor(r() * 4)),
        randomLevels(r, 'ask', 1 + Math.floor(r() * 4)),
      );
      const next = book.top(depth);
      const d = diffView(prev, next);
      client.apply(d);
      assert.deepEqual(client.view(), next, `step ${step}`);
      if (isEmptyDiff(d)) assert.deepEqual(prev, next);
      prev = next;
    }
  });
}

test('merged book diffs (conflation) equal applying both', () => {
  const r = rng(42);
  const book = new OrderBook();
  book.applySnapshot(randomLevels(r, 'bid', 30), randomLevels(r, 'ask', 30));
  const depth = 10;
  const head = {
    venue: 'binance',
    symbol: 'BTC-USDT',
    depth,
    bookEpoch: 1,
    bookSeq: 0,
    state: 'live' as const,
  };
  const frameOf = (seq: number, d: View): ReturnType<typeof dataFrame> => {
    const data: BookViewData = { ...head, bookSeq: seq, ...d };
    return dataFrame('update', 'book.binance.BTC-USDT', seq, 7, JSON.stringify(data), 0, {
      policy: 'merge',
      book: data,
    });
  };
  let prev = book.top(depth);
  const client = new ClientView();
  client.apply({ bids: prev.bids, asks: prev.asks });
  for (let round = 0; round < 200; round++) {
    let pending: ReturnType<typeof dataFrame> | undefined;
    const steps = 1 + Math.floor(r() * 5);
    for (let i = 0; i < steps; i++) {
      book.applyDelta(randomLevels(r, 'bid', 3), randomLevels(r, 'ask', 3));
      const next = book.top(depth);
      const f = frameOf(round * 10 + i, diffView(prev, next));
      pending = pending === undefined ? f : mergeBookFrames(pending, f);
      prev = next;
    }
    const msg = JSON.parse(pending!.json) as { seq: number; data: BookViewData };
    assert.equal(msg.seq, round * 10 + steps - 1);
    client.apply(msg.data);
    assert.deepEqual(client.view(), book.top(depth), `round ${round}`);
  }
});
