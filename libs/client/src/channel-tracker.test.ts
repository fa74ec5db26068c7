import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataMessage } from '@tickmesh/contracts';
import { ChannelTracker } from './channel-tracker';

const ch = 'tob.binance.BTC-USDT';
const msg = (type: 'snapshot' | 'update', seq: number, epoch = 7): DataMessage => ({
  type,
  ch,
  seq,
  epoch,
  data: { venue: 'binance', symbol: 'BTC-USDT', state: 'live', epoch: 1, seq, reason: '', resyncs: 0, ts: 1 },
});

test('a snapshot then consecutive updates pass without gaps', () => {
  const t = new ChannelTracker(ch);
  for (const m of [msg('snapshot', 4), msg('update', 5), msg('update', 6)]) {
    assert.deepEqual(t.accept(m), { deliver: true, gap: undefined });
  }
  assert.equal(t.last?.seq, 6);
});

test('a jump is delivered with a gap; a repeat or step back is dropped with one', () => {
  const t = new ChannelTracker(ch);
  t.accept(msg('snapshot', 1));
  assert.deepEqual(t.accept(msg('update', 3)), {
    deliver: true,
    gap: { channel: ch, epoch: 7, expected: 2, received: 3 },
  });
  assert.deepEqual(t.accept(msg('update', 3)).deliver, false);
  assert.deepEqual(t.accept(msg('update', 2)).gap?.expected, 4);
  assert.deepEqual(t.accept(msg('update', 4)), { deliver: true, gap: undefined });
});

test('an update in another epoch, or before any snapshot, is a gap', () => {
  const t = new ChannelTracker(ch);
  assert.equal(t.accept(msg('update', 9)).gap?.expected, undefined);
  assert.equal(t.accept(msg('update', 10, 8)).gap?.epoch, 8);
  t.reset();
  assert.equal(t.last, undefined);
  assert.deepEqual(t.accept(msg('snapshot', 1, 9)), { deliver: true, gap: undefined });
});

test('a conflated update may skip seqs but must still increase', () => {
  const t = new ChannelTracker(ch);
  t.accept(msg('snapshot', 1));
  assert.deepEqual(t.accept({ ...msg('update', 5), conflated: true }), { deliver: true, gap: undefined });
  assert.deepEqual(t.accept({ ...msg('update', 6), conflated: true }), { deliver: true, gap: undefined });
  assert.equal(
    t.accept({ ...msg('update', 6), conflated: true }).deliver,
    false,
    'a repeat is still dropped',
  );
  assert.deepEqual(t.accept(msg('update', 9)).gap?.expected, 7, 'unmarked jumps are still gaps');
});
