/**
 * Hub behaviour of the trades, book, stats and consolidated channels, wildcard expansion and the
 * instrument list, with an in-memory bus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusSubscription, RawHandler, WireHandler } from '@tickmesh/bus';
import {
  binaryCodec,
  encodeBookStats,
  parseChannel,
  parseChannelPattern,
  type BookSnapshot,
  type BookViewData,
  type BookStats,
  type Trade,
  type TradesData,
  type WireMessage,
} from '@tickmesh/contracts';
import { ChannelHub, type BusSubscriber, type Subscriber } from './channel-hub';
import type { Frame } from './frame';
import { admitChannels } from './inbound';
import { InstrumentRegistry } from './instruments';
import type { SnapshotStore } from './snapshot-store';

class FakeBus implements BusSubscriber {
  readonly handlers = new Map<string, WireHandler>();
  readonly raw = new Map<string, RawHandler>();
  readonly requests: ((b: Uint8Array) => void)[] = [];
  subscribe(subject: string, handler: WireHandler): BusSubscription {
    this.handlers.set(subject, handler);
    return { subject, unsubscribe: () => this.handlers.delete(subject) };
  }
  subscribeRaw(subject: string, handler: RawHandler): BusSubscription {
    this.raw.set(subject, handler);
    return { subject, unsubscribe: () => this.raw.delete(subject) };
  }
  request(): Promise<Uint8Array> {
    return new Promise((r) => this.requests.push(r));
  }
  emit(subject: string, m: WireMessage): void {
    this.handlers.get(subject)?.(m, subject, undefined);
  }
}

const store: SnapshotStore = { tob: () => Promise.resolve(undefined), close: () => Promise.resolve() };

class Recorder implements Subscriber {
  readonly frames: Frame[] = [];
  deliver(f: Frame): void {
    this.frames.push(f);
  }
  msgs<T>(): { type: string; seq: number; data: T }[] {
    return this.frames.map((f) => JSON.parse(f.json) as { type: string; seq: number; data: T });
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const trade = (id: number): Trade => ({
  type: 'trade', venue: 'binance', symbol: 'BTC-USDT', id: String(id), price: `100.${id}`, size: '0.5',
  side: 'buy', venueTs: 1, recvTs: 2,
}); // prettier-ignore

test('trades: an empty snapshot at once, one update per event-loop turn, the last N as snapshot', async () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, store, { tradesSnapshotSize: 3 });
  const name = 'trades.binance.BTC-USDT';
  const a = new Recorder();
  hub.join(name, parseChannel(name)!, a);
  assert.deepEqual(a.msgs<TradesData>()[0], {
    type: 'snapshot', ch: name, seq: 0, epoch: JSON.parse(a.frames[0]!.json).epoch,
    data: { venue: 'binance', symbol: 'BTC-USDT', trades: [] },
  }); // prettier-ignore
  for (let i = 1; i <= 5; i++) bus.emit('md.v1.trade.binance.BTC-USDT', trade(i));
  await flush();
  bus.emit('md.v1.trade.binance.BTC-USDT', trade(6));
  await flush();
  const ups = a.msgs<TradesData>().filter((m) => m.type === 'update');
  assert.deepEqual(
    ups.map((m) => [m.seq, m.data.trades.map((t) => t.id)]),
    [
      [1, ['1', '2', '3', '4', '5']],
      [2, ['6']],
    ],
  );
  assert.equal(ups[0]!.data.trades[0]!.price, '100.1');
  assert.equal(a.frames[1]!.policy, 'drop', 'trades are never replaced');
  const b = new Recorder();
  hub.join(name, parseChannel(name)!, b);
  const snap = b.msgs<TradesData>()[0]!;
  assert.equal(snap.type, 'snapshot');
  assert.equal(snap.seq, 2);
  assert.deepEqual(
    snap.data.trades.map((t) => t.id),
    ['4', '5', '6'],
    'ring of the last 3',
  );
  hub.close();
});

test('stats: JSON-only subject, validated; the first message is the snapshot', async () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, store);
  const name = 'stats.binance.BTC-USDT';
  const a = new Recorder();
  hub.join(name, parseChannel(name)!, a);
  assert.equal(a.frames.length, 0);
  const raw = bus.raw.get('md.v1.stats.binance.BTC-USDT')!;
  raw(new TextEncoder().encode('{"v":1,"type":"stats"}'), '', undefined, undefined); // invalid: ignored
  const s: BookStats = {
    type: 'stats', venue: 'binance', symbol: 'BTC-USDT', state: 'live', windowMs: 10000, messagesPerSec: 5,
    updatesPerSec: 4, tradesPerSec: 1, spreadBps: 1.5, bidDepth: 20, askDepth: 20, resyncs: 0, crossed: 0, ts: 9,
  }; // prettier-ignore
  raw(encodeBookStats(s), '', undefined, undefined);
  const m = a.msgs<Record<string, unknown>>();
  assert.equal(m.length, 1);
  assert.equal(m[0]!.type, 'snapshot');
  const { type: _t, ...data } = s;
  assert.deepEqual(m[0]!.data, data);
  hub.close();
});

test('book: one mirror per instrument, one entry per tier; diffs per tier; resync as a snapshot', async () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, store);
  const name = 'book.binance.BTC-USDT';
  const ch = parseChannel(name)!;
  const a = new Recorder();
  const b = new Recorder();
  hub.join(name, ch, a, undefined, 10);
  hub.join(name, ch, b, undefined, 25);
  assert.equal(bus.requests.length, 1, 'one snapshot request for both tiers');
  assert.deepEqual(hub.subjects(), ['md.v1.book.binance.BTC-USDT']);
  const bids = Array.from({ length: 30 }, (_, i) => [`${100 - i}`, '1'] as [string, string]);
  const s: BookSnapshot = {
    type: 'book.snapshot', venue: 'binance', symbol: 'BTC-USDT', epoch: 1, seq: 10, venueTs: 1, recvTs: 1,
    bids, asks: [['101', '2']],
  }; // prettier-ignore
  bus.requests.shift()!(binaryCodec.encode(s));
  await flush();
  await flush();
  const sa = a.msgs<BookViewData>()[0]!;
  assert.equal(sa.type, 'snapshot');
  assert.equal(sa.data.depth, 10);
  assert.equal(sa.data.bids.length, 10);
  assert.equal(sa.data.bookSeq, 10);
  assert.equal(sa.data.state, 'live');
  assert.equal(b.msgs<BookViewData>()[0]!.data.bids.length, 25);
  // remove the best bid: tier 10 sees it leave and level 91 enter
  bus.emit('md.v1.book.binance.BTC-USDT', {
    type: 'book.delta', venue: 'binance', symbol: 'BTC-USDT', epoch: 1, seq: 11, prevSeq: 10, venueTs: 1, recvTs: 1,
    bids: [['100', '0']], asks: [],
  }); // prettier-ignore
  await flush();
  const ua = a.msgs<BookViewData>()[1]!;
  assert.equal(ua.type, 'update');
  assert.equal(ua.seq, 1);
  assert.deepEqual(ua.data.bids, [
    ['90', '1'],
    ['100', '0'],
  ]);
  assert.deepEqual(b.msgs<BookViewData>()[1]!.data.bids, [
    ['75', '1'],
    ['100', '0'],
  ]);
  // a gap: state update, then after the new snapshot a snapshot-type message in sequence
  bus.emit('md.v1.book.binance.BTC-USDT', {
    type: 'book.delta', venue: 'binance', symbol: 'BTC-USDT', epoch: 1, seq: 20, prevSeq: 19, venueTs: 1, recvTs: 1,
    bids: [['99', '5']], asks: [],
  }); // prettier-ignore
  await flush();
  const st = a.msgs<BookViewData>()[2]!;
  assert.equal(st.type, 'update');
  assert.equal(st.data.state, 'resyncing');
  assert.deepEqual(st.data.bids, [], 'nothing applied across the gap');
  bus.requests.shift()!(binaryCodec.encode({ ...s, epoch: 2, seq: 1, bids: [['50', '1']] }));
  await flush();
  await flush();
  const rs = a.msgs<BookViewData>()[3]!;
  assert.equal(rs.type, 'snapshot');
  assert.equal(rs.seq, 3);
  assert.deepEqual(rs.data.bids, [['50', '1']]);
  assert.equal(rs.data.bookEpoch, 2);
  hub.leave(name, a, 10);
  hub.leave(name, b, 25);
  assert.deepEqual(hub.subjects(), []);
  assert.equal(bus.handlers.size, 0, 'the mirror unsubscribed with its last tier');
  hub.close();
});

test('book: a tier joined after the mirror has its book gets its snapshot at once, on a quiet book', async () => {
  const bus = new FakeBus();
  const hub = new ChannelHub(bus, store);
  const name = 'book.binance.BTC-USDT';
  const ch = parseChannel(name)!;
  const a = new Recorder();
  hub.join(name, ch, a, undefined, 10);
  const bids = Array.from({ length: 30 }, (_, i) => [`${100 - i}`, '1'] as [string, string]);
  const s: BookSnapshot = {
    type: 'book.snapshot', venue: 'binance', symbol: 'BTC-USDT', epoch: 1, seq: 10, venueTs: 1, recvTs: 1,
    bids, asks: [['101', '2']],
  }; // prettier-ignore
  bus.requests.shift()!(binaryCodec.encode(s));
  await flush();
  await flush();
  assert.equal(a.msgs<BookViewData>()[0]!.type, 'snapshot');
  // no delta arrives from now on: the new tier must not wait for one
  const b = new Recorder();
  hub.join(name, ch, b, undefined, 25);
  await flush();
  const sb = b.msgs<BookViewData>();
  assert.equal(sb.length, 1, 'snapshot of the new tier without a book change');
  assert.equal(sb[0]!.type, 'snapshot');
  assert.equal(sb[0]!.data.depth, 25);
  assert.equal(sb[0]!.data.bids.length, 25);
  assert.equal(bus.requests.length, 0, 'served from the mirror, no new depth request');
  hub.close();
});

test('wildcards expand over the known instruments, with a limit; list is sorted', () => {
  const reg = new InstrumentRegistry();
  reg.update('okx', 'BTC-USDT', 'live');
  reg.update('binance', 'ETH-USDT', 'stale');
  reg.update('binance', 'BTC-USDT', 'live');
  assert.deepEqual(reg.list(), [
    { venue: 'binance', symbol: 'BTC-USDT', state: 'live' },
    { venue: 'binance', symbol: 'ETH-USDT', state: 'stale' },
    { venue: 'okx', symbol: 'BTC-USDT', state: 'live' },
  ]);
  const wc = { expand: (p: Parameters<typeof reg.expand>[0]) => reg.expand(p), maxChannels: 2 };
  let a = admitChannels(['tob.*.BTC-USDT', 'status.binance.*'], new Set(), 100, wc);
  assert.deepEqual(a.accepted, [
    'tob.binance.BTC-USDT',
    'tob.okx.BTC-USDT',
    'status.binance.BTC-USDT',
    'status.binance.ETH-USDT',
  ]);
  assert.deepEqual(a.expanded, {
    'tob.*.BTC-USDT': ['tob.binance.BTC-USDT', 'tob.okx.BTC-USDT'],
    'status.binance.*': ['status.binance.BTC-USDT', 'status.binance.ETH-USDT'],
  });
  a = admitChannels(['status.*.*'], new Set(), 100, wc);
  assert.deepEqual(
    a.rejected.map((r) => r.code),
    ['too_many_matches'],
  );
  assert.deepEqual(a.join, []);
  a = admitChannels(['consolidated.*'], new Set(), 100, wc);
  assert.deepEqual(a.accepted, ['consolidated.BTC-USDT', 'consolidated.ETH-USDT']);
  a = admitChannels(['tob.*.XRP-USDT', 'tob.*', 'tob.Binance.*'], new Set(), 100, wc);
  assert.deepEqual(
    a.rejected.map((r) => r.code),
    ['unknown_channel', 'invalid_channel', 'invalid_channel'],
  );
  a = admitChannels(['tob.*.BTC-USDT'], new Set(['tob.okx.BTC-USDT']), 1, wc);
  assert.deepEqual(a.accepted, ['tob.okx.BTC-USDT'], 'the subscription limit still applies');
  assert.deepEqual(
    a.rejected.map((r) => [r.name, r.code]),
    [['tob.binance.BTC-USDT', 'too_many_subscriptions']],
  );
  assert.deepEqual(parseChannelPattern('book.*.*'), { kind: 'book', venue: undefined, symbol: undefined });
  assert.equal(parseChannel('consolidated.BTC-USDT')?.kind, 'consolidated');
  assert.equal(parseChannel('consolidated.binance.BTC-USDT'), undefined);
});
