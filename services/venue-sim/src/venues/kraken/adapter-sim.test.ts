/**
 * The tickmesh Kraken adapter (libs/venues) driven by the real `VenueEngine` over a socket to the
 * simulator: AssetPairs metadata, subscribe frames, client pings, stream snapshots, checksums on
 * every message, a gap fault detected by checksum and resynced by re-subscribing the symbol (what
 * the feed does for `snapshotSource: 'stream'` venues), µs latency from `timestamp`, and the final
 * book equal to the simulator's ground truth.
 *
 * It needs `kraken` exported from @tickmesh/venues (one line in libs/venues/src/index.ts); until
 * then it is skipped.
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
import * as venues from '@tickmesh/venues';
import { VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { WebSocket } from 'ws';
import { resolveConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { createSimServer } from '../../server/http-server';
import { createKrakenVenue } from './index';

/** What this test needs of libs/venues' `kraken` namespace. */
interface KrakenModule {
  krakenAdapter(opts?: { depth?: number }): VenueAdapter & { resubscribeFrames(native: string): string[] };
}
const kraken = (venues as unknown as { kraken?: KrakenModule }).kraken;

test(
  'adapter + engine against the simulator: live, checksums, gap → re-subscribe → live, ground truth, µs latency',
  { skip: kraken === undefined ? '@tickmesh/venues does not export kraken yet' : false },
  async (t) => {
    const config = resolveConfig({
      seed: 9,
      symbols: [
        { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
        { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
      ],
      rate: 300,
      tradeRate: 20,
      autoStart: false,
    });
    const venue = createKrakenVenue(config, silentLogger, { heartbeatMs: 200 });
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

    const adapter = kraken!.krakenAdapter({ depth: 10 });
    const rest = await fetch(`http://127.0.0.1:${port}${adapter.instrumentsRequest([]).path}`);
    const instruments = adapter.parseInstruments(await rest.text());
    assert.deepEqual(
      instruments.map((i) => [i.native, i.symbol, i.priceDecimals, i.sizeDecimals]),
      [
        ['BTC/USDT', 'BTC-USDT', 2, 8],
        ['SOL/USDT', 'SOL-USDT', 2, 8],
      ],
    );
    assert.deepEqual(instruments, venue.instruments);

    const books: (BookSnapshot | BookDelta)[] = [];
    const trades: Trade[] = [];
    const statuses: SyncStatus[] = [];
    const engine = new VenueEngine(adapter, instruments, {
      book: (m) => books.push(m),
      trade: (m) => trades.push(m),
      status: (m) => statuses.push(m),
      needSnapshot: () => assert.fail('a Kraken sync never asks for a REST snapshot'),
      // what the feed does for a 'stream' venue: re-subscribe on the symbol's connection
      resubscribe: (native) => {
        for (const f of adapter.resubscribeFrames(native)) ws.send(f);
      },
      malformed: (e) => assert.fail(`malformed: ${e.message}`),
      venueShutdown: () => undefined,
      now: nowMicros,
    });

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
    venue.market.start();

    const state = (native: string): string | undefined => engine.statusOf(native)?.state;
    await until(() => natives.every((n) => state(n) === 'live'), 'both symbols live');
    await until(
      () => books.filter((b) => b.type === 'book.delta').length > 100 && trades.length > 5,
      'deltas and trades',
    );
    assert.ok(
      frames.some((f) => f.startsWith('{"method":"pong"')),
      'the client ping is answered',
    );
    assert.ok(
      frames.some((f) => f === '{"channel":"heartbeat"}'),
      'heartbeats flow',
    );

    // venueTs is the send time in µs: frame latency on one machine is small, positive, sub-ms
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
      body: JSON.stringify({ venue: 'kraken', symbol: 'BTC/USDT', kind: 'gap', count: 1 }),
    });
    assert.equal(r.status, 200);
    await until(() => statuses.some((s) => s.symbol === 'BTC-USDT' && s.state === 'resyncing'), 'the gap');
    await until(() => state('BTC/USDT') === 'live', 'live again');
    const btc = engine.statusOf('BTC/USDT')!;
    assert.equal(btc.epoch, 2);
    assert.equal(btc.resyncs, 1);
    assert.match(statuses.find((s) => s.state === 'resyncing')!.reason, /^kraken:checksum mismatch/);
    assert.equal(engine.statusOf('SOL/USDT')?.epoch, 1, 'the other symbol was not touched');

    // pause, barrier (ping → pong after every earlier frame), compare with the ground truth
    venue.market.pause();
    const pongs = frames.filter((f) => f.startsWith('{"method":"pong"')).length;
    ws.send(adapter.defaults.clientPing!.payload);
    await until(
      () => frames.filter((f) => f.startsWith('{"method":"pong"')).length > pongs,
      'the barrier pong',
    );
    for (const native of natives) {
      const body = JSON.parse(venue.groundTruth(native)!) as {
        result: Record<string, { bids: string[][]; asks: string[][] }>;
      };
      const truth = Object.values(body.result)[0]!;
      const mine = engine.snapshotOf(native)!;
      assert.deepEqual(
        mine.bids,
        truth.bids.slice(0, 10).map((l) => [l[0], l[1]]),
        native,
      );
      assert.deepEqual(
        mine.asks,
        truth.asks.slice(0, 10).map((l) => [l[0], l[1]]),
        native,
      );
    }
    // every published delta chains on the previous message of its epoch, with consecutive seqs
    for (const symbol of ['BTC-USDT', 'SOL-USDT']) {
      let last: { epoch: number; seq: number } | undefined;
      for (const b of books.filter((x) => x.symbol === symbol)) {
        if (b.type === 'book.delta') {
          assert.deepEqual([b.epoch, b.prevSeq], [last!.epoch, last!.seq]);
          assert.equal(b.seq, b.prevSeq + 1);
        }
        last = { epoch: b.epoch, seq: b.seq };
      }
    }
    assert.ok(trades.every((tr) => tr.venue === 'kraken' && (tr.side === 'buy' || tr.side === 'sell')));
    assert.ok(
      trades.every((tr) => /^\d+\.\d{8}$/.test(tr.size)),
      'sizes keep their 8 decimals',
    );
  },
);
