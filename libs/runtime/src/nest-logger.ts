/**
 * Nest's own log lines (bootstrap, the control transport) as pino JSON, so a service's stdout is
 * one format that machines can read.
 */
import type { LoggerService } from '@nestjs/common';
import { createLogger, type Logger } from '@tickmesh/observability';

export class PinoNestLogger implements LoggerService {
  private readonly pino: Logger = createLogger('nest');

  private write(
    level: 'info' | 'warn' | 'error' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ): void {
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? rest[rest.length - 1] : undefined;
    const err = message instanceof Error ? message : undefined;
    this.pino[level]({ context, ...(err ? { err: err.message } : {}) }, err ? err.message : String(message));
  }

  /** Nest's routine bootstrap chatter ("Mapped {/healthz, GET} route") is debug-level here. */
  log(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
}
