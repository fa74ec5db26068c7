import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame } from './frame';
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
