import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { VenueEngine } from '../core/engine';
import type { VenueAdapter, VenueParseError } from '../core/adapter';
import { bybitAdapter, MAX_ARGS_PER_REQUEST } from './adapter';

test('endpoints, keep-alive and limits per category', () => {
  const spot = bybitAdapter();
  assert.equal(spot.id, 'bybit');
  assert.equal(spot.connectionUrl(spot.defaults.wsUrl, ['BTCUSDT']), 'wss://stream.bybit.com/v5/public/spot');
  assert.equal(spot.connectionUrl('ws://127.0.0.1:9100/', []), 'ws://127.0.0.1:9100/v5/public/spot');
  assert.equal(spot.defaults.restUrl, 'https://api.bybit.com');
  assert.deepEqual(spot.instrumentsRequest([]), {
    path: '/v5/market/instruments-info?category=spot',
    weight: 1,
  });
  assert.deepEqual(spot.defaults.clientPing, { intervalMs: 20_000, payload: '{"op":"ping"}' });
  assert.ok(spot.defaults.staleSocketMs > 20_000);
  assert.equal(spot.defaults.streamsPerSymbol, 2);
  assert.equal(spot.snapshotSource, 'stream');
  assert.equal(
    spot.snapshotRequest('BTCUSDT').path,
    '/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=50',
  );

  const linear = bybitAdapter({ category: 'linear', depth: 200 });
  assert.equal(linear.id, 'bybitlinear');
  assert.equal(linear.connectionUrl(linear.defaults.wsUrl, []), 'wss://stream.bybit.com/v5/public/linear');
  assert.equal(linear.instrumentsRequest([]).path, '/v5/market/instruments-info?category=linear&limit=1000');
  assert.throws(() => bybitAdapter({ depth: 25 }), RangeError);
});

test('subscribe frames: both topics of a symbol together, at most 10 args per request', () => {
  const a = bybitAdapter();
  const natives = Array.from({ length: 12 }, (_, i) => `S${i}USDT`);
  const frames = a
    .subscribeFrames(natives)
    .map((f) => JSON.parse(f) as { op: string; args: string[]; req_id: string });
  assert.equal(frames.length, 3);
  for (const f of frames) {
    assert.equal(f.op, 'subscribe');
    assert.ok(f.args.length <= MAX_ARGS_PER_REQUEST);
  }
  assert.deepEqual(
    frames.flatMap((f) => f.args),
    natives.flatMap((n) => [`orderbook.50.${n}`, `publicTrade.${n}`]),
  );
  assert.equal(new Set(frames.map((f) => f.req_id)).size, 3);
  const one = JSON.parse(bybitAdapter().subscribeFrames(['BTCUSDT'])[0]!) as Record<string, unknown>;
  assert.deepEqual(one, {
    req_id: 's1',
    op: 'subscribe',
    args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'],
  });
  assert.deepEqual(
    a.resubscribeFrames('ETHUSDT').map((f) => {
      const m = JSON.parse(f) as { op: string; args: string[] };
      return [m.op, m.args];
    }),
    [
      ['unsubscribe', ['orderbook.50.ETHUSDT']],
      ['subscribe', ['orderbook.50.ETHUSDT']],
    ],
  );
});

const inst = (native: string, base: string): Instrument => ({
  venue: 'bybit',
  symbol: `${base}-USDT`,
  native,
  base,
  quote: 'USDT',
  kind: 'spot',
});

function harness() {
  const out = {
    books: [] as (BookSnapshot | BookDelta)[],
    trades: [] as Trade[],
    statuses: [] as SyncStatus[],
    snapshotsWanted: [] as string[],
    malformed: [] as VenueParseError[],
  };
  const adapter = bybitAdapter();
  const engine = new VenueEngine(adapter as VenueAdapter, [inst('BTCUSDT', 'BTC'), inst('ETHUSDT', 'ETH')], {
    book: (m) => out.books.push(m),
    trade: (m) => out.trades.push(m),
    status: (m) => out.statuses.push(m),
    needSnapshot: (n) => out.snapshotsWanted.push(n),
    malformed: (e) => out.malformed.push(e),
    venueShutdown: () => undefined,
    now: () => 42,
  });
  return { engine, out, adapter };
}

const book = (
  s: string,
  type: 'snapshot' | 'delta',
  u: number,
  b: [string, string][] = [],
  a: [string, string][] = [],
): string =>
  JSON.stringify({
    topic: `orderbook.50.${s}`,
    type,
    ts: 1700000000000 + u,
    data: { s, b, a, u, seq: 1000 + u },
  });

test('engine: the WS snapshot makes a symbol live (no REST snapshot), deltas chain, a gap resyncs that symbol', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTCUSDT', 'ETHUSDT']);
  engine.onFrame('{"success":true,"ret_msg":"subscribe","conn_id":"c","req_id":"s1","op":"subscribe"}', 1);
  engine.onFrame(book('BTCUSDT', 'snapshot', 100, [['100.00', '1']], [['101.00', '1']]), 2);
  engine.onFrame(book('ETHUSDT', 'snapshot', 7, [['10.00', '1']], [['11.00', '1']]), 2);
  const snap = out.books.at(-2) as BookSnapshot;
  assert.deepEqual(
    [snap.type, snap.symbol, snap.epoch, snap.seq, snap.venueTs],
    ['book.snapshot', 'BTC-USDT', 1, 100, 1700000000100000],
  );
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'live');
  engine.onFrame(book('BTCUSDT', 'delta', 101, [['100.50', '2']]), 3);
  const d = out.books.at(-1) as BookDelta;
  assert.deepEqual(
    [d.type, d.seq, d.prevSeq, d.epoch, d.bids],
    ['book.delta', 101, 100, 1, [['100.50', '2']]],
  );

  engine.onFrame(book('BTCUSDT', 'delta', 103), 4);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'resyncing');
  assert.equal(engine.statusOf('ETHUSDT')?.state, 'live');
  engine.onFrame(book('BTCUSDT', 'delta', 104), 5);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'resyncing', 'deltas cannot resync a Bybit book');
  assert.deepEqual(out.snapshotsWanted, [], 'no REST snapshot is ever requested');
  // the re-subscription's snapshot
  engine.onFrame(book('BTCUSDT', 'snapshot', 110, [['100.00', '3']], [['101.00', '1']]), 6);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'live');
  assert.deepEqual(
    [out.books.at(-1)?.type, out.books.at(-1)?.epoch, out.books.at(-1)?.seq],
    ['book.snapshot', 2, 110],
  );
  assert.equal(out.malformed.length, 0);
});

test('engine: trades, heartbeats and a per-symbol subscription rejection', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTCUSDT', 'ETHUSDT']);
  engine.onFrame('{"success":true,"ret_msg":"pong","conn_id":"c","op":"ping"}', 1);
  engine.onFrame(
    JSON.stringify({
      topic: 'publicTrade.BTCUSDT',
      type: 'snapshot',
      ts: 1700000000005,
      data: [
        { T: 1700000000004, s: 'BTCUSDT', S: 'Sell', v: '0.010', p: '100.00', i: '9001', BT: false },
        { T: 1700000000005, s: 'BTCUSDT', S: 'Buy', v: '0.020', p: '100.50', i: '9002', BT: false },
      ],
    }),
    7,
  );
  assert.deepEqual(
    out.trades.map((t) => [t.venue, t.symbol, t.id, t.side, t.price, t.size, t.venueTs, t.recvTs]),
    [
      ['bybit', 'BTC-USDT', '9001', 'sell', '100.00', '0.010', 1700000000004000, 7],
      ['bybit', 'BTC-USDT', '9002', 'buy', '100.50', '0.020', 1700000000005000, 7],
    ],
  );
  engine.onFrame(
    '{"success":false,"ret_msg":"error:handler not found,topic:orderbook.50.ETHUSDT","conn_id":"c","req_id":"s1","op":"subscribe"}',
    8,
  );
  assert.equal(engine.statusOf('ETHUSDT')?.state, 'error');
  assert.match(engine.statusOf('ETHUSDT')!.reason, /handler not found/);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'snapshotting');
  engine.onFrame('garbage', 9);
  assert.equal(out.malformed.length, 1);
});

test('re-subscription frames are stable, and a rejection of one without a topic fails only that symbol', () => {
  const a = bybitAdapter();
  assert.deepEqual(a.resubscribeFrames('ETHUSDT'), a.resubscribeFrames('ETHUSDT'));
  const reqId = (JSON.parse(a.resubscribeFrames('ETHUSDT')[1]!) as { req_id: string }).req_id;
  const reject = {
    success: false,
    ret_msg: 'error:request failed',
    conn_id: 'c',
    req_id: reqId,
    op: 'subscribe',
  };
  assert.deepEqual(a.parseFrame(JSON.stringify(reject), 0), [
    { kind: 'error', native: 'ETHUSDT', message: 'bybit subscribe rejected: error:request failed' },
  ]);
  const [multi] = a.subscribeFrames(['AUSDT', 'BUSDT']);
  const multiId = (JSON.parse(multi!) as { req_id: string }).req_id;
  assert.deepEqual(a.parseFrame(JSON.stringify({ ...reject, req_id: multiId }), 0), [
    { kind: 'error', message: 'bybit subscribe rejected: error:request failed' },
  ]);
});
