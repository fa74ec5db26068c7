import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BinanceBookSync } from './sync';
import { parseFrame, parseSnapshot } from './parse';
import type { DepthSnapshot, DepthUpdate } from './raw';
import type { SyncStep } from '../core/adapter';

interface Scenario {
  name: string;
  snapshots: DepthSnapshot[];
  bufferedEvents: DepthUpdate[];
  liveEvents: DepthUpdate[];
  expected: {
    snapshotsRejected: number;
    eventActions: string[];
    gapDetected: boolean;
    localUpdateIdWhenGapDetected?: number;
    bookAfterSync?: { updateId: number; bids: [string, string][]; asks: [string, string][] };
    finalBook?: { updateId: number; bids: [string, string][]; asks: [string, string][] };
  };
}

const fixtures = JSON.parse(
  readFileSync(new URL('../../test/fixtures/binance/synthetic-sync-scenarios.json', import.meta.url), 'utf8'),
) as { scenarios: Scenario[] };

function action(step: SyncStep): string {
  switch (step.kind) {
    case 'ignored':
      return 'ignore';
    case 'applied':
    case 'live':
      return 'apply';
    case 'gap':
      return 'gap';
    default:
      return step.kind;
  }
}

for (const sc of fixtures.scenarios) {
  test(`documented procedure: ${sc.name}`, () => {
    const sync = new BinanceBookSync();
    const first = sync.onUpdate(sc.bufferedEvents[0]!);
    assert.deepEqual(
      first,
      { kind: 'buffered', needSnapshot: true },
      'first buffered event asks for a snapshot',
    );
    for (const ev of sc.bufferedEvents.slice(1)) assert.equal(sync.onUpdate(ev).kind, 'buffered');

    let rejected = 0;
    let step: SyncStep | undefined;
    for (const snap of sc.snapshots) {
      step = sync.onSnapshot(snap);
      if (step.kind !== 'retry-snapshot') break;
      rejected++;
    }
    assert.equal(rejected, sc.expected.snapshotsRejected, 'stale snapshots are refetched');

    const bufferedActions = sc.expected.eventActions.slice(0, sc.bufferedEvents.length);
    const liveActions = sc.expected.eventActions.slice(sc.bufferedEvents.length);
    const liveExpected = liveActions.length > 0 ? liveActions : [];
    if (bufferedActions.includes('gap')) {
      assert.equal(step?.kind, 'gap', 'gap detected while replaying the buffer');
      return;
    }
    const observed: string[] = [];
    let gapAt: number | undefined;
    for (const ev of sc.liveEvents) {
      const before = sync.seq;
      const s = sync.onUpdate(ev);
      observed.push(action(s));
      if (s.kind === 'gap') {
        gapAt = before;
        break;
      }
      if (sc.expected.bookAfterSync && sync.seq === sc.expected.bookAfterSync.updateId) {
        const top = sync.book.top();
        assert.deepEqual(top.bids, sc.expected.bookAfterSync.bids);
        assert.deepEqual(top.asks, sc.expected.bookAfterSync.asks);
      }
    }
    assert.deepEqual(observed, liveExpected);
    if (sc.expected.gapDetected) assert.equal(gapAt, sc.expected.localUpdateIdWhenGapDetected);
    if (sc.expected.finalBook) {
      assert.equal(sync.seq, sc.expected.finalBook.updateId);
      assert.deepEqual(sync.book.top().bids, sc.expected.finalBook.bids);
      assert.deepEqual(sync.book.top().asks, sc.expected.finalBook.asks);
    }
  });
}

test('a snapshot older than the first buffered event is refused', () => {
  const sync = new BinanceBookSync();
  sync.onUpdate({ e: 'depthUpdate', E: 1, s: 'X', U: 50, u: 52, b: [], a: [] });
  assert.equal(sync.onSnapshot({ lastUpdateId: 49, bids: [], asks: [] }).kind, 'retry-snapshot');
});

test('a snapshot that arrives before any straddling event waits for one on the stream', () => {
  const sync = new BinanceBookSync();
  sync.onUpdate({ e: 'depthUpdate', E: 1, s: 'X', U: 1, u: 5, b: [], a: [] });
  const s = sync.onSnapshot({ lastUpdateId: 10, bids: [['1.0', '1']], asks: [['2.0', '1']] });
  assert.equal(s.kind, 'ignored');
  const live = sync.onUpdate({ e: 'depthUpdate', E: 2, s: 'X', U: 9, u: 12, b: [['1.5', '2']], a: [] });
  assert.equal(live.kind, 'live');
  assert.equal(sync.seq, 12);
  assert.deepEqual(sync.book.bestBid(), ['1.5', '2']);
  const next = sync.onUpdate({ e: 'depthUpdate', E: 3, s: 'X', U: 13, u: 13, b: [], a: [['2.0', '0']] });
  assert.deepEqual(next, {
    kind: 'applied',
    seq: 13,
    prevSeq: 12,
    venueTs: 3,
    bids: [],
    asks: [['2.0', '0']],
  });
});

test('official doc samples parse with exact decimal text', () => {
  const samples = JSON.parse(
    readFileSync(new URL('../../test/fixtures/binance/format-samples.json', import.meta.url), 'utf8'),
  ) as { samples: { name: string; message: unknown }[] };
  const get = (name: string): string => JSON.stringify(samples.samples.find((s) => s.name === name)!.message);
  const depth = parseFrame(
    JSON.stringify({ stream: 'bnbbtc@depth', data: JSON.parse(get('diff depth event')) }),
  );
  assert.equal(depth[0]?.kind, 'book');
  if (depth[0]?.kind === 'book') assert.deepEqual(depth[0].update.b, [['0.0024', '10']]);
  const snap = parseSnapshot(get('REST GET /api/v3/depth response'));
  assert.deepEqual(snap.asks, [['4.00000200', '12.00000000']]);
  const trade = parseFrame(get('trade event'));
  assert.equal(trade[0]?.kind, 'trade');
  if (trade[0]?.kind === 'trade') assert.equal(trade[0].trade.side, 'sell');
  assert.deepEqual(parseFrame(get('subscribe response')), [{ kind: 'ack', id: 1 }]);
});

test('malformed frames raise VenueParseError', () => {
  for (const bad of [
    'not json',
    '[]',
    '{"stream":"x","data":5}',
    '{"e":"depthUpdate","E":1,"s":"X","U":5,"u":4,"b":[],"a":[]}',
    '{"e":"depthUpdate","E":1,"s":"X","U":1,"u":4,"b":[["1e5","1"]],"a":[]}',
    '{"e":"depthUpdate","E":1,"s":"X","U":1,"u":4,"b":[[1,"1"]],"a":[]}',
    '{"e":"trade","E":1,"s":"X","t":1,"p":"-1","q":"1","T":1,"m":true}',
  ]) {
    assert.throws(() => parseFrame(bad), { name: 'VenueParseError' }, bad);
  }
});
