import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { binanceAdapter } from '../binance';
import { coinbaseAdapter } from '../coinbase';
import { VenueEngine } from './engine';
import type { VenueAdapter, VenueParseError } from './adapter';

const inst = (native: string, base: string): Instrument => ({
  venue: 'binance',
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
  const engine = new VenueEngine(binanceAdapter(), [inst('BTCUSDT', 'BTC'), inst('ETHUSDT', 'ETH')], {
    book: (m) => out.books.push(m),
    trade: (m) => out.trades.push(m),
    status: (m) => out.statuses.push(m),
    needSnapshot: (n) => out.snapshotsWanted.push(n),
    malformed: (e) => out.malformed.push(e),
    venueShutdown: () => undefined,
    now: () => 42,
  });
  return { engine, out };
}

const depth = (
  s: string,
  U: number,
  u: number,
  b: [string, string][] = [],
  a: [string, string][] = [],
): string =>
  JSON.stringify({
    stream: `${s.toLowerCase()}@depth@100ms`,
    data: { e: 'depthUpdate', E: 1000 + u, s, U, u, b, a },
  });
const snapshot = (lastUpdateId: number): string =>
  JSON.stringify({ lastUpdateId, bids: [['100.00', '1']], asks: [['101.00', '1']] });

function goLive(engine: VenueEngine<unknown, unknown>, s: string): void {
  engine.onFrame(depth(s, 1, 10), 1);
  engine.onSnapshot(s, snapshot(5), 2);
}

test('a symbol goes live with a snapshot message at epoch 1, then publishes chained deltas', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTCUSDT', 'ETHUSDT']);
  engine.onFrame(depth('BTCUSDT', 1, 10), 1);
  assert.deepEqual(out.snapshotsWanted, ['BTCUSDT']);
  engine.onSnapshot('BTCUSDT', snapshot(5), 2);
  const snap = out.books.at(-1);
  assert.equal(snap?.type, 'book.snapshot');
  assert.equal(snap?.epoch, 1);
  assert.equal(snap?.seq, 10);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'live');
  engine.onFrame(depth('BTCUSDT', 11, 12, [['100.50', '2']]), 3);
  const d = out.books.at(-1) as BookDelta;
  assert.deepEqual([d.type, d.seq, d.prevSeq, d.epoch, d.bids], ['book.delta', 12, 10, 1, [['100.50', '2']]]);
  assert.equal(d.venueTs, 1012);
  assert.equal(d.recvTs, 3);
});

test('a gap resyncs only that symbol, with a new epoch; the other symbol stays live', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTCUSDT', 'ETHUSDT']);
  goLive(engine, 'BTCUSDT');
  goLive(engine, 'ETHUSDT');
  engine.onFrame(depth('BTCUSDT', 20, 21), 3);
  const btc = engine.statusOf('BTCUSDT')!;
  assert.equal(btc.state, 'resyncing');
  assert.match(btc.reason, /gap/);
  assert.equal(btc.resyncs, 1);
  assert.equal(engine.statusOf('ETHUSDT')?.state, 'live');
  assert.ok(!out.statuses.some((s) => s.symbol === 'ETH-USDT' && s.state !== 'live' && s.epoch > 0));
  engine.onFrame(depth('BTCUSDT', 22, 25), 4);
  assert.equal(out.snapshotsWanted.filter((s) => s === 'BTCUSDT').length, 2);
  engine.onSnapshot('BTCUSDT', snapshot(23), 5);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'live');
  assert.equal(engine.statusOf('BTCUSDT')?.epoch, 2);
});

test('a crossed book after an update triggers a resync', () => {
  const { engine } = harness();
  engine.connectionOpened(['BTCUSDT']);
  goLive(engine, 'BTCUSDT');
  engine.onFrame(depth('BTCUSDT', 11, 11, [['102.00', '1']]), 3);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'resyncing');
  assert.match(engine.statusOf('BTCUSDT')!.reason, /crossed/);
});

test('malformed frames are reported and never stop the stream', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTCUSDT']);
  engine.onFrame('{garbage', 1);
  engine.onFrame('{"stream":"x","data":{"e":"depthUpdate"}}', 1);
  goLive(engine, 'BTCUSDT');
  assert.equal(out.malformed.length, 2);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'live');
});

test('a lost connection takes its symbols out of live; reopening resyncs them', () => {
  const { engine } = harness();
  engine.connectionOpened(['BTCUSDT']);
  goLive(engine, 'BTCUSDT');
  engine.connectionLost(['BTCUSDT'], 'closed 1006');
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'connecting');
  assert.equal(engine.snapshotOf('BTCUSDT'), undefined);
  engine.connectionOpened(['BTCUSDT']);
  assert.equal(engine.statusOf('BTCUSDT')?.state, 'snapshotting');
});

test('trades are normalized with the taker side and exact text', () => {
  const { engine, out } = harness();
  engine.onFrame(
    JSON.stringify({
      stream: 'btcusdt@trade',
      data: { e: 'trade', E: 5, s: 'BTCUSDT', t: 77, p: '100.10', q: '0.500', T: 4, m: false, M: true },
    }),
    9,
  );
  assert.deepEqual(out.trades, [
    {
      type: 'trade',
      venue: 'binance',
      symbol: 'BTC-USDT',
      id: '77',
      price: '100.10',
      size: '0.500',
      side: 'buy',
      venueTs: 4,
      recvTs: 9,
    },
  ]);
});

// ---- connection-wide continuity (Coinbase `sequence_num`: one counter per connection) ----------

function coinbaseHarness(withRestart: boolean) {
  const out = {
    books: [] as (BookSnapshot | BookDelta)[],
    trades: [] as Trade[],
    restarts: [] as [string, string][],
    resubscribed: [] as string[],
    malformed: [] as VenueParseError[],
  };
  const cb = (native: string): Instrument => ({
    venue: 'coinbase',
    symbol: native,
    native,
    base: native.split('-')[0]!,
    quote: 'USD',
    kind: 'spot',
  });
  const engine = new VenueEngine(
    coinbaseAdapter() as VenueAdapter,
    [cb('BTC-USD'), cb('ETH-USD'), cb('SOL-USD')],
    {
      book: (m) => out.books.push(m),
      trade: (m) => out.trades.push(m),
      status: () => undefined,
      needSnapshot: () => assert.fail('no REST snapshots'),
      resubscribe: (n) => out.resubscribed.push(n),
      malformed: (e) => out.malformed.push(e),
      venueShutdown: () => undefined,
      ...(withRestart ? { restartConnection: (c: string, r: string) => void out.restarts.push([c, r]) } : {}),
      now: () => 42,
    },
  );
  return { engine, out };
}

const cbFrame = (seq: number, channel: string, events: unknown[]): string =>
  JSON.stringify({ channel, client_id: '', timestamp: '2026-01-01T00:00:00Z', sequence_num: seq, events });
const cbBook = (seq: number, product: string, type: 'snapshot' | 'update', bid: string): string =>
  cbFrame(seq, 'l2_data', [
    {
      type,
      product_id: product,
      updates: [
        { side: 'bid', event_time: '2026-01-01T00:00:00Z', price_level: bid, new_quantity: '1' },
        ...(type === 'snapshot'
          ? [{ side: 'offer', event_time: '2026-01-01T00:00:00Z', price_level: '1000', new_quantity: '1' }]
          : []),
      ],
    },
  ]);
const cbTrade = (seq: number, product: string): string =>
  cbFrame(seq, 'market_trades', [
    {
      type: 'update',
      trades: [
        {
          trade_id: 't',
          product_id: product,
          price: '1',
          size: '1',
          side: 'BUY',
          time: '2026-01-01T00:00:00Z',
        },
      ],
    },
  ]);

test('a connection-wide sequence jump resyncs every symbol of that connection only, and restarts it', () => {
  const { engine, out } = coinbaseHarness(true);
  engine.connectionOpened(['BTC-USD', 'ETH-USD'], 'cb-0');
  engine.connectionOpened(['SOL-USD'], 'cb-1');
  // two sockets, two independent counters, interleaved
  engine.onFrame(cbBook(0, 'BTC-USD', 'snapshot', '10'), 1, 'cb-0');
  engine.onFrame(cbBook(0, 'SOL-USD', 'snapshot', '10'), 1, 'cb-1');
  engine.onFrame(cbBook(1, 'ETH-USD', 'snapshot', '10'), 1, 'cb-0');
  engine.onFrame(cbFrame(1, 'heartbeats', [{ heartbeat_counter: '1' }]), 1, 'cb-1');
  engine.onFrame(cbFrame(2, 'heartbeats', [{ heartbeat_counter: '1' }]), 1, 'cb-0');
  engine.onFrame(cbBook(3, 'BTC-USD', 'update', '11'), 2, 'cb-0');
  assert.deepEqual(
    engine.natives.map((n) => engine.statusOf(n)?.state),
    ['live', 'live', 'live'],
  );
  assert.deepEqual(out.restarts, []);
  const published = out.books.length;
  // 4 is lost on cb-0: the frame at 5 carries a BTC update (not applied) and an ETH trade (kept)
  engine.onFrame(cbBook(5, 'BTC-USD', 'update', '12'), 3, 'cb-0');
  engine.onFrame(cbTrade(6, 'ETH-USD'), 3, 'cb-0');
  assert.equal(out.books.length, published, 'the update that revealed the gap is not published');
  assert.deepEqual(
    engine.natives.map((n) => [engine.statusOf(n)?.state, engine.statusOf(n)?.resyncs]),
    [
      ['resyncing', 1],
      ['resyncing', 1],
      ['live', 0],
    ],
  );
  assert.match(engine.statusOf('ETH-USD')!.reason, /^coinbase:sequence_num jump: 5 after 3/);
  assert.deepEqual(
    out.restarts.map((r) => r[0]),
    ['cb-0'],
  );
  assert.deepEqual(out.resubscribed, [], 'the restart re-snapshots them; no per-symbol resubscription');
  assert.equal(out.trades.length, 1, 'trades after (and in) the gap frame still flow');
  // the feed restarts the socket: a new connection starts a new counter at 0
  engine.connectionLost(['BTC-USD', 'ETH-USD'], 'restart', 'cb-0');
  engine.connectionOpened(['BTC-USD', 'ETH-USD'], 'cb-0');
  engine.onFrame(
    cbFrame(0, 'subscriptions', [{ subscriptions: { level2: ['BTC-USD', 'ETH-USD'] } }]),
    4,
    'cb-0',
  );
  engine.onFrame(cbBook(1, 'BTC-USD', 'snapshot', '20'), 4, 'cb-0');
  engine.onFrame(cbBook(2, 'ETH-USD', 'snapshot', '20'), 4, 'cb-0');
  assert.deepEqual(
    engine.natives.map((n) => [engine.statusOf(n)?.state, engine.statusOf(n)?.epoch]),
    [
      ['live', 2],
      ['live', 2],
      ['live', 1],
    ],
  );
  assert.equal(out.restarts.length, 1);
  assert.equal(out.malformed.length, 0);
});

test('without restartConnection, a connection gap re-subscribes each stream-snapshot symbol of the connection', () => {
  const { engine, out } = coinbaseHarness(false);
  engine.connectionOpened(['BTC-USD', 'ETH-USD', 'SOL-USD']); // one unnamed connection (replay)
  engine.onFrame(cbBook(0, 'BTC-USD', 'snapshot', '10'), 1);
  engine.onFrame(cbBook(1, 'ETH-USD', 'snapshot', '10'), 1);
  engine.onFrame(cbBook(7, 'SOL-USD', 'snapshot', '10'), 1);
  assert.deepEqual(out.resubscribed, ['BTC-USD', 'ETH-USD', 'SOL-USD']);
  assert.deepEqual(
    engine.natives.map((n) => engine.statusOf(n)?.state),
    ['resyncing', 'resyncing', 'resyncing'],
  );
  // the resubscriptions' snapshots continue the same counter
  engine.onFrame(cbBook(8, 'SOL-USD', 'snapshot', '10'), 2);
  assert.equal(engine.statusOf('SOL-USD')?.state, 'live');
  // an old or repeated number is dropped whole
  engine.onFrame(cbBook(8, 'SOL-USD', 'update', '11'), 3);
  assert.equal(out.books.at(-1)?.type, 'book.snapshot');
});
