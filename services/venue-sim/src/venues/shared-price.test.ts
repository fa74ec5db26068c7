/**
 * One market model: every venue's book of the same base/quote follows the shared fair-value path,
 * so the consolidated cross-venue book is uncrossed nearly all the time; with `sharedPrice: false`
 * the venues walk apart and the same check fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../config';
import { silentLogger } from '../log';
import { Market } from '../market/market';
import { createBybitVenues } from './bybit';
import { createCoinbaseVenue } from './coinbase';
import { createKrakenVenue } from './kraken';
import { createOkxVenue } from './okx';

const UPDATES = 5000;

interface Sample {
  /** consolidated best bid ≤ best ask (locked counts as not crossed) */
  uncrossed: number;
  locked: number;
  /** every venue's best bid within 5 ticks of every other's */
  near: number;
}

async function sampleVenues(sharedPrice: boolean, seed: number): Promise<Sample> {
  const config = resolveConfig({
    seed,
    sharedPrice,
    autoStart: false,
    symbols: [{ native: 'BTCUSDT', base: 'BTC', quote: 'USDT' }],
  });
  const okx = createOkxVenue(config, silentLogger, { instTypes: ['SPOT'] });
  const coinbase = createCoinbaseVenue(config, silentLogger);
  const kraken = createKrakenVenue(config, silentLogger);
  const bybit = createBybitVenues(config, silentLogger, { categories: ['spot'] });
  const markets = [
    new Market(config.specs, config, silentLogger),
    okx.market,
    coinbase.market,
    kraken.market,
    ...bybit.map((v) => v.market),
  ];
  const symbols = markets.map((m) => m.symbols[0]!);
  const models = markets.map((m, i) => m.model(symbols[i]!)!);
  // the same tick everywhere, so the books compare in ticks
  const ticks = new Set(models.map((m) => Number(m.spec.tickSize)));
  assert.equal(ticks.size, 1);
  const out: Sample = { uncrossed: 0, locked: 0, near: 0 };
  for (let n = 0; n < UPDATES; n++) {
    markets.forEach((m, i) => m.generateUpdates(symbols[i]!, 1));
    const bids = models.map((m) => m.bids.best()!);
    const asks = models.map((m) => m.asks.best()!);
    const bestBid = Math.max(...bids);
    const bestAsk = Math.min(...asks);
    if (bestBid <= bestAsk) out.uncrossed++;
    if (bestBid === bestAsk) out.locked++;
    if (bestBid - Math.min(...bids) <= 5) out.near++;
  }
  await Promise.all([okx, coinbase, kraken, ...bybit].map((v) => v.close()));
  return out;
}

test('shared price: 5 venues of BTC-USDT stay uncrossed ≥ 95% of the time and within a few ticks', async () => {
  for (const seed of [1, 42]) {
    const s = await sampleVenues(true, seed);
    assert.ok(s.uncrossed >= 0.95 * UPDATES, `seed ${seed}: uncrossed ${s.uncrossed}/${UPDATES}`);
    assert.ok(s.near >= 0.95 * UPDATES, `seed ${seed}: near ${s.near}/${UPDATES}`);
    // but not always: tight books at venues whose offsets differ lock (and, rarely, cross)
    assert.ok(s.uncrossed - s.locked < UPDATES, `seed ${seed}: never locked or crossed`);
  }
});

test('without the shared price the same check fails: independent walks drift apart', async () => {
  const s = await sampleVenues(false, 1);
  assert.ok(s.uncrossed < 0.95 * UPDATES, `uncrossed ${s.uncrossed}/${UPDATES}`);
  assert.ok(s.near < 0.95 * UPDATES, `near ${s.near}/${UPDATES}`);
});
