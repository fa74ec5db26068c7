/**
 * /metrics render time with ~2000 series, and hot-path ns per call on the pre-resolved handles.
 * `cd libs/observability && TSX_TSCONFIG_PATH=../../tsconfig.base.json node --import tsx
 * test/metrics-render.bench.ts [--renders N] [--calls N]`. Short (a few seconds, one core).
 *
 * Registry content: 20 counters × 50 label sets (1,000 children), 10 gauges × 60 (600), 4 latency
 * histograms × 100 (400 children × 13 buckets): 2,000 labelled children, ~8,000 sample lines.
 */
import { setImmediate } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LATENCY_BUCKETS, MetricsRegistry } from '../src/metrics';

const { values: opts } = parseArgs({
  options: {
    renders: { type: 'string', default: '60' },
    calls: { type: 'string', default: '2000000' },
  },
});

function populate(r: MetricsRegistry): void {
  for (let m = 0; m < 20; m++) {
    const c = r.counter(`tickmesh_bench_c${m}_total`, `counter ${m}`);
    for (let i = 0; i < 50; i++) c.labels({ venue: `v${i % 5}`, symbol: `SYM${i}-USDT` }).inc(i * 7 + m);
  }
  for (let m = 0; m < 10; m++) {
    const g = r.gauge(`tickmesh_bench_g${m}`, `gauge ${m}`);
    for (let i = 0; i < 60; i++)
      g.set(i * 0.5 + m, { venue: `v${i % 5}`, symbol: `SYM${i}-USDT`, side: 'bid' });
  }
  for (let m = 0; m < 4; m++) {
    const h = r.histogram(`tickmesh_bench_h${m}_seconds`, `histogram ${m}`, LATENCY_BUCKETS);
    for (let i = 0; i < 100; i++) {
      const child = h.labels({ venue: `v${i % 5}`, symbol: `SYM${i}-USDT` });
      for (let k = 0; k < 50; k++) child.observe(((k * 37 + i) % 2000) * 1e-5);
    }
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function renderBench(): Promise<void> {
  const r = new MetricsRegistry();
  populate(r);
  const n = Number(opts.renders);
  const time = async (
    fn: () => string | Promise<string>,
  ): Promise<{ ms: number; bytes: number; lines: number }> => {
    let text = '';
    for (let i = 0; i < 10; i++) text = await fn();
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      text = await fn();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    return { ms: median(ms), bytes: text.length, lines };
  };
  const sync = await time(() => r.render());
  console.log(
    `render() sync     : median ${sync.ms.toFixed(2)} ms  (${sync.lines} sample lines, ${sync.bytes} bytes)`,
  );
  const asyncRender = (r as unknown as { renderAsync?: () => Promise<string> }).renderAsync;
  if (asyncRender !== undefined) {
    const a = await time(() => asyncRender.call(r));
    console.log(
      `renderAsync() OTel: median ${a.ms.toFixed(2)} ms  (${a.lines} sample lines, ${a.bytes} bytes)`,
    );
    // the longest stretch without an event-loop turn while renderAsync runs (median over renders)
    const blocks: number[] = [];
    for (let i = 0; i < 20; i++) {
      let running = true;
      let last = performance.now();
      let longest = 0;
      const spin = (async () => {
        while (running) {
          await setImmediate();
          const now = performance.now();
          longest = Math.max(longest, now - last);
          last = now;
        }
      })();
      await asyncRender.call(r);
      running = false;
      await spin;
      blocks.push(longest);
    }
    console.log(`renderAsync() longest event-loop block: median ${median(blocks).toFixed(2)} ms`);
  }
}

function microBench(): void {
  const r = new MetricsRegistry();
  const N = Number(opts.calls);
  const nsPer = (fn: (i: number) => void): number => {
    for (let i = 0; i < 100_000; i++) fn(i);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / N;
  };
  const c = r.counter('tickmesh_bench_frames_total', 'frames').labels({ venue: 'binance' });
  const cb = r.counter('tickmesh_bench_bytes_total', 'bytes').labels({ venue: 'binance' });
  const h = r
    .histogram('tickmesh_bench_lat_seconds', 'latency', LATENCY_BUCKETS)
    .labels({ venue: 'binance' });
  const lc = r.counter('tickmesh_bench_msgs_total', 'msgs');
  const g = r.gauge('tickmesh_bench_gauge', 'gauge');
  const lbl = { venue: 'binance' };
  const results: Record<string, number> = {};
  for (let round = 0; round < 3; round++) {
    const one = {
      'counter.inc()': nsPer(() => c.inc()),
      'counter.inc(n)': nsPer((i) => cb.inc(i & 1023)),
      'histogram.observe(v)': nsPer((i) => h.observe((i & 4095) * 1e-6)),
      'counter.labels({venue}).inc()': nsPer(() => lc.labels(lbl).inc()),
      'gauge.set(v, {venue})': nsPer((i) => g.set(i, lbl)),
    };
    for (const [k, v] of Object.entries(one)) results[k] = Math.min(results[k] ?? Infinity, v);
  }
  for (const [k, v] of Object.entries(results))
    console.log(`${k.padEnd(32)} ${v.toFixed(1)} ns/call (best of 3)`);
}

await renderBench();
microBench();
