/**
 * VenueFeed against a scripted Binance (REST + combined streams on one port), sharded to one symbol
 * per connection: the tap sees every REST response and failure, connection event and frame (with
 * its connection) before the engine uses it; the feed publishes the same books with or without a
 * tap; `failFastInstruments` makes start() reject instead of retrying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { BookDelta, BookSnapshot } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { createAdapter, type VenueAdapter } from '@tickmesh/venues';
import { VenueFeed, type FeedTap } from './feed';

// library logs (pino, stdout): only errors; the root logger is created lazily
process.env['LOG_LEVEL'] ??= 'error';

const NATIVES = ['BTCUSDT', 'ETHUSDT'];
const INFO = JSON.stringify({
  symbols: NATIVES.map((s) => ({
    symbol: s,
    status: 'TRADING',
    baseAsset: s.slice(0, 3),
    quoteAsset: 'USDT',
  })),
});
const snapPath = (native: string): string => `/api/v3/depth?symbol=${native}&limit=1000`;
const depth = (native: string, U: number, u: number, bid: string): string =>
  JSON.stringify({
    stream: `${native.toLowerCase()}@depth@100ms`,
    data: { e: 'depthUpdate', E: u, s: native, U, u, b: [[bid, '1.0']], a: [['200.0', '1.0']] },
  });

/** Binance with one symbol per connection */
function shardedBinance(): VenueAdapter {
  const a = createAdapter('binance');
  return { ...a, defaults: { ...a.defaults, maxStreamsPerConnection: 2 } };
}

interface Venue {
  url: string;
  wsUrl: string;
  server: Server;
}

/**
 * Each connection gets one diff (BTC's first snapshot request fails with HTTP 500; ETH's stream
 * starts with a malformed frame); once a symbol's snapshot is served, two more diffs follow.
 */
async function venue(opts: { instrumentFailures?: number } = {}): Promise<Venue> {
  let instrumentFailures = opts.instrumentFailures ?? 0;
  let btcSnapshotFailures = 1;
  const sockets = new Map<string, { send(text: string): void }>();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/api/v3/exchangeInfo') {
      if (instrumentFailures-- > 0) return void res.writeHead(500).end('down');
      return void res.end(INFO);
    }
    const native = new URL(url, 'http://x').searchParams.get('symbol') ?? '';
    if (native === 'BTCUSDT' && btcSnapshotFailures-- > 0) return void res.writeHead(500).end('busy');
    res.end(JSON.stringify({ lastUpdateId: 102, bids: [['99.0', '2.0']], asks: [['201.0', '3.0']] }));
    setImmediate(() => {
      sockets.get(native)?.send(depth(native, 103, 103, '100.0'));
      sockets.get(native)?.send(depth(native, 104, 105, '101.0'));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const native = /streams=([a-z]+)@/.exec(req.url ?? '')![1]!.toUpperCase();
    sockets.set(native, ws);
    if (native === 'ETHUSDT') ws.send('not json');
    ws.send(depth(native, 101, 102, '98.0'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.on('close', () => wss.close());
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, server };
}

function close(v: Venue): void {
  v.server.closeAllConnections();
  v.server.close();
}

/** Runs a feed until both symbols are live at 105; the log holds tap events and published books. */
async function run(withTap: boolean): Promise<{ feed: VenueFeed; log: string[]; books: unknown[] }> {
  const v = await venue();
  const log: string[] = [];
  const books: unknown[] = [];
  const tap: FeedTap = {
    rest: (path) => void log.push(`rest ${path}`),
    restError: (path, error) => void log.push(`rest-error ${path} ${error}`),
    open: (conn, natives) => void log.push(`open ${conn} ${natives.join(',')}`),
    frame: (text, _recvTs, conn) => void log.push(`frame ${conn} ${text}`),
    close: (conn, natives) => void log.push(`close ${conn} ${natives.join(',')}`),
    malformed: (err) => void log.push(`malformed ${err.message}`),
  };
  const feed = new VenueFeed(
    {
      adapter: shardedBinance(),
      symbols: NATIVES,
      wsUrl: v.wsUrl,
      restUrl: v.url,
      ...(withTap ? { tap } : {}),
    },
    {
      book: (m: BookSnapshot | BookDelta) => {
        log.push(`${m.type} ${m.symbol} ${m.seq}`);
        books.push({ ...m, recvTs: 0 });
      },
      trade: () => undefined,
      status: () => undefined,
    },
  );
  try {
    await feed.start();
    await waitFor(() => NATIVES.every((n) => feed.engine?.snapshotOf(n)?.seq === 105), {
      timeoutMs: 10_000,
      message: 'both symbols live at 105',
    });
    assert.equal(feed.connectionCount, 2);
    feed.stop();
    if (withTap)
      await waitFor(() => log.filter((l) => l.startsWith('close ')).length === 2, {
        timeoutMs: 5000,
        message: 'both connections closed',
      });
  } finally {
    feed.stop();
    close(v);
  }
  return { feed, log, books };
}

test('the tap sees REST bodies and failures, connections and frames by connection, before they are used', async () => {
  const { log, books } = await run(true);
  assert.equal(log[0], 'rest /api/v3/exchangeInfo');
  const taps = log.filter((l) => !l.startsWith('book.'));
  assert.deepEqual(taps.filter((l) => l.startsWith('open ')).sort(), [
    'open binance-0 BTCUSDT',
    'open binance-1 ETHUSDT',
  ]);
  assert.deepEqual(taps.filter((l) => l.startsWith('close ')).sort(), [
    'close binance-0 BTCUSDT',
    'close binance-1 ETHUSDT',
  ]);
  const frames = taps.filter((l) => l.startsWith('frame '));
  assert.deepEqual(
    frames.filter((l) => l.startsWith('frame binance-0 ')).map((l) => l.slice('frame binance-0 '.length)),
    [
      depth('BTCUSDT', 101, 102, '98.0'),
      depth('BTCUSDT', 103, 103, '100.0'),
      depth('BTCUSDT', 104, 105, '101.0'),
    ],
  );
  assert.deepEqual(
    frames.filter((l) => l.startsWith('frame binance-1 ')).map((l) => l.slice('frame binance-1 '.length)),
    [
      'not json',
      depth('ETHUSDT', 101, 102, '98.0'),
      depth('ETHUSDT', 103, 103, '100.0'),
      depth('ETHUSDT', 104, 105, '101.0'),
    ],
  );
  assert.equal(frames.length, 7);
  const frameAt = log.indexOf(`frame binance-0 ${depth('BTCUSDT', 104, 105, '101.0')}`);
  assert.ok(frameAt < log.indexOf('book.delta BTC-USDT 105'), 'a frame is shown before it is used');
  assert.equal(log.filter((l) => l.startsWith('malformed ')).length, 1);

  const btcError = log.findIndex((l) => l.startsWith(`rest-error ${snapPath('BTCUSDT')} `));
  assert.ok(btcError > 0, 'the failed snapshot request is shown');
  assert.match(log[btcError]!, /HTTP 500 busy/);
  assert.ok(log.indexOf(`rest ${snapPath('BTCUSDT')}`) > btcError, 'then the retry is served');
  for (const n of NATIVES) {
    const served = log.indexOf(`rest ${snapPath(n)}`);
    const published = log.findIndex((l) => l.startsWith(`book.snapshot ${n.slice(0, 3)}-USDT`));
    assert.ok(served >= 0 && served < published, `${n}: the snapshot body is shown before it is used`);
  }
  assert.ok(books.length >= 4);
});

test('with or without a tap, the feed publishes the same books', async () => {
  const tapped = await run(true);
  const plain = await run(false);
  const bySymbol = (books: unknown[]): Record<string, unknown[]> => {
    const out: Record<string, unknown[]> = {};
    for (const b of books as { symbol: string }[]) (out[b.symbol] ??= []).push(b);
    return out;
  };
  assert.deepEqual(bySymbol(plain.books), bySymbol(tapped.books));
  assert.deepEqual(
    plain.log.filter((l) => !l.startsWith('book.')),
    [],
    'nothing but books without a tap',
  );
});

test('instrument metadata: retried until it loads, or a rejection with failFastInstruments', async (t) => {
  const v = await venue({ instrumentFailures: 1 });
  t.after(() => close(v));
  const seen: string[] = [];
  const tap: FeedTap = {
    rest: (path) => void seen.push(`rest ${path}`),
    restError: (path) => void seen.push(`rest-error ${path}`),
  };
  const sink = { book: () => undefined, trade: () => undefined, status: () => undefined };
  const strict = new VenueFeed(
    {
      adapter: shardedBinance(),
      symbols: NATIVES,
      wsUrl: v.wsUrl,
      restUrl: v.url,
      tap,
      failFastInstruments: true,
    },
    sink,
  );
  await assert.rejects(strict.start(), /HTTP 500 down/);
  assert.deepEqual(seen, ['rest-error /api/v3/exchangeInfo']);
  assert.equal(strict.engine, undefined);
  assert.equal(strict.connectionCount, 0);

  // the next request succeeds: without failFastInstruments the first failure is retried
  const v2 = await venue({ instrumentFailures: 1 });
  t.after(() => close(v2));
  seen.length = 0;
  const patient = new VenueFeed(
    { adapter: shardedBinance(), symbols: NATIVES, wsUrl: v2.wsUrl, restUrl: v2.url, tap },
    sink,
  );
  t.after(() => patient.stop());
  await patient.start();
  assert.deepEqual(seen, ['rest-error /api/v3/exchangeInfo', 'rest /api/v3/exchangeInfo']);
  assert.deepEqual(patient.engine?.natives, NATIVES);
  patient.stop();
});
