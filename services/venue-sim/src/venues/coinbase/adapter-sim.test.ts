/**
 * The tickmesh Coinbase adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: REST products → instruments, subscribe frames, level2 snapshots, a gap fault detected
 * by the per-connection `sequence_num` and resynced by restarting the connection (what the feed
 * does on `restartConnection`), taker sides, µs latency, and the final books equal to the ground truth.
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
import { coinbase, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { WebSocket } from 'ws';
import { resolveConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { createSimServer } from '../../server/http-server';
import { createCoinbaseVenue } from './index';

test('adapter + engine against the simulator: live, sequence jump → reconnect → live, ground truth', async (t) => {
  const config = resolveConfig({
    seed: 9,
    symbols: [
      { native: 'BTCUSD', base: 'BTC', quote: 'USD' },
      { native: 'SOLUSD', base: 'SOL', quote: 'USD' },
    ],
    rate: 300,
    tradeRate: 20,
    autoStart: false,
  });
  const venue = createCoinbaseVenue(config, silentLogger, { heartbeatIntervalMs: 100 });
  const server = createSimServer(
    new ControlApi(new Map([[venue.name, venue]]), silentLogger),
    [venue],
    silentLogger,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    venue.market.stop();
    await venue.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  const takerById = new Map<string, string>();
  venue.market.listen({
    depth: () => undefined,
    trade: (_m, tr) => void takerById.set(String(tr.id), tr.takerSide),
  });

  const adapter = coinbase.coinbaseAdapter();
  const rest = await fetch(`http://127.0.0.1:${port}${adapter.instrumentsRequest([]).path}`);
  const instruments = adapter.parseInstruments(await rest.text());
  assert.deepEqual(
    instruments.map((i) => [i.native, i.symbol]),
    [
      ['BTC-USD', 'BTC-USD'],
      ['SOL-USD', 'SOL-USD'],
    ],
  );
  const natives = instruments.map((i) => i.native);

  const books: (BookSnapshot | BookDelta)[] = [];
  const trades: Trade[] = [];
  const statuses: SyncStatus[] = [];
  const restarts: string[] = [];
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  let ws: WebSocket | undefined;
  const name = 'coinbase-0'; // one shard; the feed names connections `<venue>-<shard>`
  const connect = (): void => {
    const sock = new WebSocket(adapter.connectionUrl(`ws://127.0.0.1:${port}`, natives));
    ws = sock;
    sock.on('open', () => {
      engine.connectionOpened(natives, name);
      for (const f of adapter.subscribeFrames(natives)) sock.send(f);
      wake();
    });
    sock.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      frames.push(text);
      engine.onFrame(text, nowMicros(), name);
      wake();
    });
    sock.on('close', () => engine.connectionLost(natives, 'closed', name));
  };
  const engine = new VenueEngine(adapter as VenueAdapter, instruments, {
    book: (m) => books.push(m),
    trade: (m) => trades.push(m),
    status: (m) => statuses.push(m),
    needSnapshot: () => assert.fail('coinbase never asks for a REST snapshot'),
    malformed: (e) => assert.fail(`malformed: ${e.message}`),
    venueShutdown: () => undefined,
    // what the feed does: close the socket and open a new one (a new sequence_num counter)
    restartConnection: (conn) => {
      restarts.push(conn);
      ws?.terminate();
      connect();
    },
    now: nowMicros,
  });
  t.after(() => ws?.terminate());
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

  connect();
  const state = (native: string): string | undefined => engine.statusOf(native)?.state;
  await until(() => natives.every((n) => state(n) === 'live'), 'both symbols live');
  venue.market.start();
  await until(
    () => books.filter((b) => b.type === 'book.delta').length > 100 && trades.length > 5,
    'deltas and trades',
  );
  assert.ok(
    frames.some((f) => f.includes('"channel":"heartbeats"')),
    'heartbeats arrive',
  );

  const lat = books.filter((b) => b.type === 'book.delta').map((b) => b.recvTs - b.venueTs);
  assert.ok(
    lat.every((l) => l >= 0 && l < 2_000_000),
    `latencies ${lat.slice(0, 5).join(',')}`,
  );
  assert.ok(
    lat.some((l) => l % 1000 !== 0),
    'µs resolution',
  );

  const r = await fetch(`http://127.0.0.1:${port}/sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ venue: 'coinbase', symbol: 'BTC-USD', kind: 'gap', count: 1 }),
  });
  assert.equal(r.status, 200);
  await until(() => restarts.length === 1, 'the gap');
  const resync = statuses.filter((s) => s.state === 'resyncing');
  assert.deepEqual(
    resync.map((s) => s.symbol).sort(),
    ['BTC-USD', 'SOL-USD'],
    'a lost message on the connection resyncs every product it carries',
  );
  assert.match(resync[0]!.reason, /^coinbase:sequence_num jump: \d+ after \d+ \(1 message lost/);
  await until(
    () => natives.every((n) => state(n) === 'live' && engine.statusOf(n)!.epoch === 2),
    'live again',
  );
  assert.deepEqual(restarts, ['coinbase-0']);

  // pause, barrier (a subscriptions reply comes after every earlier frame), compare with the ground truth
  venue.market.pause();
  const acks = frames.filter((f) => f.includes('"channel":"subscriptions"')).length;
  ws!.send('{"type":"unsubscribe","product_ids":[],"channel":"status"}');
  await until(
    () => frames.filter((f) => f.includes('"channel":"subscriptions"')).length > acks,
    'the barrier',
  );
  for (const native of natives) {
    const pb = (
      JSON.parse(venue.groundTruth(native)!) as {
        pricebook: { bids: { price: string; size: string }[]; asks: { price: string; size: string }[] };
      }
    ).pricebook;
    const mine = engine.snapshotOf(native)!;
    assert.deepEqual(
      mine.bids,
      pb.bids.map((l) => [l.price, l.size]),
      native,
    );
    assert.deepEqual(
      mine.asks,
      pb.asks.map((l) => [l.price, l.size]),
      native,
    );
  }
  // every published delta chains on the previous message of its epoch
  for (const symbol of ['BTC-USD', 'SOL-USD']) {
    let last: { epoch: number; seq: number } | undefined;
    for (const b of books.filter((x) => x.symbol === symbol)) {
      if (b.type === 'book.delta') assert.deepEqual([b.epoch, b.prevSeq], [last!.epoch, last!.seq]);
      else if (last !== undefined) assert.ok(b.seq > last.seq, 'seq increases across epochs');
      last = { epoch: b.epoch, seq: b.seq };
    }
  }
  // the adapter's taker side is the model's aggressor
  assert.ok(trades.length > 5);
  for (const tr of trades) assert.equal(tr.side, takerById.get(tr.id), `trade ${tr.id}`);
});
