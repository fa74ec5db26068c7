/** Machine info, the keep-up verdict, and the JSON + markdown output of a benchmark run. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchOptions } from './cli';
import { BENCH_CLIENT, type WindowResult } from './measure';
import { PIPELINES, type Pipeline } from './stack';
import { round } from './stats';

export interface PointResult {
  pipeline: Pipeline;
  /** total requested depth updates/s */
  rate: number;
  ratePerSymbol: number;
  windows: WindowResult[];
  /** field-wise median of the windows */
  median: WindowResult | undefined;
  sustained: boolean;
  /** why the point does not count as sustained ([] when it does) */
  reasons: string[];
}

export interface BenchReport {
  timestamp: string;
  machine: Record<string, string | number>;
  params: BenchOptions;
  points: PointResult[];
  /** --find-max with one pipeline: highest sustained total rate (null: none) */
  maxSustainedRate?: number | null;
  /** --find-max: highest sustained total rate of each pipeline run (null: none) */
  maxSustained?: Partial<Record<Pipeline, number | null>>;
}

export const KEEP_UP_RATIO = 0.95;
/** Above this share of a core the bench client's own queueing shows in the latencies. */
const CLIENT_BUSY_PCT = 80;

/** Sustained: input, ingest and delivery ≥ 95 %, p99 within the bound, nothing died or reconnected. */
export function judge(w: WindowResult, maxP99Ms: number): string[] {
  const reasons: string[] = [];
  const pct = (v: number): string => `${round(v * 100, 1)}%`;
  if (!(w.ratios.input >= KEEP_UP_RATIO))
    reasons.push(`venue sent ${pct(w.ratios.input)} of the requested rate`);
  if (!(w.ratios.ingest >= KEEP_UP_RATIO))
    reasons.push(`ingestor received ${pct(w.ratios.ingest)} of the frames sent`);
  if (!(w.ratios.delivery >= KEEP_UP_RATIO))
    reasons.push(`clients received ${pct(w.ratios.delivery)} of the expected messages`);
  if (w.samples === 0) reasons.push('no latency samples');
  else if (!(w.latencyMs.p99 <= maxP99Ms)) reasons.push(`p99 ${round(w.latencyMs.p99)} ms > ${maxP99Ms} ms`);
  if (w.dead.length > 0) reasons.push(`died: ${w.dead.join(', ')}`);
  if (w.reconnects > 0) reasons.push(`${w.reconnects} client reconnects`);
  if (w.gaps > 0) reasons.push(`${w.gaps} sequence gaps`);
  return reasons;
}

/** `<bin> --version`, reduced to the first version-looking token. */
function version(candidates: string[]): string {
  for (const bin of candidates) {
    try {
      const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
      return /(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim().split('\n')[0]!;
    } catch {
      // next candidate
    }
  }
  return 'unknown';
}

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    natsServer: version([process.env['NATS_SERVER_BIN'] ?? 'nats-server', '/usr/sbin/nats-server']),
    redisServer: version([process.env['REDIS_SERVER_BIN'] ?? 'redis-server', '/usr/bin/redis-server']),
    loadAvg1mAtStart: round(os.loadavg()[0] ?? Number.NaN),
  };
}

const f = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v) ? '–' : round(v, digits).toLocaleString('en-US');

/** Process columns of a pipeline's points: the measured processes, in stack order, then the bench client. */
function processColumns(points: readonly PointResult[]): string[] {
  const names: string[] = [];
  for (const pt of points)
    for (const n of Object.keys(pt.median?.processes ?? {})) if (!names.includes(n)) names.push(n);
  return [...names.filter((n) => n !== BENCH_CLIENT), BENCH_CLIENT];
}

const verdict = (pt: PointResult): string => (pt.sustained ? 'yes' : `no: ${pt.reasons.join('; ')}`);

export function renderMarkdown(r: BenchReport): string {
  const p = r.params;
  const m = r.machine;
  const pipelines = PIPELINES.filter((pl) => r.points.some((pt) => pt.pipeline === pl));
  const lines: string[] = [
    `# ${pipelines.join(' vs ')} pipeline benchmark — ${r.timestamp}`,
    '',
    `Machine: ${m['cpus']} × ${m['cpuModel']}, ${m['memoryGiB']} GiB, ${m['kernel']}, node ${m['node']}, ` +
      `nats-server ${m['natsServer']}, redis-server ${m['redisServer']}, load avg ${m['loadAvg1mAtStart']} at start.`,
    '',
    `Parameters: ${p.symbols} symbols, ${p.clients} clients (each subscribed to every symbol's tob), ` +
      `${p.levels} levels per depth update, ${p.tradeRate} trades/s per symbol, warm-up ${p.warmup} s, ` +
      `window ${p.duration} s × ${p.repeat} (medians)` +
      (p.findMax ? `, find-max bound p99 ≤ ${p.maxP99Ms} ms.` : '.') +
      (pipelines.includes('naive')
        ? ' "naive" is the baseline of tools/bench/naive/ (JSON over NATS, Redis SET+PUBLISH per update, ws.send per update per client).'
        : ''),
    '',
  ];
  const bound = `(p99 ≤ ${p.maxP99Ms} ms, ≥ 95 % kept up, ${p.clients} clients)`;
  if (r.maxSustained !== undefined) {
    for (const pl of pipelines) {
      const v = r.maxSustained[pl];
      if (v === undefined) continue;
      lines.push(
        v === null
          ? `- **${pl}: no step was sustained** ${bound}.`
          : `- **${pl}: highest sustained rate ${f(v, 0)} venue msg/s** ${bound}.`,
      );
    }
    const t = r.maxSustained.tickmesh;
    const n = r.maxSustained.naive;
    if (typeof t === 'number' && typeof n === 'number')
      lines.push(
        `- tickmesh ÷ naive highest sustained rate: **${f(t / n, 2)}×** (on the step grid ${p.steps.join(', ')}).`,
      );
    lines.push('');
  }
  lines.push(
    '## Throughput and frame → client latency',
    '',
    '| pipeline | requested msg/s | per symbol | venue sent/s | ingested/s | tob published/s | client msgs/s | expected | p50 ms | p95 ms | p99 ms | max ms | late/early p50 | samples | kept up |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const pt of r.points) {
    const w = pt.median;
    if (w === undefined) {
      lines.push(
        `| ${pt.pipeline} | ${f(pt.rate, 0)} | ${f(pt.ratePerSymbol)} | | | | | | | | | | | | ${verdict(pt)} |`,
      );
      continue;
    }
    const l = w.latencyMs;
    const tob =
      w.rates.tobChanged === undefined
        ? f(w.rates.tobPublished, 0)
        : `${f(w.rates.tobPublished, 0)} (${f(w.rates.tobChanged, 0)} changed)`;
    lines.push(
      `| ${pt.pipeline} | ${f(pt.rate, 0)} | ${f(pt.ratePerSymbol)} | ${f(w.rates.simDepth, 0)} | ${f(w.rates.ingestFrames, 0)} | ` +
        `${tob} | ${f(w.rates.clientMsgs, 0)} | ${f(w.rates.expectedClientMsgs, 0)} | ` +
        `${f(l.p50, 2)} | ${f(l.p95, 2)} | ${f(l.p99, 2)} | ${f(l.max, 2)} | ` +
        `${f(l.lastQuarterP50 / l.firstQuarterP50, 2)} | ${f(w.samples, 0)} | ${verdict(pt)} |`,
    );
  }
  for (const pl of pipelines) {
    const points = r.points.filter((pt) => pt.pipeline === pl && pt.median !== undefined);
    if (points.length === 0) continue;
    const procs = processColumns(points);
    lines.push(
      '',
      `## CPU per venue message, ${pl}: µs (% of one core)`,
      '',
      `| requested msg/s | ${procs.join(' | ')} | pipeline (no sim, no client) |`,
      `|---:|${procs.map(() => '---:').join('|')}|---:|`,
    );
    for (const pt of points) {
      const w = pt.median!;
      const cells = procs.map((n) => {
        const c = w.processes[n];
        return c === undefined ? '–' : `${f(c.cpuUsPerMsg)} (${f(c.cpuPct, 0)}%)`;
      });
      lines.push(`| ${f(pt.rate, 0)} | ${cells.join(' | ')} | ${f(w.pipelineCpuUsPerMsg)} |`);
    }
    lines.push(
      '',
      `## RSS at the end of the window, ${pl} (MiB)`,
      '',
      `| requested msg/s | ${procs.join(' | ')} |`,
      `|---:|${procs.map(() => '---:').join('|')}|`,
    );
    for (const pt of points) {
      const w = pt.median!;
      lines.push(`| ${f(pt.rate, 0)} | ${procs.map((n) => f(w.processes[n]?.rssMiB, 0)).join(' | ')} |`);
    }
  }
  if (pipelines.length === 2) lines.push(...renderComparison(r));
  const busy = r.points.filter((pt) => (pt.median?.processes[BENCH_CLIENT]?.cpuPct ?? 0) > CLIENT_BUSY_PCT);
  if (busy.length > 0) {
    lines.push(
      '',
      `⚠ The bench client used > ${CLIENT_BUSY_PCT} % of a core at ${busy.map((pt) => `${f(pt.rate, 0)} msg/s (${pt.pipeline})`).join(', ')}: ` +
        'its own queueing is part of those latencies (fewer --clients measure the pipeline more cleanly).',
    );
  }
  lines.push(
    '',
    '"late/early p50": p50 of the last quarter of the window ÷ p50 of the first quarter (a growing backlog shows as > 1). ' +
      'CPU from /proc (utime + stime) over the window ÷ venue messages sent in it; the pipeline total leaves out ' +
      'the simulator (the venue) and the bench client (all WebSocket clients, one process). Compare ratios within one run: the machine is shared.',
    '',
  );
  return lines.join('\n');
}

/**
 * tickmesh vs naive, one table per rate that both ran: rows are the figures, columns the two
 * pipelines and naive ÷ tickmesh (for latency and CPU: > 1 means naive costs more).
 */
function renderComparison(r: BenchReport): string[] {
  const out: string[] = ['', '## tickmesh vs naive', ''];
  const rates = [...new Set(r.points.map((pt) => pt.rate))];
  for (const rate of rates) {
    const t = r.points.find((pt) => pt.rate === rate && pt.pipeline === 'tickmesh');
    const n = r.points.find((pt) => pt.rate === rate && pt.pipeline === 'naive');
    if (t === undefined || n === undefined) continue;
    const tw = t.median;
    const nw = n.median;
    const ratio = (a: number | undefined, b: number | undefined): string =>
      a === undefined || b === undefined || !(a > 0) || !Number.isFinite(b) ? '' : `${f(b / a, 2)}×`;
    const row = (
      label: string,
      get: (w: WindowResult) => number | undefined,
      digits = 1,
      withRatio = true,
    ): string => {
      const a = tw === undefined ? undefined : get(tw);
      const b = nw === undefined ? undefined : get(nw);
      return `| ${label} | ${f(a, digits)} | ${f(b, digits)} | ${withRatio ? ratio(a, b) : ''} |`;
    };
    out.push(
      `### ${f(rate, 0)} venue msg/s`,
      '',
      '| | tickmesh | naive | naive ÷ tickmesh |',
      '|---|---:|---:|---:|',
      row('p50 ms', (w) => w.latencyMs.p50, 2),
      row('p99 ms', (w) => w.latencyMs.p99, 2),
      row('venue sent/s', (w) => w.rates.simDepth, 0, false),
      row('tob published/s', (w) => w.rates.tobPublished, 0),
      row('client msgs/s', (w) => w.rates.clientMsgs, 0),
      row('pipeline CPU µs / venue msg (no sim, no client)', (w) => w.pipelineCpuUsPerMsg),
    );
    const procs = processColumns([t, n]);
    const shared = procs.filter((pr) => tw?.processes[pr] !== undefined && nw?.processes[pr] !== undefined);
    for (const pr of procs) {
      out.push(row(`${pr} µs / venue msg`, (w) => w.processes[pr]?.cpuUsPerMsg, 1, shared.includes(pr)));
    }
    out.push(`| kept up | ${verdict(t)} | ${verdict(n)} | |`, '');
  }
  out.push(
    'naive ÷ tickmesh > 1: naive is slower or costs more (client msgs/s: naive delivers every computed top of book, ' +
      'tickmesh only changed ones, coalesced per event-loop turn). Each pipeline ran on its own fresh stack, one after the other.',
  );
  return out;
}

/** Writes `bench-<stamp>.json` and `.md` into `dir`; returns their paths. */
export function writeReport(dir: string, r: BenchReport, markdown: string): string[] {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const stem = join(abs, `bench-${r.timestamp.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${stem}.md`, markdown);
  return [`${stem}.json`, `${stem}.md`];
}
