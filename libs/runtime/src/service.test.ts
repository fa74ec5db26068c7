import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { health, metrics } from '@tickmesh/observability';
import { runService } from './service';

@Module({})
class EmptyModule {}

test('every service serves /healthz, /readyz with reasons, and /metrics', async (t) => {
  const svc = await runService({ name: 'test-svc', module: EmptyModule, httpHost: '127.0.0.1', httpPort: 0 });
  t.after(() => svc.close());
  metrics.counter('tickmesh_test_total', 'a test counter').inc(2);
  health.set('nats', false, 'NATS reconnecting');

  const live = await fetch(`${svc.url}/healthz`);
  assert.equal(live.status, 200);
  const notReady = await fetch(`${svc.url}/readyz`);
  assert.equal(notReady.status, 503);
  const body = (await notReady.json()) as { ready: boolean; components: Record<string, { reason: string }> };
  assert.equal(body.ready, false);
  assert.equal(body.components['nats']?.reason, 'NATS reconnecting');

  health.set('nats', true);
  assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  assert.match(text, /tickmesh_test_total 2/);
});
