import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import { parseChannel, type Channel, type TopOfBook } from '@tickmesh/contracts';
import { ChannelHub, type BusSubscriber, type Subscriber } from './channel-hub';
import type { Frame } from './frame';
import type { RedisTob, SnapshotStore } from './snapshot-store';

/** In-memory bus: the test plays NATS by calling the registered handlers. */
class FakeBus implements BusSubscriber {
  readonly handlers = new Map<string, WireHandler>();
  subscribe(subject: string, handler: WireHandler): BusSubscription {
    this.handlers.set(subject, handler);
    return { subject, unsubscribe: () => this.handlers.delete(subject) };
  }
  subscribeRaw(subject: string): BusSubscription {
    return { subject, unsubscribe: () => undefined };
  }
  request(): Promise<Uint8Array> {
    return Promise.reject(new Error('no responder'));
  }
  publish(t: TopOfBook): void {
    this.handlers.get(`md.v1.tob.${t.venue}.${t.symbol}`)?.(t, '', undefined);
  }
}

/** A Redis stand-in whose reads resolve when the test says so. */
class ManualStore implements SnapshotStore {
  resolve: ((v: RedisTob | undefined) => void) | undefined;
  reads = 0;
  tob(_ch: Channel): Promise<RedisTob | undefined> {
    this.reads++;
    return new Promise((r) => (this.resolve = r));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class Recorder implements Subscriber {
  readonly frames: Frame[] = [];
  onDeliver: (() => void) | undefined;
  deliver(f: Frame): void {
    this.frames.push(f);
    this.onDeliver?.();
  }
  get seqs(): [string, number][] {
    return this.frames.map((f) => {
      const m = JSON.parse(f.json) as { type: string; seq: number };
      return [m.type, m.seq];
    });
  }
}

const name = 'tob.binance.BTC-USDT';
const ch = parseChannel(name)!;
const tob = (seq: number, epoch = 1): TopOfBook => ({
  type: 'tob', venue: 'binance', symbol: 'BTC-USDT', bidPx: '1', bidSz: '1', askPx: '2', askSz: '1',
  epoch, seq, state: 'live', venueTs: 1, recvTs: 1, bookTs: 1,
}); // prettier-ignore
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an update that arrives during the Redis read wins; the late Redis value is ignored', async () => {
  const bus = new FakeBus();
  const store = new ManualStore();
  const hub = new ChannelHub(bus, store);
  const a = new Recorder();
  hub.join(name, ch, a);
  bus.publish(tob(5));
  store.resolve!({ ...tob(4), updatedAt: 1 });
  await flush();
  bus.publish(tob(6));
  assert.deepEqual(a.seqs, [
    ['snapshot', 1],
    ['update', 2],
  ]);
});

test('after a Redis snapshot, NATS messages at or before its book position are dropped', async () => {
  const bus = new FakeBus();
  const store = new ManualStore();
  const hub = new ChannelHub(bus, store);
  const a = new Recorder();
  hub.join(name, ch, a);
  store.resolve!({ ...tob(10), updatedAt: 1 });
  await flush();
  for (const s of [9, 10, 11, 12]) bus.publish(tob(s));
  assert.deepEqual(a.seqs, [
    ['snapshot', 0],
    ['update', 1],
    ['update', 2],
  ]);
  assert.match(a.frames[1]!.json, /"seq":11,/);
});

test('joiners share one Redis read and one snapshot frame; the entry goes with the last leave', async () => {
  const bus = new FakeBus();
  const store = new ManualStore();
  const hub = new ChannelHub(bus, store);
  const [a, b] = [new Recorder(), new Recorder()];
  hub.join(name, ch, a);
  hub.join(name, ch, b);
  assert.equal(store.reads, 1);
  store.resolve!({ ...tob(1), updatedAt: 1 });
  await flush();
  assert.equal(a.frames[0], b.frames[0], 'the same Frame object');
  hub.leave(name, a);
  assert.equal(bus.handlers.size, 1);
  hub.leave(name, b);
  assert.equal(bus.handlers.size, 0);
  assert.equal(hub.size, 0);
});

test('a subscriber that leaves while receiving does not disturb the others', () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, new ManualStore());
  const [a, b, c] = [new Recorder(), new Recorder(), new Recorder()];
  for (const r of [a, b, c]) hub.join(name, ch, r);
  bus.publish(tob(1));
  b.onDeliver = () => hub.leave(name, b); // e.g. a slow-consumer close during fan-out
  bus.publish(tob(2));
  bus.publish(tob(3));
  assert.deepEqual(a.seqs, [
    ['snapshot', 1],
    ['update', 2],
    ['update', 3],
  ]);
  assert.deepEqual(b.seqs, [
    ['snapshot', 1],
    ['update', 2],
  ]);
  assert.deepEqual(c.seqs, a.seqs);
});

test('a waiting subscriber that leaves on its snapshot does not take the channel from the others', () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, new ManualStore());
  const [a, b] = [new Recorder(), new Recorder()];
  hub.join(name, ch, a);
  hub.join(name, ch, b);
  a.onDeliver = () => hub.leave(name, a);
  bus.publish(tob(1));
  bus.publish(tob(2));
  assert.deepEqual(b.seqs, [
    ['snapshot', 1],
    ['update', 2],
  ]);
  assert.equal(hub.size, 1);
});

test('a lingering channel keeps its NATS interest and sequence; resume replays exactly the missed frames', async () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, new ManualStore(), { lingerMs: 30, historySize: 3 });
  const a = new Recorder();
  hub.join(name, ch, a);
  bus.publish(tob(1));
  bus.publish(tob(2));
  const epoch = (JSON.parse(a.frames[0]!.json) as { epoch: number }).epoch;
  hub.leave(name, a);
  assert.equal(bus.handlers.size, 1, 'still listening during the linger');
  bus.publish(tob(3));
  bus.publish(tob(4));

  const b = new Recorder();
  hub.join(name, ch, b, { epoch, seq: 2 });
  assert.deepEqual(b.seqs, [
    ['resumed', undefined],
    ['update', 3],
    ['update', 4],
  ] as unknown as [string, number][]);
  const c = new Recorder();
  hub.join(name, ch, c, { epoch, seq: 0 }); // 1 is gone: history holds 2..4
  assert.deepEqual(JSON.parse(c.frames[0]!.json), { type: 'not_recovered', ch: name, reason: 'too old' });
  assert.deepEqual(c.seqs.slice(1), [['snapshot', 4]]);

  hub.leave(name, b);
  hub.leave(name, c);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(hub.size, 0, 'dropped after the linger');
  assert.equal(bus.handlers.size, 0);
  const d = new Recorder();
  hub.join(name, ch, d, { epoch, seq: 4 });
  assert.deepEqual(JSON.parse(d.frames[0]!.json), {
    type: 'not_recovered',
    ch: name,
    reason: 'epoch changed',
  });
  hub.close();
});
