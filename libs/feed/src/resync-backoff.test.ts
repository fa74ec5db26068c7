/**
 * Per-symbol resync backoff through the feed, against a scripted Binance whose BTCUSDT stream drops
 * an update a few ids after every snapshot it serves (the symbol keeps gapping) while ETHUSDT is
 * clean: BTC's first resync is immediate, the next one waits its backoff (here, with the injected
 * random, half an hour) instead of hammering the REST endpoint, and ETH stays live throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SyncStatus } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { createAdapter } from '@tickmesh/venues';
import { VenueFeed } from './feed';

process.env['LOG_LEVEL'] ??= 'error';

const NATIVES = ['BTCUSDT', 'ETHUSDT'];

test('a symbol that keeps gapping resyncs once at once, then waits its backoff; the other stays live', async (t) => {
  let id = 100;
  let gapAt = Infinity;
  const snapshots = new Map<string, number>(NATIVES.map((n) => [n, 0]));
  const sockets = new Set<WebSocket>();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/api/v3/exchangeInfo')
      return void res.end(
        JSON.stringify({
          symbols: NATIVES.map((s) => ({
            symbol: s,
            status: 'TRADING',
            baseAsset: s.slice(0, 3),
            quoteAsset: 'USDT',
          })),
        }),
      );
    const native = new URL(url, 'http://x').searchParams.get('symbol') ?? '';
    snapshots.set(native, snapshots.get(native)! + 1);
    if (native === 'BTCUSDT') gapAt = id + 3;
    res.end(JSON.stringify({ lastUpdateId: id, bids: [['99.0', '2.0']], asks: [['201.0', '3.0']] }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  });
  const tick = (): void => {
    id++;
    for (const native of NATIVES) {
      if (native === 'BTCUSDT' && id === gapAt) continue; // lost: the next update gaps
      const frame = JSON.stringify({
        stream: `${native.toLowerCase()}@depth@100ms`,
        data: { e: 'depthUpdate', E: id, s: native, U: id, u: id, b: [['100.0', `${id}.0`]], a: [] },
      });
      for (const ws of sockets) ws.send(frame);
    }
  };
  const generator = setInterval(tick, 5);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  const statuses: SyncStatus[] = [];
  const feed = new VenueFeed(
    {
      adapter: createAdapter('binance'),
      symbols: NATIVES,
      wsUrl: `ws://127.0.0.1:${port}`,
      restUrl: `http://127.0.0.1:${port}`,
      resyncBackoff: { baseMs: 3_600_000, capMs: 3_600_000, random: () => 0.5 },
    },
    { book: () => undefined, trade: () => undefined, status: (m) => void statuses.push(m) },
  );
  t.after(() => {
    clearInterval(generator);
    feed.stop();
    for (const ws of sockets) ws.terminate();
    wss.close();
    server.close();
  });
  await feed.start();
  const btc = (): SyncStatus[] => statuses.filter((s) => s.symbol === 'BTC-USDT');
  // initial snapshot, live, gap → an immediate resync (2nd snapshot), live, gap → backoff
  await waitFor(() => btc().filter((s) => s.state === 'resyncing').length >= 2, {
    timeoutMs: 10_000,
    message: 'BTC gapped twice',
  });
  const after = id;
  await waitFor(() => id >= after + 100, { timeoutMs: 10_000, message: '100 more updates' });
  assert.equal(snapshots.get('BTCUSDT'), 2, 'no third snapshot while the backoff runs (30 min here)');
  assert.equal(feed.engine?.statusOf('BTCUSDT')?.state, 'resyncing');
  assert.deepEqual(
    btc().map((s) => s.state),
    ['connecting', 'snapshotting', 'live', 'resyncing', 'live', 'resyncing'],
  );
  assert.equal(snapshots.get('ETHUSDT'), 1);
  assert.equal(feed.engine?.statusOf('ETHUSDT')?.state, 'live', 'the other symbol is not touched');
});
