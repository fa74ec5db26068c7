import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import {
  encodeBookRequestError,
  binaryCodec,
  type BookDelta,
  type BookSnapshot,
  type Level,
} from '@tickmesh/contracts';
import { BookMirror, type MirrorEvent } from './book-mirror';
import { waitFor } from '@tickmesh/test-harness';
import { gatewayMetrics } from './metrics';

/** Plays NATS: the test publishes book messages and answers snapshot requests. */
class FakeBus {
  handler: WireHandler | undefined;
  readonly requests: { subject: string; body: unknown; answer: (b: Uint8Array | Error) => void }[] = [];
  subscribe(subject: string, handler: WireHandler): BusSubscription {
    this.handler = handler;
    return { subject, unsubscribe: () => (this.handler = undefined) };
  }
  request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.requests.push({
        subject,
        body: JSON.parse(Buffer.from(data).toString()),
        answer: (b) => (b instanceof Error ? reject(b) : resolve(b)),
      });
    });
  }
  publish(m: BookDelta | BookSnapshot): void {
    this.handler?.(m, '', undefined);
  }
  /** Answers the oldest open request. */
  reply(s: BookSnapshot | Uint8Array): void {
    const r = this.requests.shift();
    assert.ok(r, 'a snapshot request is open');
    r.answer(s instanceof Uint8Array ? s : codec.encode(s));
  }
}

const codec = binaryCodec;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const snap = (epoch: number, seq: number, bids: Level[], asks: Level[]): BookSnapshot => ({
  type: 'book.snapshot', venue: 'binance', symbol: 'BTC-USDT', epoch, seq, venueTs: 1, recvTs: 1, bids, asks,
}); // prettier-ignore
const delta = (epoch: number, prevSeq: number, seq: number, bids: Level[], asks: Level[] = []): BookDelta => ({
  type: 'book.delta', venue: 'binance', symbol: 'BTC-USDT', epoch, seq, prevSeq, venueTs: 1, recvTs: 1, bids, asks,
}); // prettier-ignore

function mirror(bus: FakeBus, depth = 200): { m: BookMirror; events: MirrorEvent[] } {
  const m = new BookMirror('binance', 'BTC-USDT', bus, {
    snapshotDepth: depth,
    retryMinMs: 5,
    retryMaxMs: 20,
  });
  const events: MirrorEvent[] = [];
  m.listen((ev) => events.push(ev), 10);
  return { m, events };
}

test('snapshot from the book-builder, then deltas that chain by prevSeq', async () => {
  const bus = new FakeBus();
  const { m, events } = mirror(bus);
  assert.equal(bus.requests.length, 1);
  assert.equal(bus.requests[0]!.subject, 'ctl.v1.book.binance.BTC-USDT');
  assert.deepEqual(bus.requests[0]!.body, { v: 1, depth: 200 });
  assert.equal(m.state, 'snapshotting');
  bus.reply(
    snap(
      3,
      100,
      [
        ['10', '1'],
        ['9', '2'],
      ],
      [['11', '1']],
    ),
  );
  await flush();
  await flush();
  assert.deepEqual(events, ['reset']);
  assert.equal(m.state, 'live');
  bus.publish(
    delta(3, 100, 101, [
      ['10', '0'],
      ['9.5', '4'],
    ]),
  );
  await flush();
  assert.deepEqual(m.view(10), {
    bids: [
      ['9.5', '4'],
      ['9', '2'],
    ],
    asks: [['11', '1']],
  });
  assert.equal(m.seq, 101);
  assert.deepEqual(events, ['reset', 'change']);
  m.close();
});

test('deltas that arrive before the reply are replayed onto it; older ones are skipped', async () => {
  const bus = new FakeBus();
  const { m } = mirror(bus);
  bus.publish(delta(3, 99, 100, [['8', '1']]));
  bus.publish(delta(3, 100, 101, [['7', '1']]));
  bus.publish(delta(3, 101, 102, [['6', '1']]));
  bus.reply(
    snap(
      3,
      100,
      [
        ['10', '1'],
        ['8', '1'],
      ],
      [['11', '1']],
    ),
  );
  await flush();
  await flush();
  assert.equal(m.seq, 102);
  assert.deepEqual(m.view(10).bids, [
    ['10', '1'],
    ['8', '1'],
    ['7', '1'],
    ['6', '1'],
  ]);
  m.close();
});

test('a gap freezes the book (resyncing) and re-requests a snapshot; the new one resets listeners', async () => {
  const bus = new FakeBus();
  const { m, events } = mirror(bus);
  bus.reply(snap(3, 100, [['10', '1']], [['11', '1']]));
  await flush();
  await flush();
  bus.publish(delta(3, 105, 106, [['10', '5']])); // 101..105 lost
  await flush();
  assert.equal(m.state, 'resyncing');
  assert.deepEqual(m.view(10).bids, [['10', '1']], 'nothing applied across the gap');
  assert.equal(bus.requests.length, 1, 'a new snapshot is requested');
  bus.publish(delta(3, 106, 107, [['10', '6']]));
  bus.reply(snap(3, 106, [['10', '5']], [['11', '1']]));
  await flush();
  await flush();
  assert.equal(m.state, 'live');
  assert.equal(m.seq, 107);
  assert.deepEqual(m.view(10).bids, [['10', '6']]);
  assert.deepEqual(events, ['reset', 'change', 'reset']);
  m.close();
});

test('a delta of a new epoch, or a live status of a newer epoch, re-requests the snapshot', async () => {
  const bus = new FakeBus();
  const { m } = mirror(bus);
  bus.reply(snap(3, 100, [['10', '1']], [['11', '1']]));
  await flush();
  bus.publish(delta(4, 5, 6, [['10', '2']]));
  assert.equal(m.state, 'resyncing');
  bus.reply(snap(4, 6, [['10', '2']], [['11', '1']]));
  await flush();
  await flush();
  assert.equal(m.state, 'live');
  assert.equal(m.epoch, 4);
  m.onStatus('live', 5);
  assert.equal(m.state, 'resyncing');
  assert.equal(bus.requests.length, 1);
  m.onStatus('stale', 5);
  bus.reply(snap(5, 1, [['10', '3']], [['11', '1']]));
  await flush();
  assert.equal(m.state, 'stale', 'the venue state is reported once continuous');
  m.close();
});

test('an error reply is retried with backoff; a full snapshot published by the ingestor also serves', async () => {
  const bus = new FakeBus();
  const { m } = mirror(bus);
  bus.reply(encodeBookRequestError({ error: 'binance BTC-USDT is resyncing', state: 'resyncing' }));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(bus.requests.length, 1, 'retried');
  bus.publish(snap(9, 50, [['10', '1']], [['11', '1']]));
  await flush();
  assert.equal(m.state, 'live');
  assert.equal(m.epoch, 9);
  bus.reply(snap(9, 49, [['10', '1']], [['11', '1']])); // late reply, older: refresh path keeps seq 50
  await flush();
  assert.equal(m.seq >= 49, true);
  m.close();
});

test('never serves levels below a depth snapshot; refreshes when too few known levels remain', async () => {
  const bus = new FakeBus();
  const m = new BookMirror('binance', 'BTC-USDT', bus, { snapshotDepth: 4 });
  m.listen(() => undefined, 3);
  bus.reply(
    snap(
      1,
      10,
      [
        ['10', '1'],
        ['9', '1'],
        ['8', '1'],
        ['7', '1'],
      ],
      [['11', '1']],
    ),
  );
  await flush();
  // a level below the snapshot's worst one: the real book may hold others above it
  bus.publish(delta(1, 10, 11, [['5', '1']]));
  assert.deepEqual(m.view(10).bids, [
    ['10', '1'],
    ['9', '1'],
    ['8', '1'],
    ['7', '1'],
  ]);
  assert.equal(bus.requests.length, 0);
  bus.publish(
    delta(1, 11, 12, [
      ['10', '0'],
      ['9', '0'],
    ]),
  );
  assert.deepEqual(
    m.view(3).bids,
    [
      ['8', '1'],
      ['7', '1'],
    ],
    'shallower, never wrong',
  );
  assert.equal(bus.requests.length, 1, 'refresh requested');
  bus.reply(
    snap(
      1,
      12,
      [
        ['8', '1'],
        ['7', '1'],
        ['6', '1'],
        ['5', '1'],
      ],
      [['11', '1']],
    ),
  );
  await flush();
  assert.deepEqual(m.view(3).bids, [
    ['8', '1'],
    ['7', '1'],
    ['6', '1'],
  ]);
  assert.equal(m.state, 'live');
  m.close();
});

test('metrics: requests by result, a resync and the frozen gauge; a limiter permit per request', async () => {
  const bus = new FakeBus();
  const permits: string[] = [];
  let allow = true;
  const limiter = {
    tryAcquire: () => {
      if (!allow) return undefined;
      permits.push('taken');
      return {
        success: () => permits.push('success'),
        dropped: () => permits.push('dropped'),
        ignore: () => permits.push('ignore'),
      };
    },
  };
  const before = {
    ok: gatewayMetrics.bookRequestsOf('ok'),
    shed: gatewayMetrics.bookRequestsOf('shed'),
    resyncs: gatewayMetrics.bookResyncsCount(),
    frozen: gatewayMetrics.frozenMirrors,
  };
  const m = new BookMirror('binance', 'BTC-USDT', bus, { retryMinMs: 5, retryMaxMs: 20 }, limiter);
  bus.reply(snap(1, 10, [['100', '1']], [['101', '1']]));
  await flush();
  assert.deepEqual(permits, ['taken', 'success']);
  assert.equal(gatewayMetrics.bookRequestsOf('ok'), before.ok + 1);
  // a gap: frozen, one resync, and the re-request is shed while no permit is available
  allow = false;
  bus.publish(delta(1, 12, 13, [['100', '2']]));
  await flush();
  assert.equal(m.state, 'resyncing');
  assert.equal(gatewayMetrics.bookResyncsCount(), before.resyncs + 1);
  assert.equal(gatewayMetrics.frozenMirrors, before.frozen + 1);
  assert.equal(gatewayMetrics.bookRequestsOf('shed'), before.shed + 1);
  assert.equal(bus.requests.length, 0);
  allow = true;
  // the retry timer (5 ms) asks again
  await waitFor(() => bus.requests.length === 1, { timeoutMs: 1000, intervalMs: 2, message: 'retried' });
  bus.reply(snap(1, 20, [['100', '3']], [['101', '1']]));
  await flush();
  assert.equal(m.state, 'live');
  assert.equal(gatewayMetrics.frozenMirrors, before.frozen);
  assert.deepEqual(permits, ['taken', 'success', 'taken', 'success']);
  m.close();
});
