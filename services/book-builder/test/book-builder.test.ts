/**
 * The book-builder in-process against a real nats-server and redis-server: books for two venues
 * published on NATS as the ingestor would, answers checked against an independent reference.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Bus } from '@tickmesh/bus';
import {
  bookRequestSubject,
  consolidatedSubject,
  decodeBookReply,
  decodeBookStats,
  decodeConsolidated,
  encodeBinary,
  encodeBookRequest,
  nbboRedisKey,
  snapshotRequestSubject,
  statsSubject,
  subjectFor,
  type BookSnapshot,
  type BookStats,
  type ConsolidatedBook,
  type SyncStatus,
} from '@tickmesh/contracts';
import { metrics } from '@tickmesh/observability';
import {
  startNats,
  startRedis,
  waitFor,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@tickmesh/test-harness';
import { startBookBuilder, type RunningBookBuilder } from '../src/index';
import type { BookBuilderConfig } from '../src/config';
import {
  deltaMsg,
  naiveNbbo,
  nbboMatches,
  nextDelta,
  publishBook,
  RefBook,
  rng,
  snapshotOf,
  type Grid,
} from './support/fixtures';

process.env['LOG_LEVEL'] ??= 'warn';

let nats: NatsServerHandle;
let redis: RedisServerHandle;
let pub: Bus;
before(async () => {
  [nats, redis] = await Promise.all([startNats({ jetstream: false }), startRedis()]);
  pub = await Bus.connect({ url: nats.url, name: 'test-ingestor' });
});
after(async () => {
  await pub.close();
  await Promise.all([nats.stop(), redis.stop()]);
});

/** Starts a book-builder, closed after the test; resolves once it answers depth requests. */
async function builder(t: TestContext, cfg: Partial<BookBuilderConfig>): Promise<RunningBookBuilder> {
  const bb = startBookBuilder({ natsUrl: nats.url, redisUrl: redis.url, redisFlushMs: 0, ...cfg });
  t.after(() => bb.close());
  // answered ⇒ its data subscriptions (registered before, same connection) are in place too
  await waitFor(
    async () =>
      'error' in
      decodeBookReply(await pub.request(bookRequestSubject('zzz', 'NONE-X'), new Uint8Array(0), 500)),
    {
      message: 'book-builder answers depth requests',
    },
  );
  return bb;
}

async function depth(venue: string, symbol: string, n: number): Promise<ReturnType<typeof decodeBookReply>> {
  return decodeBookReply(
    await pub.request(bookRequestSubject(venue, symbol), encodeBookRequest({ depth: n }), 1000),
  );
}

function latest<T>(subject: string, decodeFn: (b: Uint8Array) => T): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  pub.subscribeRaw(subject, (data) => (box.value = decodeFn(data)));
  return box;
}

test('exact depth on request, consolidated NBBO across equivalent quotes, non-live exclusion, Redis NBBO', async (t) => {
  await builder(t, { consolidateEquivalent: 'USDT=USD', consolidatedDepth: 5, statsIntervalMs: 100 });
  const consolidated = latest<ConsolidatedBook>(consolidatedSubject('BTC-USD'), decodeConsolidated);
  const stats = latest<BookStats>(statsSubject('binance', 'BTC-USDT'), decodeBookStats);
  const r = rng(7);
  const binance = new RefBook('binance', 'BTC-USDT');
  const coinbase = new RefBook('coinbase', 'BTC-USD');
  // shared prices in different spellings; coinbase quotes higher, so the books may cross each other
  const grids: [RefBook, Grid][] = [
    [binance, { mid: 100, tick: '0.5', decimals: 2 }],
    [coinbase, { mid: 100.5, tick: '0.25', decimals: 3 }],
  ];
  for (const [ref, g] of grids) publishBook(pub, snapshotOf(ref, r, g, 30, 1000));
  for (let i = 0; i < 200; i++) for (const [ref, g] of grids) publishBook(pub, nextDelta(ref, r, g));
  for (let i = 0; i < 5; i++) {
    publishBook(pub, {
      type: 'trade',
      venue: 'binance',
      symbol: 'BTC-USDT',
      id: `t${i}`,
      price: '100.00',
      size: '1',
      side: 'buy',
      venueTs: 1,
      recvTs: 2,
    });
  }

  // depth on request: the exact top N at the current seq
  for (const ref of [binance, coinbase]) {
    await waitFor(async () => ((await depth(ref.venue, ref.symbol, 7)) as BookSnapshot).seq === ref.seq, {
      message: `${ref.venue} book at seq ${ref.seq}`,
    });
    const snap = (await depth(ref.venue, ref.symbol, 7)) as BookSnapshot;
    assert.deepEqual(snap.bids, ref.top('bids', 7), `${ref.venue} bids`);
    assert.deepEqual(snap.asks, ref.top('asks', 7), `${ref.venue} asks`);
    assert.equal(snap.epoch, 1);
  }

  // the consolidated NBBO equals one computed naively from the full books
  const both = naiveNbbo([
    ['binance:BTC-USDT', binance],
    ['coinbase', coinbase],
  ]);
  await waitFor(() => consolidated.value !== undefined && nbboMatches(consolidated.value.nbbo, both), {
    message: () => `consolidated NBBO ${JSON.stringify(consolidated.value?.nbbo)} = ${JSON.stringify(both)}`,
  });
  const c = consolidated.value!;
  assert.deepEqual(c.venues, ['binance:BTC-USDT', 'coinbase']);
  assert.equal(c.bids.length, 5);
  assert.equal(c.crossed, both.bidPx!.gt(both.askPx!));
  assert.equal(c.locked, both.bidPx!.eq(both.askPx!));

  const r1 = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  t.after(() => r1.disconnect());
  await waitFor(
    async () => {
      const h = await r1.hgetall(nbboRedisKey('BTC-USD'));
      return (
        h['bidPx'] === c.nbbo.bidPx &&
        h['askVenue'] === c.nbbo.askVenue &&
        h['venues'] === 'binance:BTC-USDT,coinbase'
      );
    },
    { message: 'NBBO hash in Redis' },
  );

  // per-symbol stats on NATS and /metrics
  await waitFor(() => (stats.value?.tradesPerSec ?? 0) > 0 && stats.value?.bidDepth === binance.bids.size, {
    message: () => `stats ${JSON.stringify(stats.value)}`,
  });
  assert.ok(stats.value!.updatesPerSec > 0);
  assert.equal(stats.value!.state, 'live');
  const text = metrics.render();
  assert.match(
    text,
    /tickmesh_bookbuilder_symbol_updates_per_second\{symbol="BTC-USDT",venue="binance"\} [1-9]/,
  );
  assert.match(
    text,
    /tickmesh_bookbuilder_symbol_depth_levels\{side="ask",symbol="BTC-USD",venue="coinbase"\} \d+/,
  );

  // a venue whose ingestor reports it not live leaves the consolidated book
  const status: SyncStatus = {
    type: 'status',
    venue: 'coinbase',
    symbol: 'BTC-USD',
    state: 'resyncing',
    epoch: 1,
    seq: coinbase.seq,
    reason: 'gap',
    resyncs: 1,
    ts: 1,
  };
  assert.ok(pub.publish(subjectFor('status', 'coinbase', 'BTC-USD'), status));
  const alone = naiveNbbo([['binance:BTC-USDT', binance]]);
  await waitFor(
    () => consolidated.value!.venues.length === 1 && nbboMatches(consolidated.value!.nbbo, alone),
    {
      message: 'coinbase excluded',
    },
  );
  assert.deepEqual(consolidated.value!.excluded, [{ venue: 'coinbase', state: 'resyncing' }]);
  assert.deepEqual(await depth('coinbase', 'BTC-USD', 5), {
    error: 'coinbase BTC-USD is resyncing',
    state: 'resyncing',
  });
  await waitFor(async () => (await r1.hgetall(nbboRedisKey('BTC-USD')))['excluded'] === 'coinbase', {
    message: 'Redis NBBO lists coinbase as excluded',
  });
});

test('a crossed book is verified with a fresh snapshot and stays not live while the venue book is crossed', async (t) => {
  await builder(t, {});
  const ref = new RefBook('kraken', 'ETH-USD');
  const grid: Grid = { mid: 2000, tick: '0.1', decimals: 1 };
  const r = rng(11);
  let asked = 0;
  // the ingestor's snapshot service: its current book, which is crossed at the venue
  pub.subscribeRaw(snapshotRequestSubject('kraken', 'ETH-USD'), (_d, _s, reply) => {
    asked++;
    const snap: BookSnapshot = {
      type: 'book.snapshot',
      venue: 'kraken',
      symbol: 'ETH-USD',
      epoch: ref.epoch,
      seq: ref.seq,
      venueTs: 5,
      recvTs: 6,
      bids: ref.top('bids'),
      asks: ref.top('asks'),
    };
    pub.respond(reply!, encodeBinary(snap));
  });
  publishBook(pub, snapshotOf(ref, r, grid, 10, 50));
  await waitFor(async () => 'bids' in (await depth('kraken', 'ETH-USD', 1)), { message: 'kraken live' });

  const crossing: [string, string][] = [['2000.5', '1']]; // above the best ask 2000.1
  ref.apply('bids', crossing);
  ref.seq = 51;
  publishBook(pub, deltaMsg(ref, 50, crossing, []));
  await waitFor(
    () => /tickmesh_bookbuilder_crossed_snapshots_total\{venue="kraken"\} [1-9]/.test(metrics.render()),
    {
      message: 'the verifying snapshot was found crossed',
    },
  );
  assert.ok(asked >= 1, 'a fresh snapshot was requested');
  assert.deepEqual(await depth('kraken', 'ETH-USD', 1), {
    error: 'kraken ETH-USD is resyncing',
    state: 'resyncing',
  });

  const uncross: [string, string][] = [['2000.5', '0']];
  ref.apply('bids', uncross);
  ref.seq = 52;
  publishBook(pub, deltaMsg(ref, 51, uncross, []));
  await waitFor(async () => 'bids' in (await depth('kraken', 'ETH-USD', 1)), {
    message: 'live again once uncrossed',
  });
  const snap = (await depth('kraken', 'ETH-USD', 3)) as BookSnapshot;
  assert.deepEqual([snap.seq, snap.bids, snap.asks], [52, ref.top('bids', 3), ref.top('asks', 3)]);
});
