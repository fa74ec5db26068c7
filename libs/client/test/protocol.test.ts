/**
 * Protocol corner cases the real gateway never produces (gaps, duplicates, silent servers), run
 * against a scripted fake socket: what the client does when the contract is broken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@tickmesh/test-harness';
import {
  TickmeshClient,
  TickmeshError,
  type DataMessage,
  type GapEvent,
  type WebSocketLike,
} from '../src/index';

/** A socket whose "server" is the test: it records sent ops and injects server messages. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | undefined;
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  constructor(readonly url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  serve(m: object): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

const ch = 'tob.binance.BTC-USDT';
const data = (type: 'snapshot' | 'update', seq: number, epoch = 3): DataMessage => ({
  type,
  ch,
  seq,
  epoch,
  data: { venue: 'binance', symbol: 'BTC-USDT', state: 'live', epoch: 1, seq, reason: '', resyncs: 0, ts: 1 },
});

/** Lets the client send the ops of this tick (subscribes and unsubscribes go out batched from a microtask). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function connected(): Promise<{ c: TickmeshClient; s: FakeSocket }> {
  const c = new TickmeshClient({ url: 'ws://fake/ws', WebSocket: FakeSocket, requestTimeoutMs: 200 });
  await c.connect();
  return { c, s: FakeSocket.last! };
}

test('a seq jump is delivered and reported as a gap; a duplicate is dropped and reported', async () => {
  const { c, s } = await connected();
  const got: number[] = [];
  const gaps: GapEvent[] = [];
  c.on('gap', (g) => gaps.push(g));
  const subscribed = c.subscribe(ch, (m) => got.push(m.seq));
  await tick();
  const op = s.sent.at(-1)!;
  assert.deepEqual([op['op'], op['channels']], ['subscribe', [ch]]);
  s.serve({ type: 'ack', id: op['id'], op: 'subscribe', channels: [ch] });
  await subscribed;
  for (const m of [data('snapshot', 1), data('update', 2), data('update', 4), data('update', 4)]) s.serve(m);
  assert.deepEqual(got, [1, 2, 4]);
  assert.deepEqual(gaps, [
    { channel: ch, epoch: 3, expected: 3, received: 4 },
    { channel: ch, epoch: 3, expected: 5, received: 4 },
  ]);
  c.close();
});

test('subscriptions made before connect are sent on open; close() rejects those still waiting', async () => {
  const c = new TickmeshClient({ url: 'ws://fake/ws', WebSocket: FakeSocket });
  const pending = c.subscribe(ch, () => undefined);
  await c.connect();
  const s = FakeSocket.last!;
  assert.deepEqual(s.sent.at(-1)?.['channels'], [ch]);
  c.close();
  await assert.rejects(pending, (e: unknown) => e instanceof TickmeshError && e.code === 'closed');
  assert.equal(c.state, 'closed');
});

test('an unanswered op times out; errors without a waiting op become error events', async () => {
  const { c, s } = await connected();
  await assert.rejects(c.ping(), (e: unknown) => e instanceof TickmeshError && e.code === 'timeout');
  const errors: TickmeshError[] = [];
  c.on('error', (e) => errors.push(e));
  s.serve({ type: 'error', code: 'bad_request', message: 'nope' });
  assert.deepEqual(
    errors.map((e) => e.code),
    ['bad_request'],
  );
  c.close();
});

test('a dropped connection reconnects and resubscribes every channel in ops of at most 100', async () => {
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    reconnect: { baseMs: 1, capMs: 5 },
  });
  await c.connect();
  const names = Array.from({ length: 150 }, (_, i) => `tob.binance.C${i}-USDT`);
  for (const n of names) void c.subscribe(n, () => undefined).catch(() => undefined);
  const first = FakeSocket.last!;
  first.close(1012, 'service restart');
  assert.equal(c.state, 'reconnecting');
  await waitFor(() => FakeSocket.last !== first && c.state === 'open', { message: 'reopened' });
  const ops = FakeSocket.last!.sent.filter((o) => o['op'] === 'subscribe');
  assert.deepEqual(
    ops.map((o) => (o['channels'] as string[]).length),
    [100, 50],
  );
  assert.deepEqual(
    ops.flatMap((o) => o['channels'] as string[]),
    names,
  );
  c.close();
});

test('a reconnect resubscribes with resume positions; resumed streams continue without a gap', async () => {
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    reconnect: { baseMs: 1, capMs: 5 },
  });
  await c.connect();
  const got: [string, number][] = [];
  const gaps: GapEvent[] = [];
  const resumed: number[] = [];
  const lost: string[] = [];
  c.on('gap', (g) => gaps.push(g));
  c.on('resumed', (m) => resumed.push(m.from));
  c.on('notRecovered', (m) => lost.push(m.reason));
  const sub = c.subscribe(ch, (m) => got.push([m.type, m.seq]));
  await tick();
  const first = FakeSocket.last!;
  assert.equal(first.sent[0]!['resume'], undefined, 'nothing to resume on the first subscribe');
  first.serve({ type: 'ack', id: first.sent[0]!['id'], op: 'subscribe', channels: [ch] });
  await sub;
  first.serve(data('snapshot', 4));
  first.serve(data('update', 5));
  first.close(1006, '');
  await waitFor(() => FakeSocket.last !== first && c.state === 'open', { message: 'reopened' });

  const s = FakeSocket.last!;
  const op = s.sent.find((o) => o['op'] === 'subscribe')!;
  assert.deepEqual(op['resume'], { [ch]: { epoch: 3, seq: 5 } });
  s.serve({ type: 'ack', id: op['id'], op: 'subscribe', channels: [ch] });
  s.serve({ type: 'resumed', ch, epoch: 3, from: 6, to: 7 });
  s.serve(data('update', 6));
  s.serve(data('update', 7));
  assert.deepEqual(resumed, [6]);

  // Next reconnect: the gateway cannot resume; the snapshot of a new epoch is the new baseline.
  s.close(1006, '');
  await waitFor(() => FakeSocket.last !== s && c.state === 'open', { message: 'reopened again' });
  const s3 = FakeSocket.last!;
  const op3 = s3.sent.find((o) => o['op'] === 'subscribe')!;
  assert.deepEqual(op3['resume'], { [ch]: { epoch: 3, seq: 7 } });
  s3.serve({ type: 'ack', id: op3['id'], op: 'subscribe', channels: [ch] });
  s3.serve({ type: 'not_recovered', ch, reason: 'epoch changed' });
  s3.serve(data('snapshot', 1, 9));
  s3.serve(data('update', 2, 9));
  assert.deepEqual(lost, ['epoch changed']);
  assert.deepEqual(got, [
    ['snapshot', 4],
    ['update', 5],
    ['update', 6],
    ['update', 7],
    ['snapshot', 1],
    ['update', 2],
  ]);
  assert.deepEqual(gaps, []);
  c.close();
});

test('resume: false resubscribes without positions', async () => {
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    reconnect: { baseMs: 1, capMs: 5 },
    resume: false,
  });
  await c.connect();
  const sub = c.subscribe(ch, () => undefined);
  await tick();
  const first = FakeSocket.last!;
  first.serve({ type: 'ack', id: first.sent[0]!['id'], op: 'subscribe', channels: [ch] });
  await sub;
  first.serve(data('snapshot', 4));
  first.close(1006, '');
  await waitFor(() => FakeSocket.last !== first && c.state === 'open', { message: 'reopened' });
  const op = FakeSocket.last!.sent.find((o) => o['op'] === 'subscribe')!;
  assert.equal(op['resume'], undefined);
  c.close();
});

test('conflateMs is sent as conflate_ms; conflated updates with seq jumps are not gaps', async () => {
  const { c, s } = await connected();
  const gaps: GapEvent[] = [];
  const got: number[] = [];
  c.on('gap', (g) => gaps.push(g));
  const sub = c.subscribe(ch, (m) => got.push(m.seq), { conflateMs: 250 });
  await tick();
  const op = s.sent.at(-1)!;
  assert.deepEqual([op['channels'], op['conflate_ms']], [[ch], 250]);
  s.serve({ type: 'ack', id: op['id'], op: 'subscribe', channels: [ch] });
  await sub;
  s.serve(data('snapshot', 1));
  s.serve({ ...data('update', 4), conflated: true });
  s.serve({ ...data('update', 9), conflated: true });
  assert.deepEqual(got, [1, 4, 9]);
  assert.deepEqual(gaps, []);
  c.close();
});
