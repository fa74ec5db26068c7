/**
 * Gateway fan-out, memory and slow-consumer benchmark (issue 5 targets). The built gateway runs as
 * its own process (services/gateway/dist/main.mjs) on real nats-server and redis-server; this
 * process publishes top-of-book messages on NATS with the binary codec (as the book-builder does)
 * and runs the clients.
 *
 *   npx tsx tools/bench/gateway.bench.ts [--phases fanout,latency,idle,stalled]
 *       [--fanout-clients 1000] [--fanout-rates 100,300] [--latency-clients 100,1000,5000]
 *       [--idle-clients 2000] [--stalled-clients 1000] [--duration 10] [--runs 3]
 *
 * Phases
 * - fanout: N WebSocket clients on one channel, the publisher at R msg/s; client-messages/s per
 *   core = messages the clients received ÷ CPU seconds the gateway process used in the window
 *   (/proc utime+stime). The clients count frames without parsing, so they stay out of the way.
 * - latency: N clients on one channel, 20 messages/s; each client parses every message and records
 *   receive time − the message's `venueTs` (stamped at publish, one machine, one clock). Per
 *   message: latency to the first and to the last client; reported as medians (and p99) over the
 *   messages of the window.
 * - idle: gateway RSS before and after N connected clients each subscribed to a quiet channel;
 *   KB per connection = RSS delta ÷ N.
 * - stalled: N raw TCP WebSocket clients subscribe to a busy channel and never read. Gateway RSS is
 *   sampled while they stall (bound: baseline + MAX_OUTBOUND_BYTES × N + 10 %), then they
 *   disconnect and RSS is sampled for up to 60 s (the time to come back within 10 % of baseline
 *   over the pre-test RSS is reported, or that it did not).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bus } from '@tickmesh/bus';
import { nowMicros, type TopOfBook } from '@tickmesh/contracts';
import { freePort, harness, pidStats, waitFor, type ServiceHandle } from '@tickmesh/test-harness';
import { WebSocket } from 'ws';
import { repoRoot } from './stack';
import { median, percentile, round } from './stats';

const { values: argv } = parseArgs({
  options: {
    phases: { type: 'string', default: 'fanout,latency,idle,stalled' },
    'fanout-clients': { type: 'string', default: '1000' },
    'fanout-rates': { type: 'string', default: '100,300' },
    'latency-clients': { type: 'string', default: '100,1000,5000' },
    'idle-clients': { type: 'string', default: '2000' },
    'stalled-clients': { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  console.log(
    'npx tsx tools/bench/gateway.bench.ts [--phases fanout,latency,idle,stalled] [--fanout-clients N] ' +
      '[--fanout-rates R,…] [--latency-clients N,…] [--idle-clients N] [--stalled-clients N] [--duration S] [--runs N]',
  );
  process.exit(0);
}
const ints = (s: string): number[] => s.split(',').map((x) => Number.parseInt(x, 10));
const phases = new Set(argv.phases.split(','));
const durationS = Number(argv.duration);
const runs = Number(argv.runs);
const MAX_OUTBOUND = 1_048_576;

const gatewayBundle = join(repoRoot, 'services', 'gateway', 'dist', 'main.mjs');
if (!existsSync(gatewayBundle)) {
  console.error(`missing ${gatewayBundle}: run "node ../../tools/build.mjs" in services/gateway first`);
  process.exit(1);
}

const h = await harness({ nats: true, redis: true });
let gateway: ServiceHandle;
const [gwPort, httpPort] = await Promise.all([freePort(), freePort()]);
const wsUrl = `ws://127.0.0.1:${gwPort}/ws`;
const bus = Bus.start({ url: h.nats.url, name: 'bench-publisher' });
await waitFor(() => bus.state === 'connected', { timeoutMs: 10_000, message: 'publisher connected' });

async function startGatewayProcess(): Promise<void> {
  gateway = await h.spawn({
    name: 'gateway',
    command: process.execPath,
    args: [gatewayBundle],
    env: {
      NATS_URL: h.nats.url,
      REDIS_URL: h.redis.url,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(gwPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
      MAX_SUBSCRIPTIONS: '100',
      WS_PING_MS: '600000',
      MUST_SUBSCRIBE_MS: '600000',
      // thousands of clients from one address: the per-IP connect and per-connection op limits are
      // not what this measures
      RATE_CONNECT_PER_IP: '0',
      RATE_OPS_PER_CONN: '0',
    },
    readyUrl: `http://127.0.0.1:${httpPort}/readyz`,
  });
}

let seq = 0;
function tob(symbol: string, pad = ''): TopOfBook {
  seq++;
  const now = nowMicros();
  return {
    type: 'tob',
    venue: 'binance',
    symbol,
    bidPx: `${100 + (seq % 50)}.25${pad}`,
    bidSz: '1.5',
    askPx: `${151 + (seq % 50)}.75`,
    askSz: '2.25',
    epoch: 1,
    seq,
    state: 'live',
    venueTs: now,
    recvTs: now,
    bookTs: now,
  };
}

/** Publishes `rate` msgs/s on `symbol` in 10 ms ticks until stopped. */
function publisher(symbol: string, rate: number, pad = ''): { stop(): void } {
  const start = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) bus.publish(`md.v1.tob.binance.${symbol}`, tob(symbol, pad));
  }, 10);
  return { stop: () => clearInterval(timer) };
}

interface Pool {
  sockets: WebSocket[];
  close(): Promise<void>;
}

/** Connects `n` ws clients (200 at a time), each subscribed to `tob.binance.<symbol>`. */
async function connectPool(
  n: number,
  symbol: string,
  onMessage: (i: number, data: Buffer) => void,
): Promise<Pool> {
  const sockets: WebSocket[] = [];
  const subscribeOp = JSON.stringify({ op: 'subscribe', id: 1, channels: [`tob.binance.${symbol}`] });
  for (let base = 0; base < n; base += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, n - base) }, (_, k) => {
        const i = base + k;
        return new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
          sockets.push(ws);
          ws.on('message', (data: Buffer) => onMessage(i, data));
          ws.once('open', () => {
            ws.send(subscribeOp);
            resolve();
          });
          ws.once('error', reject);
        });
      }),
    );
  }
  return {
    sockets,
    close: async () => {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.terminate();
            }),
        ),
      );
    },
  };
}

async function gatewayStats(): Promise<{ cpuMs: number; rss: number }> {
  const s = await pidStats(gateway.pid);
  return { cpuMs: s.utimeMs + s.stimeMs, rss: s.rssBytes };
}

/** The gateway's connection count from its JSON index; NaN (and a note) when it does not answer. */
async function indexStats(): Promise<{ wsConnections: number }> {
  // two tries: a keep-alive connection the busy server is just closing answers ECONNRESET
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${gwPort}/`, { headers: { accept: 'application/json' } });
      return (await res.json()) as { wsConnections: number };
    } catch (err) {
      if (attempt < 2) continue;
      console.error(`gateway index: ${(err as Error).message} (gateway running: ${gateway.running})`);
      return { wsConnections: NaN };
    }
  }
}

/** The gateway's V8 heap in use (its process metrics). */
async function heapUsed(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const m = /^nodejs_heap_used_bytes (\S+)$/m.exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** The gateway's /metrics lines whose name contains `word` (non-comment, non-zero). */
async function metricLines(word: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return text.split('\n').filter((l) => !l.startsWith('#') && l.includes(word) && !/ 0$/.test(l));
}

const isData = (buf: Buffer): boolean => buf.includes('"seq":');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const results: Record<string, unknown> = {};

await startGatewayProcess();
try {
  if (phases.has('fanout')) {
    const n = Number(argv['fanout-clients']);
    const rows: unknown[] = [];
    let received = 0;
    const pool = await connectPool(n, 'FAN-USDT', (_i, data) => {
      if (isData(data)) received++;
    });
    // everyone live: each client got its snapshot (the first published value)
    const warm = publisher('FAN-USDT', 20);
    await waitFor(() => received >= n, { timeoutMs: 30_000, message: () => `snapshots ${received}/${n}` });
    warm.stop();
    for (const rate of ints(argv['fanout-rates'])) {
      const perCore: number[] = [];
      const delivered: number[] = [];
      for (let r = 0; r < runs; r++) {
        const pub = publisher('FAN-USDT', rate);
        await sleep(1000);
        const c0 = await gatewayStats();
        const m0 = received;
        const t0 = performance.now();
        await sleep(durationS * 1000);
        const c1 = await gatewayStats();
        const m1 = received;
        const secs = (performance.now() - t0) / 1000;
        pub.stop();
        const cpuS = (c1.cpuMs - c0.cpuMs) / 1000;
        perCore.push((m1 - m0) / cpuS);
        delivered.push((m1 - m0) / secs);
      }
      const row = {
        clients: n,
        publishPerSec: rate,
        offeredClientMsgsPerSec: rate * n,
        deliveredClientMsgsPerSec: round(median(delivered), 0),
        clientMsgsPerGatewayCpuSec: round(median(perCore), 0),
        runs: perCore.map((v) => round(v, 0)),
      };
      console.log('fanout', JSON.stringify(row));
      rows.push(row);
    }
    await pool.close();
    results.fanout = rows;
  }

  if (phases.has('latency')) {
    const rows: unknown[] = [];
    for (const n of ints(argv['latency-clients'])) {
      // per published seq: first and last arrival latency (µs) and how many clients saw it
      const arrivals = new Map<number, { first: number; last: number; count: number }>();
      let recording = false;
      let snapshots = 0;
      const pool = await connectPool(n, `LAT${n}-USDT`, (_i, data) => {
        const now = nowMicros();
        const text = data.toString();
        if (!text.includes('"seq":')) return;
        const m = JSON.parse(text) as { type: string; data: { seq: number; venueTs: number } };
        if (m.type === 'snapshot') {
          snapshots++;
          return;
        }
        if (!recording) return;
        const lat = now - m.data.venueTs;
        const a = arrivals.get(m.data.seq);
        if (a === undefined) arrivals.set(m.data.seq, { first: lat, last: lat, count: 1 });
        else {
          if (lat < a.first) a.first = lat;
          if (lat > a.last) a.last = lat;
          a.count++;
        }
      });
      const warm = publisher(`LAT${n}-USDT`, 20);
      await waitFor(() => snapshots >= n, {
        timeoutMs: 60_000,
        message: () => `snapshots ${snapshots}/${n}`,
      });
      recording = true;
      await sleep(durationS * 1000);
      recording = false;
      warm.stop();
      const complete = [...arrivals.values()].filter((a) => a.count === n);
      const firsts = complete.map((a) => a.first).sort((x, y) => x - y);
      const lasts = complete.map((a) => a.last).sort((x, y) => x - y);
      const row = {
        clients: n,
        messages: arrivals.size,
        completeMessages: complete.length,
        firstClientMs: {
          p50: round(percentile(firsts, 50) / 1000),
          p99: round(percentile(firsts, 99) / 1000),
        },
        lastClientMs: { p50: round(percentile(lasts, 50) / 1000), p99: round(percentile(lasts, 99) / 1000) },
      };
      console.log('latency', JSON.stringify(row));
      rows.push(row);
      await pool.close();
    }
    results.latency = rows;
  }

  if (phases.has('idle')) {
    const n = Number(argv['idle-clients']);
    await sleep(2000);
    const before = await gatewayStats();
    let acks = 0;
    const pool = await connectPool(n, 'IDLE-USDT', (_i, data) => {
      if (data.includes('"ack"')) acks++;
    });
    await waitFor(() => acks >= n, { timeoutMs: 60_000, message: () => `acks ${acks}/${n}` });
    const gwConnections = (await indexStats()).wsConnections;
    await sleep(3000);
    const after = await gatewayStats();
    const row = {
      clients: n,
      gatewayConnections: gwConnections,
      rssBeforeMiB: round(before.rss / 2 ** 20),
      rssAfterMiB: round(after.rss / 2 ** 20),
      kbPerConnection: round((after.rss - before.rss) / n / 1024),
    };
    console.log('idle', JSON.stringify(row));
    results.idle = row;
    await pool.close();
  }

  if (phases.has('stalled')) {
    const n = Number(argv['stalled-clients']);
    await sleep(2000);
    const baseline = await gatewayStats();
    const baselineHeap = await heapUsed();
    const sockets = await connectStalled(n, 'STALL-USDT');
    const connected = (await indexStats()).wsConnections;
    // ~450-byte messages at 1000/s to every stalled client: ≈ 450 KB/s each, so the kernel's
    // socket buffers fill within seconds and the gateway's own per-connection cap is reached
    const pub = publisher('STALL-USDT', 1000, '0'.repeat(200));
    let peak = baseline.rss;
    let open = connected;
    let closedAfterS: number | null = null;
    const t0 = performance.now();
    while (performance.now() - t0 < Math.max(durationS, 60) * 1000) {
      peak = Math.max(peak, (await gatewayStats()).rss);
      open = (await indexStats()).wsConnections;
      if (open === 0) {
        closedAfterS = round((performance.now() - t0) / 1000, 1);
        break;
      }
      await sleep(200);
    }
    pub.stop();
    for (const s of sockets) s.destroy();
    const bound = baseline.rss + MAX_OUTBOUND * n * 1.1;
    // After the clients go: connections released, heap back near its baseline, RSS (V8 returns
    // freed pages to the OS lazily, so RSS lags the heap).
    let recoveredAfterS: number | null = null;
    let heapRecoveredAfterS: number | null = null;
    let releasedAfterS: number | null = null;
    const r0 = performance.now();
    let last = peak;
    let lastHeap = 0;
    while (performance.now() - r0 < 60_000) {
      const at = round((performance.now() - r0) / 1000, 1);
      last = (await gatewayStats()).rss;
      lastHeap = await heapUsed();
      if (releasedAfterS === null && (await indexStats()).wsConnections === 0) releasedAfterS = at;
      if (heapRecoveredAfterS === null && lastHeap <= baselineHeap * 1.1 + 8 * 2 ** 20)
        heapRecoveredAfterS = at;
      if (recoveredAfterS === null && last <= baseline.rss * 1.1) recoveredAfterS = at;
      if (recoveredAfterS !== null && heapRecoveredAfterS !== null && releasedAfterS !== null) break;
      await sleep(500);
    }
    const row = {
      clients: n,
      baselineMiB: round(baseline.rss / 2 ** 20),
      peakMiB: round(peak / 2 ** 20),
      boundMiB: round(bound / 2 ** 20),
      withinBound: peak <= bound,
      connectedAtStart: connected,
      stillConnectedAtEnd: open,
      allClosedAfterS: closedAfterS,
      slowConsumerCloses: await metricLines('slow'),
      rssAfterDisconnectMiB: round(last / 2 ** 20),
      connectionsReleasedAfterS: releasedAfterS,
      heapBaselineMiB: round(baselineHeap / 2 ** 20),
      heapAfterDisconnectMiB: round(lastHeap / 2 ** 20),
      heapRecoveredAfterS,
      rssRecoveredWithin10PctAfterS: recoveredAfterS,
    };
    console.log('stalled', JSON.stringify(row));
    results.stalled = row;
  }
  console.log(JSON.stringify({ gatewayBench: results }, null, 2));
} finally {
  await bus.close();
  await h.close();
}

/** Raw TCP WebSocket clients that subscribe and then never read (socket paused). */
async function connectStalled(n: number, symbol: string): Promise<Socket[]> {
  const out: Socket[] = [];
  const payload = Buffer.from(
    JSON.stringify({ op: 'subscribe', id: 1, channels: [`tob.binance.${symbol}`] }),
  );
  for (let base = 0; base < n; base += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, n - base) },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = connect(gwPort, '127.0.0.1');
            out.push(s);
            s.once('error', reject);
            s.once('connect', () => {
              s.write(
                `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
              );
            });
            let head = '';
            const onData = (chunk: Buffer): void => {
              head += chunk.toString('latin1');
              if (!head.includes('\r\n\r\n')) return;
              s.off('data', onData);
              s.write(maskedText(payload));
              s.pause();
              resolve();
            };
            s.on('data', onData);
          }),
      ),
    );
  }
  return out;
}

function maskedText(payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header =
    len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, body]);
}
