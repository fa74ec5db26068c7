import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { SyncStep } from '../core/adapter';
import { okxChecksum } from './checksum';
import { parseFrame } from './parse';
import type { BooksData, OkxBookUpdate, RestBook } from './raw';
import { MAX_BUFFERED_EVENTS, OkxBookSync } from './sync';

interface RawMsg {
  action: 'snapshot' | 'update';
  data: BooksData[];
}

interface Scenario {
  name: string;
  messages?: RawMsg[];
  bufferedEvents?: RawMsg[];
  restSnapshots?: (RestBook & { comment?: string })[];
  expected: Record<string, unknown>;
}

const scenarios = (
  JSON.parse(
    readFileSync(new URL('../../test/fixtures/okx/seqid-scenarios.json', import.meta.url), 'utf8'),
  ) as { scenarios: Scenario[] }
).scenarios;
const scenario = (prefix: string): Scenario => scenarios.find((s) => s.name.startsWith(prefix))!;

/** The fixture messages go through the real parser (push envelope added). */
function updatesOf(m: RawMsg, instId = 'BTC-USDT'): OkxBookUpdate[] {
  const text = JSON.stringify({ arg: { channel: 'books', instId }, action: m.action, data: m.data });
  return parseFrame(text).map((e) => {
    assert.equal(e.kind, 'book');
    return (e as { update: OkxBookUpdate }).update;
  });
}

function one(m: RawMsg): OkxBookUpdate {
  const [u] = updatesOf(m);
  return u!;
}

/** A consumer that only sees what the engine publishes: `live` snapshots and `applied` levels. */
class Mirror {
  readonly book = new OrderBook();
  seq = -1;

  follow(sync: OkxBookSync, step: SyncStep): void {
    if (step.kind === 'live') {
      const top = sync.book.top();
      this.book.applySnapshot(top.bids, top.asks);
      this.seq = step.seq;
    } else if (step.kind === 'applied') {
      assert.equal(step.prevSeq, this.seq, 'applied steps chain');
      this.book.applyDelta(step.bids, step.asks);
      this.seq = step.seq;
    }
    if (step.kind === 'live' || step.kind === 'applied')
      assert.deepEqual(this.book.top(), sync.book.top(), 'downstream book == sync book');
  }
}

const book = (levels: string[][]): Level[] => levels.map((l) => [l[0]!, l[1]!]);

let ts = 1700000000000;
function msg(
  action: 'snapshot' | 'update',
  prevSeqId: number,
  seqId: number,
  bids: string[][] = [],
  asks: string[][] = [],
  checksum = 0,
): OkxBookUpdate {
  ts += 100;
  return {
    action,
    instId: 'BTC-USDT',
    data: { bids, asks, ts: String(ts), checksum, prevSeqId, seqId },
  };
}

/** The message with the checksum OKX would push for the book `after` it is applied. */
function withChecksum(u: OkxBookUpdate, after: { bids: Level[]; asks: Level[] }): OkxBookUpdate {
  return { ...u, data: { ...u.data, checksum: okxChecksum(after.bids, after.asks) } };
}

test('O1 (known answer): snapshot, apply, keep-alive, sequence reset, apply, gap', () => {
  const s = scenario('O1');
  const sync = new OkxBookSync();
  const mirror = new Mirror();
  const kinds: string[] = [];
  for (const m of s.messages!) {
    const step = sync.onUpdate(one(m));
    kinds.push(step.kind);
    mirror.follow(sync, step);
    if (step.kind === 'gap') {
      assert.match(step.reason, /^okx:prevSeqId!=last: prevSeqId 7 != last seqId 5/);
      break;
    }
  }
  assert.deepEqual(kinds, ['live', 'applied', 'ignored', 'applied', 'applied', 'gap']);
  const before = s.expected['bookBeforeGap'] as { lastSeqId: number; bids: string[][]; asks: string[][] };
  assert.equal(mirror.seq, before.lastSeqId);
  assert.deepEqual(mirror.book.top(), { bids: book(before.bids), asks: book(before.asks) });
  assert.equal(s.expected['gapAtMessageIndex'], kinds.indexOf('gap'));
  // the gap discarded the book; the event that revealed it was not applied
  assert.equal(sync.seq, -1);
  assert.deepEqual(sync.book.depth(), { bids: 0, asks: 0 });
});

test('O2 (known answer, rest mode): WS snapshot ignored, stale REST snapshot refetched, straddle, apply', () => {
  const s = scenario('O2');
  const sync = new OkxBookSync({ mode: 'rest' });
  const steps = s.bufferedEvents!.map((m) => sync.onUpdate(one(m)));
  assert.deepEqual(
    steps.map((x) => x.kind),
    ['ignored', 'buffered', 'buffered', 'buffered'],
  );
  assert.deepEqual(
    steps.slice(1).map((x) => (x as { needSnapshot: boolean }).needSnapshot),
    [true, false, false],
    'the first buffered update asks for the REST snapshot (its prevSeqId 100 is recorded)',
  );
  const [stale, usable] = s.restSnapshots!;
  const retry = sync.onSnapshot(stale!);
  assert.equal(retry.kind, 'retry-snapshot');
  assert.match((retry as { reason: string }).reason, /seqId 99 < recorded prevSeqId 100/);
  assert.equal(s.expected['restSnapshotsRejected'], 1);
  const live = sync.onSnapshot(usable!);
  assert.deepEqual(live, { kind: 'live', seq: 111, venueTs: 4000 });
  const final = s.expected['finalBook'] as { lastSeqId: number; bids: string[][]; asks: string[][] };
  assert.equal(sync.seq, final.lastSeqId);
  assert.deepEqual(sync.book.top(), { bids: book(final.bids), asks: book(final.asks) });
  // and it continues by the live rule
  const next = sync.onUpdate(msg('update', 111, 115, [['30000.0', '3']]));
  assert.deepEqual([next.kind, (next as { prevSeq: number }).prevSeq], ['applied', 111]);
});

test('O3 (known answer, rest mode): the first remaining event does not straddle the snapshot → gap', () => {
  const s = scenario('O3');
  const sync = new OkxBookSync({ mode: 'rest' });
  for (const m of s.bufferedEvents!) sync.onUpdate(one(m));
  const step = sync.onSnapshot(s.restSnapshots![0]!);
  assert.equal(step.kind, 'gap');
  assert.match((step as { reason: string }).reason, /first event prevSeqId 115 > snapshot seqId 111/);
  assert.equal(sync.seq, -1, 'the book was discarded: restart the procedure');
});

test('rule 1: a snapshot replaces the book at any time (stream mode), updates before it are not kept', () => {
  const sync = new OkxBookSync();
  assert.deepEqual(sync.onUpdate(msg('update', 1, 2, [['1', '1']])), {
    kind: 'buffered',
    needSnapshot: false,
  });
  assert.equal(sync.onUpdate(msg('snapshot', -1, 10, [['100', '1']], [['101', '1']])).kind, 'live');
  assert.deepEqual(sync.book.top(), { bids: [['100', '1']], asks: [['101', '1']] });
  sync.onUpdate(msg('update', 10, 12, [['99', '2']]));
  const again = sync.onUpdate(msg('snapshot', -1, 50, [['98', '4']], [['102', '4']]));
  assert.deepEqual([again.kind, (again as { seq: number }).seq], ['live', 50]);
  assert.deepEqual(sync.book.top(), { bids: [['98', '4']], asks: [['102', '4']] });
  assert.equal(sync.seq, 50);
  assert.equal(sync.onUpdate(msg('update', 50, 51, [['98', '5']])).kind, 'applied');
});

test('rule 2: an update applies iff prevSeqId == last seqId; seqIds need not be consecutive', () => {
  const sync = new OkxBookSync();
  sync.onUpdate(msg('snapshot', -1, 100, [['100', '1']], [['101', '1']]));
  const a = sync.onUpdate(msg('update', 100, 1234, [['100.5', '2']]));
  assert.equal(a.kind, 'applied');
  assert.deepEqual(
    [
      (a as { seq: number }).seq,
      (a as { prevSeq: number }).prevSeq,
      (a as { venueTs: number }).venueTs,
      (a as { bids: Level[] }).bids,
    ],
    [1234, 100, ts * 1000, [['100.5', '2']]],
  );
  // an older/duplicate message is also a break of the chain
  const dup = sync.onUpdate(msg('update', 100, 1234, [['100.5', '2']]));
  assert.equal(dup.kind, 'gap');
  assert.match((dup as { reason: string }).reason, /^okx:prevSeqId!=last: prevSeqId 100 != last seqId 1234/);
  assert.equal(sync.seq, -1);
  assert.deepEqual(sync.onUpdate(msg('update', 1234, 1240)), { kind: 'buffered', needSnapshot: false });
});

test('rule 2: a sequence reset (seqId < prevSeqId) is legal when prevSeqId matches', () => {
  const sync = new OkxBookSync();
  sync.onUpdate(msg('snapshot', -1, 900, [['100', '1']], [['101', '1']]));
  const r = sync.onUpdate(msg('update', 900, 3, [['99', '1']]));
  assert.deepEqual(
    [r.kind, (r as { seq: number }).seq, (r as { prevSeq: number }).prevSeq],
    ['applied', 3, 900],
  );
  assert.equal(sync.onUpdate(msg('update', 3, 8, [], [['102', '1']])).kind, 'applied');
  assert.equal(sync.seq, 8);
});

test('rule 3: keep-alive (seqId == prevSeqId, empty) changes nothing; one with levels is a gap', () => {
  const sync = new OkxBookSync();
  sync.onUpdate(msg('snapshot', -1, 7, [['100', '1']], [['101', '1']]));
  const k = sync.onUpdate(msg('update', 7, 7));
  assert.equal(k.kind, 'ignored');
  assert.equal(sync.seq, 7);
  assert.equal(sync.onUpdate(msg('update', 7, 9, [['100', '2']])).kind, 'applied');
  const bad = sync.onUpdate(msg('update', 9, 9, [['100', '3']]));
  assert.equal(bad.kind, 'gap');
  assert.match((bad as { reason: string }).reason, /keep-alive .* carries levels/);
});

test('rule 4: absolute levels; size 0 deletes, absent deletes are no-ops; price text kept', () => {
  const sync = new OkxBookSync();
  const mirror = new Mirror();
  const steps = [
    msg(
      'snapshot',
      -1,
      1,
      [
        ['100.5', '1'],
        ['100', '2'],
      ],
      [['101', '1']],
    ),
    msg(
      'update',
      1,
      2,
      [
        ['100', '0'],
        ['99.00', '0'],
        ['100.25', '0.5000'],
      ],
      [['101', '3']],
    ),
  ].map((u) => sync.onUpdate(u));
  steps.forEach((s) => mirror.follow(sync, s));
  assert.deepEqual(sync.book.top(), {
    bids: [
      ['100.5', '1'],
      ['100.25', '0.5000'],
    ],
    asks: [['101', '3']],
  });
});

test('rule 5: non-zero checksums are verified on snapshot, update and keep-alive; a mismatch is a gap', () => {
  const sync = new OkxBookSync();
  const snapBook = { bids: [['100', '1']] as Level[], asks: [['101', '1']] as Level[] };
  const snap = withChecksum(msg('snapshot', -1, 1, snapBook.bids, snapBook.asks), snapBook);
  assert.notEqual(snap.data.checksum, 0);
  assert.equal(sync.onUpdate(snap).kind, 'live');
  const after = {
    bids: [
      ['100.1', '2'],
      ['100', '1'],
    ] as Level[],
    asks: [['101', '1']] as Level[],
  };
  assert.equal(sync.onUpdate(withChecksum(msg('update', 1, 2, [['100.1', '2']]), after)).kind, 'applied');
  assert.equal(sync.onUpdate(withChecksum(msg('update', 2, 2), after)).kind, 'ignored');
  // the text matters: "2.0" is the same size but not the same check string
  const respelled = {
    bids: [
      ['100.1', '2.0'],
      ['100', '1'],
    ] as Level[],
    asks: after.asks,
  };
  const bad = sync.onUpdate(withChecksum(msg('update', 2, 3, [['100.1', '2']]), respelled));
  assert.equal(bad.kind, 'gap');
  assert.match((bad as { reason: string }).reason, /^okx:checksum -?\d+ != pushed -?\d+ at seqId 3$/);
  assert.equal(sync.seq, -1);

  const bad2 = new OkxBookSync().onUpdate({ ...snap, data: { ...snap.data, checksum: 12345 } });
  assert.equal(bad2.kind, 'gap', 'a snapshot that fails its checksum is not used');
});

test('rule 5: checksum 0 (the 2026 change) or absent is never a mismatch; verification can be disabled', () => {
  const sync = new OkxBookSync();
  assert.equal(sync.onUpdate(msg('snapshot', -1, 1, [['100', '1']], [['101', '1']], 0)).kind, 'live');
  const noField = msg('update', 1, 2, [['100', '2']]);
  delete (noField.data as { checksum?: number }).checksum;
  assert.equal(sync.onUpdate(noField).kind, 'applied');
  const off = new OkxBookSync({ verifyChecksum: false });
  assert.equal(off.onUpdate(msg('snapshot', -1, 1, [['100', '1']], [['101', '1']], 99)).kind, 'live');
});

test('rule 6: the book is kept to 400 levels; cut levels are published as deletes', () => {
  const sync = new OkxBookSync();
  const mirror = new Mirror();
  const bids = Array.from({ length: 402 }, (_, i) => [String(10_000 - i), '1']);
  const asks = Array.from({ length: 400 }, (_, i) => [String(20_000 + i), '1']);
  mirror.follow(sync, sync.onUpdate(msg('snapshot', -1, 1, bids, asks)));
  assert.deepEqual(sync.book.depth(), { bids: 400, asks: 400 });
  assert.deepEqual(sync.book.bids.top().at(-1), ['9601', '1']);
  const step = sync.onUpdate(msg('update', 1, 2, [], [['19999', '1']]));
  mirror.follow(sync, step);
  assert.deepEqual((step as { asks: Level[] }).asks, [
    ['19999', '1'],
    ['20399', '0'],
  ]);
  assert.deepEqual(sync.book.depth(), { bids: 400, asks: 400 });
  assert.throws(() => new OkxBookSync({ depth: 10 }), RangeError);
});

test('rest mode: events arriving after the snapshot straddle it; covered ones are ignored; a WS snapshot on a live book is a gap', () => {
  const sync = new OkxBookSync({ mode: 'rest' });
  assert.deepEqual(sync.onSnapshot({ asks: [], bids: [], ts: '1', seqId: 5 }), {
    kind: 'buffered',
    needSnapshot: false,
  });
  // nothing buffered: the snapshot is kept, the book waits for the straddling event
  assert.equal(sync.onUpdate(msg('update', 3, 5, [['1', '1']])).kind, 'ignored');
  const live = sync.onUpdate(msg('update', 5, 9, [['2', '1']], [['3', '1']]));
  assert.deepEqual([live.kind, (live as { seq: number }).seq], ['live', 9]);
  assert.equal(sync.onUpdate(msg('update', 9, 10, [['2', '2']])).kind, 'applied');
  assert.equal(sync.onSnapshot({ asks: [], bids: [], ts: '1', seqId: 10 }).kind, 'ignored');
  assert.equal(sync.onUpdate(msg('snapshot', -1, 11)).kind, 'gap');
});

test('rest mode: a buffer that never gets its snapshot is bounded', () => {
  const sync = new OkxBookSync({ mode: 'rest' });
  let last: SyncStep = { kind: 'ignored', reason: '' };
  for (let i = 0; i <= MAX_BUFFERED_EVENTS; i++) last = sync.onUpdate(msg('update', i, i + 1));
  assert.equal(last.kind, 'gap');
  assert.deepEqual(sync.onUpdate(msg('update', 1, 2)), { kind: 'buffered', needSnapshot: true });
});

test('stream mode ignores REST snapshots', () => {
  assert.equal(new OkxBookSync().onSnapshot({ asks: [], bids: [], ts: '1', seqId: 1 }).kind, 'ignored');
});
