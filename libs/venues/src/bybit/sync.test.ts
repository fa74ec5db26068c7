import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OrderBook } from '@tickmesh/book';
import type { Level } from '@tickmesh/contracts';
import type { SyncStep } from '../core/adapter';
import { parseFrame } from './parse';
import type { OrderbookMessage } from './raw';
import { BybitBookSync } from './sync';

interface Book {
  u?: number;
  bids: Level[];
  asks: Level[];
}

interface Scenario {
  name: string;
  messages?: OrderbookMessage[];
  expected: Record<string, unknown>;
}

const scenarios = (
  JSON.parse(
    readFileSync(new URL('../../test/fixtures/bybit/synthetic-scenarios.json', import.meta.url), 'utf8'),
  ) as { scenarios: Scenario[] }
).scenarios;
const scenario = (prefix: string): Scenario => scenarios.find((s) => s.name.startsWith(prefix))!;

/** A consumer that only sees what the engine publishes: `live` snapshots and `applied` levels. */
class Mirror {
  readonly book = new OrderBook();
  seq = -1;

  follow(sync: BybitBookSync, step: SyncStep): void {
    if (step.kind === 'live') {
      const top = sync.book.top();
      this.book.applySnapshot(top.bids, top.asks);
      this.seq = step.seq;
    } else if (step.kind === 'applied') {
      assert.equal(step.prevSeq, this.seq, 'applied steps chain');
      this.book.applyDelta(step.bids, step.asks);
      this.seq = step.seq;
    }
    if (sync.seq >= 0) assert.deepEqual(this.book.top(), sync.book.top(), 'downstream book == sync book');
  }
}

function expectBook(sync: BybitBookSync, want: Book): void {
  if (want.u !== undefined) assert.equal(sync.seq, want.u);
  assert.deepEqual(sync.book.top(), { bids: want.bids, asks: want.asks });
}

const msg = (
  type: 'snapshot' | 'delta',
  u: number,
  b: Level[] = [],
  a: Level[] = [],
  ts = 1000 + u,
): OrderbookMessage => ({
  topic: 'orderbook.50.BTCUSDT',
  type,
  ts,
  data: { s: 'BTCUSDT', b, a, u, seq: u * 10 },
});

test('Y1: snapshot, deltas, a newer snapshot and a u=1 restart give the expected books', () => {
  const sc = scenario('Y1');
  const exp = sc.expected as { afterMessage3: Book; afterMessage5: Book; final: Book; gapDetected: boolean };
  const sync = new BybitBookSync(50);
  const mirror = new Mirror();
  const steps = sc.messages!.map((m, i) => {
    const s = sync.onUpdate(m);
    mirror.follow(sync, s);
    if (i === 2) expectBook(sync, exp.afterMessage3);
    if (i === 4) expectBook(sync, exp.afterMessage5);
    return s.kind;
  });
  expectBook(sync, exp.final);
  assert.equal(exp.gapDetected, false);
  // the first snapshot and the u=1 restart open epochs; the u=5000 snapshot is published as a diff
  assert.deepEqual(steps, ['live', 'applied', 'applied', 'applied', 'applied', 'live', 'applied']);
});

test('Y2: a u jump is a gap; the book at the gap is the last good one', () => {
  const sc = scenario('Y2');
  const exp = sc.expected as { gapAtMessageIndex: number; lastGoodU: number; bookAtGap: Book };
  const sync = new BybitBookSync(200);
  const messages = sc.messages!;
  for (let i = 0; i < exp.gapAtMessageIndex; i++) assert.notEqual(sync.onUpdate(messages[i]!).kind, 'gap');
  assert.equal(sync.seq, exp.lastGoodU);
  expectBook(sync, exp.bookAtGap);
  const s = sync.onUpdate(messages[exp.gapAtMessageIndex]!);
  assert.equal(s.kind, 'gap');
  if (s.kind === 'gap') assert.match(s.reason, /^bybit:u jump: u 303 != local u \+ 1 \(302\)$/);
  assert.equal(sync.seq, -1, 'the book is discarded');
  assert.deepEqual(sync.book.depth(), { bids: 0, asks: 0 });
});

test('Y3: the level-1 re-push with the same u is not a duplicate or a gap', () => {
  const sc = scenario('Y3');
  const exp = sc.expected as { final: Book; gapDetected: boolean };
  const sync = new BybitBookSync(1);
  const mirror = new Mirror();
  const kinds = sc.messages!.map((m) => {
    const s = sync.onUpdate(m);
    mirror.follow(sync, s);
    return s.kind;
  });
  assert.deepEqual(kinds, ['live', 'ignored', 'applied']);
  expectBook(sync, exp.final);
});

test('rule: the snapshot makes the book live at its u, with ts in µs', () => {
  const sync = new BybitBookSync(50);
  const s = sync.onUpdate(msg('snapshot', 10, [['100.0', '1']], [['101.0', '2']], 1672304484978));
  assert.deepEqual(s, { kind: 'live', seq: 10, venueTs: 1672304484978000 });
  assert.equal(sync.seq, 10);
  expectBook(sync, { bids: [['100.0', '1']], asks: [['101.0', '2']] });
});

test('rule: deltas before the first snapshot are not usable (buffered, no REST snapshot asked)', () => {
  const sync = new BybitBookSync(50);
  assert.deepEqual(sync.onUpdate(msg('delta', 5, [['1.0', '1']])), { kind: 'buffered', needSnapshot: false });
  assert.equal(sync.onUpdate(msg('snapshot', 9)).kind, 'live');
  assert.deepEqual(sync.book.depth(), { bids: 0, asks: 0 });
});

test('rule: a delta with u = previous u + 1 applies absolute levels (0 deletes, absent delete is a no-op)', () => {
  const sync = new BybitBookSync(50);
  sync.onUpdate(
    msg(
      'snapshot',
      10,
      [
        ['100.0', '1'],
        ['99.0', '1'],
      ],
      [['101.0', '2']],
    ),
  );
  const s = sync.onUpdate(
    msg(
      'delta',
      11,
      [
        ['99.0', '0'],
        ['98.0', '0'],
        ['100.0', '3'],
      ],
      [['101.5', '1']],
    ),
  );
  assert.deepEqual(s, {
    kind: 'applied',
    seq: 11,
    prevSeq: 10,
    venueTs: 1011000,
    bids: [
      ['99.0', '0'],
      ['98.0', '0'],
      ['100.0', '3'],
    ],
    asks: [['101.5', '1']],
  });
  expectBook(sync, {
    u: 11,
    bids: [['100.0', '3']],
    asks: [
      ['101.0', '2'],
      ['101.5', '1'],
    ],
  });
});

test('rule: a gap resets the book; deltas wait for the next snapshot (re-subscription)', () => {
  const sync = new BybitBookSync(50);
  sync.onUpdate(msg('snapshot', 10, [['100.0', '1']], [['101.0', '2']]));
  const gap = sync.onUpdate(msg('delta', 12, [['100.0', '5']]));
  assert.equal(gap.kind, 'gap');
  assert.equal(sync.onUpdate(msg('delta', 13)).kind, 'buffered');
  const live = sync.onUpdate(msg('snapshot', 20, [['100.0', '7']], [['101.0', '1']]));
  assert.equal(live.kind, 'live');
  expectBook(sync, { u: 20, bids: [['100.0', '7']], asks: [['101.0', '1']] });
  assert.equal(sync.onUpdate(msg('delta', 21, [['100.0', '8']])).kind, 'applied');
});

test('rule: u = 1 is a restart: even in a delta it overwrites the book and opens a new epoch', () => {
  const sync = new BybitBookSync(50);
  sync.onUpdate(
    msg(
      'snapshot',
      500,
      [
        ['100.0', '1'],
        ['99.0', '1'],
      ],
      [['101.0', '2']],
    ),
  );
  sync.onUpdate(msg('delta', 501, [['98.0', '1']]));
  const s = sync.onUpdate(msg('delta', 1, [['90.0', '1']], [['91.0', '1']]));
  assert.equal(s.kind, 'live');
  expectBook(sync, { u: 1, bids: [['90.0', '1']], asks: [['91.0', '1']] });
  assert.equal(sync.onUpdate(msg('delta', 2, [['90.5', '2']])).kind, 'applied');
  assert.equal(sync.seq, 2);
});

test('rule: duplicate and old u are ignored and leave the book unchanged', () => {
  const sync = new BybitBookSync(50);
  sync.onUpdate(msg('snapshot', 10, [['100.0', '1']], [['101.0', '2']]));
  sync.onUpdate(msg('delta', 11, [['100.0', '2']]));
  for (const u of [11, 10, 3]) {
    const s = sync.onUpdate(msg('delta', u, [['100.0', '9']]));
    assert.equal(s.kind, 'ignored', `u ${u}`);
  }
  expectBook(sync, { u: 11, bids: [['100.0', '2']], asks: [['101.0', '2']] });
});

test('rule: a new snapshot mid-stream replaces the book and is published as the difference', () => {
  const sync = new BybitBookSync(50);
  sync.onUpdate(
    msg(
      'snapshot',
      10,
      [
        ['100.0', '1'],
        ['99.0', '1'],
      ],
      [['101.0', '2']],
    ),
  );
  const s = sync.onUpdate(
    msg(
      'snapshot',
      40,
      [
        ['100.0', '1'],
        ['98.0', '4'],
      ],
      [['101.0', '3']],
    ),
  );
  assert.deepEqual(s, {
    kind: 'applied',
    seq: 40,
    prevSeq: 10,
    venueTs: 1040000,
    bids: [
      ['99.0', '0'],
      ['98.0', '4'],
    ],
    asks: [['101.0', '3']],
  });
  expectBook(sync, {
    u: 40,
    bids: [
      ['100.0', '1'],
      ['98.0', '4'],
    ],
    asks: [['101.0', '3']],
  });
  // a snapshot with an older u cannot be chained: new epoch
  assert.equal(sync.onUpdate(msg('snapshot', 30, [['50.0', '1']])).kind, 'live');
  // same u, different content: new epoch as well
  assert.equal(sync.onUpdate(msg('snapshot', 30, [['51.0', '1']])).kind, 'live');
  expectBook(sync, { u: 30, bids: [['51.0', '1']], asks: [] });
});

test('rule: the book is truncated to the depth, and truncations are published as deletes', () => {
  const sync = new BybitBookSync(2);
  const mirror = new Mirror();
  const steps = [
    msg(
      'snapshot',
      1,
      [
        ['100', '1'],
        ['99', '1'],
        ['98', '1'],
      ],
      [['101', '1']],
    ),
    msg(
      'delta',
      2,
      [['100.5', '2']],
      [
        ['100.8', '1'],
        ['100.9', '1'],
      ],
    ),
    msg('delta', 3, [['100.5', '0']], []),
    msg('delta', 4, [['99', '7']], []),
  ];
  const applied: SyncStep[] = [];
  for (const m of steps) {
    const s = sync.onUpdate(m);
    mirror.follow(sync, s);
    applied.push(s);
  }
  assert.deepEqual(applied[0], { kind: 'live', seq: 1, venueTs: 1001000 });
  const second = applied[1]!;
  assert.equal(second.kind, 'applied');
  if (second.kind === 'applied') {
    assert.deepEqual(second.bids, [
      ['100.5', '2'],
      ['99', '0'],
    ]);
    assert.deepEqual(second.asks, [
      ['100.8', '1'],
      ['100.9', '1'],
      ['101', '0'],
    ]);
  }
  // after 100.5 left (u=3) one bid remained; the venue re-sent 99, which re-entered the window (u=4)
  expectBook(sync, {
    u: 4,
    bids: [
      ['100', '1'],
      ['99', '7'],
    ],
    asks: [
      ['100.8', '1'],
      ['100.9', '1'],
    ],
  });
});

test('the documentation delta sample applies on a book at u - 1', () => {
  const samples = JSON.parse(
    readFileSync(new URL('../../test/fixtures/bybit/format-samples.json', import.meta.url), 'utf8'),
  ) as { samples: { name: string; message?: unknown }[] };
  const delta = samples.samples.find((s) => s.name === 'orderbook delta (doc)')!.message;
  const [ev] = parseFrame(JSON.stringify(delta), { depth: 50 });
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  const sync = new BybitBookSync(50);
  sync.onUpdate({
    ...ev.update,
    type: 'snapshot',
    data: { ...ev.update.data, u: 177400506, b: [['30240.00', '1.000']], a: [['30248.70', '0.500']] },
  });
  const s = sync.onUpdate(ev.update);
  assert.equal(s.kind, 'applied');
  if (s.kind !== 'applied') return;
  assert.equal(s.seq, 177400507);
  assert.equal(s.venueTs, 1687940967466000);
  assert.deepEqual(sync.book.bestBid(), ['30247.20', '30.028']);
  assert.deepEqual(sync.book.bestAsk(), ['30249.30', '0.892']);
  assert.equal(sync.book.bids.get('30240.00'), undefined, 'size "0" deleted the level');
});
