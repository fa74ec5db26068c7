/**
 * One measurement window on a running stack: counters and /proc CPU of every process before and
 * after, latencies from the clients in between.
 */
import type { PidStats } from '@tickmesh/test-harness';
import type { LatencyRecorder } from './clients';
import type { BenchStack, MetricSource } from './stack';
import { fetchText, metricSum, percentile, procStats } from './stats';

export const BENCH_CLIENT = 'bench-client';

export interface ProcessCost {
  /** CPU (user + system) per venue message in the window, µs */
  cpuUsPerMsg: number;
  /** share of one core over the window, % */
  cpuPct: number;
  /** resident set size at the end of the window, MiB */
  rssMiB: number;
}

export interface WindowResult {
  seconds: number;
  /** per second over the window */
  rates: {
    requestedDepth: number;
    /** depth events the simulator sent (published on its sockets) */
    simDepth: number;
    simTrades: number;
    /** frames the ingestor received (depth + trades) */
    ingestFrames: number;
    /** top-of-book messages published towards the gateway (tickmesh: book-builder; naive: ingestor) */
    tobPublished: number;
    /** naive only: published tops that changed bid/ask price or size (tickmesh publishes changes only) */
    tobChanged?: number;
    /** messages the gateway wrote to its sockets */
    gatewaySent: number;
    /** data messages all clients together received */
    clientMsgs: number;
    /** tobPublished × clients: what the clients should receive */
    expectedClientMsgs: number;
  };
  ratios: { input: number; ingest: number; delivery: number };
  latencyMs: {
    p50: number;
    p95: number;
    p99: number;
    max: number;
    mean: number;
    /** p50 of the first and last quarter of the window: a growing backlog shows as a rise */
    firstQuarterP50: number;
    lastQuarterP50: number;
  };
  /** latency samples (tob updates received by all clients) */
  samples: number;
  processes: Record<string, ProcessCost>;
  /**
   * CPU per venue message of the pipeline together, µs: every process but the simulator (it stands
   * in for the venue) and the bench client (the users).
   */
  pipelineCpuUsPerMsg: number;
  reconnects: number;
  gaps: number;
  /** processes that had died by the end of the window */
  dead: string[];
}

interface Counters {
  atMs: number;
  simDepth: number;
  simTrades: number;
  simFrames: number;
  ingestFrames: number;
  tobPublished: number;
  tobChanged: number | undefined;
  gatewaySent: number;
  procs: Record<string, PidStats | undefined>;
  self: NodeJS.CpuUsage;
}

interface SimStats {
  venues: Record<
    string,
    { symbols: Record<string, { depthSent: number; tradesSent: number; framesSent: number }> }
  >;
}

async function readCounters(stack: BenchStack): Promise<Counters> {
  const pids = stack.pids();
  const sources = Object.values(stack.metrics);
  const urls = [...new Set(sources.map((m) => m.url))];
  const [sim, texts, procs] = await Promise.all([
    fetchText(`${stack.simUrl}/sim/stats`),
    Promise.all(urls.map((u) => fetchText(u))),
    Promise.all(stack.processes.map((name) => procStats(pids[name]))),
  ]);
  const metric = (m: MetricSource): number => metricSum(texts[urls.indexOf(m.url)]!, m.metric);
  const symbols = Object.values((JSON.parse(sim) as SimStats).venues).flatMap((v) =>
    Object.values(v.symbols),
  );
  const sum = (f: (s: (typeof symbols)[number]) => number): number => symbols.reduce((a, s) => a + f(s), 0);
  return {
    atMs: performance.now(),
    simDepth: sum((s) => s.depthSent),
    simTrades: sum((s) => s.tradesSent),
    simFrames: sum((s) => s.framesSent),
    ingestFrames: metric(stack.metrics.ingestFrames),
    tobPublished: metric(stack.metrics.tobPublished),
    tobChanged: stack.metrics.tobChanged === undefined ? undefined : metric(stack.metrics.tobChanged),
    gatewaySent: metric(stack.metrics.gatewaySent),
    procs: Object.fromEntries(stack.processes.map((name, i) => [name, procs[i]])),
    self: process.cpuUsage(),
  };
}

export interface WindowParams {
  stack: BenchStack;
  recorder: LatencyRecorder;
  clients: number;
  /** total requested depth updates/s */
  requestedRate: number;
  durationS: number;
}

export async function measureWindow(p: WindowParams): Promise<WindowResult> {
  const before = await readCounters(p.stack);
  p.recorder.start();
  await new Promise((r) => setTimeout(r, p.durationS * 1000));
  p.recorder.stop();
  const after = await readCounters(p.stack);

  const seconds = (after.atMs - before.atMs) / 1000;
  const d = (
    k: 'simDepth' | 'simTrades' | 'simFrames' | 'ingestFrames' | 'tobPublished' | 'gatewaySent',
  ): number => after[k] - before[k];
  const venueMsgs = d('simDepth') + d('simTrades');
  const rate = (n: number): number => n / seconds;

  const processes: Record<string, ProcessCost> = {};
  let pipelineCpuMs = 0;
  for (const name of p.stack.processes) {
    const a = after.procs[name];
    const b = before.procs[name];
    if (a === undefined || b === undefined) continue;
    const cpuMs = a.utimeMs + a.stimeMs - b.utimeMs - b.stimeMs;
    if (name !== 'venue-sim') pipelineCpuMs += cpuMs;
    processes[name] = cost(cpuMs, venueMsgs, seconds, a.rssBytes);
  }
  const selfMs = (after.self.user + after.self.system - before.self.user - before.self.system) / 1000;
  processes[BENCH_CLIENT] = cost(selfMs, venueMsgs, seconds, process.memoryUsage().rss);

  const samples = p.recorder.samples();
  const sorted = Float32Array.from(samples).sort();
  const quarter = Math.floor(samples.length / 4);
  const p50Of = (part: Float32Array): number => percentile(part.sort(), 50) / 1000;
  let total = 0;
  for (const v of samples) total += v;
  const expected = d('tobPublished') * p.clients;

  return {
    seconds,
    rates: {
      requestedDepth: p.requestedRate,
      simDepth: rate(d('simDepth')),
      simTrades: rate(d('simTrades')),
      ingestFrames: rate(d('ingestFrames')),
      tobPublished: rate(d('tobPublished')),
      ...(after.tobChanged !== undefined && before.tobChanged !== undefined
        ? { tobChanged: rate(after.tobChanged - before.tobChanged) }
        : {}),
      gatewaySent: rate(d('gatewaySent')),
      clientMsgs: rate(p.recorder.messages),
      expectedClientMsgs: rate(expected),
    },
    ratios: {
      input: d('simDepth') / (p.requestedRate * seconds),
      ingest: d('ingestFrames') / d('simFrames'),
      delivery: p.recorder.messages / expected,
    },
    latencyMs: {
      p50: percentile(sorted, 50) / 1000,
      p95: percentile(sorted, 95) / 1000,
      p99: percentile(sorted, 99) / 1000,
      max: percentile(sorted, 100) / 1000,
      mean: samples.length > 0 ? total / samples.length / 1000 : Number.NaN,
      firstQuarterP50: p50Of(samples.slice(0, quarter)),
      lastQuarterP50: p50Of(samples.slice(samples.length - quarter)),
    },
    samples: samples.length,
    processes,
    pipelineCpuUsPerMsg: venueMsgs > 0 ? (pipelineCpuMs * 1000) / venueMsgs : Number.NaN,
    reconnects: p.recorder.reconnects,
    gaps: p.recorder.gaps,
    dead: p.stack.dead(),
  };
}

function cost(cpuMs: number, venueMsgs: number, seconds: number, rssBytes: number): ProcessCost {
  return {
    cpuUsPerMsg: venueMsgs > 0 ? (cpuMs * 1000) / venueMsgs : Number.NaN,
    cpuPct: (cpuMs / (seconds * 1000)) * 100,
    rssMiB: rssBytes / 2 ** 20,
  };
}
