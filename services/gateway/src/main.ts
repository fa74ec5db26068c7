import 'reflect-metadata';
// loads the OpenTelemetry SDK behind @tickmesh/observability's tracing API (started by runService)
import '@tickmesh/observability/tracing';
import { Module } from '@nestjs/common';
import { createLogger } from '@tickmesh/observability';
import { ConfigError, handleSignals, loadConfig, runService } from '@tickmesh/runtime';
import { GatewayConfigSchema, GATEWAY_CONFIG, GATEWAY_PROTECTION } from './config';
import { GatewayService } from './gateway.service';
import { protectionConfig, ProtectionConfigError } from './protection-config';

async function main(): Promise<void> {
  process.env['TICKMESH_SERVICE'] ??= 'gateway';
  const cfg = loadConfig(GatewayConfigSchema);
  const protection = protectionConfig(process.env);

  @Module({
    providers: [
      { provide: GATEWAY_CONFIG, useValue: cfg },
      { provide: GATEWAY_PROTECTION, useValue: protection },
      GatewayService,
    ],
  })
  class GatewayModule {}

  const svc = await runService({
    name: 'gateway',
    module: GatewayModule,
    httpHost: cfg.httpHost,
    httpPort: cfg.httpPort,
  });
  // The signal grace must outlast the gateway's own drain (SHUTDOWN_GRACE_MS).
  handleSignals(() => svc.close(), cfg.shutdownGraceMs + 5000);
}

main().catch((err: unknown) => {
  const log = createLogger('main');
  log.fatal(
    {
      err:
        err instanceof ConfigError || err instanceof ProtectionConfigError
          ? err.message
          : (err as Error).stack,
    },
    'gateway failed to start',
  );
  process.exit(1);
});
