import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSymbol } from '../../market/instrument';
import { SymbolModel, type ModelParams } from '../../market/symbol-model';
import { BookView } from './book-view';
import type { TickLevel } from './wire';

const BTC = resolveSymbol({
  native: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  priceDecimals: 2,
  sizeDecimals: 8,
});
const PARAMS: ModelParams = {
  seed: 4,
  levelsPerUpdate: 3,
  bookLevels: 80,
  minBookLevels: 20,
  maxBookLevels: 140,
};

/** A client following Kraken's rules: absolute levels, qty 0 removes, truncate to the depth after each message. */
class Client {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  constructor(private readonly depth: number) {}
  load(bids: TickLevel[], asks: TickLevel[]): void {
    this.bids = new Map(bids);
    this.asks = new Map(asks);
  }
  apply(bids: TickLevel[], asks: TickLevel[], truncate = true): void {
    for (const [side, levels] of [
      [this.bids, bids],
      [this.asks, asks],
    ] as const)
      for (const [t, l] of levels)
        if (l === 0) side.delete(t);
        else side.set(t, l);
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

for (const depth of [10, 25, 100]) {
  test(`depth ${depth}: snapshot + updates + truncation reproduce the model's top ${depth}; no deletes for levels leaving scope`, () => {
    const model = new SymbolModel(BTC, PARAMS);
    const view = new BookView(depth, model);
    const client = new Client(depth);
    const lazy = new Client(depth); // never truncates: shows that levels leaving scope are not deleted
    const snap = view.levels(model);
    client.load(snap.bids, snap.asks);
    lazy.load(snap.bids, snap.asks);
    let sent = 0;
    let exits = 0;
    for (let i = 0; i < 3000; i++) {
      const update = model.nextUpdate();
      const change = view.advance(model, update);
      if (change !== undefined) {
        sent++;
        for (const [levels, side] of [
          [change.bids, model.bids],
          [change.asks, model.asks],
        ] as const)
          for (const [t, l] of levels)
            if (l === 0)
              assert.equal(side.get(t), 0, 'a qty 0 is only sent for a level removed from the book');
        client.apply(change.bids, change.asks);
        lazy.apply(change.bids, change.asks, false);
      }
      assert.deepEqual(client.top(), view.levels(model), `after update ${i}`);
      if (lazy.bids.size > depth || lazy.asks.size > depth) exits++;
    }
    assert.ok(sent > 100, `${sent} updates sent`);
    assert.ok(exits > 0, 'levels did fall out of scope without a delete');
  });
}
