/** Slow-consumer conflation per channel kind: book diffs merge, trades drop with a gap notice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@tickmesh/test-harness';
import type { BookViewData } from '@tickmesh/contracts';
import { dataFrame, type Frame } from './frame';
import { FlushScheduler, Outbound, type FrameSink } from './outbound';

class Sink implements FrameSink {
  readonly transport = 'ws';
  readonly written: Record<string, unknown>[] = [];
  buffered = 0;
  bufferedAmount(): number {
    return this.buffered;
  }
  writeBatch(frames: readonly Frame[]): void {
    for (const f of frames) this.written.push(JSON.parse(f.json) as Record<string, unknown>);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const head = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  depth: 10,
  bookEpoch: 1,
  bookSeq: 1,
  state: 'live' as const,
};
const bookUpdate = (seq: number, bids: [string, string][]): Frame => {
  const data: BookViewData = { ...head, bookSeq: seq, bids, asks: [] };
  return dataFrame('update', 'book.binance.BTC-USDT', seq, 5, JSON.stringify(data), 0, {
    policy: 'merge',
    book: data,
  });
};
const tradeUpdate = (seq: number): Frame =>
  dataFrame('update', 'trades.binance.BTC-USDT', seq, 6, `{"venue":"binance","symbol":"BTC-USDT","trades":[{"id":"${seq}"}]}`, 0, {
    policy: 'drop',
  }); // prettier-ignore

test('a slow consumer gets merged book diffs and a gap notice for dropped trades, never a silent gap', async () => {
  const sink = new Sink();
  const o = new Outbound(sink, new FlushScheduler(), 400, () => assert.fail('no close'), 5000);
  o.push(bookUpdate(1, [['10', '1']]));
  await turn();
  sink.buffered = 1000; // the peer stops reading
  o.push(
    bookUpdate(2, [
      ['10', '2'],
      ['9', '1'],
    ]),
  );
  await turn();
  assert.equal(o.conflating, true);
  o.push(
    bookUpdate(3, [
      ['9', '0'],
      ['8', '3'],
    ]),
  );
  o.push(tradeUpdate(7));
  o.push(tradeUpdate(8));
  o.push(bookUpdate(4, [['10', '4']]));
  sink.buffered = 0; // drains
  await waitFor(() => !o.conflating, { timeoutMs: 2000, message: 'recovered' });
  await turn();
  const book = sink.written.filter((m) => m['ch'] === 'book.binance.BTC-USDT');
  assert.deepEqual(
    book.map((m) => [m['seq'], (m['data'] as BookViewData).bids, m['conflated']]),
    [
      [1, [['10', '1']], undefined],
      [
        2,
        [
          ['10', '2'],
          ['9', '1'],
        ],
        undefined,
      ], // written, then the socket was found over the cap
      // 3 and 4 merged while conflating: latest size per price
      [
        4,
        [
          ['9', '0'],
          ['8', '3'],
          ['10', '4'],
        ],
        true,
      ],
    ],
  );
  const gap = sink.written.find((m) => m['type'] === 'gap');
  assert.deepEqual(gap, { type: 'gap', ch: 'trades.binance.BTC-USDT', from: 7, to: 8 });
  o.push(tradeUpdate(9));
  await turn();
  const last = sink.written[sink.written.length - 1]!;
  assert.equal(last['seq'], 9);
  assert.equal(last['conflated'], true, 'the update after a gap is marked: its seq skips');
});
