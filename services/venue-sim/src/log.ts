/**
 * A tiny structured logger: one JSON object per line on stderr (stdout stays free for whoever
 * embeds the simulator). Its call shape, `log.info({ fields }, 'message')`, is the pino subset used
 * by @tickmesh/observability, so switching to that library later is a one-line change.
 * LOG_LEVEL selects the level (debug | info | warn | error | silent), default info.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(RANK, s);
}

export function createLogger(
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = { service: 'venue-sim' },
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const min = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, msg: string): void => {
    if (RANK[lvl] < min) return;
    const record = { level: lvl, time: new Date().toISOString(), ...bindings, ...fields, msg };
    write(JSON.stringify(record, errorReplacer) + '\n');
  };
  return {
    debug: (f, m) => emit('debug', f, m),
    info: (f, m) => emit('info', f, m),
    warn: (f, m) => emit('warn', f, m),
    error: (f, m) => emit('error', f, m),
    child: (more) => createLogger(level, { ...bindings, ...more }, write),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger('silent');

/** Errors have no enumerable fields; log their message and stack instead of `{}`. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
