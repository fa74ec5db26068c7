/**
 * The tickmesh Coinbase adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: REST products → instruments, subscribe frames, level2 snapshots, a gap fault detected
 * by the per-connection `sequence_num` and resynced by restarting the connection (what the feed
 * does on `restartConnection`), taker sides, µs latency, and the final books equal to the ground truth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coinbase, type VenueAdapter } from '@tickmesh/venues';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../log';
import { assertChains, assertMicrosLatency, runAdapter, serveVenue } from '../adapter-sim-harness';
import { createCoinbaseVenue } from './index';

test('adapter + engine against the simulator: live, sequence jump → reconnect → live, ground truth', async (t) => {
  const config = resolveConfig({
    seed: 9,
    symbols: [
      { native: 'BTCUSD', base: 'BTC', quote: 'USD' },
      { native: 'SOLUSD', base: 'SOL', quote: 'USD' },
    ],
    rate: 300,
    tradeRate: 20,
    autoStart: false,
  });
  const venue = createCoinbaseVenue(config, silentLogger, { heartbeatIntervalMs: 100 });
  const { base } = await serveVenue(t, venue);
  const takerById = new Map<string, string>();
  venue.market.listen({
    depth: () => undefined,
    trade: (_m, tr) => void takerById.set(String(tr.id), tr.takerSide),
  });

  const adapter = coinbase.coinbaseAdapter();
  // one shard; the feed names connections `<venue>-<shard>`
  const s = await runAdapter(t, base, adapter as VenueAdapter, { conn: 'coinbase-0' });
  assert.deepEqual(
    s.instruments.map((i) => [i.native, i.symbol]),
    [
      ['BTC-USD', 'BTC-USD'],
      ['SOL-USD', 'SOL-USD'],
    ],
  );
  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live');
  venue.market.start();
  await s.until(() => s.deltas().length > 100 && s.trades.length > 5, 'deltas and trades');
  assert.ok(
    s.frames.some((f) => f.includes('"channel":"heartbeats"')),
    'heartbeats arrive',
  );
  assertMicrosLatency(s.books);

  await s.fault({ venue: 'coinbase', symbol: 'BTC-USD', kind: 'gap', count: 1 });
  await s.until(() => s.restarts.length === 1, 'the gap');
  const resync = s.statuses.filter((x) => x.state === 'resyncing');
  assert.deepEqual(
    resync.map((x) => x.symbol).sort(),
    ['BTC-USD', 'SOL-USD'],
    'a lost message on the connection resyncs every product it carries',
  );
  assert.match(resync[0]!.reason, /^coinbase:sequence_num jump: \d+ after \d+ \(1 message lost/);
  await s.until(
    () => s.natives.every((n) => s.state(n) === 'live' && s.engine.statusOf(n)!.epoch === 2),
    'live again',
  );
  assert.deepEqual(s.restarts, ['coinbase-0']);

  // pause, barrier (a subscriptions reply comes after every earlier frame), compare with the ground truth
  venue.market.pause();
  await s.barrier('{"type":"unsubscribe","product_ids":[],"channel":"status"}', (f) =>
    f.includes('"channel":"subscriptions"'),
  );
  for (const native of s.natives) {
    const pb = (
      JSON.parse(venue.groundTruth(native)!) as {
        pricebook: { bids: { price: string; size: string }[]; asks: { price: string; size: string }[] };
      }
    ).pricebook;
    const mine = s.engine.snapshotOf(native)!;
    assert.deepEqual(
      mine.bids,
      pb.bids.map((l) => [l.price, l.size]),
      native,
    );
    assert.deepEqual(
      mine.asks,
      pb.asks.map((l) => [l.price, l.size]),
      native,
    );
  }
  // every published delta chains on the previous message of its epoch; seq increases across epochs
  assertChains(s.books, { increasing: true });
  // the adapter's taker side is the model's aggressor
  assert.ok(s.trades.length > 5);
  for (const tr of s.trades) assert.equal(tr.side, takerById.get(tr.id), `trade ${tr.id}`);
});
