/**
 * `replay` on hand-written Binance recordings: sync events, REST answered from the file, malformed
 * lines, recorded REST failures, determinism; and a Coinbase recording of two connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  at,
  CB_PRODUCTS_PATH,
  cbBook,
  cbProducts,
  depth,
  events,
  gapRecording,
  INFO,
  parsed,
  replay,
  resetRecv,
  snap,
  SNAP_PATH,
} from './fixtures';

test('a gap shows as gap + resync, the snapshot is answered from the file, the final book is exact', () => {
  const out = replay(gapRecording());
  assert.deepEqual(replay(gapRecording()), out, 'deterministic');
  const all = parsed(out);
  const snaps = all.filter((o) => o['type'] === 'book.snapshot');
  assert.deepEqual(
    snaps.map((s) => [s['epoch'], s['seq']]),
    [
      [1, 103],
      [2, 110],
    ],
  );
  assert.equal(snaps[0]!['recvTs'], 1_767_225_600_007_500, 'recvTs = the recv of the REST line, in µs');
  const [gap] = events(out, 'gap');
  assert.equal(gap!['symbol'], 'BTC-USDT');
  assert.equal(gap!['lastSeq'], 104);
  assert.match(String(gap!['reason']), /U 106 > local id \+ 1 \(105\)/);
  const resync = events(out, 'resync');
  assert.deepEqual(
    resync.map((e) => e['phase']),
    ['start', 'done'],
  );
  const order = all.flatMap((o) => (o['event'] !== undefined ? [String(o['event'])] : []));
  assert.deepEqual(order, ['connection', 'gap', 'resync', 'resync']);
  assert.equal(all.filter((o) => o['type'] === 'trade').length, 1);
  assert.equal(all.filter((o) => o['type'] === 'book.delta').length, 2, '104 and 111');
  assert.deepEqual(all.at(-1), {
    books: {
      'BTC-USDT': {
        bids: [
          ['100.5', '1'],
          ['100.0', '2'],
          ['98.0', '1'],
          ['97.0', '1'],
        ],
        asks: [
          ['102.0', '4'],
          ['103.0', '5'],
        ],
        seq: 111,
        epoch: 2,
        state: 'live',
        native: 'BTCUSDT',
      },
    },
  });
  const top1 = parsed(replay(gapRecording(), 1)).at(-1) as { books: Record<string, { bids: unknown[] }> };
  assert.equal(top1.books['BTC-USDT']!.bids.length, 1, '--depth');
});

test('malformed lines and frames are reported and skipped', () => {
  const lines = gapRecording();
  lines.splice(3, 0, 'not json', '[1,2]', '{"recv":"soon","raw":"x"}', '{"recv":1,"what":1}', '');
  lines.splice(9, 0, at({ raw: '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate"' }));
  const out = replay(lines);
  const bad = events(out, 'malformed');
  assert.deepEqual(
    bad.map((e) => [e['source'], e['line']]),
    [
      ['recording', 4],
      ['recording', 5],
      ['recording', 6],
      ['recording', 7],
      ['venue', 10],
    ],
  );
  assert.match(String(bad[4]!['reason']), /invalid JSON/);
  const books = parsed(out).at(-1) as { books: Record<string, { seq: number }> };
  assert.equal(books.books['BTC-USDT']!.seq, 111, 'replay continued past them');
});

test('a snapshot request with no recorded response is reported; an earlier one is used', () => {
  const lines = gapRecording().slice(0, 5);
  const missing = events(replay(lines), 'snapshot-missing');
  assert.deepEqual(
    missing.map((e) => [e['native'], e['path']]),
    [['BTCUSDT', SNAP_PATH]],
  );
  // hand-made: the response before the request, integer ms, no header and no open line
  resetRecv(1000);
  const early = [
    at({ rest: '/api/v3/exchangeInfo', raw: INFO }),
    at({ rest: SNAP_PATH, raw: snap(102, [['100.0', '1']], [['101.0', '1']]) }),
    at({ raw: depth(101, 103, [['99.0', '1']]) }),
  ];
  const out = parsed(replay(early));
  const books = out.at(-1) as { books: Record<string, { seq: number; state: string }> };
  assert.deepEqual(Object.keys(books.books), ['BTC-USDT', 'ETH-USDT'], 'every instrument without a header');
  assert.equal(books.books['BTC-USDT']!.state, 'live');
  assert.equal(books.books['BTC-USDT']!.seq, 103);
  assert.equal(books.books['ETH-USDT']!.state, 'snapshotting');
});

test('a recorded REST failure reaches the engine; the retried response then syncs the book', () => {
  resetRecv(5000);
  const lines = [
    at({ recording: { version: 1, venue: 'binance', symbols: ['BTCUSDT'] } }),
    at({ rest: '/api/v3/exchangeInfo', raw: INFO }),
    at({ open: 'binance-0', symbols: ['BTCUSDT'] }),
    at({ raw: depth(101, 102, [['99.0', '3']]) }),
    at({ rest: SNAP_PATH, error: `GET ${SNAP_PATH}: HTTP 429; backing off 1000 ms` }),
    at({ raw: depth(103, 103, [['100.0', '2']]) }),
    at({ rest: SNAP_PATH, raw: snap(102, [['99.0', '3']], [['101.0', '1']]) }),
  ];
  const all = parsed(replay(lines));
  const states = all
    .filter((o) => o['type'] === 'status')
    .map((o) => `${String(o['state'])}: ${String(o['reason'])}`);
  assert.deepEqual(states, [
    'connecting: not connected',
    'snapshotting: awaiting snapshot',
    `snapshotting: snapshot failed: GET ${SNAP_PATH}: HTTP 429; backing off 1000 ms`,
    'live: ',
  ]);
  const books = all.at(-1) as { books: Record<string, { seq: number }> };
  assert.equal(books.books['BTC-USDT']!.seq, 103);
});

test('frames go to their connection: one Coinbase sequence_num counter per connection, as live', () => {
  resetRecv(9000);
  const raw = (conn: string, text: string): string => at({ conn, raw: text });
  const lines = [
    at({ recording: { version: 1, venue: 'coinbase', symbols: ['BTC-USD', 'ETH-USD'] } }),
    at({ rest: CB_PRODUCTS_PATH, raw: cbProducts(['BTC-USD', 'ETH-USD']) }),
    at({ open: 'coinbase-0', symbols: ['BTC-USD'] }),
    at({ open: 'coinbase-1', symbols: ['ETH-USD'] }),
    // two sockets, two counters from 0, interleaved
    raw('coinbase-0', cbBook(0, 'BTC-USD', 'snapshot', '10')),
    raw('coinbase-1', cbBook(0, 'ETH-USD', 'snapshot', '20')),
    raw('coinbase-0', cbBook(1, 'BTC-USD', 'update', '11')),
    raw('coinbase-1', cbBook(1, 'ETH-USD', 'update', '21')),
    // coinbase-1 loses 2: its symbols resync, the feed restarted it (a new counter)
    raw('coinbase-1', cbBook(3, 'ETH-USD', 'update', '22')),
    at({ close: 'coinbase-1', symbols: ['ETH-USD'], reason: 'closed 1006' }),
    at({ open: 'coinbase-1', symbols: ['ETH-USD'] }),
    raw('coinbase-1', cbBook(0, 'ETH-USD', 'snapshot', '23')),
    raw('coinbase-0', cbBook(2, 'BTC-USD', 'update', '12')),
  ];
  const out = replay(lines, 10, 'coinbase');
  const books = parsed(out).at(-1) as {
    books: Record<string, { bids: unknown; epoch: number; state: string }>;
  };
  assert.deepEqual(
    Object.entries(books.books).map(([s, b]) => [s, b.state, b.epoch, b.bids]),
    [
      [
        'BTC-USD',
        'live',
        1,
        [
          ['12', '1'],
          ['11', '1'],
          ['10', '1'],
        ],
      ],
      ['ETH-USD', 'live', 2, [['23', '1']]],
    ],
  );
  assert.deepEqual(
    events(out, 'resync').map((e) => `${String(e['native'])} ${String(e['phase'])}`),
    ['ETH-USD start'],
    'then the restart: connecting → snapshotting → live',
  );
  assert.match(String(events(out, 'resync')[0]!['reason']), /sequence_num jump: 3 after 1/);

  // without `conn` both sockets would share one counter: the second one's frames look old
  const merged = lines.map((l) => l.replace(/"conn":"coinbase-\d",/, ''));
  const wrong = parsed(replay(merged, 10, 'coinbase')).at(-1) as { books: Record<string, { state: string }> };
  assert.equal(wrong.books['ETH-USD']!.state, 'snapshotting');
});

test('a frame without `conn` goes to the only open connection', () => {
  resetRecv(9500);
  const lines = [
    at({ rest: CB_PRODUCTS_PATH, raw: cbProducts(['BTC-USD']) }),
    at({ open: 'coinbase-0', symbols: ['BTC-USD'] }),
    at({ raw: cbBook(0, 'BTC-USD', 'snapshot', '10') }),
    at({ raw: cbBook(1, 'BTC-USD', 'update', '11') }),
    at({ close: 'coinbase-0', symbols: ['BTC-USD'], reason: 'closed 1006' }),
    at({ open: 'coinbase-0', symbols: ['BTC-USD'] }),
    // a new socket: its counter starts again
    at({ raw: cbBook(0, 'BTC-USD', 'snapshot', '20') }),
    at({ raw: cbBook(1, 'BTC-USD', 'update', '21') }),
  ];
  const books = parsed(replay(lines, 10, 'coinbase')).at(-1) as {
    books: Record<string, { bids: unknown; epoch: number; state: string }>;
  };
  assert.deepEqual(books.books['BTC-USD'], {
    bids: [
      ['21', '1'],
      ['20', '1'],
    ],
    asks: [['1000', '1']],
    seq: 4,
    epoch: 2,
    state: 'live',
    native: 'BTC-USD',
  });
});
