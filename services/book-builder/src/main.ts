import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createLogger } from '@tickmesh/observability';
import { ConfigError, handleSignals, runService } from '@tickmesh/runtime';
import { BookBuilderService } from './book-builder.service';
import { bookBuilderConfig, BOOK_BUILDER_CONFIG } from './config';

async function main(): Promise<void> {
  process.env['TICKMESH_SERVICE'] ??= 'book-builder';
  const cfg = bookBuilderConfig();

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
