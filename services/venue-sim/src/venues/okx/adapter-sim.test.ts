/**
 * The tickmesh OKX adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator, in both snapshot modes:
 * - 'stream' (checksums on): subscribe frames, text ping/pong, WS snapshots, every update's
 *   checksum verified by the sync, a gap fault resynced by re-subscribing the symbol, µs latency
 *   from the fractional `ts`, the final books equal to the ground truth;
 * - 'rest' with `checksumMode: 'zero'` (the post-2026 venue): the WS snapshot ignored, the book
 *   synced from `GET /api/v5/market/books` + seqId, a gap resynced from REST without re-subscribing.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  nowMicros,
  type BookDelta,
  type BookSnapshot,
  type SyncStatus,
  type Trade,
} from '@tickmesh/contracts';
import { okx, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { WebSocket } from 'ws';
import { resolveConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { createSimServer } from '../../server/http-server';
import { createOkxVenue, type OkxSimOptions } from './index';

type T = { after: (fn: () => Promise<void> | void) => void };

async function setup(t: T, adapter: okx.OkxAdapter, simOpts: OkxSimOptions) {
  const config = resolveConfig({
    seed: 5,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    rate: 300,
    tradeRate: 20,
    maxBookLevels: 600,
    bookLevels: 450,
    autoStart: false,
  });
  const venue = createOkxVenue(config, silentLogger, simOpts);
  const server = createSimServer(
    new ControlApi(new Map([[venue.name, venue]]), silentLogger),
    [venue],
    silentLogger,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `127.0.0.1:${port}`;
  t.after(async () => {
    venue.market.stop();
    await venue.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  const rest = await fetch(`http://${base}${adapter.instrumentsRequest([]).path}`);
  const instruments = adapter.parseInstruments(await rest.text());

  const books: (BookSnapshot | BookDelta)[] = [];
  const trades: Trade[] = [];
  const statuses: SyncStatus[] = [];
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const natives = instruments.map((i) => i.native);
  const ws = new WebSocket(adapter.connectionUrl(`ws://${base}`, natives));
  t.after(() => ws.terminate());
  // what libs/feed does: REST snapshots on request, re-subscription frames on the symbol's socket
  const engine: VenueEngine<unknown, unknown> = new VenueEngine(adapter as VenueAdapter, instruments, {
    book: (m) => books.push(m),
    trade: (m) => trades.push(m),
    status: (m) => statuses.push(m),
    needSnapshot: (native) =>
      void fetch(`http://${base}${adapter.snapshotRequest(native).path}`)
        .then((r) => r.text())
        .then((body) => {
          engine.onSnapshot(native, body, nowMicros());
          wake();
        }),
    resubscribe: (native) => {
      for (const f of adapter.resubscribeFrames(native)) ws.send(f);
    },
    malformed: (e) => assert.fail(`malformed: ${e.message}`),
    venueShutdown: () => undefined,
    now: nowMicros,
  });
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    frames.push(text);
    engine.onFrame(text, nowMicros());
    wake();
  });
  const until = (cond: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), 15_000);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
  engine.connectionOpened(natives);
  for (const f of adapter.subscribeFrames(natives)) ws.send(f);
  ws.send(adapter.defaults.clientPing!.payload);

  const state = (native: string): string | undefined => engine.statusOf(native)?.state;
  /** pause, barrier (ping → pong after every earlier frame), compare with the ground truth */
  const compareWithTruth = async (): Promise<void> => {
    venue.market.pause();
    const pongs = frames.filter((f) => f === 'pong').length;
    ws.send(adapter.defaults.clientPing!.payload);
    await until(() => frames.filter((f) => f === 'pong').length > pongs, 'the barrier pong');
    for (const native of natives) {
      const truth = (
        JSON.parse(venue.groundTruth(native)!) as {
          data: { bids: string[][]; asks: string[][]; seqId: number }[];
        }
      ).data[0]!;
      const mine = engine.snapshotOf(native)!;
      assert.equal(mine.seq, truth.seqId, `${native} seq`);
      assert.deepEqual(
        mine.bids,
        truth.bids.slice(0, 400).map((l) => [l[0], l[1]]),
        native,
      );
      assert.deepEqual(
        mine.asks,
        truth.asks.slice(0, 400).map((l) => [l[0], l[1]]),
        native,
      );
    }
    venue.market.resume();
  };
  const gap = async (instId: string): Promise<void> => {
    const r = await fetch(`http://${base}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ venue: 'okx', symbol: instId, kind: 'gap', count: 1 }),
    });
    assert.equal(r.status, 200);
  };
  /** every published delta chains on the previous message of its epoch */
  const checkChains = (): void => {
    for (const symbol of new Set(books.map((b) => b.symbol))) {
      let last: { epoch: number; seq: number } | undefined;
      for (const b of books.filter((x) => x.symbol === symbol)) {
        if (b.type === 'book.delta') assert.deepEqual([b.epoch, b.prevSeq], [last!.epoch, last!.seq]);
        last = { epoch: b.epoch, seq: b.seq };
      }
    }
  };
  return {
    venue,
    instruments,
    natives,
    books,
    trades,
    statuses,
    frames,
    engine,
    state,
    until,
    compareWithTruth,
    gap,
    checkChains,
  };
}

test('stream mode, checksums on: live, gap → re-subscribe → live, ground truth, µs latency', async (t) => {
  const adapter = okx.okxAdapter({ instType: 'SPOT' });
  const s = await setup(t, adapter, { checksumMode: 'crc' });
  assert.deepEqual(
    s.instruments.map((i) => [i.venue, i.symbol, i.native]),
    [
      ['okx', 'BTC-USDT', 'BTC-USDT'],
      ['okx', 'SOL-USDT', 'SOL-USDT'],
    ],
  );
  s.venue.market.start();
  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live');
  await s.until(
    () => s.books.filter((b) => b.type === 'book.delta').length > 200 && s.trades.length > 5,
    'deltas and trades',
  );
  assert.ok(s.frames.includes('pong'), 'the client ping is answered');

  const lat = s.books.filter((b) => b.type === 'book.delta').map((b) => b.recvTs - b.venueTs);
  assert.ok(
    lat.every((l) => l >= 0 && l < 2_000_000),
    `latencies ${lat.slice(0, 5).join(',')}`,
  );
  assert.ok(
    lat.some((l) => l % 1000 !== 0),
    'sub-ms resolution',
  );

  await s.gap('BTC-USDT');
  await s.until(() => s.statuses.some((x) => x.symbol === 'BTC-USDT' && x.state === 'resyncing'), 'the gap');
  await s.until(() => s.state('BTC-USDT') === 'live', 'live again');
  const btc = s.engine.statusOf('BTC-USDT')!;
  assert.deepEqual([btc.epoch, btc.resyncs], [2, 1]);
  assert.match(s.statuses.find((x) => x.state === 'resyncing')!.reason, /^okx:prevSeqId!=last/);
  assert.equal(s.engine.statusOf('SOL-USDT')?.epoch, 1, 'the other symbol was not touched');
  await s.until(
    () => s.books.filter((b) => b.type === 'book.delta' && b.epoch === 2).length > 50,
    'deltas after the resync',
  );

  await s.compareWithTruth();
  s.checkChains();
  assert.ok(s.trades.every((tr) => tr.venue === 'okx' && (tr.side === 'buy' || tr.side === 'sell')));
  // no checksum failure happened: the only resync is the injected gap
  assert.equal(s.statuses.filter((x) => x.state === 'resyncing').length, 1);
});

test("rest mode against checksumMode 'zero' (the post-2026 venue): REST snapshot + seqId, gap → REST resync", async (t) => {
  const adapter = okx.okxAdapter({ instType: 'SWAP', snapshotMode: 'rest' });
  const s = await setup(t, adapter, { checksumMode: 'zero', instTypes: ['SWAP'] });
  assert.deepEqual(
    s.instruments.map((i) => [i.venue, i.symbol, i.native, i.kind]),
    [
      ['okxswap', 'BTC-USDT-PERP', 'BTC-USDT-SWAP', 'perp'],
      ['okxswap', 'SOL-USDT-PERP', 'SOL-USDT-SWAP', 'perp'],
    ],
  );
  s.venue.market.start();
  await s.until(() => s.natives.every((n) => s.state(n) === 'live'), 'both symbols live from REST');
  await s.until(() => s.books.filter((b) => b.type === 'book.delta').length > 200, 'deltas');
  await s.gap('SOL-USDT-SWAP');
  await s.until(
    () => s.statuses.some((x) => x.symbol === 'SOL-USDT-PERP' && x.state === 'resyncing'),
    'the gap',
  );
  await s.until(() => s.state('SOL-USDT-SWAP') === 'live', 'live again');
  assert.equal(s.engine.statusOf('SOL-USDT-SWAP')?.epoch, 2);
  assert.ok(
    !s.frames.some((f) => f.includes('"op":"unsubscribe"') || f.includes('"event":"unsubscribe"')),
    'no re-subscription in rest mode',
  );
  await s.until(
    () =>
      s.books.filter((b) => b.symbol === 'SOL-USDT-PERP' && b.type === 'book.delta' && b.epoch === 2).length >
      30,
    'deltas after',
  );
  await s.compareWithTruth();
  s.checkChains();
});
