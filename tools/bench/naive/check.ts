/**
 * `npx tsx tools/bench/naive/check.ts` — correctness check of the naive baseline ingestor against
 * the simulator's ground truth (needs services/venue-sim/dist: `npm run build` first).
 *
 * Starts nats-server, redis-server, the venue simulator (3 symbols) and naive/ingestor.ts, injects a
 * sequence gap and a disconnect (both must end in a resync), then 3 times: pause the generator, wait
 * until the ingestor's Redis top of book reached the simulator's last update id, and compare its
 * bid/ask price and size with the ground truth book. Exit code 0 when every comparison matched.
 */
import { join } from 'node:path';
import type { TopOfBook } from '@tickmesh/contracts';
import { freePort, harness, waitFor } from '@tickmesh/test-harness';
import { Redis } from 'ioredis';
import { benchSymbols, repoRoot } from '../stack';
import { metricSum } from '../stats';

interface GroundTruth {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const symbols = benchSymbols(3);
  const h = await harness({ nats: true, redis: true });
  const redis = new Redis(h.redis.url);
  let failures = 0;
  try {
    const [simPort, httpPort] = await Promise.all([freePort(), freePort()]);
    const sim = `http://127.0.0.1:${simPort}`;
    await h.spawn({
      name: 'venue-sim',
      command: process.execPath,
      args: [join(repoRoot, 'services', 'venue-sim', 'dist', 'main.mjs')],
      env: {
        LOG_LEVEL: 'warn',
        SIM_HOST: '127.0.0.1',
        SIM_PORT: String(simPort),
        SIM_SYMBOLS: symbols.map((s) => s.spec).join(','),
        SIM_RATE: '200',
        SIM_LEVELS_PER_UPDATE: '10',
        SIM_TRADE_RATE: '5',
      },
      readyUrl: `${sim}/sim/health`,
    });
    await h.spawn({
      name: 'naive-ingestor',
      command: process.execPath,
      args: ['--import', 'tsx', join(repoRoot, 'tools', 'bench', 'naive', 'ingestor.ts')],
      cwd: repoRoot,
      env: {
        NATS_URL: h.nats.url,
        REDIS_URL: h.redis.url,
        VENUE_WS_URL: `ws://127.0.0.1:${simPort}`,
        VENUE_REST_URL: sim,
        SYMBOLS: symbols.map((s) => `${s.native}=${s.symbol}`).join(','),
        HTTP_PORT: String(httpPort),
      },
      readyUrl: `http://127.0.0.1:${httpPort}/readyz`,
    });
    const tob = async (symbol: string): Promise<TopOfBook | undefined> => {
      const json = await redis.get(`naive:tob:binance:${symbol}`);
      return json === null ? undefined : (JSON.parse(json) as TopOfBook);
    };
    const post = (body: object): Promise<Response> =>
      fetch(`${sim}/sim/faults`, { method: 'POST', body: JSON.stringify(body) });
    const resyncs = async (): Promise<number> =>
      metricSum(
        await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(),
        'naive_ingestor_resyncs_total',
      );

    await waitFor(async () => (await Promise.all(symbols.map((s) => tob(s.symbol)))).every((t) => t), {
      timeoutMs: 20_000,
      message: () => 'every symbol has a top of book in Redis',
    });
    await post({ venue: 'binance', symbol: symbols[0]!.native, kind: 'gap', count: 3 });
    await waitFor(async () => (await resyncs()) >= 1, {
      timeoutMs: 10_000,
      message: () => 'resync after a gap',
    });
    await post({ venue: 'binance', kind: 'disconnect' });
    await waitFor(async () => (await resyncs()) >= 1 + symbols.length, {
      timeoutMs: 10_000,
      message: () => 'resync of every symbol after a disconnect',
    });
    for (let round = 1; round <= 3; round++) {
      await post({ venue: 'binance', kind: 'resume' });
      await sleep(700);
      await post({ venue: 'binance', kind: 'pause' });
      for (const s of symbols) {
        const gt = (await (await fetch(`${sim}/sim/binance/book?symbol=${s.native}`)).json()) as GroundTruth;
        let got: TopOfBook | undefined;
        await waitFor(
          async () => {
            got = await tob(s.symbol);
            return got !== undefined && got.seq >= gt.lastUpdateId;
          },
          { timeoutMs: 10_000, message: () => `${s.symbol} reaches update id ${gt.lastUpdateId}` },
        );
        const want = [
          gt.bids[0]?.[0] ?? '',
          gt.bids[0]?.[1] ?? '',
          gt.asks[0]?.[0] ?? '',
          gt.asks[0]?.[1] ?? '',
        ];
        const have = [got!.bidPx, got!.bidSz, got!.askPx, got!.askSz];
        const ok = got!.seq === gt.lastUpdateId && want.every((v, i) => v === have[i]);
        if (!ok) failures++;
        process.stdout.write(
          `round ${round} ${s.symbol} seq ${got!.seq}/${gt.lastUpdateId} epoch ${got!.epoch}: ` +
            `${ok ? 'ok' : `MISMATCH want ${want.join(' ')} have ${have.join(' ')}`}\n`,
        );
      }
    }
    process.stdout.write(
      `resyncs: ${await resyncs()}; ${failures === 0 ? 'all matched' : `${failures} mismatches`}\n`,
    );
  } finally {
    redis.disconnect();
    await h.close();
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
