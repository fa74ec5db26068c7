/**
 * Metrics on the OpenTelemetry metrics SDK, with hot-path accumulators of our own.
 *
 * Hot path: counters, gauges and histograms with pre-resolved children (`counter.labels({...})`
 * once, then `child.inc()` / `child.observe(v)`): a property increment or a bucket search on a
 * small array, no allocation per observation (2–16 ns). OTel JS instruments cost ~0.4–0.6 µs per
 * call (attributes hashed on every call, no bound instruments), too much per message.
 *
 * Collection and exposition: the registry is an OpenTelemetry `MetricProducer`. At scrape time it
 * hands its accumulated values to the SDK as OTel `MetricData` (counters: monotonic SUM, gauges:
 * GAUGE, histograms: HISTOGRAM with the registry's explicit bucket boundaries; cumulative
 * temporality), and the text comes from the OTel Prometheus exporter's `PrometheusSerializer`:
 * - `render()` (sync, what `/metrics` and the tests call): the registry's own data, OTel data model
 *   + OTel serializer;
 * - `renderAsync()`: the full SDK pipeline, a `PrometheusExporter` reader (no HTTP server of its
 *   own) of a `MeterProvider` with this registry as a `metricProducers` entry, so instruments made
 *   on `meter()` (low-rate things that want the OTel API) appear on the same page.
 * Scope and target info are off (`withoutScopeInfo`, `withoutTargetInfo`): the series carry
 * exactly their own labels, as before. The serializer adds `_total` to a monotonic sum whose name
 * lacks it, so counter names end in `_total` (all do).
 *
 * `METRICS=off` turns the process-wide registry's instruments into no-ops (to measure the
 * instrumentation overhead, or to run without it): `inc`/`observe`/`set` do nothing, `labels()`
 * returns one shared child without building a label key, values stay 0, the producer yields
 * nothing, `meter()` instruments are not read and `/metrics` serves a single comment line.
 */
import type { Attributes, HrTime, Meter, ValueType } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
  type MetricReader,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

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

/** What `/metrics` serves with `METRICS=off`. */
const DISABLED_TEXT = '# metrics disabled (METRICS=off)\n';
/** The instrumentation scope of the registry's metrics (not rendered: withoutScopeInfo). */
const SCOPE = { name: 'tickmesh' };
/** `ValueType.DOUBLE` of @opentelemetry/api (a type-only import keeps the api out of bundles). */
const DOUBLE = 1 as ValueType.DOUBLE;
/**
 * The resource handed to the serializer on the synchronous path; it is not rendered
 * (withoutTargetInfo). The SDK path uses the MeterProvider's resource.
 */
const NO_RESOURCE: Resource = {
  attributes: {},
  merge: (other) => other ?? NO_RESOURCE,
  getRawAttributes: () => [],
};
/** What the OTel serializer returns for a collection without metrics. */
const NO_REGISTERED_METRICS = '# no registered metrics';
/** sample lines per serializer call on the async path (then maybe an event-loop turn) */
const SLICE_LINES = 500;
/** prefix '', no timestamps, no resource labels, no target_info, no otel_scope_* labels */
const serializer = new PrometheusSerializer('', false, undefined, true, true);

function hrNow(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

function serialize(resourceMetrics: ResourceMetrics): string {
  const text = serializer.serialize(resourceMetrics);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Label values as the registry has always rendered them: `"`, `\\` and newline become `_`. */
function labelValue(v: unknown): string {
  return String(v).replace(/["\\\n]/g, '_');
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  return keys.map((k) => `${k}="${labelValue(labels[k])}"`).join(',');
}

/** The OTel attributes of a series (sorted names, values as in its key); built once per series. */
function labelAttributes(labels: Labels): Attributes {
  const out: Attributes = {};
  for (const k of Object.keys(labels).sort()) out[k] = labelValue(labels[k]);
  return out;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

abstract class Metric {
  /** start of the cumulative series (OTel data points carry it) */
  private readonly startTime = hrNow();
  constructor(
    readonly name: string,
    readonly help: string,
    /** false: a no-op instrument (METRICS=off) */
    readonly enabled = true,
  ) {}
  abstract readonly kind: 'counter' | 'gauge' | 'histogram';
  /** @internal The current values as OTel metric data (cumulative), read at collection time. */
  abstract toMetricData(endTime: HrTime): MetricData;
  /** This metric alone as Prometheus text (OTel serializer). */
  render(): string {
    return serialize({
      resource: NO_RESOURCE,
      scopeMetrics: [{ scope: SCOPE, metrics: [this.toMetricData(hrNow())] }],
    });
  }
  protected descriptor(): MetricData['descriptor'] {
    return { name: this.name, description: this.help, unit: '', valueType: DOUBLE };
  }
  protected point<T>(attributes: Attributes, value: T, endTime: HrTime) {
    return { startTime: this.startTime, endTime, attributes, value };
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
  private readonly attributes = new Map<string, Attributes>();
  private readonly noop = this.enabled ? undefined : new NoopCounterChild();
  labels(labels: Labels = {}): CounterChild {
    if (this.noop !== undefined) return this.noop;
    const k = labelKey(labels);
    let c = this.children.get(k);
    if (c === undefined) {
      this.children.set(k, (c = new CounterChild()));
      this.attributes.set(k, k === '' ? NO_ATTRIBUTES : labelAttributes(labels));
    }
    return c;
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
  toMetricData(endTime: HrTime): MetricData {
    const dataPoints = [];
    for (const [k, c] of this.children)
      dataPoints.push(this.point(this.attributes.get(k)!, c.value, endTime));
    return {
      descriptor: this.descriptor(),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
}

interface GaugeSeries {
  value: number;
  readonly attributes: Attributes;
}

export class Gauge extends Metric {
  readonly kind = 'gauge';
  private readonly children = new Map<string, GaugeSeries>();
  set(value: number, labels: Labels = {}): void {
    if (!this.enabled) return;
    const k = labelKey(labels);
    const c = this.children.get(k);
    if (c === undefined)
      this.children.set(k, { value, attributes: k === '' ? NO_ATTRIBUTES : labelAttributes(labels) });
    else c.value = value;
  }
  toMetricData(endTime: HrTime): MetricData {
    const dataPoints = [];
    for (const c of this.children.values()) dataPoints.push(this.point(c.attributes, c.value, endTime));
    return {
      descriptor: this.descriptor(),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints,
    };
  }
}

/** Default latency buckets in seconds, sub-millisecond resolution. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
];

export class HistogramChild {
  /** observations per explicit bucket (le inclusive); above the last boundary: count − Σ counts */
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
  private readonly attributes = new Map<string, Attributes>();
  private readonly noop: HistogramChild | undefined;
  /** the explicit boundaries handed to OTel (one copy, shared by every data point) */
  private readonly boundaries: number[];
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
    enabled = true,
  ) {
    super(name, help, enabled);
    this.noop = enabled ? undefined : new NoopHistogramChild(buckets);
    this.boundaries = [...buckets];
  }
  labels(labels: Labels = {}): HistogramChild {
    if (this.noop !== undefined) return this.noop;
    const k = labelKey(labels);
    let c = this.children.get(k);
    if (c === undefined) {
      this.children.set(k, (c = new HistogramChild(this.buckets)));
      this.attributes.set(k, k === '' ? NO_ATTRIBUTES : labelAttributes(labels));
    }
    return c;
  }
  toMetricData(endTime: HrTime): MetricData {
    const n = this.boundaries.length;
    const dataPoints = [];
    for (const [k, c] of this.children) {
      // OTel: n + 1 counts, the last one above the highest boundary
      const counts = new Array<number>(n + 1);
      let inBuckets = 0;
      for (let i = 0; i < n; i++) inBuckets += counts[i] = c.counts[i]!;
      counts[n] = c.count - inBuckets;
      const value = { buckets: { boundaries: this.boundaries, counts }, sum: c.sum, count: c.count };
      dataPoints.push(this.point(this.attributes.get(k)!, value, endTime));
    }
    return {
      descriptor: this.descriptor(),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}

export interface MetricsRegistryOptions {
  /** false: every instrument is a no-op and render() returns one comment line (default true) */
  enabled?: boolean;
}

/** The OTel SDK side of a registry, made on first use of meter() or renderAsync(). */
interface OtelPipeline {
  provider: MeterProvider;
  /** the Prometheus exporter as a pull reader; undefined while metrics are off */
  reader: PrometheusExporter | undefined;
}

/**
 * The registry: instruments by name, and an OpenTelemetry `MetricProducer` of their values.
 */
export class MetricsRegistry implements MetricProducer {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];
  private otel: OtelPipeline | undefined;
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
  /** A callback run before each collection (render), to refresh gauges computed on demand. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /**
   * The registry's metrics as OTel scope metrics, after running the onCollect callbacks (nothing
   * while metrics are off).
   */
  collectScopeMetrics(): ScopeMetrics {
    if (!this.enabled) return { scope: SCOPE, metrics: [] };
    for (const fn of this.collectors) fn();
    const endTime = hrNow();
    const out: MetricData[] = [];
    for (const m of this.metrics.values()) out.push(m.toMetricData(endTime));
    return { scope: SCOPE, metrics: out };
  }

  /** `MetricProducer`: the reader keeps the MeterProvider's resource and ignores this one. */
  async collect(): Promise<CollectionResult> {
    return {
      resourceMetrics: { resource: NO_RESOURCE, scopeMetrics: [this.collectScopeMetrics()] },
      errors: [],
    };
  }

  /**
   * Prometheus text (0.0.4) of the registry's metrics: OTel metric data through the OTel
   * Prometheus serializer, synchronously. Instruments made on `meter()` are read by
   * `renderAsync()` only.
   */
  render(): string {
    if (!this.enabled) return DISABLED_TEXT;
    if (this.metrics.size === 0 && this.collectors.length === 0) return '';
    return serialize({ resource: NO_RESOURCE, scopeMetrics: [this.collectScopeMetrics()] });
  }

  /**
   * Prometheus text through the whole OTel SDK pipeline: the Prometheus exporter (a pull
   * MetricReader) collects the MeterProvider's own instruments (`meter()`) and this registry (its
   * MetricProducer), and serializes them. Same names, labels and values as `render()` for the
   * registry's metrics.
   */
  async renderAsync(): Promise<string> {
    const reader = this.pipeline().reader;
    if (reader === undefined) return DISABLED_TEXT;
    const { resourceMetrics, errors } = await reader.collect();
    // Serialized in slices of ~500 sample lines, yielding to the event loop every ~1 ms: a large
    // registry (thousands of series) never blocks message handling for the whole serialization.
    const { resource } = resourceMetrics;
    let text = '';
    let slice = performance.now();
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const m of metrics) {
        const per =
          m.dataPointType === DataPointType.HISTOGRAM
            ? (m.dataPoints[0]?.value.buckets.counts.length ?? 0) + 2
            : 1;
        const step = Math.max(1, Math.floor(SLICE_LINES / per));
        for (let i = 0; i === 0 || i < m.dataPoints.length; i += step) {
          const part = (
            m.dataPoints.length <= step ? m : { ...m, dataPoints: m.dataPoints.slice(i, i + step) }
          ) as MetricData;
          let one = serializer.serialize({ resource, scopeMetrics: [{ scope, metrics: [part] }] });
          if (one === NO_REGISTERED_METRICS) continue;
          if (i > 0) one = one.replace(/^(?:#[^\n]*\n)+/, ''); // HELP/UNIT/TYPE once per metric
          text += one;
          if (performance.now() - slice > 1) {
            await yieldToEventLoop();
            slice = performance.now();
          }
        }
      }
    }
    for (const e of errors) text += `# collection error: ${String(e).replace(/\n/g, ' ')}\n`;
    return text === '' ? `${NO_REGISTERED_METRICS}\n` : text;
  }

  /**
   * An OpenTelemetry Meter of this registry's MeterProvider, for low-rate code that wants the OTel
   * API (each `add`/`record` costs ~0.5 µs: keep it off per-message paths). Its instruments are
   * served by `renderAsync()`; their names must differ from the registry's (no scope label tells
   * two families of one name apart). With metrics off, the provider has no reader: nothing is
   * collected.
   */
  meter(name = 'tickmesh', version?: string): Meter {
    return this.pipeline().provider.getMeter(name, version);
  }

  private pipeline(): OtelPipeline {
    if (this.otel !== undefined) return this.otel;
    if (!this.enabled) return (this.otel = { provider: new MeterProvider(), reader: undefined });
    const reader = new PrometheusExporter({
      preventServerStart: true, // served by the service's own HTTP server
      metricProducers: [this],
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    });
    // The exporter extends the MetricReader of its own (nested) copy of @opentelemetry/sdk-metrics;
    // the two copies are the same release and the provider only calls reader methods, so the
    // class identity does not matter (the cast is for the private fields TypeScript compares).
    const provider = new MeterProvider({ readers: [reader as unknown as MetricReader] });
    return (this.otel = { provider, reader });
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

/**
 * An OpenTelemetry Meter whose instruments are served on `/metrics` next to the registry's (see
 * `MetricsRegistry.meter`).
 */
export function meter(name = 'tickmesh', version?: string): Meter {
  return metrics.meter(name, version);
}
