/**
 * Resync of one symbol after a sequence gap, per venue, on the in-process simulator.
 * `npx tsx tools/bench/resync.bench.ts [--gaps N] [--rates 10,200]`
 *
 * Per rate: one simulator (3 symbols), a VenueFeed per venue for its 3 natives, all live. Then, per
 * venue and concurrently, N times: `POST /sim/faults {"kind":"gap","count":1}` on the first symbol,
 * and from the feed sink's status messages (their `ts`, µs, from the engine's clock) the time from
 * the first `resyncing` to the next `live` of that symbol; after it is live again, a short pause,
 * the next gap. Also: fault → `resyncing` (detection: the next event after the gap must arrive), and
 * whether any other symbol of the venue left `live` during the run.
 */
import { parseArgs } from 'node:util';
import type { SyncStatus } from '@tickmesh/contracts';
import { startSimulator, type Simulator } from '@tickmesh/venue-sim';
import {
  median,
  NATIVES,
  percentile,
  postFault,
  sleep,
  startFeed,
  VENUES,
  waitFor,
  type VenueId,
} from './sim-record';

const { values: opts } = parseArgs({
  options: {
    gaps: { type: 'string', default: '10' },
    rates: { type: 'string', default: '10,200' },
  },
});
const GAPS = Number(opts.gaps);
const RATES = opts.rates.split(',').map(Number);

interface VenueResult {
  venue: VenueId;
  rate: number;
  resyncMs: number[];
  detectMs: number[];
  timeouts: number;
  /** timeouts where the symbol never even left live (the gap was not detected) */
  undetected: number;
  /** other symbols' non-live states seen during the gap runs, e.g. "ETH-USDT:resyncing" */
  othersLeft: string[];
  error?: string;
}

async function runVenue(sim: Simulator, venue: VenueId, rate: number): Promise<VenueResult> {
  const natives = NATIVES[venue];
  const target = natives[0]!;
  const res: VenueResult = {
    venue,
    rate,
    resyncMs: [],
    detectMs: [],
    timeouts: 0,
    undetected: 0,
    othersLeft: [],
  };
  const state = new Map<string, string>();
  const symbolToNative = new Map<string, string>();
  let measuring = false;
  let resyncAt: number | undefined;
  let liveAt: number | undefined;
  const onStatus = (m: SyncStatus): void => {
    const native = symbolToNative.get(m.symbol) ?? m.symbol;
    state.set(native, m.state);
    if (!measuring) return;
    if (native === target) {
      if (m.state === 'resyncing' && resyncAt === undefined) resyncAt = m.ts;
      if (m.state === 'live' && resyncAt !== undefined && liveAt === undefined) liveAt = m.ts;
    } else if (m.state !== 'live') res.othersLeft.push(`${native}:${m.state}`);
  };
  const feed = await startFeed(sim, venue, natives, { status: onStatus });
  try {
    for (const n of natives) {
      const i = feed.engine?.instrument(n);
      if (i !== undefined) symbolToNative.set(i.symbol, n);
    }
    const allLive = (): boolean => natives.every((n) => feed.engine?.statusOf(n)?.state === 'live');
    await waitFor(allLive, 30_000, `${venue}: all symbols live`);
    await sleep(500);
    measuring = true;
    for (let i = 0; i < GAPS; i++) {
      resyncAt = undefined;
      liveAt = undefined;
      const faultAt = performance.now();
      const faultUs = Math.round((performance.timeOrigin + faultAt) * 1000);
      await postFault(sim, { venue, symbol: target, kind: 'gap', count: 1 });
      try {
        await waitFor(() => liveAt !== undefined, 15_000, `${venue}: ${target} live after gap ${i + 1}`);
      } catch {
        res.timeouts++;
        if (resyncAt === undefined) res.undetected++;
        await waitFor(allLive, 30_000, `${venue}: all symbols live after a timeout`);
        continue;
      }
      res.resyncMs.push((liveAt! - resyncAt!) / 1000);
      res.detectMs.push((resyncAt! - faultUs) / 1000);
      await waitFor(allLive, 30_000, `${venue}: all symbols live`);
      await sleep(200);
    }
    measuring = false;
  } catch (err) {
    res.error = (err as Error).message;
  } finally {
    feed.stop();
  }
  return res;
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');

async function main(): Promise<void> {
  const results: VenueResult[] = [];
  for (const rate of RATES) {
    const sim: Simulator = await startSimulator({ port: 0, rate, logLevel: 'warn' });
    try {
      process.stderr.write(`rate ${rate}/s per symbol: ${VENUES.length} venues, ${GAPS} gaps each\n`);
      results.push(...(await Promise.all(VENUES.map((v) => runVenue(sim, v, rate)))));
    } finally {
      await sim.close();
    }
  }
  const rows = results.map((r) => {
    const others = [...new Set(r.othersLeft)];
    return `| ${r.venue} | ${r.rate} | ${r.resyncMs.length}/${GAPS} | ${r.timeouts}${r.timeouts > 0 ? ` (${r.undetected} never left live)` : ''} | ${fmt(median(r.resyncMs))} | ${fmt(percentile(r.resyncMs, 90))} | ${fmt(Math.max(...r.resyncMs))} | ${fmt(median(r.detectMs))} | ${r.resyncMs.length > 0 && Math.max(...r.resyncMs) <= 1000 && r.timeouts === 0 ? 'yes' : 'NO'} | ${others.length === 0 ? 'yes' : `NO (${others.join(', ')})`} |${r.error !== undefined ? ` error: ${r.error}` : ''}`;
  });
  const out = [
    `## Resync of one symbol after a gap (in-process simulator, 3 symbols per venue, ${GAPS} gaps each)`,
    '',
    `node ${process.version}; resync = engine status \`resyncing\` → \`live\` of the gapped symbol (status \`ts\`, µs); detect = fault POST → \`resyncing\`. Venues run concurrently on one simulator per rate.`,
    '',
    '| venue | rate/s per symbol | resyncs measured | no live within 15 s | resync median ms | p90 ms | max ms | detect median ms | ≤ 1 s | other symbols stayed live |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
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
