/**
 * Connection rollover at the maximum connection age (Binance: 24 h limit) against a scripted
 * Binance that streams a continuous diff sequence and trades to every open socket: the replacement
 * opens before the old connection closes, the symbols stay live throughout, no trade is lost or
 * published twice, and the book equals the venue's.
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

test('a connection at its maximum age is replaced by overlap: live throughout, nothing lost', async (t) => {
  let id = 100;
  const books = new Map(NATIVES.map((n) => [n, new Map<string, string>([['99.0', '2.0']])]));
  const sockets = new Set<WebSocket>();
  let connections = 0;
  let maxOpen = 0;
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
    res.end(JSON.stringify({ lastUpdateId: id, bids: [...books.get(native)!.entries()], asks: [] }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    connections++;
    sockets.add(ws);
    maxOpen = Math.max(maxOpen, sockets.size);
    ws.on('close', () => sockets.delete(ws));
  });
  const tick = (): void => {
    id++;
    for (const native of NATIVES) {
      const price = `${100 + (id % 7)}.0`;
      const qty = id % 5 === 0 ? '0.00000000' : `${id}.0`;
      if (qty.startsWith('0.')) books.get(native)!.delete(price);
      else books.get(native)!.set(price, qty);
      const frames = [
        JSON.stringify({
          stream: `${native.toLowerCase()}@depth@100ms`,
          data: { e: 'depthUpdate', E: id, s: native, U: id, u: id, b: [[price, qty]], a: [] },
        }),
      ];
      if (id % 3 === 0)
        frames.push(
          JSON.stringify({
            stream: `${native.toLowerCase()}@trade`,
            data: { e: 'trade', E: id, s: native, t: id, p: price, q: '1.0', T: id, m: false },
          }),
        );
      for (const ws of sockets) for (const f of frames) ws.send(f);
    }
  };
  let generator: NodeJS.Timeout | undefined = setInterval(tick, 5);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  const statuses = new Map<string, string[]>();
  const trades = new Map<string, number[]>();
  const feed = new VenueFeed(
    {
      adapter: createAdapter('binance'),
      symbols: NATIVES,
      wsUrl: `ws://127.0.0.1:${port}`,
      restUrl: `http://127.0.0.1:${port}`,
      maxConnectionAgeMs: 300,
      rolloverOverlapMs: 2000,
    },
    {
      book: () => undefined,
      trade: (m) => {
        const l = trades.get(m.symbol) ?? [];
        l.push(Number(m.id));
        trades.set(m.symbol, l);
      },
      status: (m: SyncStatus) => {
        const l = statuses.get(m.symbol) ?? [];
        l.push(m.state);
        statuses.set(m.symbol, l);
      },
    },
  );
  t.after(() => {
    clearInterval(generator);
    feed.stop();
    for (const ws of sockets) ws.terminate();
    wss.close();
    server.close();
  });
  await feed.start();
  await waitFor(() => feed.rolloverCount >= 3, { timeoutMs: 15_000 });
  clearInterval(generator);
  generator = undefined;
  const last = id;
  await waitFor(() => NATIVES.every((n) => feed.engine?.snapshotOf(n)?.seq === last), { timeoutMs: 10_000 });

  assert.ok(connections >= 4, `a replacement connection per rollover (${connections})`);
  assert.ok(maxOpen <= 2, 'at most the old and the new connection at once');
  for (const native of NATIVES) {
    const snap = feed.engine!.snapshotOf(native)!;
    const got = new Map(snap.bids.map(([p, q]) => [Number(p), Number(q)]));
    const want = new Map([...books.get(native)!].map(([p, q]) => [Number(p), Number(q)]));
    assert.deepEqual(got, want, `${native}: the book equals the venue's`);
  }
  for (const [symbol, states] of statuses) {
    const firstLive = states.indexOf('live');
    assert.ok(firstLive >= 0, `${symbol} went live`);
    assert.deepEqual(
      states.slice(firstLive).filter((s) => s !== 'live'),
      [],
      `${symbol} stayed live: ${states.join(',')}`,
    );
  }
  assert.equal(trades.size, NATIVES.length);
  for (const [symbol, ids] of trades) {
    for (let i = 1; i < ids.length; i++)
      assert.equal(ids[i]! - ids[i - 1]!, 3, `${symbol}: no trade lost or published twice`);
  }
});

test('a stream-snapshot venue at its maximum age simply reconnects (no overlap)', async (t) => {
  let connections = 0;
  const states: string[] = [];
  const server = createServer((_req, res) =>
    res.end(
      JSON.stringify({
        symbols: [{ symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT' }],
      }),
    ),
  );
  const wss = new WebSocketServer({ server });
  wss.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const binance = createAdapter('binance');
  const feed = new VenueFeed(
    {
      adapter: { ...binance, snapshotSource: 'stream' },
      symbols: ['BTCUSDT'],
      wsUrl: `ws://127.0.0.1:${port}`,
      restUrl: `http://127.0.0.1:${port}`,
      maxConnectionAgeMs: 100,
    },
    { book: () => undefined, trade: () => undefined, status: (m) => void states.push(m.state) },
  );
  t.after(() => {
    feed.stop();
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  await feed.start();
  await waitFor(() => connections >= 3, { timeoutMs: 10_000 });
  await waitFor(() => states.filter((s) => s === 'connecting').length >= 3, { timeoutMs: 10_000 });
  assert.equal(feed.rolloverCount, 0, 'no overlap: the connection is lost and reopened');
});
