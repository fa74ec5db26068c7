/**
 * The tracing API every library uses, free of npm dependencies: bundles of services that do not
 * load the OpenTelemetry SDK (see ./tracing, the `@tickmesh/observability/tracing` entry point)
 * get no-ops here and never import an OTel package. A service opts in by importing that entry
 * point once (its package.json then declares the @opentelemetry/* packages the image installs);
 * the service shell (libs/runtime) calls `startTracing` either way.
 */

/** The subset of a header map (NATS MsgHdrs, a Map wrapper, ...) that propagation needs. */
export interface TraceHeaderCarrier {
  get(key: string): string | undefined | null;
  set(key: string, value: string): void;
}

/** An extracted remote trace context (an OTel Context when the SDK is loaded); opaque here. */
export interface TraceContext {
  getValue(key: symbol): unknown;
}

export type TraceAttributes = Record<string, string | number | boolean>;

export interface TracingHandle {
  readonly serviceName: string;
  /** false when the SDK entry point was not loaded (everything below is a no-op) */
  readonly enabled: boolean;
  readonly ratio: number;
  readonly otlp: boolean;
  shutdown(): Promise<void>;
}

export interface TracingBackend {
  start(serviceName: string): TracingHandle;
  withSpan<T>(name: string, attrs: TraceAttributes, fn: () => T, parent?: TraceContext): T;
  injectActive(headers: TraceHeaderCarrier): boolean;
  injectSampled(headers: TraceHeaderCarrier, name: string, attrs: TraceAttributes): string;
  extract(headers: TraceHeaderCarrier): TraceContext | undefined;
  activeTraceId(): string | undefined;
  logFields(): Record<string, string>;
}

let backend: TracingBackend | undefined;

/** Called by the SDK entry point when it is imported. */
export function installTracingBackend(b: TracingBackend): void {
  backend = b;
}

export function tracingAvailable(): boolean {
  return backend !== undefined;
}

/**
 * Starts tracing for the process (idempotent) when the SDK entry point is loaded; otherwise
 * returns a disabled handle.
 */
export function startTracing(serviceName: string): TracingHandle {
  if (backend !== undefined) return backend.start(serviceName);
  return { serviceName, enabled: false, ratio: 0, otlp: false, shutdown: () => Promise.resolve() };
}

/**
 * Runs `fn` inside an active span (low-rate operations only: connect, subscribe, snapshot,
 * resync). The span ends when `fn` returns or its promise settles; errors are recorded and
 * rethrown. `parent`: a remote context from `extractTraceContext`.
 */
export function withSpan<T>(name: string, attrs: TraceAttributes, fn: () => T, parent?: TraceContext): T {
  return backend === undefined ? fn() : backend.withSpan(name, attrs, fn, parent);
}

/** Writes W3C `traceparent`/`tracestate` of the active sampled span; false when there is none. */
export function injectTraceHeaders(headers: TraceHeaderCarrier): boolean {
  return backend?.injectActive(headers) ?? false;
}

/**
 * For a message the caller decided to sample: the active sampled span's context, or a new
 * forced-sampled producer span `name`. Returns the trace id ('' without the SDK).
 */
export function injectSampledTrace(
  headers: TraceHeaderCarrier,
  name: string,
  attrs: TraceAttributes,
): string {
  return backend?.injectSampled(headers, name, attrs) ?? '';
}

/** The remote context carried by `headers`, or undefined when they carry no `traceparent`. */
export function extractTraceContext(headers: TraceHeaderCarrier | undefined): TraceContext | undefined {
  if (headers === undefined || backend === undefined) return undefined;
  const tp = headers.get('traceparent');
  if (tp === null || tp === undefined || tp === '') return undefined;
  return backend.extract(headers);
}

/** The trace id of the active span, if any. */
export function activeTraceId(): string | undefined {
  return backend?.activeTraceId();
}

/** pino mixin: `trace_id`/`span_id` of the active span; {} when tracing is off or idle. */
export function traceLogFields(): Record<string, string> {
  return backend === undefined ? {} : backend.logFields();
}
