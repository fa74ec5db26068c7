/**
 * Book-builder throughput on one core (issue 4 targets), in-process against a real redis-server and
 * nats-server. `npx tsx tools/bench/book-builder.bench.ts [--venues 5] [--symbols 10] [--levels 10]
 * [--updates 100000] [--batch 100] [--runs 3] [--flush-ms 10]`
 *
 * Workload: `venues × symbols` books (every symbol on every venue, so each consolidated book has
 * `venues` members), a 200-level snapshot per side each, then `--updates` chained `book.delta`s
 * round-robin over the books, each changing `--levels` levels (half bids, half asks) within the 20
 * best ticks of its side — modifications, removals and additions, a share of them at the best
 * level — as exact decimal text. Everything is encoded with the binary codec before timing.
 *
 * Per run, timed as a whole: `decode` + `deliver` (the book-builder's per-message path: continuity,
 * apply, crossed check, stats, consolidation, top of book to NATS and Redis) of every delta, in
 * batches of `--batch` per event-loop turn (what one NATS socket read hands the callback), then until
 * every Redis write is acknowledged. updates/s = updates ÷ wall time; CPU µs/update =
 * process.cpuUsage() (user + system, this process only) ÷ updates. Not included: the NATS receive
 * (socket read + protocol parse) of the incoming deltas.
 *
 * Modes, interleaved run by run so noise hits them alike: `tickmesh` (Redis on, consolidation on:
 * the service's defaults, REDIS_FLUSH_MS=10, CONSOLIDATED_INTERVAL_MS=10), `redis-off` (tops of
 * book and NBBOs dropped instead of written: the Redis client's share is the difference),
 * `no-consolidation` (its added cost is the difference), `consolidate-every-turn`
 * (CONSOLIDATED_INTERVAL_MS=0: every changed consolidated book recomputed every event-loop turn),
 * `flush-0` (REDIS_FLUSH_MS=0: a pipeline every turn), and `naive` — decode, apply to the same exact
 * OrderBook, then one ioredis `SET` + `PUBLISH` per update (not pipelined by the app; each update's
 * SET and PUBLISH awaited in order, updates of a batch overlapping, the batch awaited before the
 * next), as in tools/bench/naive.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { OrderBook } from '@tickmesh/book';
import { decode, encodeBinary, type BookDelta, type BookSnapshot, type Level } from '@tickmesh/contracts';
import { metrics } from '@tickmesh/observability';
import { startNats, startRedis } from '@tickmesh/test-harness';
import { startBookBuilder } from '../../services/book-builder/src/index';
import { median, round } from './stats';

const { values: argv } = parseArgs({
  options: {
    venues: { type: 'string', default: '5' },
    symbols: { type: 'string', default: '10' },
    levels: { type: 'string', default: '10' },
    updates: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    'flush-ms': { type: 'string', default: '10' },
    modes: {
      type: 'string',
      default: 'tickmesh,redis-off,no-consolidation,consolidate-every-turn,flush-0,naive',
    },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  process.stdout.write(
    'npx tsx tools/bench/book-builder.bench.ts [--venues 5] [--symbols 10] [--levels 10] [--updates 100000]\n' +
      '    [--batch 100] [--runs 3] [--flush-ms 10]\n' +
      '    [--modes tickmesh,redis-off,no-consolidation,consolidate-every-turn,flush-0,naive]\n',
  );
  process.exit(0);
}
const VENUES = ['binance', 'okx', 'bybit', 'coinbase', 'kraken', 'v6', 'v7', 'v8'].slice(
  0,
  Number(argv.venues),
);
const SYMBOLS = Array.from({ length: Number(argv.symbols) }, (_, i) => `S${i}-USD`);
const LEVELS = Number(argv.levels);
const UPDATES = Number(argv.updates);
const BATCH = Number(argv.batch);
const RUNS = Number(argv.runs);
const FLUSH_MS = Number(argv['flush-ms']);
const MODES = argv.modes.split(',') as Mode[];
type Mode = 'tickmesh' | 'redis-off' | 'no-consolidation' | 'consolidate-every-turn' | 'flush-0' | 'naive';

const log = (s: string): void => void process.stderr.write(`[book-builder.bench] ${s}\n`);

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer ticks of 0.01 → exact decimal text, e.g. 1234567 → "12345.67". */
const px = (ticks: number): string => `${Math.floor(ticks / 100)}.${String(ticks % 100).padStart(2, '0')}`;
/** Integer lots of 0.001 → text. */
const sz = (lots: number): string => `${Math.floor(lots / 1000)}.${String(lots % 1000).padStart(3, '0')}`;

interface GenBook {
  venue: string;
  symbol: string;
  mid: number;
  bids: Map<number, number>;
  asks: Map<number, number>;
  seq: number;
}

function workload(): { snapshots: Uint8Array[]; deltas: Uint8Array[]; bytes: number } {
  const r = rng(42);
  const books: GenBook[] = [];
  const snapshots: Uint8Array[] = [];
  SYMBOLS.forEach((symbol, si) => {
    VENUES.forEach((venue, vi) => {
      // venues quote around slightly different mids, so consolidated levels interleave and share prices
      const mid = 1_000_000 + si * 50_000 + vi * 3;
      const b: GenBook = { venue, symbol, mid, bids: new Map(), asks: new Map(), seq: 1000 };
      for (let k = 1; k <= 200; k++) {
        b.bids.set(mid - k, 1 + Math.floor(r() * 5000));
        b.asks.set(mid + k, 1 + Math.floor(r() * 5000));
      }
      books.push(b);
      const snap: BookSnapshot = {
        type: 'book.snapshot',
        venue,
        symbol,
        epoch: 1,
        seq: b.seq,
        venueTs: 1,
        recvTs: 1,
        bids: [...b.bids].map(([t, l]): Level => [px(t), sz(l)]),
        asks: [...b.asks].map(([t, l]): Level => [px(t), sz(l)]),
      };
      snapshots.push(encodeBinary(snap));
    });
  });
  const deltas: Uint8Array[] = [];
  let bytes = 0;
  for (let i = 0; i < UPDATES; i++) {
    const b = books[i % books.length]!;
    const side = (which: 'bids' | 'asks', n: number): Level[] => {
      const m = b[which];
      const out = new Map<number, number>();
      while (out.size < n) {
        // skewed to the top: level 0 about 1 in 5 picks, within the 20 best ticks
        const k = Math.floor(r() * r() * 20);
        const tick = which === 'bids' ? b.mid - 1 - k : b.mid + 1 + k;
        const cur = m.get(tick);
        const lots =
          cur === undefined ? 1 + Math.floor(r() * 5000) : r() < 0.2 ? 0 : 1 + Math.floor(r() * 5000);
        out.set(tick, lots);
      }
      for (const [t, l] of out) {
        if (l === 0) m.delete(t);
        else m.set(t, l);
      }
      return [...out].map(([t, l]) => [px(t), sz(l)]);
    };
    const prevSeq = b.seq;
    b.seq += 1;
    const d: BookDelta = {
      type: 'book.delta',
      venue: b.venue,
      symbol: b.symbol,
      epoch: 1,
      seq: b.seq,
      prevSeq,
      venueTs: 1_700_000_000_000_000 + i,
      recvTs: 1_700_000_000_000_000 + i,
      bids: side('bids', Math.ceil(LEVELS / 2)),
      asks: side('asks', Math.floor(LEVELS / 2)),
    };
    const enc = encodeBinary(d);
    bytes += enc.length;
    deltas.push(enc);
  }
  return { snapshots, deltas, bytes };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface RunResult {
  mode: Mode;
  updatesPerSec: number;
  cpuUsPerUpdate: number;
  wallMs: number;
  /** consolidated books published (recomputed) per update */
  consolidatedPerUpdate: number;
}

const consolidatedPublished = (): number =>
  Number(/^tickmesh_bookbuilder_consolidated_published_total (\d+)/m.exec(metrics.render())?.[1] ?? 0);

function measure(): () => { wallMs: number; cpuUs: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return () => {
    const c = process.cpuUsage(c0);
    return { wallMs: Number(process.hrtime.bigint() - t0) / 1e6, cpuUs: c.user + c.system };
  };
}

async function runTickmesh(
  mode: Mode,
  w: ReturnType<typeof workload>,
  natsUrl: string,
  redisUrl: string,
): Promise<RunResult> {
  const bb = startBookBuilder(
    {
      natsUrl,
      redisUrl,
      redisFlushMs: mode === 'flush-0' ? 0 : FLUSH_MS,
      consolidatedIntervalMs: mode === 'consolidate-every-turn' ? 0 : 10,
      statsIntervalMs: 60_000,
    },
    { redis: mode !== 'redis-off', consolidate: mode !== 'no-consolidation', subscribe: false, hostname: '' },
  );
  await bb.ready();
  for (const s of w.snapshots) bb.deliver(decode(s));
  while (!bb.redisIdle) await turn();
  if (bb.book(VENUES[0]!, SYMBOLS[0]!)?.state !== 'live') throw new Error('book not live after its snapshot');
  const published0 = consolidatedPublished();
  const stop = measure();
  const deltas = w.deltas;
  for (let i = 0; i < deltas.length;) {
    const end = Math.min(deltas.length, i + BATCH);
    for (; i < end; i++) bb.deliver(decode(deltas[i]!));
    await turn();
  }
  while (!bb.redisIdle) await turn();
  const { wallMs, cpuUs } = stop();
  const last = bb.book(VENUES[0]!, SYMBOLS[0]!)!;
  if (last.state !== 'live') throw new Error(`${mode}: the book left live (${last.state}): a generator bug`);
  const consolidatedPerUpdate = (consolidatedPublished() - published0) / deltas.length;
  await bb.close();
  return {
    mode,
    updatesPerSec: (deltas.length / wallMs) * 1000,
    cpuUsPerUpdate: cpuUs / deltas.length,
    wallMs,
    consolidatedPerUpdate,
  };
}

async function runNaive(w: ReturnType<typeof workload>, redisUrl: string): Promise<RunResult> {
  const redis = new Redis(redisUrl);
  await redis.ping();
  const books = new Map<string, OrderBook>();
  for (const s of w.snapshots) {
    const m = decode(s) as BookSnapshot;
    const b = new OrderBook({ maxDepth: 5000 });
    b.applySnapshot(m.bids, m.asks);
    books.set(`${m.venue}:${m.symbol}`, b);
  }
  const stop = measure();
  const deltas = w.deltas;
  for (let i = 0; i < deltas.length;) {
    const end = Math.min(deltas.length, i + BATCH);
    const inFlight: Promise<unknown>[] = [];
    for (; i < end; i++) {
      const m = decode(deltas[i]!) as BookDelta;
      const key = `${m.venue}:${m.symbol}`;
      const b = books.get(key)!;
      b.applyDelta(m.bids, m.asks);
      const bid = b.bestBid();
      const ask = b.bestAsk();
      const json = JSON.stringify({
        type: 'tob',
        venue: m.venue,
        symbol: m.symbol,
        bidPx: bid?.[0] ?? '',
        bidSz: bid?.[1] ?? '',
        askPx: ask?.[0] ?? '',
        askSz: ask?.[1] ?? '',
        epoch: m.epoch,
        seq: m.seq,
        state: 'live',
        venueTs: m.venueTs,
        recvTs: m.recvTs,
      });
      inFlight.push(redis.set(`naive:tob:${key}`, json).then(() => redis.publish(`naive.tob.${key}`, json)));
    }
    await Promise.all(inFlight);
  }
  const { wallMs, cpuUs } = stop();
  redis.disconnect();
  return {
    mode: 'naive',
    updatesPerSec: (deltas.length / wallMs) * 1000,
    cpuUsPerUpdate: cpuUs / deltas.length,
    wallMs,
    consolidatedPerUpdate: 0,
  };
}

async function main(): Promise<void> {
  process.env['LOG_LEVEL'] ??= 'warn';
  log(
    `${VENUES.length} venues × ${SYMBOLS.length} symbols, ${LEVELS} levels per delta, ${UPDATES} updates, batch ${BATCH}`,
  );
  const w = workload();
  log(`workload encoded: ${w.deltas.length} deltas, median ${round(w.bytes / w.deltas.length, 0)} B`);
  const [nats, redis] = await Promise.all([startNats({ jetstream: false }), startRedis()]);
  const results: RunResult[] = [];
  try {
    // warm-up (JIT), not reported
    await runTickmesh('tickmesh', w, nats.url, redis.url);
    for (let run = 0; run < RUNS; run++) {
      for (const mode of MODES) {
        const r =
          mode === 'naive' ? await runNaive(w, redis.url) : await runTickmesh(mode, w, nats.url, redis.url);
        results.push(r);
        log(
          `run ${run + 1}/${RUNS} ${mode}: ${round(r.updatesPerSec, 0)} updates/s, ${round(r.cpuUsPerUpdate, 2)} µs CPU/update, ` +
            `${round(r.consolidatedPerUpdate, 3)} consolidated/update, ${round(r.wallMs, 0)} ms`,
        );
      }
    }
  } finally {
    await Promise.all([nats.stop(), redis.stop()]);
  }
  const med = (mode: Mode, k: 'updatesPerSec' | 'cpuUsPerUpdate'): number =>
    median(results.filter((r) => r.mode === mode).map((r) => r[k]));
  const spread = (mode: Mode): string => {
    const v = results.filter((r) => r.mode === mode).map((r) => r.updatesPerSec);
    return `${round(Math.min(...v), 0)}–${round(Math.max(...v), 0)}`;
  };
  const lines = [
    `Book-builder, ${VENUES.length} venues × ${SYMBOLS.length} symbols (${VENUES.length * SYMBOLS.length} books), ${LEVELS} levels per delta, ` +
      `${UPDATES} updates per run, batch ${BATCH}/turn, REDIS_FLUSH_MS=${FLUSH_MS}; medians of ${RUNS} runs (node ${process.version})`,
    '',
    '| mode | updates/s (median) | range over runs | CPU µs/update (median) |',
    '| ---- | -----------------: | --------------- | ---------------------: |',
    ...MODES.map(
      (m) =>
        `| ${m} | ${round(med(m, 'updatesPerSec'), 0)} | ${spread(m)} | ${round(med(m, 'cpuUsPerUpdate'), 2)} |`,
    ),
    '',
  ];
  const cpu = (m: Mode): number => med(m, 'cpuUsPerUpdate');
  /** median over runs of (a_i ÷ b_i − 1) in %: runs i of both modes were next to each other */
  const paired = (a: Mode, b: Mode): string => {
    const xa = results.filter((r) => r.mode === a).map((r) => r.cpuUsPerUpdate);
    const xb = results.filter((r) => r.mode === b).map((r) => r.cpuUsPerUpdate);
    return `${round(median(xa.map((x, i) => (100 * (x - xb[i]!)) / xb[i]!)), 1)} %`;
  };
  if (MODES.includes('tickmesh') && MODES.includes('redis-off'))
    lines.push(
      `- Redis client share of the per-update CPU: ${round((100 * (cpu('tickmesh') - cpu('redis-off'))) / cpu('tickmesh'), 1)} % ` +
        `(Redis on adds ${paired('tickmesh', 'redis-off')} over off, median of paired runs)`,
    );
  if (MODES.includes('tickmesh') && MODES.includes('no-consolidation'))
    lines.push(
      `- consolidated book added per-update cost at ${VENUES.length} venues: ${round((100 * (cpu('tickmesh') - cpu('no-consolidation'))) / cpu('no-consolidation'), 1)} % ` +
        `of medians, ${paired('tickmesh', 'no-consolidation')} median of paired runs (target ≤ 20 %)`,
    );
  if (MODES.includes('consolidate-every-turn') && MODES.includes('no-consolidation'))
    lines.push(
      `- … with CONSOLIDATED_INTERVAL_MS=0 (every turn): ${round((100 * (cpu('consolidate-every-turn') - cpu('no-consolidation'))) / cpu('no-consolidation'), 1)} % ` +
        `of medians, ${paired('consolidate-every-turn', 'no-consolidation')} median of paired runs`,
    );
  if (MODES.includes('tickmesh') && MODES.includes('naive'))
    lines.push(
      `- tickmesh ÷ naive SET+PUBLISH: ${round(med('tickmesh', 'updatesPerSec') / med('naive', 'updatesPerSec'), 2)}× updates/s, ` +
        `${round(cpu('naive') / cpu('tickmesh'), 2)}× less CPU per update`,
    );
  if (MODES.includes('tickmesh'))
    lines.push(
      `- target ≥ 40 000 updates/s with Redis on: ${med('tickmesh', 'updatesPerSec') >= 40_000 ? 'met' : 'NOT met'}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
