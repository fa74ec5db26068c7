/**
 * Normalization throughput per venue, one core: `VenueEngine.onFrame` (parse + validate + sync/apply
 * + map to contract messages) with a sink that `encodeBinary`s every book/trade message, against
 * JSON.parse alone on the same frames. `npx tsx tools/bench/normalize.bench.ts [--frames N] [--runs N] [--venues okx,coinbase]`
 *
 * 1. Record: an in-process simulator (10 levels changed per update, no trades) and a VenueFeed per
 *    venue (BTC–USDT) with a tap that keeps, in arrival order, the REST bodies, connection opens and
 *    the first N text frames exactly as received (checksum venues carry the simulator's checksums).
 * 2. Stop the simulator; offline, per venue and run: a fresh VenueEngine replays the recording
 *    (opens, snapshots delivered as the replay tool does, every frame), timed as a whole. Median
 *    over runs after a warm-up run. A run that resyncs or sees a malformed frame is reported.
 */
import { parseArgs } from 'node:util';
import { encodeBinary, type Instrument } from '@tickmesh/contracts';
import { createAdapter, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { startSimulator } from '@tickmesh/venue-sim';
import { instrumentsOf, median, NATIVES, startFeed, VENUES, waitFor, type VenueId } from './sim-record';

type Line =
  | { k: 'open'; conn: string; natives: readonly string[] }
  | { k: 'rest'; path: string; body: string }
  | { k: 'frame'; conn: string; text: string };

interface Recording {
  venue: VenueId;
  instruments: Instrument[];
  lines: Line[];
  frames: string[];
  closes: number;
}

interface RunResult {
  ns: number;
  frames: number;
  books: number;
  trades: number;
  bytes: number;
  resyncs: number;
  malformed: number;
  live: boolean;
}

const { values: opts } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '7' },
    rate: { type: 'string', default: '4000' },
    venues: { type: 'string', default: VENUES.join(',') },
  },
});
const FRAMES = Number(opts.frames);
const RUNS = Math.max(5, Number(opts.runs));
const RATE = Number(opts.rate);
const SELECTED = opts.venues.split(',').map((v) => {
  if (!(VENUES as readonly string[]).includes(v)) throw new Error(`--venues: unknown venue ${v}`);
  return v as VenueId;
});

async function recordAll(): Promise<Recording[]> {
  const sim = await startSimulator({
    port: 0,
    symbols: [{ native: 'BTCUSDT', base: 'BTC', quote: 'USDT' }],
    rate: RATE,
    tradeRate: 0,
    levelsPerUpdate: 10,
    logLevel: 'warn',
  });
  try {
    const recs: Recording[] = [];
    // one venue at a time: the recording client is not starved by the other venues' feeds
    for (const venue of SELECTED) {
      const native = NATIVES[venue][0]!;
      const rec: Recording = { venue, instruments: [], lines: [], frames: [], closes: 0 };
      const feed = await startFeed(
        sim,
        venue,
        [native],
        {},
        {
          rest: (path, body) => {
            if (rec.frames.length < FRAMES) rec.lines.push({ k: 'rest', path, body });
          },
          open: (conn, natives) => {
            if (rec.frames.length < FRAMES) rec.lines.push({ k: 'open', conn, natives: [...natives] });
          },
          frame: (text, _ts, conn) => {
            if (rec.frames.length >= FRAMES) return;
            rec.lines.push({ k: 'frame', conn, text });
            rec.frames.push(text);
          },
          close: () => {
            if (rec.frames.length < FRAMES) rec.closes++;
          },
        },
      );
      rec.instruments = instrumentsOf(feed, [native]);
      await waitFor(() => rec.frames.length >= FRAMES, 120_000, `${venue}: ${FRAMES} frames`);
      feed.stop();
      process.stderr.write(`recorded ${venue}: ${rec.frames.length} frames\n`);
      recs.push(rec);
    }
    return recs;
  } finally {
    await sim.close();
  }
}

/** Replays a recording into a fresh engine; returns what it did and how long it took. */
function replay(adapter: VenueAdapter, rec: Recording): RunResult {
  const r: RunResult = {
    ns: 0,
    frames: 0,
    books: 0,
    trades: 0,
    bytes: 0,
    resyncs: 0,
    malformed: 0,
    live: false,
  };
  const native = rec.instruments[0]!.native;
  const snapshotPath = adapter.snapshotRequest(native).path;
  const unconsumed: string[] = [];
  let asked = false;
  let deliver: string | undefined;
  let ts = 1_700_000_000_000_000;
  const t0 = process.hrtime.bigint();
  const engine = new VenueEngine(adapter, rec.instruments, {
    book: (m) => {
      r.books++;
      r.bytes += encodeBinary(m).length;
    },
    trade: (m) => {
      r.trades++;
      r.bytes += encodeBinary(m).length;
    },
    status: () => {},
    needSnapshot: () => {
      const body = unconsumed.shift();
      if (body === undefined) asked = true;
      else deliver = body;
    },
    malformed: () => {
      r.malformed++;
    },
    resubscribe: () => {},
    venueShutdown: () => {},
    now: () => ts,
  });
  for (const l of rec.lines) {
    ts += 100;
    if (l.k === 'frame') {
      engine.onFrame(l.text, ts, l.conn);
      r.frames++;
    } else if (l.k === 'open') {
      engine.connectionOpened(l.natives, l.conn);
    } else if (l.path === snapshotPath) {
      if (asked) {
        asked = false;
        engine.onSnapshot(native, l.body, ts);
      } else unconsumed.push(l.body);
    }
    if (deliver !== undefined) {
      const body = deliver;
      deliver = undefined;
      engine.onSnapshot(native, body, ts);
    }
  }
  r.ns = Number(process.hrtime.bigint() - t0);
  const st = engine.statusOf(native);
  r.resyncs = st?.resyncs ?? -1;
  r.live = st?.state === 'live';
  return r;
}

function parseOnly(frames: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (const f of frames) if (JSON.parse(f) !== null) n++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (n < 0) throw new Error('unreachable');
  return ns;
}

async function main(): Promise<void> {
  const recs = await recordAll();
  const rows: string[] = [];
  for (const rec of recs) {
    const adapter = createAdapter(rec.venue);
    replay(adapter, rec); // warm-up
    parseOnly(rec.frames);
    const runs: RunResult[] = [];
    const parseNs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(replay(adapter, rec));
      parseNs.push(parseOnly(rec.frames));
    }
    const n = rec.frames.length;
    const engineRate = median(runs.map((x) => (n / x.ns) * 1e9));
    const parseRate = median(parseNs.map((ns) => (n / ns) * 1e9));
    const last = runs[runs.length - 1]!;
    const bytes = median(rec.frames.map((f) => Buffer.byteLength(f)));
    const sane = runs.every((x) => x.resyncs === 0 && x.malformed === 0 && x.live);
    rows.push(
      `| ${rec.venue} | ${n} | ${bytes} | ${Math.round(engineRate).toLocaleString('en')} | ${(1e6 / engineRate).toFixed(2)} | ${Math.round(parseRate).toLocaleString('en')} | ${(engineRate / parseRate).toFixed(3)} | ${last.books} | ${(last.bytes / Math.max(1, last.books + last.trades)).toFixed(0)} | ${sane ? 'yes' : `NO (resyncs ${last.resyncs}, malformed ${last.malformed}, live ${String(last.live)}, closes ${rec.closes})`} |`,
    );
    process.stderr.write(`measured ${rec.venue}\n`);
  }
  const out = [
    `## Normalization throughput per venue (one core, median of ${RUNS} runs after a warm-up)`,
    '',
    `node ${process.version}; frames recorded from the in-process simulator, 10 levels changed per update, rate ${RATE}/s, no trades.`,
    '',
    '| venue | frames | frame bytes (median) | onFrame + encodeBinary msg/s (median) | µs/msg | JSON.parse-only msg/s | ratio to JSON.parse-only | book msgs out | binary bytes/msg (mean, incl. snapshot) | live, 0 resyncs, 0 malformed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
