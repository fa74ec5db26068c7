/**
 * Op batching against a scripted fake socket that records every frame the client sends: the
 * subscribes and unsubscribes of one tick leave as few ops as their kinds and options allow (at
 * most 100 channels each), per-channel call order is kept, and each call still settles on its own
 * channel's answer, as the gateway gives it (services/gateway/src/session.ts): per-channel `error`s
 * first, then one `ack` naming the accepted channels (possibly none); an `error` with the op's id
 * and no channel refuses the whole op.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataMessage } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { TickmeshClient } from './client';
import { TickmeshError, type Subscription } from './types';

import { FakeSocket } from '../test/fake-socket';

const last = (): FakeSocket => FakeSocket.all.at(-1)!;
/** Lets the client send this tick's ops (they leave from a microtask). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const tob = (symbol: string, venue = 'binance'): string => `tob.${venue}.${symbol}`;
const snapshot = (ch: string, seq = 1): DataMessage =>
  ({ type: 'snapshot', ch, seq, epoch: 1, data: { seq } }) as unknown as DataMessage;

async function connected(
  opts: { reconnect?: { baseMs: number; capMs: number } } = {},
): Promise<{ c: TickmeshClient; s: FakeSocket }> {
  FakeSocket.all = [];
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    requestTimeoutMs: 2000,
    ...opts,
  });
  await c.connect();
  return { c, s: last() };
}

/** Subscribes every channel (one tick), answers the op(s), returns the subscriptions. */
async function live(c: TickmeshClient, s: FakeSocket, names: string[]): Promise<Subscription[]> {
  const before = s.sent.length;
  const subs = names.map((n) => c.subscribe(n, () => undefined));
  await tick();
  for (const op of s.sent.slice(before)) s.answer(op);
  return Promise.all(subs);
}

test('N subscribes in one tick leave as one op with N channels; each call resolves on the ack', async () => {
  const { c, s } = await connected();
  const names = Array.from({ length: 40 }, (_, i) => tob(`C${i}-USDT`));
  const subs = names.map((n) => c.subscribe(n, () => undefined));
  assert.equal(s.sent.length, 0, 'nothing sent synchronously');
  await tick();
  assert.equal(s.sent.length, 1);
  const op = s.sent[0]!;
  assert.equal(op['op'], 'subscribe');
  assert.deepEqual(op['channels'], names);
  assert.equal(typeof op['id'], 'number');
  assert.equal(op['conflate_ms'], undefined);
  s.answer(op);
  const done = await Promise.all(subs);
  assert.deepEqual(
    done.map((d) => d.channel),
    names,
  );
  c.close();
});

test('more than 100 channels in one tick are split into ops of at most 100, in call order', async () => {
  const { c, s } = await connected();
  const names = Array.from({ length: 250 }, (_, i) => tob(`C${i}-USDT`));
  const subs = names.map((n) => c.subscribe(n, () => undefined));
  await tick();
  const ops = s.ops('subscribe');
  assert.deepEqual(
    ops.map((o) => (o['channels'] as string[]).length),
    [100, 100, 50],
  );
  assert.deepEqual(
    ops.flatMap((o) => o['channels'] as string[]),
    names,
  );
  assert.equal(new Set(ops.map((o) => o['id'])).size, 3, 'one id per op');
  for (const op of ops) s.answer(op);
  assert.equal((await Promise.all(subs)).length, 250);
  c.close();
});

test('calls with different options leave as separate ops, calls with the same options share one', async () => {
  const { c, s } = await connected();
  const views: string[] = [];
  const a = c.subscribe(tob('A-USDT'), () => undefined);
  const b = c.subscribe(tob('B-USDT'), () => undefined, { conflateMs: 250 });
  c.book('binance', 'A-USDT', { depth: 10, conflateMs: 250 }, (v) => views.push(v.symbol));
  const d = c.subscribe(tob('D-USDT'), () => undefined);
  const e = c.subscribe(tob('E-USDT'), () => undefined, { conflateMs: 250 });
  c.book('binance', 'B-USDT', { depth: 10, conflateMs: 250 }, (v) => views.push(v.symbol));
  await tick();
  const ops = s.ops('subscribe').map((o) => ({ ...o, id: undefined }));
  assert.deepEqual(ops, [
    { op: 'subscribe', id: undefined, channels: [tob('A-USDT'), tob('D-USDT')] },
    { op: 'subscribe', id: undefined, channels: [tob('B-USDT'), tob('E-USDT')], conflate_ms: 250 },
    {
      op: 'subscribe',
      id: undefined,
      channels: ['book.binance.A-USDT', 'book.binance.B-USDT'],
      conflate_ms: 250,
      depth: 10,
    },
  ]);
  for (const op of s.ops('subscribe')) s.answer(op);
  await Promise.all([a, b, d, e]);
  c.close();
});

test('a per-channel error rejects only its caller; an all-refused op (empty ack) rejects each', async () => {
  const { c, s } = await connected();
  const errors: TickmeshError[] = [];
  c.on('error', (err) => errors.push(err));
  const ok1 = c.subscribe(tob('A-USDT'), () => undefined);
  const bad = c.subscribe('tob.nope', () => undefined);
  const busy = c.subscribe(tob('B-USDT'), () => undefined);
  const ok2 = c.subscribe(tob('C-USDT'), () => undefined);
  await tick();
  assert.equal(s.sent.length, 1);
  const op = s.sent[0]!;
  s.serve({ type: 'error', id: op['id'], code: 'invalid_channel', message: 'bad', channel: 'tob.nope' });
  s.serve({
    type: 'error',
    id: op['id'],
    code: 'overloaded',
    message: 'busy',
    channel: tob('B-USDT'),
    retryAfterMs: 500,
  });
  s.serve({ type: 'ack', id: op['id'], op: 'subscribe', channels: [tob('A-USDT'), tob('C-USDT')] });
  assert.equal((await ok1).channel, tob('A-USDT'));
  assert.equal((await ok2).channel, tob('C-USDT'));
  await assert.rejects(bad, (e: TickmeshError) => e.code === 'invalid_channel' && e.channel === 'tob.nope');
  await assert.rejects(
    busy,
    (e: TickmeshError) => e.code === 'overloaded' && e.channel === tob('B-USDT') && e.retryAfterMs === 500,
  );

  // every channel refused: the gateway still acks (with no channel)
  const x = c.subscribe('tob.x', () => undefined);
  const y = c.subscribe('tob.y', () => undefined);
  await tick();
  const op2 = s.sent[1]!;
  assert.deepEqual(op2['channels'], ['tob.x', 'tob.y']);
  s.answer(op2, { 'tob.x': 'invalid_channel', 'tob.y': 'invalid_channel' });
  await assert.rejects(x, (e: TickmeshError) => e.code === 'invalid_channel' && e.channel === 'tob.x');
  await assert.rejects(y, (e: TickmeshError) => e.code === 'invalid_channel' && e.channel === 'tob.y');
  assert.deepEqual(errors, [], 'every error went to its caller, none to the error event');

  // a refused channel can be asked again (its entry is gone)
  const again = c.subscribe('tob.nope', () => undefined);
  await tick();
  assert.deepEqual(s.sent[2]!['channels'], ['tob.nope']);
  s.answer(s.sent[2]!);
  await again;
  c.close();
});

test('an error with the op id and no channel rejects every call of the op', async () => {
  const { c, s } = await connected();
  const names = [tob('A-USDT'), tob('B-USDT'), tob('C-USDT')];
  const subs = names.map((n) => c.subscribe(n, () => undefined));
  await tick();
  const op = s.sent[0]!;
  s.serve({ type: 'error', id: op['id'], code: 'unauthorized', message: 'authenticate first' });
  for (const [i, p] of subs.entries())
    await assert.rejects(p, (e: TickmeshError) => e.code === 'unauthorized' && e.channel === names[i]);

  // unsubscribes of one tick: one op; an op-level refusal rejects each call
  const subs2 = await live(c, s, names);
  const before = s.sent.length;
  const gone = subs2.map((x) => x.unsubscribe());
  await tick();
  const uops = s.sent.slice(before);
  assert.equal(uops.length, 1);
  assert.deepEqual([uops[0]!['op'], uops[0]!['channels']], ['unsubscribe', names]);
  s.serve({ type: 'error', id: uops[0]!['id'], code: 'bad_request', message: 'nope' });
  for (const p of gone) await assert.rejects(p, (e: TickmeshError) => e.code === 'bad_request');
  c.close();
});

test('unsubscribes of one tick share one op and resolve on its ack (not_subscribed is no failure)', async () => {
  const { c, s } = await connected();
  const names = Array.from({ length: 30 }, (_, i) => tob(`C${i}-USDT`));
  const subs = await live(c, s, names);
  const before = s.sent.length;
  const gone = subs.map((x) => x.unsubscribe());
  await tick();
  const ops = s.sent.slice(before);
  assert.equal(ops.length, 1);
  assert.deepEqual(ops[0]!['channels'], names);
  s.answer(ops[0]!, { [names[3]!]: 'not_subscribed' });
  await Promise.all(gone);
  c.close();
});

test('a symbol switch (unsubscribe old, subscribe new, interleaved) is two ops: unsubscribes first', async () => {
  const { c, s } = await connected();
  const kinds = ['tob', 'status', 'stats', 'trades'];
  const venues = ['binance', 'bybit', 'okx', 'coinbase', 'kraken', 'kucoin'];
  const chans = (sym: string): string[] => venues.flatMap((v) => kinds.map((k) => `${k}.${v}.${sym}`));
  const old = await live(c, s, chans('BTC-USDT'));
  const before = s.sent.length;
  const next: Promise<Subscription>[] = [];
  for (const [i, n] of chans('ETH-USDT').entries()) {
    void old[i]!.unsubscribe();
    next.push(c.subscribe(n, () => undefined));
  }
  await tick();
  const ops = s.sent.slice(before);
  assert.deepEqual(
    ops.map((o) => [o['op'], (o['channels'] as string[]).length]),
    [
      ['unsubscribe', 24],
      ['subscribe', 24],
    ],
    '48 calls, 2 ops',
  );
  for (const op of ops) s.answer(op);
  await Promise.all(next);
  c.close();
});

test('per channel, call order is kept: unsubscribe then subscribe of one channel in one tick ends subscribed', async () => {
  const { c, s } = await connected();
  const ch = tob('A-USDT');
  const [first] = await live(c, s, [ch]);
  s.serve(snapshot(ch, 1));
  const got: number[] = [];
  const before = s.sent.length;
  const gone = first!.unsubscribe();
  const again = c.subscribe(ch, (m) => got.push(m.seq));
  await tick();
  const ops = s.sent.slice(before);
  assert.deepEqual(
    ops.map((o) => [o['op'], o['channels']]),
    [
      ['unsubscribe', [ch]],
      ['subscribe', [ch]],
    ],
  );
  s.answer(ops[0]!);
  s.answer(ops[1]!);
  await gone;
  await again;
  s.serve(snapshot(ch, 7)); // the new subscription's snapshot
  assert.deepEqual(got, [7]);
  c.close();
});

test('a book subscribed and unsubscribed in one tick ends unsubscribed', async () => {
  const { c, s } = await connected();
  const views: number[] = [];
  const ch = 'book.binance.A-USDT';
  const sub = c.book('binance', 'A-USDT', { depth: 10 }, (v) => views.push(v.bookSeq));
  const gone = sub.unsubscribe();
  await tick();
  assert.deepEqual(
    s.sent.map((o) => [o['op'], o['channels']]),
    [['subscribe', [ch]]],
  );
  s.answer(s.sent[0]!);
  await tick(); // the subscription resolves, then its unsubscribe is sent
  assert.deepEqual(
    s.sent.map((o) => [o['op'], o['channels']]),
    [
      ['subscribe', [ch]],
      ['unsubscribe', [ch]],
    ],
  );
  s.answer(s.sent[1]!);
  await gone;
  const data = {
    venue: 'binance',
    symbol: 'A-USDT',
    depth: 10,
    bookEpoch: 1,
    bookSeq: 1,
    state: 'live',
    bids: [],
    asks: [],
  };
  s.serve({ type: 'snapshot', ch, seq: 1, epoch: 1, data });
  assert.deepEqual(views, [], 'no handler left');

  // book unsubscribes of one tick (a ladder per venue) share one op
  const books = ['binance', 'bybit', 'okx'].map((v) => c.book(v, 'B-USDT', { depth: 10 }, () => undefined));
  await tick();
  s.answer(s.sent.at(-1)!);
  await tick();
  const before = s.sent.length;
  const left = books.map((b) => b.unsubscribe());
  await tick();
  assert.deepEqual(
    s.sent.slice(before).map((o) => [o['op'], (o['channels'] as string[]).length]),
    [['unsubscribe', 3]],
  );
  s.answer(s.sent.at(-1)!);
  await Promise.all(left);
  c.close();
});

test('a wildcard batched with channels: expanded acks resolve it; leaving it is one unsubscribe op', async () => {
  const { c, s } = await connected();
  const got: string[] = [];
  const w = c.subscribe('tob.*.BTC-USDT', (m) => got.push(m.ch));
  const st = c.subscribe('status.binance.BTC-USDT', () => undefined);
  await tick();
  assert.equal(s.sent.length, 1);
  assert.deepEqual(s.sent[0]!['channels'], ['tob.*.BTC-USDT', 'status.binance.BTC-USDT']);
  const expanded = { 'tob.*.BTC-USDT': [tob('BTC-USDT'), tob('BTC-USDT', 'okx'), tob('BTC-USDT', 'bybit')] };
  s.answer(s.sent[0]!, {}, expanded);
  const sub = await w;
  await st;
  s.serve(snapshot(tob('BTC-USDT', 'okx')));
  assert.deepEqual(got, [tob('BTC-USDT', 'okx')]);
  const gone = sub.unsubscribe();
  await tick();
  assert.deepEqual(s.sent[1]!['op'], 'unsubscribe');
  assert.deepEqual(s.sent[1]!['channels'], expanded['tob.*.BTC-USDT']);
  s.answer(s.sent[1]!);
  await gone;
  c.close();
});

test('ping() sends the queued ops first: ops leave in call order', async () => {
  const { c, s } = await connected();
  const sub = c.subscribe(tob('A-USDT'), () => undefined);
  const rtt = c.ping();
  assert.deepEqual(
    s.sent.map((o) => o['op']),
    ['subscribe', 'ping'],
  );
  s.answer(s.sent[0]!);
  s.serve({ type: 'pong', id: s.sent[1]!['id'], ts: 1 });
  await sub;
  assert.ok((await rtt) >= 0);
  await tick();
  assert.equal(s.sent.length, 2, 'no second subscribe from the scheduled flush');
  c.close();
});

test('an ack that names neither the channel nor an error for it rejects the call (no silent hang)', async () => {
  const { c, s } = await connected();
  const a = c.subscribe(tob('A-USDT'), () => undefined);
  const b = c.subscribe(tob('B-USDT'), () => undefined);
  await tick();
  s.serve({ type: 'ack', id: s.sent[0]!['id'], op: 'subscribe', channels: [tob('A-USDT')] });
  await a;
  await assert.rejects(b, (e: TickmeshError) => e.code === 'internal' && e.channel === tob('B-USDT'));
  c.close();
});

test('reconnect: queued calls die with the socket; everything is resubscribed once, per option set', async () => {
  const { c, s: first } = await connected({ reconnect: { baseMs: 1, capMs: 5 } });
  const plain = Array.from({ length: 120 }, (_, i) => tob(`C${i}-USDT`));
  const conflated = [tob('X-USDT'), tob('Y-USDT')];
  const subs = [
    ...plain.map((n) => c.subscribe(n, () => undefined)),
    ...conflated.map((n) => c.subscribe(n, () => undefined, { conflateMs: 100 })),
  ];
  await tick();
  for (const op of first.sent) first.answer(op);
  await Promise.all(subs);
  first.serve(snapshot(plain[0]!, 5));

  // a call in the same tick as the drop: not sent on the dead socket, resubscribed with the rest
  const late = c.subscribe(tob('Z-USDT'), () => undefined);
  first.close(1006, '');
  await waitFor(() => FakeSocket.all.length === 2 && c.state === 'open', { message: 'reopened' });
  await tick();
  const s = last();
  const ops = s.ops('subscribe');
  assert.deepEqual(
    ops.map((o) => [(o['channels'] as string[]).length, o['conflate_ms']]),
    [
      [100, undefined],
      [21, undefined],
      [2, 100],
    ],
  );
  const all = ops.flatMap((o) => o['channels'] as string[]);
  assert.deepEqual([...all].sort(), [...plain, ...conflated, tob('Z-USDT')].sort());
  assert.deepEqual(ops[0]!['resume'], { [plain[0]!]: { epoch: 1, seq: 5 } });
  for (const op of ops) s.answer(op);
  await late;
  await tick();
  assert.equal(s.ops('subscribe').length, 3, 'no op from the queue of the dead socket');
  c.close();
});
