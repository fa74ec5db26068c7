import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { BookDelta, BookSnapshot, Instrument, SyncStatus, Trade } from '@tickmesh/contracts';
import { VenueEngine } from '../core/engine';
import type { VenueAdapter, VenueParseError } from '../core/adapter';
import { krakenAdapter, MAX_SYMBOLS_PER_REQUEST } from './adapter';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/kraken/${name}`, import.meta.url), 'utf8')) as T;
const doc = fixture<{ rawMessage: string }>('v2-book-checksum-doc-example.json');
const truncation = fixture<{ updates: { rawMessage: string }[] }>('v2-synthetic-depth-truncation.json');

test('endpoints, keep-alive, limits and metadata request', () => {
  const a = krakenAdapter();
  assert.equal(a.id, 'kraken');
  assert.equal(a.depth, 10);
  assert.equal(a.snapshotSource, 'stream');
  assert.equal(a.connectionUrl(a.defaults.wsUrl, ['BTC/USD']), 'wss://ws.kraken.com/v2');
  assert.equal(a.connectionUrl('ws://127.0.0.1:9100/', []), 'ws://127.0.0.1:9100/v2');
  assert.equal(a.connectionUrl('wss://ws.kraken.com/v2', []), 'wss://ws.kraken.com/v2');
  assert.equal(a.defaults.restUrl, 'https://api.kraken.com');
  assert.deepEqual(a.instrumentsRequest(['BTC/USD']), { path: '/0/public/AssetPairs', weight: 1 });
  assert.deepEqual(a.defaults.clientPing, { intervalMs: 10_000, payload: '{"method":"ping"}' });
  assert.ok(a.defaults.staleSocketMs > 2 * a.defaults.clientPing!.intervalMs);
  assert.equal(a.defaults.streamsPerSymbol, 2);
  assert.equal(a.snapshotRequest('BTC/USD').path, '/0/public/Depth?pair=BTC%2FUSD&count=10');
  assert.equal(
    krakenAdapter({ depth: 1000 }).snapshotRequest('X/Y').path,
    '/0/public/Depth?pair=X%2FY&count=500',
  );
  assert.throws(() => krakenAdapter({ depth: 50 }), RangeError);
});

test('subscribe frames: book (depth, snapshot) and trade (no snapshot), chunked, with req_ids', () => {
  const a = krakenAdapter({ depth: 25 });
  assert.deepEqual(
    a.subscribeFrames(['BTC/USD', 'ETH/USD']).map((f) => JSON.parse(f) as unknown),
    [
      {
        method: 'subscribe',
        params: { channel: 'book', symbol: ['BTC/USD', 'ETH/USD'], depth: 25, snapshot: true },
        req_id: 1,
      },
      {
        method: 'subscribe',
        params: { channel: 'trade', symbol: ['BTC/USD', 'ETH/USD'], snapshot: false },
        req_id: 2,
      },
    ],
  );
  const natives = Array.from({ length: MAX_SYMBOLS_PER_REQUEST + 3 }, (_, i) => `S${i}/USD`);
  const frames = a.subscribeFrames(natives).map((f) => JSON.parse(f) as { params: { symbol: string[] } });
  assert.equal(frames.length, 4);
  assert.deepEqual(
    frames.filter((_, i) => i % 2 === 0).flatMap((f) => f.params.symbol),
    natives,
  );
});

test('re-subscription frames: unsubscribe + subscribe of the book with a snapshot, stable ids', () => {
  const a = krakenAdapter();
  const frames = a.resubscribeFrames('ETH/USD');
  assert.deepEqual(frames, a.resubscribeFrames('ETH/USD'));
  assert.deepEqual(
    frames.map((f) => JSON.parse(f) as unknown),
    [
      { method: 'unsubscribe', params: { channel: 'book', symbol: ['ETH/USD'], depth: 10 }, req_id: 1 },
      {
        method: 'subscribe',
        params: { channel: 'book', symbol: ['ETH/USD'], depth: 10, snapshot: true },
        req_id: 2,
      },
    ],
  );
  // a rejection of the re-subscription without `symbol` fails only that symbol (through its req_id)
  assert.deepEqual(
    a.parseFrame('{"error":"Exceeded msg rate","method":"subscribe","success":false,"req_id":2}', 0),
    [{ kind: 'error', native: 'ETH/USD', message: 'kraken subscribe rejected: Exceeded msg rate' }],
  );
});

const inst = (native: string, base: string, quote: string): Instrument => ({
  venue: 'kraken',
  symbol: `${base}-${quote}`,
  native,
  base,
  quote,
  kind: 'spot',
  priceDecimals: 1,
  sizeDecimals: 8,
});

function harness() {
  const out = {
    books: [] as (BookSnapshot | BookDelta)[],
    trades: [] as Trade[],
    statuses: [] as SyncStatus[],
    resubscribed: [] as string[],
    malformed: [] as VenueParseError[],
  };
  const adapter = krakenAdapter();
  const engine = new VenueEngine(
    adapter as VenueAdapter,
    [inst('BTC/USD', 'BTC', 'USD'), inst('ETH/USD', 'ETH', 'USD')],
    {
      book: (m) => out.books.push(m),
      trade: (m) => out.trades.push(m),
      status: (m) => out.statuses.push(m),
      needSnapshot: () => assert.fail('kraken never asks for a REST snapshot'),
      resubscribe: (n) => out.resubscribed.push(n),
      malformed: (e) => out.malformed.push(e),
      venueShutdown: () => undefined,
      now: () => 42,
    },
  );
  return { engine, out, adapter };
}

test('engine: stream snapshot → live, checksummed updates → deltas with seq/prevSeq, mismatch → resubscribe → live', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC/USD', 'ETH/USD']);
  engine.onFrame(fixture<{ samples: { rawText: string }[] }>('format-samples.json').samples[0]!.rawText, 1);
  engine.onFrame(doc.rawMessage, 2);
  const snap = out.books.at(-1) as BookSnapshot;
  assert.deepEqual(
    [snap.type, snap.symbol, snap.epoch, snap.seq, snap.venueTs, snap.bids.length],
    ['book.snapshot', 'BTC-USD', 1, 1, 1696613755440295, 10],
  );
  assert.equal(engine.statusOf('BTC/USD')?.state, 'live');
  for (const u of truncation.updates) engine.onFrame(u.rawMessage, 3);
  const deltas = out.books.filter((b): b is BookDelta => b.type === 'book.delta');
  assert.deepEqual(
    deltas.map((d) => [d.seq, d.prevSeq, d.epoch]),
    [
      [2, 1, 1],
      [3, 2, 1],
    ],
  );
  assert.deepEqual(deltas[0]!.bids.at(-1), ['45276.6', '0'], 'the truncation is published');

  // a corrupted checksum: resync that symbol by re-subscribing; the other symbol is untouched
  engine.onFrame(
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":45283.4,"qty":1.0}],"asks":[],"checksum":1,"timestamp":"2023-10-06T17:35:58.000000Z"}]}',
    4,
  );
  assert.equal(engine.statusOf('BTC/USD')?.state, 'resyncing');
  assert.match(engine.statusOf('BTC/USD')!.reason, /^kraken:checksum mismatch after update/);
  assert.deepEqual(out.resubscribed, ['BTC/USD']);
  const before = out.books.length;
  engine.onFrame(truncation.updates[0]!.rawMessage, 5);
  assert.equal(out.books.length, before, 'updates of the old subscription are not applied');
  engine.onFrame(doc.rawMessage, 6);
  assert.equal(engine.statusOf('BTC/USD')?.state, 'live');
  const again = out.books.at(-1) as BookSnapshot;
  assert.deepEqual([again.type, again.epoch, again.seq], ['book.snapshot', 2, 4]);
  assert.equal(engine.statusOf('BTC/USD')?.resyncs, 1);
  assert.equal(engine.statusOf('ETH/USD')?.state, 'snapshotting');
  assert.equal(out.malformed.length, 0);
});

test('engine: batched trades, heartbeats, pongs and a per-symbol rejection', () => {
  const { engine, out } = harness();
  engine.connectionOpened(['BTC/USD', 'ETH/USD']);
  const samples = fixture<{ samples: { name: string; rawText: string }[] }>('format-samples.json').samples;
  for (const s of samples) engine.onFrame(s.rawText, 7);
  assert.deepEqual(
    out.trades.map((t) => [t.venue, t.symbol, t.id, t.side, t.price, t.size, t.venueTs, t.recvTs]),
    [
      ['kraken', 'BTC-USD', '10218208', 'buy', '105944.20', '0.00027625', 1696613755440295, 7],
      ['kraken', 'BTC-USD', '10218209', 'sell', '105910.50', '0.00012460', 1696613756123456, 7],
    ],
  );
  // the XBT/USD rejection names a symbol this engine does not follow: nobody fails
  assert.equal(engine.statusOf('BTC/USD')?.state, 'snapshotting');
  engine.onFrame(
    '{"error":"Currency pair not supported ETH/USD","method":"subscribe","success":false,"symbol":"ETH/USD"}',
    8,
  );
  assert.equal(engine.statusOf('ETH/USD')?.state, 'error');
  assert.match(engine.statusOf('ETH/USD')!.reason, /Currency pair not supported/);
  engine.onFrame('garbage', 9);
  assert.equal(out.malformed.length, 1);
});
