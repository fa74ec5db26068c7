/**
 * Redis restarted mid-stream, in-process against real servers: deltas keep flowing and applying
 * while Redis is away (depth replies keep advancing), nothing throws, writes resume on their own
 * when it returns, the hash ends exact, and the apply → Redis hop histogram shows the held-back
 * write (one observation of roughly the outage, above 100 ms).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Bus } from '@tickmesh/bus';
import {
  bookRequestSubject,
  decodeBookReply,
  encodeBookRequest,
  nowMicros,
  tobFromRedisHash,
  tobRedisKey,
  type BookSnapshot,
} from '@tickmesh/contracts';
import { metrics } from '@tickmesh/observability';
import {
  startNats,
  startRedis,
  waitFor,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@tickmesh/test-harness';
import { startBookBuilder } from '../src/index';
import { nextDelta, publishBook, RefBook, rng, snapshotOf, type Grid } from './support/fixtures';

process.env['LOG_LEVEL'] ??= 'error';

let nats: NatsServerHandle;
let redisServer: RedisServerHandle;
let pub: Bus;
before(async () => {
  [nats, redisServer] = await Promise.all([startNats({ jetstream: false }), startRedis()]);
  pub = await Bus.connect({ url: nats.url, name: 'test-ingestor' });
});
after(async () => {
  await pub.close();
  await Promise.all([nats.stop(), redisServer.stop()]);
});

/** `_count` and the cumulative count of bucket `le` of the tob hop histogram. */
function hop(le: string): { count: number; le: number } {
  const text = metrics.render();
  const count = Number(
    /tickmesh_bookbuilder_apply_to_redis_seconds_count\{kind="tob"\} (\d+)/.exec(text)?.[1] ?? 0,
  );
  const bucket = new RegExp(
    `tickmesh_bookbuilder_apply_to_redis_seconds_bucket\\{kind="tob",le="${le}"\\} (\\d+)`,
  );
  return { count, le: Number(bucket.exec(text)?.[1] ?? 0) };
}

test('Redis restarted mid-stream: applying continues, writes resume, the hash ends exact', async (t) => {
  const bb = startBookBuilder({ natsUrl: nats.url, redisUrl: redisServer.url, redisFlushMs: 0 });
  t.after(() => bb.close());
  await bb.ready();
  const reader = new Redis(redisServer.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  reader.on('error', () => undefined);
  t.after(() => reader.disconnect());
  const ref = new RefBook('binance', 'SOL-USDT');
  const grid: Grid = { mid: 150, tick: '0.01', decimals: 2 };
  const r = rng(3);
  const depthSeq = async (): Promise<number> => {
    const rep = decodeBookReply(
      await pub.request(bookRequestSubject('binance', 'SOL-USDT'), encodeBookRequest({ depth: 1 }), 1000),
    );
    return 'seq' in rep ? (rep as BookSnapshot).seq : -1;
  };
  const redisTop = async (): Promise<ReturnType<typeof tobFromRedisHash>> =>
    tobFromRedisHash(await reader.hgetall(tobRedisKey('binance', 'SOL-USDT')));
  const matchesRef = (tob: ReturnType<typeof tobFromRedisHash>): boolean =>
    tob?.state === 'live' &&
    tob.bidPx === ref.top('bids', 1)[0]![0] &&
    tob.bidSz === ref.top('bids', 1)[0]![1] &&
    tob.askPx === ref.top('asks', 1)[0]![0] &&
    tob.askSz === ref.top('asks', 1)[0]![1];

  // the book is live and ends up in Redis (the builder has no status source here: a snapshot makes it live)
  await waitFor(
    async () => {
      publishBook(pub, snapshotOf(ref, r, grid, 30, 1000));
      return (await depthSeq()) === ref.seq;
    },
    { message: 'book live' },
  );
  // the stream: a chained delta every 5 ms for the rest of the test (the load, not a wait)
  const stream = setInterval(() => publishBook(pub, nextDelta(ref, r, grid)), 5);
  t.after(() => clearInterval(stream));
  await waitFor(async () => (await redisTop())?.state === 'live', { message: 'top of book in Redis' });
  assert.ok(hop('+Inf').count > 0, 'hop histogram observed the writes');

  await redisServer.kill();
  const downAt = nowMicros();
  const seqAtKill = ref.seq;
  // still applying without Redis
  await waitFor(async () => (await depthSeq()) > seqAtKill + 20, {
    message: 'deltas applied while Redis is down',
  });
  const slowBefore = hop('0.1');
  const slowCountBefore = slowBefore.count - slowBefore.le;
  await redisServer.restart();
  await waitFor(async () => ((await redisTop().catch(() => undefined))?.updatedAt ?? 0) > downAt, {
    timeoutMs: 15_000,
    message: 'writes resumed after the restart',
  });
  const after = hop('0.1');
  assert.ok(after.count - after.le > slowCountBefore, 'the held-back write was observed above 100 ms');

  clearInterval(stream);
  let last: ReturnType<typeof tobFromRedisHash>;
  await waitFor(async () => matchesRef((last = await redisTop())), {
    message: () =>
      `Redis ${JSON.stringify(last)} equals the reference top ${JSON.stringify(ref.top('bids', 1))}`,
  });
  assert.equal(await depthSeq(), ref.seq);
  assert.match(metrics.render(), /^tickmesh_redis_connected 1$/m);
});
