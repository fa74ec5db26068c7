/**
 * Bad dependencies, on real processes: a NATS that is down when services start, NATS and Redis
 * that die mid-stream, and an unknown symbol in the universe. Processes stay up, readiness says
 * why, and everything recovers (books exact again) when the dependency returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { tobFromRedisHash, tobRedisKey } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { groundTruth, simPost, startStack } from './stack';

interface Readiness {
  ready: boolean;
  components: Record<string, { ready: boolean; reason: string }>;
}

async function readiness(url: string): Promise<Readiness | undefined> {
  try {
    return (await (await fetch(`${url}/readyz`)).json()) as Readiness;
  } catch {
    return undefined;
  }
}

async function redisTob(redis: Redis, symbol: string) {
  return tobFromRedisHash(await redis.hgetall(tobRedisKey('binance', symbol)));
}

test('NATS and Redis dying mid-stream: services stay up, say why, and recover exact books', async (t) => {
  const stack = await startStack({ simRate: 20 });
  let failed = true;
  const redis = new Redis(stack.h.redis.url, {
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: () => 200,
  });
  redis.on('error', () => undefined);
  t.after(async () => {
    redis.disconnect();
    await stack.close(failed);
  });
  await redis.connect();
  await waitFor(async () => (await redisTob(redis, 'BTC-USDT'))?.state === 'live', {
    timeoutMs: 20_000,
    message: 'BTC-USDT live in Redis',
  });

  // Redis dies: the book-builder reports it and keeps running
  await stack.h.redis.kill();
  await waitFor(async () => (await readiness(stack.http.bookBuilder))?.components['redis']?.ready === false, {
    timeoutMs: 10_000,
    message: 'book-builder readiness reports Redis down',
  });
  assert.equal(stack.services['book-builder']!.running, true);
  await stack.h.redis.restart(); // comes back empty
  await waitFor(async () => (await readiness(stack.http.bookBuilder))?.ready === true, {
    timeoutMs: 15_000,
    message: 'book-builder ready again after Redis returns',
  });
  await waitFor(async () => (await redisTob(redis, 'BTC-USDT').catch(() => undefined))?.state === 'live', {
    timeoutMs: 15_000,
    message: 'top of book written again to the restarted Redis',
  });

  // NATS dies: every service reports it, nobody crashes; on return the books resync and are exact
  await stack.h.nats.kill();
  await waitFor(
    async () =>
      (await readiness(stack.http.ingestor))?.components['nats']?.ready === false &&
      (await readiness(stack.http.bookBuilder))?.components['nats']?.ready === false,
    { timeoutMs: 10_000, message: 'ingestor and book-builder report NATS down' },
  );
  await stack.h.nats.restart();
  await waitFor(
    async () =>
      (await readiness(stack.http.ingestor))?.ready === true &&
      (await readiness(stack.http.bookBuilder))?.ready === true &&
      (await readiness(stack.http.gateway))?.ready === true,
    { timeoutMs: 20_000, message: 'all services ready after NATS returns' },
  );
  for (const name of ['ingestor', 'book-builder', 'gateway', 'venue-sim']) {
    assert.equal(stack.services[name]!.running, true, `${name} still running`);
  }
  await simPost(stack.simUrl, { venue: 'binance', kind: 'pause' });
  const truth = await groundTruth(stack.simUrl, 'BTCUSDT');
  let last: Awaited<ReturnType<typeof redisTob>>;
  await waitFor(
    async () => {
      const tob = (last = await redisTob(redis, 'BTC-USDT'));
      return (
        tob?.state === 'live' &&
        tob.bidPx === truth.bids[0]?.[0] &&
        tob.bidSz === truth.bids[0]?.[1] &&
        tob.askPx === truth.asks[0]?.[0] &&
        tob.askSz === truth.asks[0]?.[1]
      );
    },
    {
      timeoutMs: 20_000,
      message: () =>
        `Redis top of book exact after NATS outage: ${JSON.stringify(last)} vs ${JSON.stringify([truth.bids[0], truth.asks[0]])}`,
    },
  );
  failed = false;
});

test('NATS down when the services start: they wait, report it, and go live when it appears', async (t) => {
  const stack = await startStack({
    symbols: ['BTCUSDT:BTC:USDT'],
    ingestorSymbols: ['BTCUSDT', 'ZZZUSDT'],
    beforeServices: async (h) => h.nats.stop(),
    waitReady: false,
  });
  let failed = true;
  t.after(() => stack.close(failed));
  await waitFor(async () => (await readiness(stack.http.ingestor))?.components['nats']?.ready === false, {
    timeoutMs: 10_000,
    message: 'ingestor up and reporting NATS down',
  });
  await stack.h.nats.restart();
  await waitFor(async () => (await readiness(stack.http.ingestor))?.ready === true, {
    timeoutMs: 20_000,
    message: 'ingestor ready once NATS is up',
  });
  const r = await readiness(stack.http.ingestor);
  assert.match(r?.components['symbols']?.reason ?? '', /ZZZUSDT/, 'the unknown symbol is reported by name');
  failed = false;
});
