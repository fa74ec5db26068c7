import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { VenueEngine } from '../core/engine';
import type { VenueAdapter, VenueParseError } from '../core/adapter';
import { okxChecksum } from './checksum';
import { MAX_STREAMS_PER_CONNECTION, okxAdapter, type OkxOptions } from './adapter';

test('endpoints, keep-alive and limits per instType', () => {
  const spot = okxAdapter();
  assert.equal(spot.id, 'okx');
  assert.equal(spot.connectionUrl(spot.defaults.wsUrl, ['BTC-USDT']), 'wss://ws.okx.com:8443/ws/v5/public');
  assert.equal(spot.connectionUrl('ws://127.0.0.1:9100/', []), 'ws://127.0.0.1:9100/ws/v5/public');
  assert.equal(spot.defaults.restUrl, 'https://www.okx.com');
  assert.deepEqual(spot.instrumentsRequest([]), {
    path: '/api/v5/public/instruments?instType=SPOT',
    weight: 1,
  });
  assert.deepEqual(spot.defaults.clientPing, { intervalMs: 20_000, payload: 'ping' });
  assert.ok(spot.defaults.clientPing!.intervalMs < 30_000, 'ping before the 30 s idle cut-off');
  assert.ok(spot.defaults.staleSocketMs > spot.defaults.clientPing!.intervalMs);
  assert.equal(spot.defaults.streamsPerSymbol, 2);
  assert.ok(MAX_STREAMS_PER_CONNECTION / 2 < 30, 'fewer than 30 books channels per connection');
  assert.equal(spot.snapshotSource, 'stream');
  assert.equal(spot.snapshotRequest('BTC-USDT').path, '/api/v5/market/books?instId=BTC-USDT&sz=400');

  const swap = okxAdapter({ instType: 'SWAP' });
  assert.equal(swap.id, 'okxswap');
  assert.equal(swap.instrumentsRequest([]).path, '/api/v5/public/instruments?instType=SWAP');
  assert.equal(okxAdapter({ snapshotMode: 'rest' }).snapshotSource, 'rest');
  assert.throws(() => okxAdapter({ instType: 'FUTURES' } as unknown as OkxOptions), RangeError);
  assert.throws(() => okxAdapter({ snapshotMode: 'x' } as unknown as OkxOptions), RangeError);
});

test('subscribe and re-subscribe frames', () => {
  const a = okxAdapter();
  const [f] = a.subscribeFrames(['BTC-USDT']);
  assert.deepEqual(JSON.parse(f!), {
    id: 's1',
    op: 'subscribe',
    args: [
      { channel: 'books', instId: 'BTC-USDT' },
      { channel: 'trades', instId: 'BTC-USDT' },
    ],
  });
  const natives = Array.from({ length: 150 }, (_, i) => `S${i}-USDT`);
  const frames = a.subscribeFrames(natives).map((x) => JSON.parse(x) as { id: string; args: unknown[] });
  assert.deepEqual(
    frames.map((x) => [x.id, x.args.length]),
    [
      ['s2', 200],
      ['s3', 100],
    ],
  );
  for (const x of a.subscribeFrames(natives)) assert.ok(Buffer.byteLength(x) < 64 * 1024);
  const re = a.resubscribeFrames('ETH-USDT').map((x) => JSON.parse(x) as Record<string, unknown>);
  assert.deepEqual(re, [
    { id: 'u1', op: 'unsubscribe', args: [{ channel: 'books', instId: 'ETH-USDT' }] },
    { id: 'r1', op: 'subscribe', args: [{ channel: 'books', instId: 'ETH-USDT' }] },
  ]);
  assert.deepEqual(a.resubscribeFrames('ETH-USDT'), a.resubscribeFrames('ETH-USDT'), 'stable ids');
  for (const x of [...re]) assert.match(x['id'] as string, /^[A-Za-z0-9]{1,32}$/);
});

const inst = (native: string, base: string): Instrument => ({
  venue: 'okx',
  symbol: `${base}-USDT`,
  native,
  base,
  quote: 'USDT',
  kind: 'spot',
});

function harness(opts: OkxOptions = {}) {
  const out = {
    books: [] as (BookSnapshot | BookDelta)[],
    trades: [] as Trade[],
    statuses: [] as SyncStatus[],
    snapshotsWanted: [] as string[],
    resubscribed: [] as string[],
    malformed: [] as VenueParseError[],
  };
  const adapter = okxAdapter(opts);
  adapter.subscribeFrames(['BTC-USDT', 'ETH-USDT']);
  const engine = new VenueEngine(
    adapter as VenueAdapter,
    [inst('BTC-USDT', 'BTC'), inst('ETH-USDT', 'ETH')],
    {
      book: (m) => out.books.push(m),
      trade: (m) => out.trades.push(m),
      status: (m) => out.statuses.push(m),
      needSnapshot: (n) => out.snapshotsWanted.push(n),
      resubscribe: (n) => out.resubscribed.push(n),
      malformed: (e) => out.malformed.push(e),
      venueShutdown: () => undefined,
      now: () => 42,
    },
  );
  return { engine, out, adapter };
}

type L = [string, string];
const push = (
  instId: string,
  action: 'snapshot' | 'update',
  prevSeqId: number,
  seqId: number,
  bids: L[] = [],
  asks: L[] = [],
  checksum = 0,
): string =>
  JSON.stringify({
    arg: { channel: 'books', instId },
    action,
    data: [
      {
        asks: asks.map((l) => [...l, '0', '1']),
        bids: bids.map((l) => [...l, '0', '1']),
        ts: `${1700000000000 + seqId}.250`,
        checksum,
        prevSeqId,
        seqId,
      },
    ],
  });

test('engine (stream mode): the WS snapshot makes a symbol live, updates chain, a gap re-subscribes that symbol', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC-USDT', 'ETH-USDT']);
  engine.onFrame(
    '{"id":"s1","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"c"}',
    1,
  );
  const cs = okxChecksum([['100', '1']], [['101', '1']]);
  engine.onFrame(push('BTC-USDT', 'snapshot', -1, 100, [['100', '1']], [['101', '1']], cs), 2);
  engine.onFrame(push('ETH-USDT', 'snapshot', -1, 7, [['10', '1']], [['11', '1']]), 2);
  const snap = out.books.at(-2) as BookSnapshot;
  assert.deepEqual(
    [snap.type, snap.symbol, snap.epoch, snap.seq, snap.venueTs],
    ['book.snapshot', 'BTC-USDT', 1, 100, 1700000000100250],
  );
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'live');
  engine.onFrame(push('BTC-USDT', 'update', 100, 104, [['100.5', '2']]), 3);
  const d = out.books.at(-1) as BookDelta;
  assert.deepEqual(
    [d.type, d.seq, d.prevSeq, d.epoch, d.bids],
    ['book.delta', 104, 100, 1, [['100.5', '2']]],
  );
  engine.onFrame(push('BTC-USDT', 'update', 104, 104), 3);
  assert.equal(out.books.length, 3, 'a keep-alive publishes nothing');

  engine.onFrame(push('BTC-USDT', 'update', 105, 109), 4);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'resyncing');
  assert.match(engine.statusOf('BTC-USDT')!.reason, /^okx:prevSeqId!=last/);
  assert.deepEqual(out.resubscribed, ['BTC-USDT']);
  assert.equal(engine.statusOf('ETH-USDT')?.state, 'live');
  engine.onFrame(push('BTC-USDT', 'update', 109, 110), 5);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'resyncing', 'updates cannot resync an OKX book');
  assert.deepEqual(out.snapshotsWanted, [], 'no REST snapshot is requested in stream mode');
  engine.onFrame(push('BTC-USDT', 'snapshot', -1, 120, [['100', '3']], [['101', '1']]), 6);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'live');
  assert.deepEqual(
    [out.books.at(-1)?.type, out.books.at(-1)?.epoch, out.books.at(-1)?.seq],
    ['book.snapshot', 2, 120],
  );

  // a checksum mismatch resyncs too
  engine.onFrame(push('BTC-USDT', 'update', 120, 121, [['100', '4']], [], 1), 7);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'resyncing');
  assert.match(engine.statusOf('BTC-USDT')!.reason, /^okx:checksum/);
  assert.equal(out.malformed.length, 0);
});

test('engine: batched trades, pong, and a per-symbol subscription error', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC-USDT', 'ETH-USDT']);
  engine.onFrame('pong', 1);
  engine.onFrame(
    JSON.stringify({
      arg: { channel: 'trades', instId: 'BTC-USDT' },
      data: [
        {
          instId: 'BTC-USDT',
          tradeId: '9001',
          px: '100.00',
          sz: '0.010',
          side: 'sell',
          ts: '1700000000004',
          count: '1',
        },
        {
          instId: 'BTC-USDT',
          tradeId: '9002',
          px: '100.5',
          sz: '0.02',
          side: 'buy',
          ts: '1700000000005.007',
          count: '3',
        },
      ],
    }),
    7,
  );
  assert.deepEqual(
    out.trades.map((t) => [t.venue, t.symbol, t.id, t.side, t.price, t.size, t.venueTs, t.recvTs]),
    [
      ['okx', 'BTC-USDT', '9001', 'sell', '100.00', '0.010', 1700000000004000, 7],
      ['okx', 'BTC-USDT', '9002', 'buy', '100.5', '0.02', 1700000000005007, 7],
    ],
  );
  engine.onFrame(
    `{"event":"error","msg":"Subscribe failed, wrong URL or channel:books,instId:books.ETH-USDT doesn't exist.","code":"60018","connId":"c"}`,
    8,
  );
  assert.equal(engine.statusOf('ETH-USDT')?.state, 'error');
  assert.match(engine.statusOf('ETH-USDT')!.reason, /60018/);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'snapshotting');
  engine.onFrame('garbage', 9);
  assert.equal(out.malformed.length, 1);
});

test('engine (rest mode, post-2026): WS snapshot ignored, REST snapshot + seqId, straddle, live', () => {
  const { engine, out, adapter } = harness({ snapshotMode: 'rest' });
  engine.connectionOpened(['BTC-USDT']);
  // the initial WS snapshot (if OKX still sends one) is not used
  engine.onFrame(push('BTC-USDT', 'snapshot', -1, 100, [['99', '9']], [['101', '9']]), 1);
  assert.deepEqual(out.snapshotsWanted, []);
  engine.onFrame(push('BTC-USDT', 'update', 100, 104, [['100', '1']]), 2);
  assert.deepEqual(out.snapshotsWanted, ['BTC-USDT']);
  assert.equal(adapter.snapshotRequest('BTC-USDT').path, '/api/v5/market/books?instId=BTC-USDT&sz=400');
  engine.onFrame(push('BTC-USDT', 'update', 104, 110, [], [['101', '5']]), 3);
  const rest = (seqId: number): string =>
    JSON.stringify({
      code: '0',
      msg: '',
      data: [
        {
          asks: [['101', '9', '0', '1']],
          bids: [
            ['100', '1', '0', '1'],
            ['99', '9', '0', '1'],
          ],
          ts: '1700000000105',
          seqId,
        },
      ],
    });
  engine.onSnapshot('BTC-USDT', rest(99), 4);
  assert.deepEqual(out.snapshotsWanted, ['BTC-USDT', 'BTC-USDT'], 'stale snapshot → fetched again');
  engine.onSnapshot('BTC-USDT', rest(106), 5);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'live');
  const snap = out.books.at(-1) as BookSnapshot;
  assert.deepEqual(
    [snap.type, snap.seq, snap.bids, snap.asks],
    [
      'book.snapshot',
      110,
      [
        ['100', '1'],
        ['99', '9'],
      ],
      [['101', '5']],
    ],
  );
  engine.onFrame(push('BTC-USDT', 'update', 110, 111, [['100', '2']]), 6);
  assert.deepEqual([out.books.at(-1)?.type, (out.books.at(-1) as BookDelta).prevSeq], ['book.delta', 110]);
  // a gap: no re-subscription, the next update asks for a REST snapshot again
  engine.onFrame(push('BTC-USDT', 'update', 112, 113), 7);
  assert.equal(engine.statusOf('BTC-USDT')?.state, 'resyncing');
  engine.onFrame(push('BTC-USDT', 'update', 113, 114), 8);
  assert.deepEqual(out.resubscribed, []);
  assert.equal(out.snapshotsWanted.length, 3);
  // a REST book without seqId cannot be used in rest mode: counted as malformed, fetched again
  engine.onSnapshot(
    'BTC-USDT',
    JSON.stringify({ code: '0', msg: '', data: [{ asks: [], bids: [], ts: '1' }] }),
    9,
  );
  assert.match(out.malformed.at(-1)!.message, /without seqId/);
});
