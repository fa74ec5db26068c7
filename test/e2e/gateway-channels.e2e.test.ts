/**
 * The gateway's book, trades and wildcard channels end to end through the SDK: simulator →
 * ingestor → NATS → book-builder (depth snapshots) → gateway mirror → `client.book()`. The view must
 * equal the simulator's ground-truth top-depth book, also after a venue-side gap (a resync that
 * reaches the client as a fresh snapshot), with and without conflation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import {
  TickmeshClient,
  type BookView,
  type ConsolidatedData,
  type StatsData,
  type StatusData,
  type TradesData,
} from '@tickmesh/client';
import { waitFor } from '@tickmesh/test-harness';
import { groundTruth, simPost, startStack, type GroundTruth } from './stack';

const DEPTH = 10;

function sameAsTruth(v: BookView | undefined, truth: GroundTruth): boolean {
  return (
    v !== undefined &&
    v.state === 'live' &&
    JSON.stringify(v.bids) === JSON.stringify(truth.bids.slice(0, DEPTH)) &&
    JSON.stringify(v.asks) === JSON.stringify(truth.asks.slice(0, DEPTH))
  );
}

test('client.book() equals the ground-truth top-depth book, across a venue resync; trades and wildcards arrive', async (t) => {
  const stack = await startStack({
    symbols: ['BTCUSDT:BTC:USDT', 'ETHUSDT:ETH:USDT'],
    simRate: 20,
    extraEnv: { STATS_INTERVAL_MS: '1000' },
  });
  let failed = true;
  t.after(() => stack.close(failed));
  const client = new TickmeshClient({ url: stack.gatewayWs, WebSocket: WebSocket as never });
  t.after(() => client.close());
  await client.connect();

  await waitFor(async () => (await client.instruments()).filter((i) => i.venue === 'binance').length === 2, {
    timeoutMs: 15_000,
    intervalMs: 200,
    message: 'the gateway lists both instruments',
  });
  assert.deepEqual(
    (await client.instruments()).map((i) => `${i.venue}.${i.symbol}`),
    ['binance.BTC-USDT', 'binance.ETH-USDT'],
  );

  let view: BookView | undefined;
  let conflatedView: BookView | undefined;
  const views: BookView[] = [];
  client.book('binance', 'BTC-USDT', { depth: DEPTH }, (v) => {
    view = v;
    views.push(v);
  });
  client.book('binance', 'ETH-USDT', { depth: DEPTH, conflateMs: 100 }, (v) => (conflatedView = v));
  const trades: TradesData['trades'] = [];
  await client.subscribe('trades.binance.BTC-USDT', (m) => trades.push(...m.data.trades));
  const statuses = new Map<string, StatusData>();
  await client.subscribe('status.binance.*', (m) => statuses.set(m.ch, m.data as StatusData));
  let consolidated: ConsolidatedData | undefined;
  await client.subscribe('consolidated.BTC-USDT', (m) => (consolidated = m.data));
  let stats: StatsData | undefined;
  await client.subscribe('stats.binance.BTC-USDT', (m) => (stats = m.data));
  const gaps: unknown[] = [];
  client.on('gap', (g) => gaps.push(g));

  await waitFor(() => trades.length > 0, { timeoutMs: 15_000, message: 'trades arrive' });
  await waitFor(() => statuses.size === 2, {
    timeoutMs: 15_000,
    message: 'the wildcard delivers both statuses',
  });
  await waitFor(() => consolidated?.venues.includes('binance') === true, {
    timeoutMs: 15_000,
    message: () => `consolidated book with binance: ${JSON.stringify(consolidated)}`,
  });
  await waitFor(() => stats?.state === 'live', { timeoutMs: 15_000, message: 'stats arrive' });
  assert.equal(stats!.symbol, 'BTC-USDT');
  await waitFor(() => view?.state === 'live' && conflatedView?.state === 'live', {
    timeoutMs: 15_000,
    message: () => `both book views live: ${view?.state} ${conflatedView?.state}`,
  });

  // 1. with the venue paused, each view settles on exactly the simulator's book
  const compare = async (what: string): Promise<void> => {
    await simPost(stack.simUrl, { venue: 'binance', kind: 'pause' });
    const [btc, eth] = await Promise.all([
      groundTruth(stack.simUrl, 'BTCUSDT'),
      groundTruth(stack.simUrl, 'ETHUSDT'),
    ]);
    await waitFor(() => sameAsTruth(view, btc), {
      timeoutMs: 10_000,
      message: () =>
        `${what}: BTC view = truth ${JSON.stringify([btc.bids.slice(0, 3), btc.asks.slice(0, 3)])}, got ${JSON.stringify(view && [view.bids.slice(0, 3), view.asks.slice(0, 3), view.state])}`,
    });
    await waitFor(() => sameAsTruth(conflatedView, eth), {
      timeoutMs: 10_000,
      message: () => `${what}: conflated ETH view = truth, got ${JSON.stringify(conflatedView)}`,
    });
    await simPost(stack.simUrl, { venue: 'binance', kind: 'resume' });
  };
  await compare('initial');
  assert.equal(view!.bids.length, DEPTH);
  assert.equal(view!.depth, DEPTH);

  // 2. let it run, then compare again (diffs applied all along)
  const seqBefore = view!.bookSeq;
  await waitFor(() => view!.bookSeq > seqBefore + 20, { timeoutMs: 15_000, message: 'the book moves' });
  await compare('after updates');

  // 3. a venue-side gap: the ingestor resyncs (new epoch); the view is rebuilt from a fresh snapshot
  const epochBefore = view!.bookEpoch;
  await simPost(stack.simUrl, { venue: 'binance', symbol: 'BTCUSDT', kind: 'gap', count: 1 });
  await waitFor(() => view!.bookEpoch > epochBefore && view!.state === 'live', {
    timeoutMs: 15_000,
    message: () => `BTC view in a new epoch (was ${epochBefore}): ${view?.bookEpoch} ${view?.state}`,
  });
  await compare('after the resync');
  assert.deepEqual(gaps, [], 'no sequence gap on any channel');
  failed = false;
});
