import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataFrame, Frame } from './frame';
import { FlushScheduler, Outbound, type FrameSink } from './outbound';

class Sink implements FrameSink {
  readonly transport = 'ws';
  readonly batches: string[][] = [];
  buffered = 0;
  bufferedAmount(): number {
    return this.buffered;
  }
  writeBatch(frames: readonly Frame[]): void {
    this.batches.push(frames.map((f) => f.json));
  }
}

const frame = (text: string): Frame => new Frame(text, undefined, undefined, 0);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('frames queued in one turn go out as one batch per connection, in order', async () => {
  const scheduler = new FlushScheduler();
  const [s1, s2] = [new Sink(), new Sink()];
  const o1 = new Outbound(s1, scheduler, 1000, () => assert.fail('no overflow'));
  const o2 = new Outbound(s2, scheduler, 1000, () => assert.fail('no overflow'));
  for (const t of ['a', 'b', 'c']) o1.push(frame(t));
  o2.push(frame('x'));
  assert.deepEqual(s1.batches, []);
  await turn();
  assert.deepEqual(s1.batches, [['a', 'b', 'c']]);
  assert.deepEqual(s2.batches, [['x']]);
  o1.push(frame('d'));
  await turn();
  assert.deepEqual(s1.batches, [['a', 'b', 'c'], ['d']]);
});

test('socket-buffered plus queued bytes over the cap overflow once; nothing is written after', async () => {
  const sink = new Sink();
  let overflows = 0;
  const o = new Outbound(sink, new FlushScheduler(), 10, () => overflows++);
  sink.buffered = 8; // what the socket still holds after the next write: the peer reads slowly
  o.push(frame('12345'));
  await turn();
  assert.equal(overflows, 0, '8 buffered ≤ 10');
  o.push(frame('123')); // 8 + 3 > 10
  o.push(frame('4'));
  await turn();
  assert.equal(overflows, 1);
  assert.deepEqual(sink.batches, [['12345']]);
});

test('a flush that leaves more than the cap in the socket overflows', async () => {
  const sink = new Sink();
  let overflows = 0;
  const o = new Outbound(sink, new FlushScheduler(), 10, () => overflows++);
  sink.buffered = 11;
  o.push(frame('1'));
  await turn();
  assert.equal(overflows, 1);
});

const update = (ch: string, seq: number): Frame => dataFrame('update', ch, seq, 7, '{}', 0);

test('over the cap with a grace: updates conflate per channel (latest wins), then drain and resume', async () => {
  const sink = new Sink();
  let overflows = 0;
  const o = new Outbound(sink, new FlushScheduler(), 200, () => overflows++, 1000);
  sink.buffered = 210; // the peer stopped reading
  o.push(update('tob.a.X', 1));
  await turn();
  assert.equal(sink.batches.length, 1, 'written, but now over the cap');
  assert.equal(o.conflating, true);
  for (let s = 2; s <= 50; s++) o.push(update('tob.a.X', s));
  o.push(frame('{"type":"pong"}'));
  for (let s = 1; s <= 5; s++) o.push(update('tob.a.Y', s));
  await turn();
  assert.equal(sink.batches.length, 1, 'nothing written while the socket is over the cap');
  sink.buffered = 0; // the peer reads again
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(overflows, 0);
  assert.equal(o.conflating, false);
  const written = sink.batches[1]!;
  assert.deepEqual(written, [
    '{"type":"update","ch":"tob.a.X","seq":50,"epoch":7,"data":{},"conflated":true}',
    '{"type":"pong"}',
    '{"type":"update","ch":"tob.a.Y","seq":5,"epoch":7,"data":{},"conflated":true}',
  ]);
  o.push(update('tob.a.X', 51));
  await turn();
  assert.deepEqual(sink.batches[2], ['{"type":"update","ch":"tob.a.X","seq":51,"epoch":7,"data":{}}']);
});

test('still over the cap when the grace ends: the slow-consumer close', async () => {
  const sink = new Sink();
  let overflows = 0;
  const o = new Outbound(sink, new FlushScheduler(), 100, () => overflows++, 100);
  sink.buffered = 150;
  o.push(update('tob.a.X', 1));
  await turn();
  assert.equal(o.conflating, true);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(overflows, 0, 'within the grace');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(overflows, 1);
});

test('one turn that queues more than the cap conflates the queue itself, so a drained socket recovers', async () => {
  const sink = new Sink();
  let overflows = 0;
  const cap = 2000;
  const o = new Outbound(sink, new FlushScheduler(), cap, () => overflows++, 60_000);
  // under load a single turn queues hundreds of updates of one channel before any flush
  for (let s = 1; s <= 200; s++) o.push(update('tob.a.X', s));
  o.push(frame('{"type":"pong"}'));
  assert.equal(o.conflating, true, 'over the cap before the first flush');
  assert.ok(o.pendingBytes <= cap, `queue conflated on entry: ${o.pendingBytes} bytes`);
  for (let s = 201; s <= 300; s++) o.push(update('tob.a.X', s));
  // the socket is empty: the next drain check writes the conflated queue and recovers
  const deadline = Date.now() + 5000;
  while (o.conflating && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(o.conflating, false, 'recovered');
  assert.equal(overflows, 0);
  assert.deepEqual(sink.batches, [
    ['{"type":"update","ch":"tob.a.X","seq":300,"epoch":7,"data":{},"conflated":true}', '{"type":"pong"}'],
  ]);
});
