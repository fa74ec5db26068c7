/**
 * The gateway inside the Nest shell: Nest constructs it, starts it with the module and stops it
 * on shutdown. The per-message path never goes through Nest (see gateway.ts).
 *
 * Stopping happens in `beforeApplicationShutdown`, i.e. while Nest's HTTP server still answers
 * /readyz (false by then: runService marks the process as shutting down before closing the app).
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, GATEWAY_PROTECTION, type GatewayConfig } from './config';
import { startGateway, type RunningGateway } from './gateway';
import type { ProtectionConfig } from './protection-config';

@Injectable()
export class GatewayService implements OnModuleInit, BeforeApplicationShutdown {
  private gateway: RunningGateway | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(GATEWAY_PROTECTION) private readonly protection: ProtectionConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.gateway = await startGateway(this.cfg, this.protection);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.gateway?.close();
  }
}
