import 'reflect-metadata';
// loads the OpenTelemetry SDK behind @tickmesh/observability's tracing API (started by runService)
import '@tickmesh/observability/tracing';
import { Module } from '@nestjs/common';
import { createLogger } from '@tickmesh/observability';
import { ConfigError, handleSignals, loadConfig, runService } from '@tickmesh/runtime';
import { BookBuilderService } from './book-builder.service';
import { BookBuilderConfigSchema, BOOK_BUILDER_CONFIG } from './config';
import { EquivalenceError, parseEquivalences } from './equivalence';
import { PartitionConfigError, resolvePartition } from './partition';

async function main(): Promise<void> {
  process.env['TICKMESH_SERVICE'] ??= 'book-builder';
  const cfg = loadConfig(BookBuilderConfigSchema);
  try {
    parseEquivalences(cfg.consolidateEquivalent);
    resolvePartition(cfg.partitions, cfg.partitionIndex, process.env['HOSTNAME']);
  } catch (err) {
    // one line naming the variable, like every other configuration error
    if (err instanceof EquivalenceError || err instanceof PartitionConfigError)
      throw new ConfigError(err.message);
    throw err;
  }

  @Module({ providers: [{ provide: BOOK_BUILDER_CONFIG, useValue: cfg }, BookBuilderService] })
  class BookBuilderModule {}

  const svc = await runService({
    name: 'book-builder',
    module: BookBuilderModule,
    httpHost: cfg.httpHost,
    httpPort: cfg.httpPort,
  });
  handleSignals(() => svc.close());
}

main().catch((err: unknown) => {
  createLogger('main').fatal(
    { err: err instanceof ConfigError ? err.message : (err as Error).stack },
    'book-builder failed to start',
  );
  process.exit(1);
});
