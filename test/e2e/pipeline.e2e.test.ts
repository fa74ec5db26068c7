/**
 * The foundation's end-to-end promise, on real processes: venue simulator → ingestor → NATS →
 * book-builder → Redis + NATS → gateway → a WebSocket client (the SDK) and an SSE client. Both
 * clients see the simulator's ground-truth top of book; an injected gap on one symbol is
 * detected and resynced (new epoch) while the other symbols never leave the live state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TickmeshClient, type StatusData, type TobData } from '@tickmesh/client';
import { waitFor } from '@tickmesh/test-harness';
import { groundTruth, simPost, startStack, type GroundTruth } from './stack';
import { readSse } from './sse';

const SYMBOLS = [
  ['BTCUSDT', 'BTC-USDT'],
  ['ETHUSDT', 'ETH-USDT'],
  ['SOLUSDT', 'SOL-USDT'],
] as const;

function matchesTruth(tob: TobData | undefined, truth: GroundTruth): boolean {
  return (
    tob !== undefined &&
    tob.state === 'live' &&
    tob.bidPx === truth.bids[0]?.[0] &&
    tob.bidSz === truth.bids[0]?.[1] &&
    tob.askPx === truth.asks[0]?.[0] &&
    tob.askSz === truth.asks[0]?.[1]
  );
}

test('WS and SSE clients see the ground truth; a gap resyncs one symbol and leaves the others live', async (t) => {
  const stack = await startStack({ simRate: 20 });
  let failed = true;
  const client = new TickmeshClient({ url: stack.gatewayWs, WebSocket: WebSocket as never });
  const sse = await readSse(`${stack.gatewayUrl}/sse?channels=tob.binance.BTC-USDT`);
  t.after(async () => {
    client.close();
    sse.close();
    await stack.close(failed);
  });
  await client.connect();

  const latest = new Map<string, TobData>();
  const statuses = new Map<string, StatusData[]>();
  for (const [, sym] of SYMBOLS) {
    statuses.set(sym, []);
    await client.subscribe(`tob.binance.${sym}`, (m) => latest.set(sym, m.data));
    await client.subscribe(`status.binance.${sym}`, (m) => statuses.get(sym)!.push(m.data));
  }
  const sseTob = (): TobData | undefined => {
    const last = sse.events.filter((e) => e.event === 'snapshot' || e.event === 'update').at(-1);
    return last ? (JSON.parse(last.data) as { data: TobData }).data : undefined;
  };

  // 1. every symbol live, then freeze the market and compare with the simulator's ground truth
  await waitFor(() => SYMBOLS.every(([, s]) => latest.get(s)?.state === 'live'), {
    timeoutMs: 20_000,
    message: () => `all symbols live: ${JSON.stringify([...latest].map(([s, v]) => [s, v.state]))}`,
  });
  await simPost(stack.simUrl, { venue: 'binance', kind: 'pause' });
  for (const [native, sym] of SYMBOLS) {
    const truth = await groundTruth(stack.simUrl, native);
    await waitFor(() => matchesTruth(latest.get(sym), truth), {
      timeoutMs: 10_000,
      message: () =>
        `WS top of book for ${sym} = ground truth ${JSON.stringify([truth.bids[0], truth.asks[0]])}, got ${JSON.stringify(latest.get(sym))}`,
    });
  }
  const btcTruth = await groundTruth(stack.simUrl, 'BTCUSDT');
  await waitFor(() => matchesTruth(sseTob(), btcTruth), {
    timeoutMs: 10_000,
    message: () => `SSE top of book = ground truth, got ${JSON.stringify(sseTob())}`,
  });
  const sseEvents = sse.events.filter((e) => e.event === 'snapshot' || e.event === 'update');
  assert.equal(sseEvents[0]?.event, 'snapshot', 'SSE starts with a snapshot');
  assert.ok(
    sseEvents.every((e) => e.id !== undefined),
    'every SSE data event has an id',
  );

  // 2. inject a gap on BTC only; it must resync with a new epoch, the others must stay live
  const epochBefore = latest.get('BTC-USDT')!.epoch;
  const othersBefore = new Map(SYMBOLS.slice(1).map(([, s]) => [s, statuses.get(s)!.length]));
  await simPost(stack.simUrl, { venue: 'binance', symbol: 'BTCUSDT', kind: 'gap', count: 1 });
  await simPost(stack.simUrl, { venue: 'binance', kind: 'resume' });
  await waitFor(
    () => statuses.get('BTC-USDT')!.some((s) => s.state === 'resyncing' && /gap/.test(s.reason)),
    {
      timeoutMs: 10_000,
      message: 'BTC-USDT reports resyncing because of the gap',
    },
  );
  await waitFor(
    () => latest.get('BTC-USDT')?.state === 'live' && latest.get('BTC-USDT')!.epoch > epochBefore,
    {
      timeoutMs: 10_000,
      message: () =>
        `BTC-USDT live again with a new epoch (was ${epochBefore}): ${JSON.stringify(latest.get('BTC-USDT'))}`,
    },
  );
  for (const [sym, from] of othersBefore) {
    const seen = statuses.get(sym)!.slice(from);
    assert.ok(
      seen.every((s) => s.state === 'live'),
      `${sym} never left live: ${JSON.stringify(seen.map((s) => s.state))}`,
    );
    assert.equal(latest.get(sym)?.state, 'live');
  }

  // 3. after the resync the book is exact again
  await simPost(stack.simUrl, { venue: 'binance', kind: 'pause' });
  const after = await groundTruth(stack.simUrl, 'BTCUSDT');
  await waitFor(() => matchesTruth(latest.get('BTC-USDT'), after), {
    timeoutMs: 10_000,
    message: () =>
      `BTC-USDT exact after resync; truth ${JSON.stringify([after.bids[0], after.asks[0]])}, got ${JSON.stringify(latest.get('BTC-USDT'))}`,
  });
  failed = false;
});
