/**
 * Low-rate control RPC over Nest's NATS transport, subject `ctl.v1.ingestor.<venue>`:
 *   {"cmd":"status"}                    → every symbol's SyncStatus
 *   {"cmd":"resync","symbol":"BTCUSDT"} → forces that symbol's resync
 * The subject depends on the venue, so the handler's pattern is bound at module creation.
 */
import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ingestorControlSubject } from '@tickmesh/contracts';
import { IngestorService } from './ingestor.service';

interface ControlRequest {
  cmd?: unknown;
  symbol?: unknown;
}

export function controlController(venue: string): Type<unknown> {
  @Controller()
  class IngestorControlController {
    constructor(@Inject(IngestorService) private readonly ingestor: IngestorService) {}

    @MessagePattern(ingestorControlSubject(venue))
    handle(@Payload() req: ControlRequest): unknown {
      switch (req?.cmd) {
        case 'status':
          return { ok: true, statuses: this.ingestor.statuses() };
        case 'resync':
          if (typeof req.symbol !== 'string') return { ok: false, error: 'resync needs "symbol" (native)' };
          return this.ingestor.resync(req.symbol, 'control request')
            ? { ok: true }
            : { ok: false, error: `unknown symbol ${req.symbol}` };
        default:
          return { ok: false, error: 'unknown cmd (status | resync)' };
      }
    }
  }
  return IngestorControlController;
}
