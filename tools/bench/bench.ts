/**
 * `npm run bench -- [--pipeline tickmesh|naive|both] [--rate N[,N…]] [--symbols N] [--clients N]
 *                   [--duration S] [--warmup S] [--repeat N] [--find-max] [--out DIR] [--no-build]`
 *
 * Starts the whole pipeline as separate processes (nats-server, redis-server, venue-sim, then
 * ingestor, book-builder, gateway — or the naive baseline's naive-ingestor, naive-gateway), connects
 * SDK clients to every symbol's top of book, and measures frame → client latency, throughput, and
 * CPU per venue message of every process. See README.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LatencyRecorder, connectClients, waitAllLive, type ClientPool } from './clients';
import { USAGE, parseCli, type BenchOptions } from './cli';
import { measureWindow, type WindowResult } from './measure';
import {
  judge,
  machineInfo,
  renderMarkdown,
  writeReport,
  type BenchReport,
  type PointResult,
} from './report';
import {
  benchSymbols,
  closeAllStacks,
  repoRoot,
  startBenchStack,
  type BenchStack,
  type Pipeline,
} from './stack';
import { medianOf, round } from './stats';

const LIVE_TIMEOUT_MS = 60_000;

/** The stack could not be started: the run is void (exit code 1). */
class StackStartError extends Error {
  override readonly name = 'StackStartError';
}

const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

let stopping = false;
let pools: ClientPool[] = [];

function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) {
        // Second signal: give up waiting; the harness exit hook SIGKILLs the children.
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: stopping every process…`);
      for (const p of pools) p.close();
      void closeAllStacks().finally(() => process.exit(130));
    });
  }
}

/** nx's CLI script from its package.json `bin` (nx ≥ 20 keeps it under dist/bin/). */
function nxBin(): string {
  const pkgPath = join(repoRoot, 'node_modules', 'nx', 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.['nx'] ?? 'bin/nx.js');
  return join(dirname(pkgPath), bin);
}

function build(): void {
  log('building the services (nx run-many -t build)…');
  const r = spawnSync(process.execPath, [nxBin(), 'run-many', '-t', 'build', '--outputStyle=stream'], {
    cwd: repoRoot,
    env: { ...process.env, NX_DAEMON: 'false' },
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (r.status !== 0)
    throw new StackStartError(`build failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`})`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One rate on one pipeline: a fresh stack, clients, warm-up, `repeat` windows, teardown. */
async function runPoint(opts: BenchOptions, rate: number, pipeline: Pipeline): Promise<PointResult> {
  const symbols = benchSymbols(opts.symbols);
  const ratePerSymbol = rate / opts.symbols;
  log(
    `${pipeline}: rate ${rate} msg/s (${round(ratePerSymbol, 3)}/s × ${opts.symbols} symbols), ${opts.clients} clients: starting the stack…`,
  );
  let stack: BenchStack;
  try {
    stack = await startBenchStack({
      pipeline,
      symbols,
      ratePerSymbol,
      levelsPerUpdate: opts.levels,
      tradeRatePerSymbol: opts.tradeRate,
    });
  } catch (err) {
    throw new StackStartError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const recorder = new LatencyRecorder();
  let pool: ClientPool | undefined;
  const windows: WindowResult[] = [];
  let failure: string | undefined;
  try {
    pool = await connectClients(
      stack.gatewayWs,
      symbols.map((s) => s.symbol),
      opts.clients,
      recorder,
    );
    pools.push(pool);
    await waitAllLive(pool, LIVE_TIMEOUT_MS).catch((err: unknown) => {
      const dead = stack.dead();
      if (dead.length > 0) throw new StackStartError(`processes died: ${dead.join(', ')}`, { cause: err });
      throw err;
    });
    log(`all ${opts.symbols} symbols live on ${opts.clients} clients; warm-up ${opts.warmup} s`);
    await sleep(opts.warmup * 1000);
    for (let i = 0; i < opts.repeat && !stopping; i++) {
      const w = await measureWindow({
        stack,
        recorder,
        clients: opts.clients,
        requestedRate: rate,
        durationS: opts.duration,
      });
      windows.push(w);
      log(
        `${pipeline} window ${i + 1}/${opts.repeat}: sent ${round(w.rates.simDepth, 0)}/s, p50 ${round(w.latencyMs.p50)} ms, ` +
          `p99 ${round(w.latencyMs.p99)} ms, ${w.samples} samples, pipeline ${round(w.pipelineCpuUsPerMsg, 1)} µs/msg`,
      );
    }
  } catch (err) {
    if (err instanceof StackStartError || stopping) throw err;
    // Did not get live, or a window failed: the point is recorded as not sustained.
    failure = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    log(`${pipeline} rate ${rate}: ${failure}`);
  } finally {
    pool?.close();
    pools = pools.filter((p) => p !== pool);
    await stack.close().catch((err: unknown) => log(`stack close: ${String(err)}`));
  }
  const median = windows.length > 0 ? medianOf(windows) : undefined;
  const reasons = [
    ...(failure !== undefined ? [failure] : []),
    ...(median === undefined ? (failure === undefined ? ['no window'] : []) : judge(median, opts.maxP99Ms)),
  ];
  return { pipeline, rate, ratePerSymbol, windows, median, sustained: reasons.length === 0, reasons };
}

async function main(): Promise<number> {
  let opts: BenchOptions | 'help';
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  installSignalHandlers();
  const report: BenchReport = {
    timestamp: new Date().toISOString(),
    machine: machineInfo(),
    params: opts,
    points: [],
  };
  let exitCode = 0;
  try {
    if (opts.build) build();
    const pipelines: Pipeline[] = opts.pipeline === 'both' ? ['tickmesh', 'naive'] : [opts.pipeline];
    if (opts.findMax) {
      // Both pipelines climb the same steps, interleaved (rate by rate), each until its first failure.
      const best: Partial<Record<Pipeline, number | null>> = {};
      for (const pl of pipelines) best[pl] = null;
      report.maxSustained = best;
      let active = [...pipelines];
      for (const rate of opts.steps) {
        for (const pl of active) {
          if (stopping) break;
          const point = await runPoint(opts, rate, pl);
          report.points.push(point);
          if (point.sustained) best[pl] = rate;
          else active = active.filter((x) => x !== pl);
        }
        if (stopping || active.length === 0) break;
      }
      if (pipelines.length === 1) report.maxSustainedRate = best[pipelines[0]!] ?? null;
    } else {
      for (const rate of opts.rates) {
        for (const pl of pipelines) {
          if (stopping) break;
          report.points.push(await runPoint(opts, rate, pl));
        }
      }
    }
    // Never live at the (first) rate of some pipeline: that stack did not start usefully.
    const firstFailed = pipelines.some(
      (pl) => report.points.find((pt) => pt.pipeline === pl)?.median === undefined,
    );
    if (firstFailed && !stopping) exitCode = 1;
  } catch (err) {
    if (stopping) return 130;
    log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    exitCode = 1;
  }
  if (report.points.length > 0) {
    const markdown = renderMarkdown(report);
    const files = writeReport(opts.out, report, markdown);
    process.stdout.write(`${markdown}\n`);
    log(`wrote ${files.join(', ')}`);
  }
  return exitCode;
}

main()
  .then(async (code) => {
    await closeAllStacks();
    if (!stopping) process.exit(code);
  })
  .catch(async (err: unknown) => {
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await closeAllStacks();
    process.exit(1);
  });
