/**
 * The tickmesh OKX adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator, in both snapshot modes:
 * - 'stream' (checksums on): subscribe frames, text ping/pong, WS snapshots, every update's
 *   checksum verified by the sync, a gap fault resynced by re-subscribing the symbol, µs latency
 *   from the fractional `ts`, the final books equal to the ground truth;
 * - 'rest' with `checksumMode: 'zero'` (the post-2026 venue): the WS snapshot ignored, the book
 *   synced from `GET /api/v5/market/books` + seqId, a gap resynced from REST without re-subscribing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { okx, type VenueAdapter } from '@tickmesh/venues';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../log';
import {
  assertChains,
  assertMicrosLatency,
  runAdapter,
  serveVenue,
  type AdapterRun,
} from '../adapter-sim-harness';
import { createOkxVenue, type OkxSimOptions } from './index';

type T = { after: (fn: () => Promise<void> | void) => void };

async function setup(t: T, adapter: okx.OkxAdapter, simOpts: OkxSimOptions) {
  const config = resolveConfig({
    seed: 5,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    rate: 300,
    tradeRate: 20,
    maxBookLevels: 600,
    bookLevels: 450,
    autoStart: false,
  });
  const venue = createOkxVenue(config, silentLogger, simOpts);
  const { base } = await serveVenue(t, venue);
  const run = await runAdapter(t, base, adapter as VenueAdapter);
  /** pause, barrier (ping → pong after every earlier frame), compare with the ground truth */
  const compareWithTruth = async (s: AdapterRun): Promise<void> => {
    venue.market.pause();
    await s.barrier(adapter.defaults.clientPing!.payload, (f) => f === 'pong');
    for (const native of s.natives) {
      const truth = (
        JSON.parse(venue.groundTruth(native)!) as {
          data: { bids: string[][]; asks: string[][]; seqId: number }[];
        }
      ).data[0]!;
      const mine = s.engine.snapshotOf(native)!;
      assert.equal(mine.seq, truth.seqId, `${native} seq`);
      assert.deepEqual(
        mine.bids,
        truth.bids.slice(0, 400).map((l) => [l[0], l[1]]),
        native,
      );
      assert.deepEqual(
        mine.asks,
        truth.asks.slice(0, 400).map((l) => [l[0], l[1]]),
        native,
      );
    }
    venue.market.resume();
  };
  const gap = (instId: string): Promise<void> =>
    run.fault({ venue: 'okx', symbol: instId, kind: 'gap', count: 1 });
  return { ...run, venue, compareWithTruth: () => compareWithTruth(run), gap };
}

test('stream mode, checksums on: live, gap → re-subscribe → live, ground truth, µs latency', async (t) => {
  const adapter = okx.okxAdapter({ instType: 'SPOT' });
  const s = await setup(t, adapter, { checksumMode: 'crc' });
  assert.deepEqual(
    s.instruments.map((i) => [i.venue, i.symbol, i.native]),
    [
      ['okx', 'BTC-USDT', 'BTC-USDT'],
      ['okx', 'SOL-USDT', 'SOL-USDT'],
    ],
  );
  s.venue.market.start();
  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live');
  await s.until(() => s.deltas().length > 200 && s.trades.length > 5, 'deltas and trades');
  assert.ok(s.frames.includes('pong'), 'the client ping is answered');
  assertMicrosLatency(s.books);

  await s.gap('BTC-USDT');
  await s.until(() => s.statuses.some((x) => x.symbol === 'BTC-USDT' && x.state === 'resyncing'), 'the gap');
  await s.until(() => s.state('BTC-USDT') === 'live', 'live again');
  const btc = s.engine.statusOf('BTC-USDT')!;
  assert.deepEqual([btc.epoch, btc.resyncs], [2, 1]);
  assert.match(s.statuses.find((x) => x.state === 'resyncing')!.reason, /^okx:prevSeqId!=last/);
  assert.equal(s.engine.statusOf('SOL-USDT')?.epoch, 1, 'the other symbol was not touched');
  await s.until(() => s.deltas().filter((b) => b.epoch === 2).length > 50, 'deltas after the resync');

  await s.compareWithTruth();
  assertChains(s.books);
  assert.ok(s.trades.every((tr) => tr.venue === 'okx' && (tr.side === 'buy' || tr.side === 'sell')));
  // no checksum failure happened: the only resync is the injected gap
  assert.equal(s.statuses.filter((x) => x.state === 'resyncing').length, 1);
});

test("rest mode against checksumMode 'zero' (the post-2026 venue): REST snapshot + seqId, gap → REST resync", async (t) => {
  const adapter = okx.okxAdapter({ instType: 'SWAP', snapshotMode: 'rest' });
  const s = await setup(t, adapter, { checksumMode: 'zero', instTypes: ['SWAP'] });
  assert.deepEqual(
    s.instruments.map((i) => [i.venue, i.symbol, i.native, i.kind]),
    [
      ['okxswap', 'BTC-USDT-PERP', 'BTC-USDT-SWAP', 'perp'],
      ['okxswap', 'SOL-USDT-PERP', 'SOL-USDT-SWAP', 'perp'],
    ],
  );
  s.venue.market.start();
  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live from REST');
  await s.until(() => s.deltas().length > 200, 'deltas');
  await s.gap('SOL-USDT-SWAP');
  await s.until(
    () => s.statuses.some((x) => x.symbol === 'SOL-USDT-PERP' && x.state === 'resyncing'),
    'the gap',
  );
  await s.until(() => s.state('SOL-USDT-SWAP') === 'live', 'live again');
  assert.equal(s.engine.statusOf('SOL-USDT-SWAP')?.epoch, 2);
  assert.ok(
    !s.frames.some((f) => f.includes('"op":"unsubscribe"') || f.includes('"event":"unsubscribe"')),
    'no re-subscription in rest mode',
  );
  await s.until(
    () => s.deltas().filter((b) => b.symbol === 'SOL-USDT-PERP' && b.epoch === 2).length > 30,
    'deltas after',
  );
  await s.compareWithTruth();
  assertChains(s.books);
});
