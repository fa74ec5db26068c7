import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSymbol } from '../../market/instrument';
import { SymbolModel, type ModelParams } from '../../market/symbol-model';
import { DepthWindow, type TickLevel } from './depth-window';

const BTC = resolveSymbol({
  native: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  priceDecimals: 2,
  sizeDecimals: 5,
});
const PARAMS: ModelParams = {
  seed: 3,
  levelsPerUpdate: 3,
  bookLevels: 80,
  minBookLevels: 20,
  maxBookLevels: 120,
};

/** A client's view: snapshot, then absolute deltas, truncated to `depth` best levels per side. */
class View {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  constructor(private readonly depth: number) {}
  load(bids: TickLevel[], asks: TickLevel[]): void {
    this.bids = new Map(bids);
    this.asks = new Map(asks);
  }
  /** `truncate`: drop levels beyond the depth after the message (what the tickmesh adapter does) */
  apply(bids: TickLevel[], asks: TickLevel[], truncate: boolean): void {
    for (const [t, l] of bids)
      if (l === 0) this.bids.delete(t);
      else this.bids.set(t, l);
    for (const [t, l] of asks)
      if (l === 0) this.asks.delete(t);
      else this.asks.set(t, l);
    if (truncate) {
      const top = this.top();
      this.load(top.bids.slice(0, this.depth), top.asks.slice(0, this.depth));
    }
  }
  top(): { bids: TickLevel[]; asks: TickLevel[] } {
    return {
      bids: [...this.bids].sort((x, y) => y[0] - x[0]),
      asks: [...this.asks].sort((x, y) => x[0] - y[0]),
    };
  }
}

for (const depth of [1, 5, 50]) {
  for (const exitDeletes of [true, false]) {
    test(`depth ${depth}, exit deletes ${exitDeletes}: snapshot + deltas reproduce the model's top ${depth}`, () => {
      const model = new SymbolModel(BTC, PARAMS);
      const w = new DepthWindow(depth, model, 1000, exitDeletes);
      const client = new View(depth);
      const snap = w.levels(model);
      client.load(snap.bids, snap.asks);
      let changed = 0;
      for (let i = 0; i < 3000; i++) {
        const update = model.nextUpdate();
        const c = w.advance(model, update);
        if (c !== undefined) {
          changed++;
          client.apply(c.bids, c.asks, !exitDeletes);
          // deltas are sorted best first, like the venue's
          assert.deepEqual(
            c.bids,
            [...c.bids].sort((x, y) => y[0] - x[0]),
          );
          assert.deepEqual(
            c.asks,
            [...c.asks].sort((x, y) => x[0] - y[0]),
          );
        }
        const want = { bids: model.bids.levels(depth), asks: model.asks.levels(depth) };
        // with exit deletes the client never holds more than the view; without, it must truncate
        assert.deepEqual(client.top(), want, `update ${i}`);
      }
      assert.ok(changed > 100, `changed ${changed}`);
      if (depth === 1) assert.ok(changed < 3000, 'updates behind the touch do not change a level-1 view');
    });
  }
}
