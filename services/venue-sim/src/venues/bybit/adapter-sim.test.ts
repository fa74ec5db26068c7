/**
 * The tickmesh Bybit adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: subscribe frames, client pings, WS snapshots, a gap fault resynced by re-subscribing
 * the symbol (what the feed does for `snapshotSource: 'stream'` venues), µs latency from the
 * fractional `ts`, and the final book equal to the simulator's ground truth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bybit, type VenueAdapter } from '@tickmesh/venues';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../log';
import { assertChains, assertMicrosLatency, runAdapter, serveVenue } from '../adapter-sim-harness';
import { createBybitVenues } from './index';

test('adapter + engine against the simulator: live, gap → re-subscribe → live, ground truth, µs latency', async (t) => {
  const config = resolveConfig({
    seed: 5,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    rate: 300,
    tradeRate: 20,
    autoStart: false,
  });
  const [venue] = createBybitVenues(config, silentLogger, { categories: ['linear'] });
  const { base } = await serveVenue(t, venue!);
  const adapter = bybit.bybitAdapter({ category: 'linear', depth: 50 });
  const s = await runAdapter(t, base, adapter as VenueAdapter);
  assert.deepEqual(
    s.instruments.map((i) => i.symbol),
    ['BTC-USDT-PERP', 'SOL-USDT-PERP'],
  );
  venue!.market.start();

  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live');
  await s.until(() => s.deltas().length > 100 && s.trades.length > 5, 'deltas and trades');
  assert.ok(
    s.frames.some((f) => f.includes('"ret_msg":"pong"')),
    'the client ping is answered',
  );
  // venueTs carries µs: frame latency on one machine is small and positive
  assertMicrosLatency(s.books);

  await s.fault({ venue: 'bybitlinear', symbol: 'BTCUSDT', kind: 'gap', count: 1 });
  await s.until(
    () => s.statuses.some((x) => x.symbol === 'BTC-USDT-PERP' && x.state === 'resyncing'),
    'the gap',
  );
  await s.until(() => s.state('BTCUSDT') === 'live', 'live again');
  const btc = s.engine.statusOf('BTCUSDT')!;
  assert.equal(btc.epoch, 2);
  assert.equal(btc.resyncs, 1);
  assert.match(s.statuses.find((x) => x.state === 'resyncing')!.reason, /^bybit:u jump/);
  assert.equal(s.engine.statusOf('SOLUSDT')?.epoch, 1, 'the other symbol was not touched');

  // pause, barrier (ping → pong after every earlier frame), compare with the ground truth
  venue!.market.pause();
  await s.barrier(adapter.defaults.clientPing!.payload, (f) => f.includes('"pong"'));
  for (const native of s.natives) {
    const truth = (JSON.parse(venue!.groundTruth(native)!) as { result: { b: string[][]; a: string[][] } })
      .result;
    const mine = s.engine.snapshotOf(native)!;
    assert.deepEqual(mine.bids, truth.b.slice(0, 50), native);
    assert.deepEqual(mine.asks, truth.a.slice(0, 50), native);
  }
  assertChains(s.books);
  assert.ok(s.trades.every((tr) => tr.symbol.endsWith('-PERP') && (tr.side === 'buy' || tr.side === 'sell')));
});
