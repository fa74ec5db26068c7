import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { binanceAdapter } from '../binance';
import { VenueEngine } from './engine';
import type { VenueParseError } from './adapter';

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
