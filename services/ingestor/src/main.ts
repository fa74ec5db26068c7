import 'reflect-metadata';
// loads the OpenTelemetry SDK behind @tickmesh/observability's tracing API (started by runService)
import '@tickmesh/observability/tracing';
import { Module } from '@nestjs/common';
import { createLogger } from '@tickmesh/observability';
import { ConfigError, handleSignals, runService } from '@tickmesh/runtime';
import { ingestorConfig, INGESTOR_CONFIG } from './config';
import { controlController } from './control.controller';
import { IngestorService } from './ingestor.service';

async function main(): Promise<void> {
  process.env['TICKMESH_SERVICE'] ??= 'ingestor';
  const cfg = ingestorConfig();

  @Module({
    providers: [{ provide: INGESTOR_CONFIG, useValue: cfg }, IngestorService],
    controllers: [controlController(cfg.venue)],
  })
  class IngestorModule {}

  const svc = await runService({
    name: `ingestor-${cfg.venue}`,
    module: IngestorModule,
    httpHost: cfg.httpHost,
    httpPort: cfg.httpPort,
    controlNatsUrl: cfg.natsUrl,
    controlQueue: `ingestor-${cfg.venue}`,
  });
  handleSignals(() => svc.close());
}

main().catch((err: unknown) => {
  const log = createLogger('main');
  log.fatal(
    { err: err instanceof ConfigError ? err.message : (err as Error).stack },
    'ingestor failed to start',
  );
  process.exit(1);
});
