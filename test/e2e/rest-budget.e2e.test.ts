/**
 * REST_BUDGET=nats end to end: two ingestor replicas of one venue share one REST request-weight
 * budget through NATS KV (JetStream), so a mass (re)sync cannot storm the venue.
 *
 * Real processes: nats-server with JetStream (the harness default), the built simulator (Binance,
 * 6 symbols) and two built ingestors with the same universe, `REST_BUDGET=nats` and
 * `REST_WEIGHT_PER_MINUTE=300`. Each replica reaches the simulator's REST API through its own
 * recording proxy (in this test), which stamps every request with the replica and the time.
 *
 * Demand at start-up: per replica exchangeInfo (weight 20) + 6 depth snapshots (weight 50 each) =
 * 320, so 640 for both; the shared budget allows 300 per fixed minute window (the KV counter's
 * window is `floor(epoch ms / 60 000)`). The assertion: in every minute window the weight both
 * replicas sent together is at most 300 (+ one snapshot of slack for a request granted just before
 * a window boundary that reached the proxy just after it). Without the shared budget each replica
 * would spend its own 300 at once: ≥ 540 in the first window, and the test fails. The test also
 * checks that the budget was the binding limit (a window among the first two is spent before all
 * 12 snapshots are fetched), that both replicas drew on it, that they continue in a later window
 * (the budget frees, it does not wedge), and that the counter is the one in NATS KV (bucket
 * `tickmesh_rest_budget`, key `binance.weight`), within the budget. With `REST_BUDGET=local` this
 * test fails (checked while writing it: "window 0: 640 weight sent by both replicas > budget 300").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { freePort, harness, waitFor } from '@tickmesh/test-harness';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const svc = (name: string): string => join(repoRoot, 'services', name, 'dist', 'main.mjs');

const BUDGET = 300;
const WINDOW_MS = 60_000;
const SNAPSHOT_WEIGHT = 50; // GET /api/v3/depth?limit=1000
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'XRP', 'ADA', 'DOT'].map((b) => `${b}USDT:${b}:USDT`);

interface Request {
  replica: string;
  ts: number;
  path: string;
  weight: number;
}

function weightOf(path: string): number {
  if (path.startsWith('/api/v3/depth')) return SNAPSHOT_WEIGHT;
  if (path.startsWith('/api/v3/exchangeInfo')) return 20;
  return 1;
}

/** An HTTP proxy to the simulator's REST API that records every request of one replica. */
async function recordingProxy(replica: string, target: string, log: Request[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    log.push({ replica, ts: Date.now(), path, weight: weightOf(path) });
    fetch(`${target}${path}`).then(
      async (r) => {
        const body = await r.text();
        const headers: Record<string, string> = {
          'content-type': r.headers.get('content-type') ?? 'application/json',
        };
        const retryAfter = r.headers.get('retry-after');
        if (retryAfter !== null) headers['retry-after'] = retryAfter;
        res.writeHead(r.status, headers).end(body);
      },
      () => res.writeHead(502).end('proxy: simulator unreachable'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

test('REST_BUDGET=nats: two ingestor replicas together stay within one REST weight budget', async (t) => {
  const h = await harness({ nats: true });
  const proxies: Server[] = [];
  let failed = true;
  t.after(async () => {
    for (const p of proxies) {
      p.closeAllConnections();
      p.close();
    }
    await h.close({ failed });
  });
  const [simPort, portA, portB] = await Promise.all([freePort(), freePort(), freePort()]);
  await h.spawn({
    name: 'venue-sim',
    command: process.execPath,
    args: [svc('venue-sim')],
    env: {
      SIM_HOST: '127.0.0.1',
      SIM_PORT: String(simPort),
      SIM_VENUES: 'binance',
      SIM_SYMBOLS: SYMBOLS.join(','),
      SIM_RATE: '10',
    },
    readyUrl: `http://127.0.0.1:${simPort}/sim/health`,
  });
  const log: Request[] = [];
  const sim = `http://127.0.0.1:${simPort}`;
  for (const replica of ['a', 'b']) proxies.push(await recordingProxy(replica, sim, log));
  const started = Date.now();
  const replicas = [
    { name: 'a', port: portA, proxy: proxies[0]! },
    { name: 'b', port: portB, proxy: proxies[1]! },
  ];
  await Promise.all(
    replicas.map((r) =>
      h.spawn({
        name: `ingestor-${r.name}`,
        command: process.execPath,
        args: [svc('ingestor')],
        env: {
          NATS_URL: h.nats.url,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(r.port),
          LOG_LEVEL: 'info',
          VENUE: 'binance',
          SYMBOLS: SYMBOLS.map((s) => s.split(':')[0]).join(','),
          VENUE_WS_URL: `ws://127.0.0.1:${simPort}`,
          VENUE_REST_URL: `http://127.0.0.1:${(r.proxy.address() as AddressInfo).port}`,
          REST_BUDGET: 'nats',
          REST_WEIGHT_PER_MINUTE: String(BUDGET),
        },
        readyUrl: `http://127.0.0.1:${r.port}/healthz`,
      }),
    ),
  );

  const windowOf = (ts: number): number => Math.floor(ts / WINDOW_MS);
  const first = windowOf(started);
  const weights = (): Map<number, number> => {
    const m = new Map<number, number>();
    for (const r of log) m.set(windowOf(r.ts), (m.get(windowOf(r.ts)) ?? 0) + r.weight);
    return m;
  };
  // both replicas fetch until a window's budget is spent, then a later window lets them continue
  const spent = (): number | undefined =>
    [...weights()].find(([, weight]) => weight > BUDGET - SNAPSHOT_WEIGHT)?.[0];
  const snapshots = (): number => log.filter((r) => r.path.startsWith('/api/v3/depth')).length;
  await waitFor(
    () => {
      // every snapshot fetched (only possible when the replicas did NOT share the budget: then the
      // per-window check below fails), or a spent window followed by a snapshot in a later one
      // both replicas are running (a slow start must not end the test before the second one asks)
      if (!['a', 'b'].every((replica) => log.some((r) => r.replica === replica))) return false;
      if (snapshots() >= 2 * SYMBOLS.length) return true;
      const w = spent();
      return w !== undefined && log.some((r) => windowOf(r.ts) > w && r.path.startsWith('/api/v3/depth'));
    },
    {
      timeoutMs: 3 * WINDOW_MS,
      intervalMs: 200,
      message: () => `a snapshot request after a spent budget window (${log.length} requests so far)`,
    },
  );

  const perWindow = weights();
  const byReplica = (w: number, replica: string): number =>
    log.filter((r) => windowOf(r.ts) === w && r.replica === replica).reduce((n, r) => n + r.weight, 0);
  const summary = [...perWindow]
    .map(([w, weight]) => `${w - first}:${weight} (a ${byReplica(w, 'a')}, b ${byReplica(w, 'b')})`)
    .join(' ');
  for (const [w, weight] of perWindow)
    assert.ok(
      weight <= BUDGET + SNAPSHOT_WEIGHT,
      `window ${w - first}: ${weight} weight sent by both replicas > budget ${BUDGET} (windows ${summary})`,
    );
  // the budget was what limited them: a window (the first, or the second when start-up straddled a
  // boundary) was spent before every snapshot was fetched, and both replicas got requests through
  const w = spent()!;
  assert.ok(w <= first + 1, `the first windows were spent (windows ${summary})`);
  // both replicas drew on it (metadata and snapshots; the split between them is first come, first served)
  for (const replica of ['a', 'b'])
    assert.ok(
      log.some((r) => r.replica === replica),
      `replica ${replica} sent REST requests`,
    );
  // the counter both replicas charged is the NATS KV one (`<venue>.weight` = {window, used})
  const nc = await connect({ servers: h.nats.url });
  try {
    const kv = await new Kvm(nc).open('tickmesh_rest_budget');
    const entry = await kv.get('binance.weight');
    assert.ok(entry !== null, 'the shared counter exists in NATS KV');
    const state = JSON.parse(new TextDecoder().decode(entry.value)) as { window: number; used: number };
    assert.ok(state.used > 0 && state.used <= BUDGET, `KV counter ${JSON.stringify(state)}`);
    assert.ok(state.window >= first, `KV window ${state.window - first} (windows ${summary})`);
  } finally {
    await nc.close();
  }
  const demand = 2 * (20 + SYMBOLS.length * SNAPSHOT_WEIGHT);
  assert.ok(demand > 2 * BUDGET - SNAPSHOT_WEIGHT, 'unshared, the replicas would exceed the budget');
  failed = false;
});
