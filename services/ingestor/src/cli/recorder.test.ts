/**
 * The recorder against a tiny scripted Binance (REST + combined stream on one port): the file holds
 * the header, the instruments and snapshot responses with their path and query, the connection and
 * every frame in arrival order; replaying it rebuilds the book the recorder's own engine built. And
 * a scripted Coinbase whose symbols need two connections: each frame names its connection.
 * (The full record → replay test against the venue simulator is test/e2e/record-replay.e2e.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CB_PRODUCTS_PATH, cbBook, cbProducts } from './fixtures';
import { Recorder } from './recorder';
import { Replayer } from './replayer';

const INFO = JSON.stringify({
  symbols: [{ symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT' }],
});
const depth = (U: number, u: number, bid: string): string =>
  JSON.stringify({
    stream: 'btcusdt@depth@100ms',
    data: { e: 'depthUpdate', E: u, s: 'BTCUSDT', U, u, b: [[bid, '1.0']], a: [['200.0', '1.0']] },
  });

test('records REST responses and frames in arrival order; the replay rebuilds the same book', async (t) => {
  let socket: WebSocket | undefined;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/api/v3/exchangeInfo') return void res.end(INFO);
    res.end(JSON.stringify({ lastUpdateId: 102, bids: [['99.0', '2.0']], asks: [['201.0', '3.0']] }));
    // the snapshot was asked for after the first diff: the stream goes on once it is answered
    setImmediate(() => {
      socket?.send(depth(103, 103, '100.0'));
      socket?.send(depth(104, 105, '101.0'));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(depth(101, 102, '98.0'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const file = join(mkdtempSync(join(tmpdir(), 'tickmesh-recorder-')), 'rec.jsonl');
  const rec = await Recorder.start({
    venue: 'binance',
    symbols: ['BTCUSDT'],
    output: file,
    wsUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    maxFrames: 3,
  });
  await rec.done;
  assert.deepEqual(paths, ['/api/v3/exchangeInfo', '/api/v3/depth?symbol=BTCUSDT&limit=1000']);
  const live = rec.engine!.snapshotOf('BTCUSDT');
  assert.equal(live?.seq, 105);

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const shapes = lines.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    assert.equal(typeof o['recv'], 'number');
    return 'rest' in o ? `rest ${String(o['rest'])}` : Object.keys(o)[1];
  });
  assert.deepEqual(shapes.slice(0, 4), ['recording', 'rest /api/v3/exchangeInfo', 'open', 'raw']);
  // the snapshot was requested at the first frame; the next frames race its response
  assert.deepEqual(shapes.slice(4).sort(), ['raw', 'raw', 'rest /api/v3/depth?symbol=BTCUSDT&limit=1000']);
  assert.equal((JSON.parse(lines[3]!) as { raw: string }).raw, depth(101, 102, '98.0'), 'exact frame text');

  const out: string[] = [];
  const replayer = new Replayer({ venue: 'binance', depth: 50 }, (l) => out.push(l));
  for (const l of lines) replayer.line(l);
  replayer.finish();
  const final = JSON.parse(out.at(-1)!) as {
    books: Record<string, { bids: unknown; asks: unknown; seq: number }>;
  };
  assert.deepEqual(final.books['BTC-USDT'], {
    bids: live!.bids,
    asks: live!.asks,
    seq: 105,
    epoch: 1,
    state: 'live',
    native: 'BTCUSDT',
  });
});

test('several connections: every frame names its connection, and replay keeps them apart', async (t) => {
  // Coinbase carries 50 products per connection: 51 need two
  const natives = Array.from({ length: 51 }, (_, i) => `P${i}-USD`);
  const server = createServer((req, res) => {
    assert.equal(req.url, CB_PRODUCTS_PATH);
    res.end(cbProducts(natives));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', (m) => {
      const sub = JSON.parse(String(m)) as { channel: string; product_ids: string[] };
      if (sub.channel !== 'level2') return;
      // each socket numbers its own messages from 0
      const first = sub.product_ids[0]!;
      ws.send(cbBook(0, first, 'snapshot', '10'));
      ws.send(cbBook(1, first, 'update', '11'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const file = join(mkdtempSync(join(tmpdir(), 'tickmesh-recorder-')), 'cb.jsonl');
  const rec = await Recorder.start({
    venue: 'coinbase',
    symbols: natives,
    output: file,
    wsUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    maxFrames: 4,
  });
  await rec.done;
  // (the live engine is not asserted here: stop() closes the sockets, and their close events may
  // already have taken the symbols out of live; the replay below is what the file proves)

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const opens = objs.filter((o) => 'open' in o).map((o) => [o['open'], (o['symbols'] as string[]).length]);
  assert.deepEqual(opens.sort(), [
    ['coinbase-0', 50],
    ['coinbase-1', 1],
  ]);
  const frames = objs.filter((o) => 'raw' in o && !('rest' in o));
  assert.equal(frames.length, 4);
  for (const f of frames) {
    assert.deepEqual(Object.keys(f), ['recv', 'conn', 'raw']);
    assert.equal(f['conn'], String(f['raw']).includes('"P50-USD"') ? 'coinbase-1' : 'coinbase-0');
  }

  const out: string[] = [];
  const replayer = new Replayer({ venue: 'coinbase', depth: 5 }, (l) => out.push(l));
  for (const l of lines) replayer.line(l);
  replayer.finish();
  const books = (JSON.parse(out.at(-1)!) as { books: Record<string, { state: string; bids: unknown }> })
    .books;
  for (const n of ['P0-USD', 'P50-USD']) assert.equal(books[n]!.state, 'live', n);
  // both products got the same scripted snapshot + update on their own connection
  assert.ok((books['P0-USD']!.bids as unknown[]).length > 0);
  assert.deepEqual(books['P0-USD']!.bids, books['P50-USD']!.bids);
  assert.ok(
    out.every((l) => !l.includes('"resync"')),
    'no gap: one counter per connection',
  );
});
