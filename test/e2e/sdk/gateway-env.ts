/**
 * The real system around the client tests: nats-server and redis-server (test harness), the
 * gateway started in-process, and a NATS publisher standing in for the book-builder.
 */
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { Bus } from '@tickmesh/bus';
import { nowMicros, subjectFor, tobRedisKey, tobToRedisFields, type TopOfBook } from '@tickmesh/contracts';
import { startNats, startRedis, type NatsServerHandle, type RedisServerHandle } from '@tickmesh/test-harness';
import { startGateway, type GatewayConfig, type RunningGateway } from '@tickmesh/gateway';

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
    env.pub = await Bus.connect({ url: nats.url, name: 'client-test-publisher' }, 10_000);
  });
  after(async () => {
    await env.pub.close();
    await Promise.all([env.nats.stop(), env.redis.stop()]);
  });
  return env;
}

export function startTestGateway(env: Env, cfg: Partial<GatewayConfig> = {}): Promise<RunningGateway> {
  return startGateway({
    natsUrl: env.nats.url,
    redisUrl: env.redis.url,
    gatewayHost: '127.0.0.1',
    gatewayPort: 0,
    shutdownGraceMs: 1000,
    // these tests observe channels being released when the last subscriber leaves
    channelLingerMs: 0,
    ...cfg,
  });
}

export function tob(symbol: string, seq: number): TopOfBook {
  const now = nowMicros();
  return {
    type: 'tob',
    venue: 'binance',
    symbol,
    bidPx: (100 + seq).toFixed(2),
    bidSz: '2',
    askPx: (101 + seq).toFixed(2),
    askSz: '3',
    epoch: 1,
    seq,
    state: 'live',
    venueTs: now - 1000,
    recvTs: now - 500,
    bookTs: now - 100,
  };
}

export function publishTob(env: Env, t: TopOfBook): void {
  if (!env.pub.publish(subjectFor('tob', t.venue, t.symbol), t)) throw new Error('publish dropped');
}

/** Writes the top-of-book hash as the book-builder does. */
export async function seedRedis(env: Env, t: TopOfBook): Promise<void> {
  const r = new Redis(env.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.hset(tobRedisKey(t.venue, t.symbol), ...tobToRedisFields(t, nowMicros()));
  } finally {
    r.disconnect();
  }
}
