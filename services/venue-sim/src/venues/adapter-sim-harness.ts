/**
 * Test-only helper for the per-venue adapter-vs-simulator tests (`<venue>/adapter-sim.test.ts`):
 * one simulated venue served on an ephemeral port, the tickmesh adapter's instruments from its REST
 * metadata, and the real `VenueEngine` on a WebSocket to it doing what libs/feed does (REST
 * snapshots on request, re-subscription frames on the symbol's socket, connection restarts), with
 * everything it publishes collected and a condition wait woken by every frame. Imported by tests
 * only; the venue-specific parts (ground-truth shape, barrier frame, expected reasons) stay in them.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import {
  nowMicros,
  type BookDelta,
  type BookSnapshot,
  type Instrument,
  type SyncStatus,
  type Trade,
} from '@tickmesh/contracts';
import { VenueEngine, type EngineSink, type VenueAdapter } from '@tickmesh/venues';
import { WebSocket } from 'ws';
import { ControlApi } from '../control/control-api';
import { silentLogger } from '../log';
import { createSimServer } from '../server/http-server';
import type { VenueProtocol } from './venue';

type T = { after: (fn: () => Promise<void> | void) => void };

/** Serves one simulated venue (REST, WebSocket and /sim/) on 127.0.0.1:<ephemeral>; closed after the test. */
export async function serveVenue(t: T, venue: VenueProtocol): Promise<{ base: string }> {
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
  return { base: `127.0.0.1:${port}` };
}

export interface AdapterRun {
  instruments: Instrument[];
  natives: string[];
  engine: VenueEngine<unknown, unknown>;
  books: (BookSnapshot | BookDelta)[];
  trades: Trade[];
  statuses: SyncStatus[];
  frames: string[];
  /** connection restarts the engine asked for (venues with connection-wide continuity) */
  restarts: string[];
  /** the current socket */
  ws(): WebSocket;
  state(native: string): string | undefined;
  deltas(): BookDelta[];
  /** resolves once `cond` holds (checked now and after every frame and snapshot), else rejects after 15 s */
  until(cond: () => boolean, what: string): Promise<void>;
  /** POST /sim/faults */
  fault(body: Record<string, unknown>): Promise<void>;
  /** sends `probe` and waits until a frame matching `reply` arrives after every earlier one */
  barrier(probe: string, reply: (frame: string) => boolean): Promise<void>;
}

export interface AdapterRunOptions {
  /** the connection name the engine sees (default '') */
  conn?: string;
  /** send the adapter's client ping once subscribed (default true when it has one) */
  ping?: boolean;
}

/**
 * The adapter's instruments from the simulator's metadata, then one connection carrying all of
 * them, subscribed (and pinged), with the engine driven by its frames. Malformed frames fail the test.
 */
export async function runAdapter(
  t: T,
  base: string,
  adapter: VenueAdapter,
  opts: AdapterRunOptions = {},
): Promise<AdapterRun> {
  const rest = await fetch(`http://${base}${adapter.instrumentsRequest([]).path}`);
  const instruments = adapter.parseInstruments(await rest.text());
  const natives = instruments.map((i) => i.native);
  const conn = opts.conn ?? '';
  const books: (BookSnapshot | BookDelta)[] = [];
  const trades: Trade[] = [];
  const statuses: SyncStatus[] = [];
  const frames: string[] = [];
  const restarts: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  let ws: WebSocket | undefined;
  let opened: Promise<void> = Promise.resolve();
  const sink: EngineSink = {
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
      for (const f of adapter.resubscribeFrames?.(native) ?? []) ws!.send(f);
    },
    malformed: (e) => assert.fail(`malformed: ${e.message}`),
    venueShutdown: () => undefined,
    // what the feed does: close the socket and open a new one
    restartConnection: (name) => {
      restarts.push(name);
      const old = ws;
      ws = undefined;
      old?.terminate();
      engine.connectionLost(natives, 'restart', conn);
      connect();
    },
    now: nowMicros,
  };
  const engine: VenueEngine<unknown, unknown> = new VenueEngine(adapter, instruments, sink);
  const connect = (): void => {
    const sock = new WebSocket(adapter.connectionUrl(`ws://${base}`, natives));
    ws = sock;
    opened = new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.once('open', () => {
        engine.connectionOpened(natives, conn);
        for (const f of adapter.subscribeFrames(natives)) sock.send(f);
        const ping = adapter.defaults.clientPing;
        if (ping !== undefined && opts.ping !== false) sock.send(ping.payload);
        wake();
        resolve();
      });
    });
    sock.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      frames.push(text);
      engine.onFrame(text, nowMicros(), conn);
      wake();
    });
    sock.on('close', () => {
      if (ws === sock) engine.connectionLost(natives, 'closed', conn);
    });
  };
  t.after(() => ws?.terminate());
  connect();
  await opened;

  const until = (cond: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out: ${what}`));
      }, 15_000);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return {
    instruments,
    natives,
    engine,
    books,
    trades,
    statuses,
    frames,
    restarts,
    ws: () => ws!,
    state: (native) => engine.statusOf(native)?.state,
    deltas: () => books.filter((b): b is BookDelta => b.type === 'book.delta'),
    until,
    fault: async (body) => {
      const r = await fetch(`http://${base}/sim/faults`, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(r.status, 200, `fault ${JSON.stringify(body)}`);
    },
    barrier: async (probe, reply) => {
      const before = frames.filter(reply).length;
      ws!.send(probe);
      await until(() => frames.filter(reply).length > before, `the barrier reply to ${probe}`);
    },
  };
}

/** Latencies `recvTs - venueTs` of the deltas: small, non-negative, with sub-ms resolution. */
export function assertMicrosLatency(books: readonly (BookSnapshot | BookDelta)[]): void {
  const lat = books.filter((b) => b.type === 'book.delta').map((b) => b.recvTs - b.venueTs);
  assert.ok(
    lat.every((l) => l >= 0 && l < 2_000_000),
    `latencies ${lat.slice(0, 5).join(',')}`,
  );
  assert.ok(
    lat.some((l) => l % 1000 !== 0),
    'sub-ms resolution',
  );
}

/**
 * Every published delta chains on the previous message of its symbol and epoch; with
 * `consecutive`, `seq == prevSeq + 1`; snapshots after the first increase `seq` (when `increasing`).
 */
export function assertChains(
  books: readonly (BookSnapshot | BookDelta)[],
  opts: { consecutive?: boolean; increasing?: boolean } = {},
): void {
  for (const symbol of new Set(books.map((b) => b.symbol))) {
    let last: { epoch: number; seq: number } | undefined;
    for (const b of books.filter((x) => x.symbol === symbol)) {
      if (b.type === 'book.delta') {
        assert.deepEqual([b.epoch, b.prevSeq], [last!.epoch, last!.seq], symbol);
        if (opts.consecutive === true) assert.equal(b.seq, b.prevSeq + 1, symbol);
      } else if (opts.increasing === true && last !== undefined) {
        assert.ok(b.seq > last.seq, `${symbol}: seq increases across epochs`);
      }
      last = { epoch: b.epoch, seq: b.seq };
    }
  }
}
