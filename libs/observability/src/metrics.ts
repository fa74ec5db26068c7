/**
 * Minimal Prometheus-text metrics. Hot-path cost is a property increment or a bucket search on a
 * small array; no allocation per observation. Rendering walks the registry on scrape.
 *
 * `METRICS=off` turns the process-wide registry's instruments into no-ops (to measure the
 * instrumentation overhead, or to run without it): `inc`/`observe`/`set` do nothing, `labels()`
 * returns one shared child without building a label key, values stay 0 and `/metrics` serves a
 * single comment line.
 */
export type Labels = Record<string, string>;

/**
 * `METRICS`: `on` (default; also `true`, `1`, unset or empty) or `off` (`false`, `0`). Anything
 * else throws, naming the variable.
 */
export function metricsEnabledFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env['METRICS'] ?? '').trim().toLowerCase();
  if (v === '' || v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new Error(`invalid configuration: METRICS must be on or off (got "${env['METRICS']}")`);
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`).join(',');
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    /** false: a no-op instrument (METRICS=off) */
    readonly enabled = true,
  ) {}
  abstract readonly kind: 'counter' | 'gauge' | 'histogram';
  abstract render(): string;
  protected header(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.kind}\n`;
  }
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** The child of every disabled counter: `inc` does nothing, `value` stays 0. */
class NoopCounterChild extends CounterChild {
  override inc(): void {}
}

export class Counter extends Metric {
  readonly kind = 'counter';
  private readonly children = new Map<string, CounterChild>();
  private readonly noop = this.enabled ? undefined : new NoopCounterChild();
  labels(labels: Labels = {}): CounterChild {
    if (this.noop !== undefined) return this.noop;
    const k = labelKey(labels);
    let c = this.children.get(k);
    if (c === undefined) this.children.set(k, (c = new CounterChild()));
    return c;
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
  render(): string {
    let out = this.header();
    for (const [k, c] of this.children) out += `${this.name}${k ? `{${k}}` : ''} ${c.value}\n`;
    return out;
  }
}

export class Gauge extends Metric {
  readonly kind = 'gauge';
  private readonly children = new Map<string, { value: number }>();
  set(value: number, labels: Labels = {}): void {
    if (!this.enabled) return;
    const k = labelKey(labels);
    const c = this.children.get(k);
    if (c === undefined) this.children.set(k, { value });
    else c.value = value;
  }
  render(): string {
    let out = this.header();
    for (const [k, c] of this.children) out += `${this.name}${k ? `{${k}}` : ''} ${c.value}\n`;
    return out;
  }
}

/** Default latency buckets in seconds, sub-millisecond resolution. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
];

export class HistogramChild {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    if (i < b.length) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** The child of every disabled histogram: `observe` does nothing. */
class NoopHistogramChild extends HistogramChild {
  override observe(): void {}
}

export class Histogram extends Metric {
  readonly kind = 'histogram';
  private readonly children = new Map<string, HistogramChild>();
  private readonly noop: HistogramChild | undefined;
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
    enabled = true,
  ) {
    super(name, help, enabled);
    this.noop = enabled ? undefined : new NoopHistogramChild(buckets);
  }
  labels(labels: Labels = {}): HistogramChild {
    if (this.noop !== undefined) return this.noop;
    const k = labelKey(labels);
    let c = this.children.get(k);
    if (c === undefined) this.children.set(k, (c = new HistogramChild(this.buckets)));
    return c;
  }
  render(): string {
    let out = this.header();
    for (const [k, c] of this.children) {
      let cum = 0;
      const sep = k ? `${k},` : '';
      this.buckets.forEach((b, i) => {
        cum += c.counts[i]!;
        out += `${this.name}_bucket{${sep}le="${b}"} ${cum}\n`;
      });
      out += `${this.name}_bucket{${sep}le="+Inf"} ${c.count}\n`;
      out += `${this.name}_sum${k ? `{${k}}` : ''} ${c.sum}\n${this.name}_count${k ? `{${k}}` : ''} ${c.count}\n`;
    }
    return out;
  }
}

export interface MetricsRegistryOptions {
  /** false: every instrument is a no-op and render() returns one comment line (default true) */
  enabled?: boolean;
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];
  readonly enabled: boolean;

  constructor(opts: MetricsRegistryOptions = {}) {
    this.enabled = opts.enabled ?? true;
  }

  counter(name: string, help: string): Counter {
    return this.getOrAdd(name, () => new Counter(name, help, this.enabled));
  }
  gauge(name: string, help: string): Gauge {
    return this.getOrAdd(name, () => new Gauge(name, help, this.enabled));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.getOrAdd(name, () => new Histogram(name, help, buckets, this.enabled));
  }
  /** A callback run before each render, to refresh gauges computed on demand. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }
  render(): string {
    if (!this.enabled) return '# metrics disabled (METRICS=off)\n';
    for (const fn of this.collectors) fn();
    let out = '';
    for (const m of this.metrics.values()) out += m.render();
    return out;
  }
  private getOrAdd<T extends Metric>(name: string, make: () => T): T {
    const existing = this.metrics.get(name);
    if (existing !== undefined) return existing as T;
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}

/** The process-wide registry that /metrics renders; `METRICS=off` makes it a no-op. */
export const metrics = new MetricsRegistry({ enabled: metricsEnabledFromEnv() });
