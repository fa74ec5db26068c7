import { Controller, Get, Header, Res } from '@nestjs/common';
import { health, metrics } from '@tickmesh/observability';

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
}

/** Liveness, readiness with reasons, and Prometheus metrics, on every service. */
@Controller()
export class HealthController {
  @Get('healthz')
  healthz(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('readyz')
  readyz(@Res() res: Reply): void {
    const r = health.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return metrics.renderAsync();
  }
}
