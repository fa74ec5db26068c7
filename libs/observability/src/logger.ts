/**
 * JSON logs (pino) to stdout. One root logger per process, children per component.
 * LOG_LEVEL selects the level (default info); LOG_PRETTY is deliberately not supported: the stack
 * runner prefixes lines per process, and machines read these logs.
 */
import { pino, type Logger } from 'pino';
import { traceLogFields } from './trace-hooks';

export type { Logger };

let root: Logger | undefined;

export function rootLogger(service?: string): Logger {
  if (root === undefined) {
    root = pino({
      level: process.env['LOG_LEVEL'] ?? 'info',
      base: { service: service ?? process.env['TICKMESH_SERVICE'] ?? 'tickmesh', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // trace_id/span_id when a span is active (tracing started); {} otherwise
      mixin: traceLogFields,
    });
  }
  return root;
}

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

/**
 * Logs at most once per `intervalMs` per key and counts what it suppressed, so a flood of bad
 * frames produces a readable log instead of a denial of service on stdout.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const e = this.last.get(key);
    if (e !== undefined && now - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    this.log.warn({ ...obj, suppressed: e?.suppressed ?? 0 }, msg);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 10_000) this.last.clear();
  }
}
