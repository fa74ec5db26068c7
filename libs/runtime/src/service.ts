/**
 * The NestJS shell every service runs in: modules and lifecycle, /healthz, /readyz and /metrics
 * over HTTP, and a NATS microservice transport for low-rate control RPC. Nest never sits on the
 * per-message path: services use the bus (raw NATS client) for ticks.
 */
import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import {
  createLogger,
  health,
  registerProcessMetrics,
  rootLogger,
  startTracing,
} from '@tickmesh/observability';
import { HealthController } from './health.controller';
import { PinoNestLogger } from './nest-logger';

export interface ServiceOptions {
  name: string;
  /** the service's root module (its providers own the hot path) */
  module: Type<unknown> | DynamicModule;
  httpHost: string;
  httpPort: number;
  /** NATS URL for the control transport; omitted = no control RPC */
  controlNatsUrl?: string;
  /** queue group for control handlers (replicas share requests) */
  controlQueue?: string;
}

@Module({ controllers: [HealthController] })
class HealthModule {}

export interface RunningService {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function runService(opts: ServiceOptions): Promise<RunningService> {
  rootLogger(opts.name);
  // OTel tracer provider: export off unless OTEL_TRACES_EXPORTER=otlp / OTEL_EXPORTER_OTLP_ENDPOINT
  const tracing = startTracing(opts.name);
  registerProcessMetrics();
  const log = createLogger('service');
  @Module({ imports: [HealthModule, opts.module] })
  class RootModule {}

  const logger = new PinoNestLogger();
  const app = await NestFactory.create(RootModule, { logger, abortOnError: false });
  app.useLogger(logger);
  if (opts.controlNatsUrl !== undefined) {
    app.connectMicroservice<MicroserviceOptions>(
      {
        transport: Transport.NATS,
        options: {
          servers: opts.controlNatsUrl.split(','),
          name: `${opts.name}-control`,
          queue: opts.controlQueue ?? opts.name,
          waitOnFirstConnect: true,
          maxReconnectAttempts: -1,
        },
      },
      { inheritAppConfig: true },
    );
    // Control RPC is low-rate and optional: a missing NATS must not block the service's start.
    void app
      .startAllMicroservices()
      .catch((err: unknown) => log.error({ err: String(err) }, 'control transport failed'));
  }
  app.enableShutdownHooks();
  await app.listen(opts.httpPort, opts.httpHost);
  const addr = app.getHttpServer().address() as { port: number } | null;
  const url = `http://${opts.httpHost}:${addr?.port ?? opts.httpPort}`;
  log.info(
    { url, health: `${url}/readyz`, tracing: { otlp: tracing.otlp, ratio: tracing.ratio } },
    `${opts.name} listening`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      health.markShuttingDown();
      await app.close();
      await tracing
        .shutdown()
        .catch((err: unknown) => log.warn({ err: String(err) }, 'tracing shutdown failed'));
    })();
    return closing;
  };
  return { app, url, close };
}

/** SIGINT/SIGTERM → graceful close (bounded), then exit. Uncaught errors are logged, not fatal. */
export function handleSignals(close: () => Promise<void>, graceMs = 10_000): void {
  const log = createLogger('process');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ graceMs }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => log.error({ err: err.stack }, 'uncaught exception'));
}
