/**
 * The tickmesh Kraken adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: AssetPairs metadata, subscribe frames, client pings, stream snapshots, checksums on
 * every message, a gap fault detected by checksum and resynced by re-subscribing the symbol (what
 * the feed does for `snapshotSource: 'stream'` venues), µs latency from `timestamp`, and the final
 * book equal to the simulator's ground truth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kraken } from '@tickmesh/venues';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../log';
import { assertChains, assertMicrosLatency, runAdapter, serveVenue } from '../adapter-sim-harness';
import { createKrakenVenue } from './index';

test('adapter + engine against the simulator: live, checksums, gap → re-subscribe → live, ground truth, µs latency', async (t) => {
  const config = resolveConfig({
    seed: 9,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    rate: 300,
    tradeRate: 20,
    autoStart: false,
  });
  const venue = createKrakenVenue(config, silentLogger, { heartbeatMs: 200 });
  const { base } = await serveVenue(t, venue);
  const adapter = kraken.krakenAdapter({ depth: 10 });
  const s = await runAdapter(t, base, adapter);
  assert.deepEqual(
    s.instruments.map((i) => [i.native, i.symbol, i.priceDecimals, i.sizeDecimals]),
    [
      ['BTC/USDT', 'BTC-USDT', 2, 8],
      ['SOL/USDT', 'SOL-USDT', 2, 8],
    ],
  );
  assert.deepEqual(s.instruments, venue.instruments);
  venue.market.start();

  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live');
  await s.until(() => s.deltas().length > 100 && s.trades.length > 5, 'deltas and trades');
  assert.ok(
    s.frames.some((f) => f.startsWith('{"method":"pong"')),
    'the client ping is answered',
  );
  assert.ok(
    s.frames.some((f) => f === '{"channel":"heartbeat"}'),
    'heartbeats flow',
  );
  // venueTs is the send time in µs: frame latency on one machine is small, positive, sub-ms
  assertMicrosLatency(s.books);

  // The gap drops the next update that changes the checksummed top 10. Kraken sends absolute
  // quantities, so when the next message rewrites every level the dropped one changed, the client's
  // book is whole again and no checksum can notice (~1 drop in 10). Which update is dropped depends
  // on timing: inject another gap until one is noticed (healed drops cause no resync).
  const gapSeen = (): boolean => s.statuses.some((x) => x.symbol === 'BTC-USDT' && x.state === 'resyncing');
  for (let attempt = 1; !gapSeen(); attempt++) {
    assert.ok(attempt <= 5, 'no gap noticed after 5 injections');
    await s.fault({ venue: 'kraken', symbol: 'BTC/USDT', kind: 'gap', count: 1 });
    for (let waited = 0; waited < 1000 && !gapSeen(); waited += 20)
      await new Promise((r) => setTimeout(r, 20));
  }
  await s.until(() => s.state('BTC/USDT') === 'live', 'live again');
  const btc = s.engine.statusOf('BTC/USDT')!;
  assert.equal(btc.epoch, 2);
  assert.equal(btc.resyncs, 1);
  assert.match(s.statuses.find((x) => x.state === 'resyncing')!.reason, /^kraken:checksum mismatch/);
  assert.equal(s.engine.statusOf('SOL/USDT')?.epoch, 1, 'the other symbol was not touched');

  // pause, barrier (ping → pong after every earlier frame), compare with the ground truth
  venue.market.pause();
  await s.barrier(adapter.defaults.clientPing!.payload, (f) => f.startsWith('{"method":"pong"'));
  for (const native of s.natives) {
    const body = JSON.parse(venue.groundTruth(native)!) as {
      result: Record<string, { bids: string[][]; asks: string[][] }>;
    };
    const truth = Object.values(body.result)[0]!;
    const mine = s.engine.snapshotOf(native)!;
    assert.deepEqual(
      mine.bids,
      truth.bids.slice(0, 10).map((l) => [l[0], l[1]]),
      native,
    );
    assert.deepEqual(
      mine.asks,
      truth.asks.slice(0, 10).map((l) => [l[0], l[1]]),
      native,
    );
  }
  // every published delta chains on the previous message of its epoch, with consecutive seqs
  assertChains(s.books, { consecutive: true });
  assert.ok(s.trades.every((tr) => tr.venue === 'kraken' && (tr.side === 'buy' || tr.side === 'sell')));
  assert.ok(
    s.trades.every((tr) => /^\d+\.\d{8}$/.test(tr.size)),
    'sizes keep their 8 decimals',
  );
});
