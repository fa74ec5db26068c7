/**
 * The OpenTelemetry SDK backend, entry point `@tickmesh/observability/tracing`. Importing it
 * installs the backend behind the dependency-free API in ./trace-hooks (withSpan,
 * injectTraceHeaders, extractTraceContext, ...); `startTracing` (the service shell calls it)
 * then registers the Node tracer provider. Never per tick: the bus only reaches this module for
 * messages it decided to sample (see libs/bus), so an unsampled message pays nothing here.
 *
 * Configuration (standard OTel env):
 * - OTEL_TRACES_EXPORTER=otlp or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 *   enables the OTLP/HTTP exporter (off by default; OTEL_TRACES_EXPORTER=none forces it off);
 * - OTEL_TRACES_SAMPLER_ARG: parent-based trace-id ratio for root spans (default 0.01).
 * Spans created with `SAMPLE_ATTR` set (the bus's 1-in-N sampled messages) are always sampled.
 */
import {
  context,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  installTracingBackend,
  type TraceAttributes,
  type TraceContext,
  type TraceHeaderCarrier,
  type TracingBackend,
  type TracingHandle,
} from './trace-hooks';

/** Span attribute that forces sampling of a root span (the bus's counter-based message sample). */
export const SAMPLE_ATTR = 'tickmesh.sampled';

export interface OtelTracingOptions {
  /** trace-id ratio for root spans; default OTEL_TRACES_SAMPLER_ARG or 0.01 */
  ratio?: number;
  /** extra span processors (tests: a SimpleSpanProcessor over an InMemorySpanExporter) */
  spanProcessors?: SpanProcessor[];
  /** environment to read (default process.env) */
  env?: Record<string, string | undefined>;
}

/** Root sampler: forced when the span carries SAMPLE_ATTR, else the trace-id ratio. */
class ForcedOrRatioSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;
  constructor(private readonly r: number) {
    this.ratio = new TraceIdRatioBasedSampler(r);
  }
  shouldSample(
    ctx: Context,
    traceId: string,
    _name: string,
    _kind: SpanKind,
    attributes: Attributes,
  ): SamplingResult {
    if (attributes[SAMPLE_ATTR] === true) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.ratio.shouldSample(ctx, traceId);
  }
  toString(): string {
    return `ForcedOrRatioSampler{${this.r}}`;
  }
}

const w3c = new W3CTraceContextPropagator();
const setter: TextMapSetter<TraceHeaderCarrier> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
const getter: TextMapGetter<TraceHeaderCarrier> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => {
    const v = carrier.get(key);
    return v === null || v === undefined || v === '' ? undefined : v;
  },
};

let handle: TracingHandle | undefined;

export function parseRatio(raw: string | undefined, fallback = 0.01): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : fallback;
}

export function otlpEnabled(env: Record<string, string | undefined>): boolean {
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter === 'none') return false;
  if (exporter === 'otlp') return true;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/**
 * Registers the global tracer provider (AsyncLocalStorage context, W3C propagator). Idempotent:
 * the first call in a process wins and later calls return its handle until it is shut down.
 */
export function startOtelTracing(serviceName: string, opts: OtelTracingOptions = {}): TracingHandle {
  if (handle !== undefined) return handle;
  const env = opts.env ?? process.env;
  const ratio = opts.ratio ?? parseRatio(env['OTEL_TRACES_SAMPLER_ARG']);
  const otlp = otlpEnabled(env);
  const spanProcessors: SpanProcessor[] = [...(opts.spanProcessors ?? [])];
  // the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT itself
  if (otlp) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    sampler: new ParentBasedSampler({ root: new ForcedOrRatioSampler(ratio) }),
    spanProcessors,
  });
  provider.register({ propagator: w3c });
  const h: TracingHandle = {
    serviceName,
    enabled: true,
    ratio,
    otlp,
    shutdown: async () => {
      if (handle === h) handle = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
  handle = h;
  return h;
}

export function tracer(): Tracer {
  return trace.getTracer('tickmesh');
}

function sampledActive(): boolean {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc !== undefined && (sc.traceFlags & 1) === 1;
}

function withOtelSpan<T>(name: string, attrs: TraceAttributes, fn: () => T, parent?: TraceContext): T {
  const ctx = (parent as Context | undefined) ?? context.active();
  return tracer().startActiveSpan(name, { attributes: attrs }, ctx, (span) => {
    const fail = (err: unknown): never => {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      span.end();
      throw err;
    };
    let out: T;
    try {
      out = fn();
    } catch (err) {
      return fail(err);
    }
    if (out instanceof Promise) {
      return out.then((v: unknown) => {
        span.end();
        return v;
      }, fail) as T;
    }
    span.end();
    return out;
  });
}

const backend: TracingBackend = {
  start: (serviceName) => startOtelTracing(serviceName),
  withSpan: withOtelSpan,
  injectActive: (headers) => {
    if (!sampledActive()) return false;
    w3c.inject(context.active(), headers, setter);
    return true;
  },
  injectSampled: (headers, name, attrs) => {
    const active = trace.getActiveSpan();
    if (active !== undefined && sampledActive()) {
      w3c.inject(context.active(), headers, setter);
      return active.spanContext().traceId;
    }
    // a new root (an unsampled active parent would veto the forced sample)
    const span = tracer().startSpan(name, {
      root: true,
      kind: SpanKind.PRODUCER,
      attributes: { ...attrs, [SAMPLE_ATTR]: true },
    });
    w3c.inject(trace.setSpan(context.active(), span), headers, setter);
    span.end();
    return span.spanContext().traceId;
  },
  extract: (headers) => {
    const ctx = w3c.extract(context.active(), headers, getter);
    return trace.getSpanContext(ctx) === undefined ? undefined : ctx;
  },
  activeTraceId: () => trace.getActiveSpan()?.spanContext().traceId,
  logFields: (): Record<string, string> => {
    if (handle === undefined) return {};
    const sc = trace.getActiveSpan()?.spanContext();
    return sc === undefined ? {} : { trace_id: sc.traceId, span_id: sc.spanId };
  },
};

installTracingBackend(backend);

/** The trace id a context (e.g. from `extractTraceContext`) carries. */
export function traceIdOfContext(ctx: TraceContext | undefined): string | undefined {
  return ctx === undefined ? undefined : trace.getSpanContext(ctx as Context)?.traceId;
}

export * from './trace-hooks';
