/**
 * The tickmesh Bybit adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: subscribe frames, client pings, WS snapshots, a gap fault resynced by re-subscribing
 * the symbol (what the feed must do for `snapshotSource: 'stream'` venues), µs latency from the
 * fractional `ts`, and the final book equal to the simulator's ground truth.
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
import { bybit, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { WebSocket } from 'ws';
import { resolveConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { createSimServer } from '../../server/http-server';
import { createBybitVenues } from './index';

test('adapter + engine against the simulator: live, gap → re-subscribe → live, ground truth, µs latency', async (t) => {
  const config = resolveConfig({
    seed: 5,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    rate: 300,
    tradeRate: 20,
    autoStart: false,
  });
  const [venue] = createBybitVenues(config, silentLogger, { categories: ['linear'] });
  const server = createSimServer(
    new ControlApi(new Map([[venue!.name, venue!]]), silentLogger),
    [venue!],
    silentLogger,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    venue!.market.stop();
    await venue!.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  const adapter = bybit.bybitAdapter({ category: 'linear', depth: 50 });
  const rest = await fetch(`http://127.0.0.1:${port}${adapter.instrumentsRequest([]).path}`);
  const instruments = adapter.parseInstruments(await rest.text());
  assert.deepEqual(
    instruments.map((i) => i.symbol),
    ['BTC-USDT-PERP', 'SOL-USDT-PERP'],
  );

  const books: (BookSnapshot | BookDelta)[] = [];
  const trades: Trade[] = [];
  const statuses: SyncStatus[] = [];
  const engine = new VenueEngine(adapter as VenueAdapter, instruments, {
    book: (m) => books.push(m),
    trade: (m) => trades.push(m),
    status: (m) => {
      statuses.push(m);
      // the proposed feed behaviour: a stream-snapshot venue re-subscribes a resyncing symbol
      if (m.state === 'resyncing') for (const f of adapter.resubscribeFrames(nativeOf(m.symbol))) ws.send(f);
    },
    needSnapshot: () => assert.fail('a Bybit sync never asks for a REST snapshot'),
    malformed: (e) => assert.fail(`malformed: ${e.message}`),
    venueShutdown: () => undefined,
    now: nowMicros,
  });
  const nativeOf = (symbol: string): string => instruments.find((i) => i.symbol === symbol)!.native;

  const natives = instruments.map((i) => i.native);
  const ws = new WebSocket(adapter.connectionUrl(`ws://127.0.0.1:${port}`, natives));
  t.after(() => ws.terminate());
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    frames.push(text);
    engine.onFrame(text, nowMicros());
    for (const w of [...waiters]) w();
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
  venue!.market.start();

  const state = (native: string): string | undefined => engine.statusOf(native)?.state;
  await until(() => natives.every((n) => state(n) === 'live'), 'both symbols live');
  await until(
    () => books.filter((b) => b.type === 'book.delta').length > 100 && trades.length > 5,
    'deltas and trades',
  );
  assert.ok(
    frames.some((f) => f.includes('"ret_msg":"pong"')),
    'the client ping is answered',
  );

  // venueTs carries µs: frame latency on one machine is small and positive
  const lat = books.filter((b) => b.type === 'book.delta').map((b) => b.recvTs - b.venueTs);
  assert.ok(
    lat.every((l) => l >= 0 && l < 2_000_000),
    `latencies ${lat.slice(0, 5).join(',')}`,
  );
  assert.ok(
    lat.some((l) => l % 1000 !== 0),
    'sub-ms resolution',
  );

  const r = await fetch(`http://127.0.0.1:${port}/sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ venue: 'bybitlinear', symbol: 'BTCUSDT', kind: 'gap', count: 1 }),
  });
  assert.equal(r.status, 200);
  await until(() => statuses.some((s) => s.symbol === 'BTC-USDT-PERP' && s.state === 'resyncing'), 'the gap');
  await until(() => state('BTCUSDT') === 'live', 'live again');
  const btc = engine.statusOf('BTCUSDT')!;
  assert.equal(btc.epoch, 2);
  assert.equal(btc.resyncs, 1);
  assert.match(statuses.find((s) => s.state === 'resyncing')!.reason, /^bybit:u jump/);
  assert.equal(engine.statusOf('SOLUSDT')?.epoch, 1, 'the other symbol was not touched');

  // pause, barrier (ping → pong after every earlier frame), compare with the ground truth
  venue!.market.pause();
  const pongs = frames.filter((f) => f.includes('"pong"')).length;
  ws.send(adapter.defaults.clientPing!.payload);
  await until(() => frames.filter((f) => f.includes('"pong"')).length > pongs, 'the barrier pong');
  for (const native of natives) {
    const truth = (JSON.parse(venue!.groundTruth(native)!) as { result: { b: string[][]; a: string[][] } })
      .result;
    const mine = engine.snapshotOf(native)!;
    assert.deepEqual(mine.bids, truth.b.slice(0, 50), native);
    assert.deepEqual(mine.asks, truth.a.slice(0, 50), native);
  }
  // every published delta chains on the previous message of its epoch
  for (const symbol of ['BTC-USDT-PERP', 'SOL-USDT-PERP']) {
    let last: { epoch: number; seq: number } | undefined;
    for (const b of books.filter((x) => x.symbol === symbol)) {
      if (b.type === 'book.delta') assert.deepEqual([b.epoch, b.prevSeq], [last!.epoch, last!.seq]);
      last = { epoch: b.epoch, seq: b.seq };
    }
  }
  assert.ok(trades.every((tr) => tr.symbol.endsWith('-PERP') && (tr.side === 'buy' || tr.side === 'sell')));
});
