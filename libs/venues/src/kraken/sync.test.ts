import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { SyncStep } from '../core/adapter';
import { parseFrame, type KrakenBookUpdate } from './parse';
import { KrakenBookSync } from './sync';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/kraken/${name}`, import.meta.url), 'utf8')) as T;

const doc = fixture<{ rawMessage: string }>('v2-book-checksum-doc-example.json');
interface Truncation {
  updates: {
    rawMessage: string;
    expected: {
      checksum: number;
      checksumIfNotTruncated?: number;
      bidCount: number;
      askCount: number;
      bestBid?: Level;
      bestAsk?: Level;
      worstBid?: Level;
    };
  }[];
}
const truncation = fixture<Truncation>('v2-synthetic-depth-truncation.json');

/** The single book update of a raw frame. */
function update(raw: string): KrakenBookUpdate {
  const [ev] = parseFrame(raw, 0);
  if (ev?.kind !== 'book') throw new Error('not a book frame');
  return ev.update;
}

/** An independent checksum (zlib's CRC32 over the doc's string rules), for building test frames. */
function refChecksum(asks: readonly Level[], bids: readonly Level[]): number {
  const tok = (s: string): string => s.replace('.', '').replace(/^0+/, '');
  const part = (side: readonly Level[]): string =>
    side
      .slice(0, 10)
      .map(([p, q]) => tok(p) + tok(q))
      .join('');
  return zlibCrc32(part(asks) + part(bids));
}

/** A consumer that only sees what the engine publishes: `live` snapshots and `applied` levels. */
class Mirror {
  readonly book = new OrderBook();
  seq = 0;
  follow(sync: KrakenBookSync, step: SyncStep): void {
    if (step.kind === 'live') {
      const top = sync.book.top();
      this.book.applySnapshot(top.bids, top.asks);
      this.seq = step.seq;
    } else if (step.kind === 'applied') {
      assert.equal(step.prevSeq, this.seq, 'applied steps chain');
      assert.equal(step.seq, step.prevSeq + 1, 'consecutive integers');
      this.book.applyDelta(step.bids, step.asks);
      this.seq = step.seq;
    }
    if (sync.isLive) assert.deepEqual(this.book.top(), sync.book.top(), 'downstream book == sync book');
  }
}

/** A frame-free update whose checksum is computed for the book it should produce. */
function msg(
  type: 'snapshot' | 'update',
  bids: Level[],
  asks: Level[],
  after: { bids: Level[]; asks: Level[] },
  venueTs = 1,
): KrakenBookUpdate {
  return { type, symbol: 'BTC/USD', bids, asks, checksum: refChecksum(after.asks, after.bids), venueTs };
}

test('doc: the snapshot makes the book live with its checksum verified; seq starts at 1', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const s = sync.onUpdate(update(doc.rawMessage));
  assert.deepEqual(s, { kind: 'live', seq: 1, venueTs: 1696613755440295 });
  assert.equal(sync.seq, 1);
  assert.deepEqual(sync.book.depth(), { bids: 10, asks: 10 });
  assert.deepEqual(sync.book.bestBid(), ['45283.5', '0.10000000']);
});

test('synthetic truncation sample: both updates verify; the 11th bid is truncated and published as a delete', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const mirror = new Mirror();
  mirror.follow(sync, sync.onUpdate(update(doc.rawMessage)));
  const [u1, u2] = truncation.updates;
  const s1 = sync.onUpdate(update(u1!.rawMessage));
  mirror.follow(sync, s1);
  assert.equal(s1.kind, 'applied');
  if (s1.kind === 'applied') {
    assert.deepEqual([s1.seq, s1.prevSeq], [2, 1]);
    assert.deepEqual(s1.bids, [
      ['45284.0', '0.50000000'],
      ['45282.1', '0.25000000'],
      ['45276.6', '0'],
    ]);
    assert.deepEqual(s1.asks, [
      ['45285.2', '0'],
      ['45300.1', '2.00000000'],
    ]);
    assert.equal(s1.venueTs, Date.UTC(2023, 9, 6, 17, 35, 56) * 1000);
  }
  const e1 = u1!.expected;
  assert.deepEqual(sync.book.depth(), { bids: e1.bidCount, asks: e1.askCount });
  assert.deepEqual(sync.book.bestBid(), e1.bestBid);
  assert.deepEqual(sync.book.bestAsk(), e1.bestAsk);

  const s2 = sync.onUpdate(update(u2!.rawMessage));
  mirror.follow(sync, s2);
  assert.equal(s2.kind, 'applied');
  const e2 = u2!.expected;
  assert.deepEqual(sync.book.depth(), { bids: e2.bidCount, asks: e2.askCount });
  assert.deepEqual(sync.book.bestBid(), e2.bestBid);
  assert.deepEqual(sync.book.bids.top().at(-1), e2.worstBid);
  assert.equal(sync.seq, 3);
});

test('rule: a client that does not truncate to its depth fails the checksum (the stale 45276.6 bid)', () => {
  // a depth-25 book fed the depth-10 stream keeps the out-of-scope level, as a non-truncating client would
  const sync = new KrakenBookSync({ depth: 25 });
  sync.onUpdate(update(doc.rawMessage));
  assert.equal(sync.onUpdate(update(truncation.updates[0]!.rawMessage)).kind, 'applied');
  const s = sync.onUpdate(update(truncation.updates[1]!.rawMessage));
  assert.equal(s.kind, 'gap');
  if (s.kind === 'gap')
    assert.equal(
      s.reason,
      `kraken:checksum mismatch after update: computed ${truncation.updates[1]!.expected.checksumIfNotTruncated}, venue sent 2561034610`,
    );
});

test('rule: updates before the first snapshot are not usable (buffered, no REST snapshot asked)', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const u = update(truncation.updates[0]!.rawMessage);
  assert.deepEqual(sync.onUpdate(u), { kind: 'buffered', needSnapshot: false });
  assert.deepEqual(sync.book.depth(), { bids: 0, asks: 0 });
  assert.equal(sync.onUpdate(update(doc.rawMessage)).kind, 'live');
});

test('rule: absolute levels in message order; qty 0 removes; removing an absent level is a no-op', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const mirror = new Mirror();
  const start = {
    bids: [['100.0', '1.00'] as Level, ['99.0', '1.00'] as Level],
    asks: [['101.0', '2.00'] as Level],
  };
  mirror.follow(sync, sync.onUpdate(msg('snapshot', start.bids, start.asks, start)));
  const after = {
    bids: [['100.0', '4.00'] as Level],
    asks: [['101.0', '2.00'] as Level, ['101.5', '1.00'] as Level],
  };
  const s = sync.onUpdate(
    msg(
      'update',
      [
        ['99.0', '0'],
        ['98.0', '0.00'],
        ['100.0', '3.00'],
        ['100.0', '4.00'], // the same price twice: the later one wins
      ],
      [['101.5', '1.00']],
      after,
    ),
  );
  mirror.follow(sync, s);
  assert.equal(s.kind, 'applied');
  assert.deepEqual(sync.book.top(), after);
});

test('rule: a checksum mismatch is a gap; the book is discarded until the re-subscription snapshot', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const mirror = new Mirror();
  const book = { bids: [['100.0', '1.00'] as Level], asks: [['101.0', '2.00'] as Level] };
  mirror.follow(sync, sync.onUpdate(msg('snapshot', book.bids, book.asks, book)));
  const wrong = { ...msg('update', [['100.0', '2.00']], [], book), checksum: 12345 };
  const gap = sync.onUpdate(wrong);
  assert.deepEqual(gap, {
    kind: 'gap',
    reason: `kraken:checksum mismatch after update: computed ${refChecksum(book.asks, [['100.0', '2.00']])}, venue sent 12345`,
  });
  assert.equal(sync.isLive, false);
  assert.deepEqual(sync.book.depth(), { bids: 0, asks: 0 });
  assert.equal(sync.onUpdate(msg('update', [['100.0', '3.00']], [], book)).kind, 'buffered');
  const fresh = { bids: [['100.0', '7.00'] as Level], asks: [['101.0', '1.00'] as Level] };
  const live = sync.onUpdate(msg('snapshot', fresh.bids, fresh.asks, fresh, 9));
  assert.deepEqual(live, { kind: 'live', seq: 2, venueTs: 9 }, 'seq keeps increasing across resyncs');
  mirror.follow(sync, live);
  const next = { bids: [['100.0', '8.00'] as Level], asks: fresh.asks };
  const s = sync.onUpdate(msg('update', [['100.0', '8.00']], [], next));
  mirror.follow(sync, s);
  assert.deepEqual([s.kind, sync.seq], ['applied', 3]);
});

test('rule: a snapshot whose checksum does not match is a gap too', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const u = update(doc.rawMessage);
  const s = sync.onUpdate({ ...u, checksum: u.checksum ^ 1 });
  assert.equal(s.kind, 'gap');
  if (s.kind === 'gap') assert.match(s.reason, /^kraken:checksum mismatch on snapshot: computed 3310070434/);
  assert.equal(sync.isLive, false);
});

test('rule: a snapshot on a live book replaces it (new epoch)', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  const a = { bids: [['100.0', '1.00'] as Level], asks: [['101.0', '2.00'] as Level] };
  sync.onUpdate(msg('snapshot', a.bids, a.asks, a));
  const b = { bids: [['90.0', '1.00'] as Level], asks: [['91.0', '2.00'] as Level] };
  assert.deepEqual(sync.onUpdate(msg('snapshot', b.bids, b.asks, b, 5)), {
    kind: 'live',
    seq: 2,
    venueTs: 5,
  });
  assert.deepEqual(sync.book.top(), b);
});

test('rule: the book (and the checksum) covers the subscribed depth; only its top 10 enter the checksum', () => {
  const sync = new KrakenBookSync({ depth: 25 });
  const mirror = new Mirror();
  const bids = Array.from({ length: 30 }, (_, i): Level => [`${1000 - i}.0`, '1.00']);
  const asks = Array.from({ length: 12 }, (_, i): Level => [`${1001 + i}.0`, '1.00']);
  const view = { bids: bids.slice(0, 25), asks };
  const s = sync.onUpdate(msg('snapshot', bids, asks, view));
  mirror.follow(sync, s);
  assert.equal(s.kind, 'live');
  assert.deepEqual(sync.book.depth(), { bids: 25, asks: 12 }, 'a snapshot deeper than the depth is cut');
  // a level deep in the view (not in the top 10) changes: the checksum is unchanged, the book is not
  const deep = { bids: view.bids.map((l, i): Level => (i === 20 ? [l[0], '9.00'] : l)), asks };
  const s2 = sync.onUpdate(msg('update', [['980.0', '9.00']], [], deep));
  mirror.follow(sync, s2);
  assert.equal(s2.kind, 'applied');
  assert.deepEqual(sync.book.bids.get('980.0'), ['980.0', '9.00']);
  assert.throws(() => new KrakenBookSync({ depth: 5 }), RangeError);
});

test('checksum text: wire text first; the instrument-precision form when the wire text lacks trailing zeros', () => {
  // the doc snapshot with its numbers written without trailing zeros (as String(number) would print them)
  const stripped = doc.rawMessage.replace(/(\d+\.\d*?)0+(?=[,}])/g, (_m, x: string) =>
    x.endsWith('.') ? x.slice(0, -1) : x,
  );
  assert.match(stripped, /"price":45281,/);
  const u = update(stripped);
  assert.equal(u.checksum, 3310070434);
  const wireOnly = new KrakenBookSync({ depth: 10 });
  assert.equal(wireOnly.onUpdate(u).kind, 'gap', 'without precisions the text cannot be repaired');
  const withPrecision = new KrakenBookSync({ depth: 10, priceDecimals: 1, sizeDecimals: 8 });
  assert.equal(withPrecision.onUpdate(u).kind, 'live');
  // the exact wire text still verifies on the same sync (both forms agree when the text is complete)
  assert.equal(withPrecision.onUpdate(update(doc.rawMessage)).kind, 'live');
});

test('a level the book rejects throws (the engine resyncs the symbol)', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  sync.onUpdate(update(doc.rawMessage));
  assert.throws(() => sync.onUpdate({ ...update(truncation.updates[0]!.rawMessage), bids: [['1e5', '1']] }));
  assert.deepEqual(sync.book.depth(), { bids: 10, asks: 10 }, 'unchanged');
});

test('REST snapshots are never used for sync', () => {
  const sync = new KrakenBookSync({ depth: 10 });
  assert.equal(sync.onSnapshot({ bids: [], asks: [] }).kind, 'ignored');
});
