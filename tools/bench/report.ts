/** Machine info, the keep-up verdict, and the JSON + markdown output of a benchmark run. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchOptions } from './cli';
import { BENCH_CLIENT, type WindowResult } from './measure';
import { PROCESS_NAMES } from './stack';
import { round } from './stats';

export interface PointResult {
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
  /** --find-max: highest sustained total rate (null: none) */
  maxSustainedRate?: number | null;
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

export function renderMarkdown(r: BenchReport): string {
  const p = r.params;
  const m = r.machine;
  const lines: string[] = [
    `# tickmesh pipeline benchmark — ${r.timestamp}`,
    '',
    `Machine: ${m['cpus']} × ${m['cpuModel']}, ${m['memoryGiB']} GiB, ${m['kernel']}, node ${m['node']}, ` +
      `nats-server ${m['natsServer']}, redis-server ${m['redisServer']}, load avg ${m['loadAvg1mAtStart']} at start.`,
    '',
    `Parameters: ${p.symbols} symbols, ${p.clients} clients (each subscribed to every symbol's tob), ` +
      `${p.levels} levels per depth update, ${p.tradeRate} trades/s per symbol, warm-up ${p.warmup} s, ` +
      `window ${p.duration} s × ${p.repeat} (medians)` +
      (p.findMax ? `, find-max bound p99 ≤ ${p.maxP99Ms} ms.` : '.'),
    '',
  ];
  if (r.maxSustainedRate !== undefined) {
    lines.push(
      r.maxSustainedRate === null
        ? `**No step was sustained** (p99 ≤ ${p.maxP99Ms} ms, ≥ 95 % kept up, ${p.clients} clients).`
        : `**Highest sustained rate: ${f(r.maxSustainedRate, 0)} venue msg/s** ` +
            `(p99 ≤ ${p.maxP99Ms} ms, ≥ 95 % kept up, ${p.clients} clients).`,
      '',
    );
  }
  lines.push(
    '## Throughput and frame → client latency',
    '',
    '| requested msg/s | per symbol | venue sent/s | ingested/s | tob published/s | client msgs/s | expected | p50 ms | p95 ms | p99 ms | max ms | late/early p50 | samples | kept up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const pt of r.points) {
    const w = pt.median;
    if (w === undefined) {
      lines.push(
        `| ${f(pt.rate, 0)} | ${f(pt.ratePerSymbol)} | | | | | | | | | | | | no: ${pt.reasons.join('; ')} |`,
      );
      continue;
    }
    const l = w.latencyMs;
    lines.push(
      `| ${f(pt.rate, 0)} | ${f(pt.ratePerSymbol)} | ${f(w.rates.simDepth, 0)} | ${f(w.rates.ingestFrames, 0)} | ` +
        `${f(w.rates.tobPublished, 0)} | ${f(w.rates.clientMsgs, 0)} | ${f(w.rates.expectedClientMsgs, 0)} | ` +
        `${f(l.p50, 2)} | ${f(l.p95, 2)} | ${f(l.p99, 2)} | ${f(l.max, 2)} | ` +
        `${f(l.lastQuarterP50 / l.firstQuarterP50, 2)} | ${f(w.samples, 0)} | ` +
        `${pt.sustained ? 'yes' : `no: ${pt.reasons.join('; ')}`} |`,
    );
  }
  const procs = [...PROCESS_NAMES, BENCH_CLIENT];
  lines.push(
    '',
    '## CPU per venue message: µs (% of one core)',
    '',
    `| requested msg/s | ${procs.join(' | ')} | pipeline (no sim, no client) |`,
    `|---:|${procs.map(() => '---:').join('|')}|---:|`,
  );
  for (const pt of r.points) {
    const w = pt.median;
    if (w === undefined) continue;
    const cells = procs.map((n) => {
      const c = w.processes[n];
      return c === undefined ? '–' : `${f(c.cpuUsPerMsg)} (${f(c.cpuPct, 0)}%)`;
    });
    lines.push(`| ${f(pt.rate, 0)} | ${cells.join(' | ')} | ${f(w.pipelineCpuUsPerMsg)} |`);
  }
  lines.push(
    '',
    '## RSS at the end of the window (MiB)',
    '',
    `| requested msg/s | ${procs.join(' | ')} |`,
    `|---:|${procs.map(() => '---:').join('|')}|`,
  );
  for (const pt of r.points) {
    const w = pt.median;
    if (w === undefined) continue;
    lines.push(`| ${f(pt.rate, 0)} | ${procs.map((n) => f(w.processes[n]?.rssMiB, 0)).join(' | ')} |`);
  }
  const busy = r.points.filter((pt) => (pt.median?.processes[BENCH_CLIENT]?.cpuPct ?? 0) > CLIENT_BUSY_PCT);
  if (busy.length > 0) {
    lines.push(
      '',
      `⚠ The bench client used > ${CLIENT_BUSY_PCT} % of a core at ${busy.map((pt) => f(pt.rate, 0)).join(', ')} msg/s: ` +
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

/** Writes `bench-<stamp>.json` and `.md` into `dir`; returns their paths. */
export function writeReport(dir: string, r: BenchReport, markdown: string): string[] {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const stem = join(abs, `bench-${r.timestamp.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${stem}.md`, markdown);
  return [`${stem}.json`, `${stem}.md`];
}
