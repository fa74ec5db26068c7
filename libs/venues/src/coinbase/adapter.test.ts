import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { VenueEngine } from '../core/engine';
import type { VenueAdapter, VenueParseError } from '../core/adapter';
import { coinbaseAdapter, MAX_STREAMS_PER_CONNECTION } from './adapter';

test('endpoints, keep-alive and limits', () => {
  const a = coinbaseAdapter();
  assert.equal(a.id, 'coinbase');
  assert.equal(a.defaults.wsUrl, 'wss://advanced-trade-ws.coinbase.com');
  assert.equal(a.connectionUrl(a.defaults.wsUrl, ['BTC-USD']), 'wss://advanced-trade-ws.coinbase.com');
  assert.equal(
    a.connectionUrl('ws://127.0.0.1:9100', []),
    'ws://127.0.0.1:9100',
    'the base URL is used as is',
  );
  assert.equal(a.defaults.restUrl, 'https://api.coinbase.com');
  assert.deepEqual(a.instrumentsRequest([]), {
    path: '/api/v3/brokerage/market/products?product_type=SPOT',
    weight: 1,
  });
  assert.equal(a.defaults.clientPing, undefined, 'the heartbeats channel keeps the connection alive');
  assert.equal(a.defaults.staleSocketMs, 30_000);
  assert.equal(
    a.defaults.maxStreamsPerConnection / a.defaults.streamsPerSymbol,
    MAX_STREAMS_PER_CONNECTION / 2,
  );
  assert.equal(a.snapshotSource, 'stream');
  assert.equal(a.tradeSide, 'maker');
  assert.equal(a.snapshotRequest('BTC-USD').path, '/api/v3/brokerage/market/product_book?product_id=BTC-USD');
  assert.equal(coinbaseAdapter({ tradeSide: 'taker', id: 'cbtest' }).id, 'cbtest');
  assert.throws(() => coinbaseAdapter({ tradeSide: 'both' as 'maker' }), RangeError);
});

test('subscribe: one message per channel (level2, market_trades, heartbeats), the documented shape', () => {
  const a = coinbaseAdapter();
  const frames = a
    .subscribeFrames(['BTC-USD', 'ETH-USD'])
    .map((f) => JSON.parse(f) as Record<string, unknown>);
  assert.deepEqual(frames, [
    { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
    { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'market_trades' },
    { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'heartbeats' },
  ]);
  // the doc/SDK samples, byte for byte
  const samples = (
    JSON.parse(
      readFileSync(new URL('../../test/fixtures/coinbase/format-samples.json', import.meta.url), 'utf8'),
    ) as { samples: { name: string; message: unknown }[] }
  ).samples.filter((s) => s.name.startsWith('Advanced Trade subscribe'));
  assert.equal(samples.length, 2);
  const one = a.subscribeFrames(['BTC-USD']);
  for (const s of samples) assert.ok(one.includes(JSON.stringify(s.message)), s.name);
  assert.deepEqual(a.subscribeFrames([]), []);
  assert.deepEqual(a.resubscribeFrames('ETH-USD'), [
    '{"type":"unsubscribe","product_ids":["ETH-USD"],"channel":"level2"}',
    '{"type":"subscribe","product_ids":["ETH-USD"],"channel":"level2"}',
  ]);
  const tracker = a.createConnectionTracker();
  assert.notEqual(tracker, a.createConnectionTracker(), 'one tracker per connection');
});

const inst = (native: string, base: string): Instrument => ({
  venue: 'coinbase',
  symbol: `${base}-USD`,
  native,
  base,
  quote: 'USD',
  kind: 'spot',
});

function harness() {
  const out = {
    books: [] as (BookSnapshot | BookDelta)[],
    trades: [] as Trade[],
    statuses: [] as SyncStatus[],
    malformed: [] as VenueParseError[],
    resubscribed: [] as string[],
  };
  const adapter = coinbaseAdapter();
  const engine = new VenueEngine(
    adapter as unknown as VenueAdapter,
    [inst('BTC-USD', 'BTC'), inst('ETH-USD', 'ETH')],
    {
      book: (m) => out.books.push(m),
      trade: (m) => out.trades.push(m),
      status: (m) => out.statuses.push(m),
      needSnapshot: () => assert.fail('coinbase never asks for a REST snapshot'),
      resubscribe: (n) => out.resubscribed.push(n),
      malformed: (e) => out.malformed.push(e),
      venueShutdown: () => undefined,
      now: () => 42,
    },
  );
  adapter.subscribeFrames(['BTC-USD', 'ETH-USD']);
  return { engine, out };
}

let seqNum = 0;
const env = (channel: string, events: unknown[], timestamp = '2026-01-01T00:00:01.000001Z'): string =>
  JSON.stringify({ channel, client_id: '', timestamp, sequence_num: seqNum++, events });
const l2 = (type: 'snapshot' | 'update', product: string, updates: [string, string, string][]): string =>
  env('l2_data', [
    {
      type,
      product_id: product,
      updates: updates.map(([side, price_level, new_quantity]) => ({
        side,
        event_time: '2026-01-01T00:00:01.000001Z',
        price_level,
        new_quantity,
      })),
    },
  ]);

test('engine: the level2 snapshot makes a symbol live, updates chain with counter seqs, trades map to the taker', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC-USD', 'ETH-USD']);
  engine.onFrame(env('subscriptions', [{ subscriptions: { level2: ['BTC-USD', 'ETH-USD'] } }]), 1);
  engine.onFrame(l2('update', 'BTC-USD', [['bid', '99', '1']]), 1);
  assert.equal(engine.statusOf('BTC-USD')?.state, 'snapshotting', 'an update before the snapshot waits');
  engine.onFrame(
    l2('snapshot', 'BTC-USD', [
      ['offer', '101.5', '2'],
      ['bid', '100', '1'],
      ['offer', '101', '1'],
    ]),
    2,
  );
  const snap = out.books.at(-1) as BookSnapshot;
  assert.deepEqual(
    [snap.type, snap.symbol, snap.epoch, snap.seq, snap.venueTs, snap.bids, snap.asks],
    [
      'book.snapshot',
      'BTC-USD',
      1,
      1,
      Date.UTC(2026, 0, 1, 0, 0, 1) * 1000 + 1,
      [['100', '1']],
      [
        ['101', '1'],
        ['101.5', '2'],
      ],
    ],
  );
  engine.onFrame(env('heartbeats', [{ current_time: 'x', heartbeat_counter: '1' }]), 3);
  engine.onFrame(
    l2('update', 'BTC-USD', [
      ['offer', '101', '0'],
      ['bid', '100.5', '3'],
    ]),
    4,
  );
  const d = out.books.at(-1) as BookDelta;
  assert.deepEqual(
    [d.type, d.epoch, d.seq, d.prevSeq, d.bids, d.asks],
    ['book.delta', 1, 2, 1, [['100.5', '3']], [['101', '0']]],
  );
  assert.deepEqual(engine.snapshotOf('BTC-USD')?.asks, [['101.5', '2']]);

  engine.onFrame(
    env('market_trades', [
      {
        type: 'update',
        trades: [
          {
            trade_id: '7',
            product_id: 'BTC-USD',
            price: '101.5',
            size: '0.1',
            side: 'SELL',
            time: '2026-01-01T00:00:01.5Z',
          },
          {
            trade_id: '8',
            product_id: 'ETH-USD',
            price: '10',
            size: '2',
            side: 'BUY',
            time: '2026-01-01T00:00:01.6Z',
          },
        ],
      },
    ]),
    5,
  );
  assert.deepEqual(
    out.trades.map((t) => [t.venue, t.symbol, t.id, t.side, t.price, t.size, t.venueTs, t.recvTs]),
    [
      ['coinbase', 'BTC-USD', '7', 'buy', '101.5', '0.1', Date.UTC(2026, 0, 1, 0, 0, 1) * 1000 + 500000, 5],
      ['coinbase', 'ETH-USD', '8', 'sell', '10', '2', Date.UTC(2026, 0, 1, 0, 0, 1) * 1000 + 600000, 5],
    ],
  );
  assert.equal(out.malformed.length, 0);
  assert.deepEqual(out.resubscribed, []);
});

test('engine: an error naming a subscribed product fails that symbol only; garbage is counted as malformed', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC-USD', 'ETH-USD']);
  engine.onFrame(
    '{"type":"error","message":"Failed to subscribe","reason":"ETH-USD is not a valid product"}',
    1,
  );
  assert.equal(engine.statusOf('ETH-USD')?.state, 'error');
  assert.match(engine.statusOf('ETH-USD')!.reason, /ETH-USD is not a valid product/);
  assert.equal(engine.statusOf('BTC-USD')?.state, 'snapshotting');
  engine.onFrame('{"type":"error","message":"too many requests"}', 2);
  assert.equal(out.malformed.length, 1, 'a venue-wide error is reported, no symbol is failed on a guess');
  engine.onFrame('garbage', 3);
  engine.onFrame(l2('update', 'BTC-USD', [['sideways', '1', '1']]), 4);
  assert.equal(out.malformed.length, 3);
});

test('engine: a crossed snapshot or a bad level resyncs the symbol by re-subscribing its level2', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC-USD', 'ETH-USD']);
  engine.onFrame(
    l2('snapshot', 'BTC-USD', [
      ['bid', '100', '1'],
      ['offer', '101', '1'],
    ]),
    1,
  );
  engine.onFrame(l2('update', 'BTC-USD', [['bid', '102', '1']]), 2);
  assert.equal(engine.statusOf('BTC-USD')?.state, 'resyncing');
  assert.deepEqual(out.resubscribed, ['BTC-USD']);
  engine.onFrame(
    l2('snapshot', 'BTC-USD', [
      ['bid', '100', '1'],
      ['offer', '101', '1'],
    ]),
    3,
  );
  assert.deepEqual([engine.statusOf('BTC-USD')?.state, engine.statusOf('BTC-USD')?.epoch], ['live', 2]);
  assert.equal(out.books.at(-1)?.seq, 3, 'the counter continues across epochs (the crossing update was 2)');
});
