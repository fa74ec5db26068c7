/**
 * Per-file test environment: one real nats-server and redis-server, a NATS publisher, and
 * gateways started in-process (closed after each test).
 */
import { after, before, type TestContext } from 'node:test';
import type { Bus } from '@tickmesh/bus';
import { startNats, startRedis, type NatsServerHandle, type RedisServerHandle } from '@tickmesh/test-harness';
import { startGateway, type GatewayConfig, type RunningGateway } from '../../src/index';
import type { ProtectionConfig } from '../../src/protection-config';
import { publisher } from './fixtures';

// Info logs of a dozen gateways per file drown the test report; warnings and errors stay.
process.env['LOG_LEVEL'] ??= 'warn';

export interface Env {
  nats: NatsServerHandle;
  redis: RedisServerHandle;
  pub: Bus;
}

/** Registers before/after hooks for the file; the returned object is filled in `before`. */
export function useServers(): Env {
  const env = {} as Env;
  before(async () => {
    const [nats, redis] = await Promise.all([startNats({ jetstream: false }), startRedis()]);
    env.nats = nats;
    env.redis = redis;
    env.pub = await publisher(nats.url);
  });
  after(async () => {
    await env.pub.close();
    await Promise.all([env.nats.stop(), env.redis.stop()]);
  });
  return env;
}

let instance = 0;

export interface TestGateway extends RunningGateway {
  /** the NATS connection name, to find its subscriptions on the monitor endpoint */
  natsName: string;
}

/**
 * Starts a gateway on a free port, closed when the test ends. Two defaults differ from production
 * here, so the older tests keep testing the behaviour they were written for, and newer tests opt
 * in: CHANNEL_LINGER_MS 0 (channels go with their last subscriber) and SLOW_CONSUMER_GRACE_MS 0
 * (over the cap closes at once, after a gap-free prefix, instead of conflating first).
 * `protection` defaults to `protectionDisabled()` (public, no limits), as `startGateway`.
 */
export async function gateway(
  t: TestContext,
  env: Env,
  cfg: Partial<GatewayConfig> = {},
  protection?: ProtectionConfig,
): Promise<TestGateway> {
  const instanceName = `test-${process.pid}-${++instance}`;
  const gw = await startGateway(
    {
      natsUrl: env.nats.url,
      redisUrl: env.redis.url,
      gatewayHost: '127.0.0.1',
      gatewayPort: 0,
      shutdownGraceMs: 1000,
      instanceName,
      channelLingerMs: 0,
      slowConsumerGraceMs: 0,
      ...cfg,
    },
    protection,
  );
  t.after(() => gw.close());
  return { ...gw, natsName: `gateway-${instanceName}` };
}
