/**
 * Partitioned book-builders on real processes (issue 4): two replicas (PARTITIONS=2; one given
 * PARTITION_INDEX, the other deriving it from a StatefulSet-style HOSTNAME) split the symbols of
 * one ingestor, disjointly and completely, by FNV-1a of the symbol (computed independently here).
 * Depth requests reach the owner only. Then one replica is SIGKILLed and a replacement started:
 * it rebuilds its books from fresh snapshots and publishes them live, equal to the simulator's
 * ground truth; finally the other replica is stopped gracefully and leaves its books `stale`.
 *
 * The wrong-book check: the simulator runs in this process, so its ground-truth top of book is
 * recorded after every generated update id (the `seq` the ingestor stamps on book messages). From
 * start to end, every top of book published on NATS and every sample of the Redis hashes (read in
 * a loop) that says `live` must be exactly the ground truth's top at its `seq`, and live Redis
 * samples of a symbol must never go back in (epoch, seq). A replica publishing a book built from
 * a wrong snapshot, a mis-chained delta, or a dead replica's late write would fail it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Bus } from '@tickmesh/bus';
import {
  bookRequestSubject,
  decodeBookReply,
  encodeBookRequest,
  nowMicros,
  subjectWildcard,
  tobFromRedisHash,
  tobRedisKey,
  type BookSnapshot,
  type TopOfBook,
} from '@tickmesh/contracts';
import { freePort, harness, waitFor, type ServiceHandle } from '@tickmesh/test-harness';
import { startSimulator } from '@tickmesh/venue-sim';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const svc = (name: string): string => join(repoRoot, 'services', name, 'dist', 'main.mjs');

/** BTC, ETH, DOGE hash to partition 1 of 2; SOL, XRP, ADA to 0 (asserted below). */
const BASES = ['BTC', 'ETH', 'DOGE', 'SOL', 'XRP', 'ADA'];
const SYMBOLS = BASES.map((b) => `${b}-USDT`);

/** An independent FNV-1a 32 (not the service's), mod n. */
function expectedPartition(symbol: string, n: number): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(symbol, 'ascii')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}

type Top = [bidPx: string, bidSz: string, askPx: string, askSz: string];

/** Ground truth: symbol → seq (venue update id) → top of book at that id. */
class Truth {
  readonly bySymbol = new Map<string, Map<number, Top>>();

  record(symbol: string, json: string): void {
    const b = JSON.parse(json) as {
      lastUpdateId: number;
      bids: [string, string][];
      asks: [string, string][];
    };
    let m = this.bySymbol.get(symbol);
    if (m === undefined) this.bySymbol.set(symbol, (m = new Map()));
    m.set(b.lastUpdateId, [
      b.bids[0]?.[0] ?? '',
      b.bids[0]?.[1] ?? '',
      b.asks[0]?.[0] ?? '',
      b.asks[0]?.[1] ?? '',
    ]);
  }

  /** Why a live top of book is wrong, or undefined when the ground truth had it at its seq. */
  check(t: Pick<TopOfBook, 'symbol' | 'seq' | 'bidPx' | 'bidSz' | 'askPx' | 'askSz'>): string | undefined {
    const want = this.bySymbol.get(t.symbol)?.get(t.seq);
    if (want === undefined) return `${t.symbol} seq ${t.seq}: no such update id in the ground truth`;
    const got: Top = [t.bidPx, t.bidSz, t.askPx, t.askSz];
    return got.every((v, i) => v === want[i])
      ? undefined
      : `${t.symbol} seq ${t.seq}: ${got.join(' ')} != truth ${want.join(' ')}`;
  }
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Symbols with a per-symbol gauge on a replica: the books it builds. */
function ownedSymbols(metricsText: string): Set<string> {
  const out = new Set<string>();
  for (const m of metricsText.matchAll(/^tickmesh_bookbuilder_symbol_live\{([^}]*)\}/gm)) {
    const sym = /symbol="([^"]+)"/.exec(m[1]!)?.[1];
    if (sym !== undefined) out.add(sym);
  }
  return out;
}

function depthRequests(metricsText: string): number {
  let n = 0;
  for (const m of metricsText.matchAll(/^tickmesh_bookbuilder_depth_requests_total\{[^}]*\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

test('partitioned replicas: disjoint complete ownership, owner-only depth replies, kill + replacement never publishes a wrong book', async (t) => {
  for (const s of SYMBOLS)
    assert.equal(expectedPartition(s, 2), ['BTC', 'ETH', 'DOGE'].includes(s.split('-')[0]!) ? 1 : 0);
  const h = await harness({ nats: true, redis: true });
  let failed = true;
  const truth = new Truth();
  const sim = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    venues: ['binance'],
    symbols: BASES.map((b) => ({ native: `${b}USDT`, base: b, quote: 'USDT' })),
    rate: 25,
    tradeRate: 2,
    autoStart: false,
    logLevel: 'warn',
  });
  const nativeToSymbol = new Map(BASES.map((b) => [`${b}USDT`, `${b}-USDT`]));
  for (const [native, symbol] of nativeToSymbol) truth.record(symbol, sim.groundTruth(native)!);
  sim.market.listen({
    depth: (model) =>
      truth.record(nativeToSymbol.get(model.spec.native)!, sim.groundTruth(model.spec.native)!),
    trade: () => undefined,
  });
  sim.start();
  const pub = await Bus.connect({ url: h.nats.url, name: 'handover-test' });
  const redis = new Redis(h.redis.url, { maxRetriesPerRequest: 1 });
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  t.after(async () => {
    sampling = false;
    await sampler.catch(() => undefined);
    redis.disconnect();
    await pub.close();
    await h.close({ failed });
    await sim.close();
  });

  // every top of book on NATS, and every Redis sample, that says live must be a true one
  const violations: string[] = [];
  const liveSeen = new Map<string, number>(); // Redis live samples per symbol
  let natsLive = 0;
  pub.subscribe(subjectWildcard('tob', 'binance'), (m) => {
    if (m.type !== 'tob' || m.state !== 'live') return;
    natsLive++;
    const why = truth.check(m);
    if (why !== undefined) violations.push(`NATS ${why}`);
  });
  const lastLive = new Map<string, [number, number]>();
  sampler = (async () => {
    while (sampling) {
      const pipe = redis.pipeline();
      for (const s of SYMBOLS) pipe.hgetall(tobRedisKey('binance', s));
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, hash], i) => {
        if (err !== null) return;
        const tob = tobFromRedisHash(hash as Record<string, string>);
        if (tob === undefined || tob.state !== 'live') return;
        const sym = SYMBOLS[i]!;
        liveSeen.set(sym, (liveSeen.get(sym) ?? 0) + 1);
        const why = truth.check(tob);
        if (why !== undefined) violations.push(`Redis ${why}`);
        const prev = lastLive.get(sym);
        if (prev !== undefined && (tob.epoch < prev[0] || (tob.epoch === prev[0] && tob.seq < prev[1])))
          violations.push(`Redis ${sym} went back from ${prev.join('/')} to ${tob.epoch}/${tob.seq}`);
        lastLive.set(sym, [tob.epoch, tob.seq]);
      });
      await new Promise((r) => setTimeout(r, 5)); // sampling pace, not synchronization
    }
  })();
  // the check can fail: a top that the ground truth never had at that seq is flagged
  const some = truth.bySymbol.get('BTC-USDT')!;
  const [seq0, top0] = [...some][0]!;
  assert.match(
    truth.check({
      symbol: 'BTC-USDT',
      seq: seq0,
      bidPx: top0[0],
      bidSz: '999999',
      askPx: top0[2],
      askSz: top0[3],
    }) ?? '',
    /!= truth/,
  );

  const [ingPort, p0, p1, p1b] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const common = { NATS_URL: h.nats.url, REDIS_URL: h.redis.url, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  await h.spawn({
    name: 'ingestor',
    command: process.execPath,
    args: [svc('ingestor')],
    env: {
      ...common,
      VENUE: 'binance',
      SYMBOLS: BASES.map((b) => `${b}USDT`).join(','),
      VENUE_WS_URL: sim.wsUrl,
      VENUE_REST_URL: sim.url,
      HTTP_PORT: String(ingPort),
      STATUS_INTERVAL_MS: '500',
    },
    readyUrl: `http://127.0.0.1:${ingPort}/healthz`,
  });
  const builder = (name: string, port: number, env: Record<string, string>): Promise<ServiceHandle> =>
    h.spawn({
      name,
      command: process.execPath,
      args: [svc('book-builder')],
      env: { ...common, HTTP_PORT: String(port), PARTITIONS: '2', ...env },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    });
  const url = (port: number): string => `http://127.0.0.1:${port}`;
  const bb0 = await builder('book-builder-0', p0, { PARTITION_INDEX: '0', HOSTNAME: 'ignored' });
  const bb1 = await builder('book-builder-1', p1, { HOSTNAME: 'tm-book-builder-1' });

  const liveInRedis = async (symbols: readonly string[], after = 0): Promise<boolean> => {
    for (const s of symbols) {
      const tob = tobFromRedisHash(await redis.hgetall(tobRedisKey('binance', s)));
      if (tob?.state !== 'live' || tob.updatedAt <= after) return false;
    }
    return true;
  };
  await waitFor(() => liveInRedis(SYMBOLS), { timeoutMs: 30_000, message: 'every symbol live in Redis' });

  // disjoint and complete, and exactly the independent hash
  let own0 = new Set<string>();
  let own1 = new Set<string>();
  await waitFor(
    async () => {
      [own0, own1] = [ownedSymbols(await scrape(url(p0))), ownedSymbols(await scrape(url(p1)))];
      return own0.size + own1.size === SYMBOLS.length;
    },
    { timeoutMs: 10_000, message: () => `ownership ${[...own0]} | ${[...own1]}` },
  );
  assert.deepEqual([...own0].sort(), SYMBOLS.filter((s) => expectedPartition(s, 2) === 0).sort());
  assert.deepEqual([...own1].sort(), SYMBOLS.filter((s) => expectedPartition(s, 2) === 1).sort());
  const moved = [...own1];

  // depth requests: answered (a snapshot), and only by the owner
  for (const s of SYMBOLS) {
    const reply = decodeBookReply(
      await pub.request(bookRequestSubject('binance', s), encodeBookRequest({ depth: 5 }), 2000),
    );
    assert.ok('bids' in reply, `${s}: ${JSON.stringify(reply)}`);
    assert.equal((reply as BookSnapshot).bids.length, 5);
  }
  assert.equal(depthRequests(await scrape(url(p0))), own0.size, 'replica 0 answered its own books only');
  assert.equal(depthRequests(await scrape(url(p1))), own1.size, 'replica 1 answered its own books only');

  // crash one replica; its books freeze in Redis (still true at their seq) until the replacement
  await bb1.kill();
  const replacedAt = nowMicros();
  await builder('book-builder-1b', p1b, { HOSTNAME: 'tm-book-builder-1' });
  await waitFor(() => liveInRedis(moved, replacedAt), {
    timeoutMs: 30_000,
    message: `the replacement publishes ${moved.join(', ')} live`,
  });
  const liveAt = nowMicros();
  assert.deepEqual([...ownedSymbols(await scrape(url(p1b)))].sort(), [...own1].sort());

  // quiesce: every Redis top of book and the replacement's depth equal the final ground truth
  sim.stop();
  for (const s of SYMBOLS) {
    const native = s.replace('-', '');
    const final = JSON.parse(sim.groundTruth(native)!) as {
      lastUpdateId: number;
      bids: [string, string][];
      asks: [string, string][];
    };
    let tob: ReturnType<typeof tobFromRedisHash>;
    await waitFor(
      async () => {
        tob = tobFromRedisHash(await redis.hgetall(tobRedisKey('binance', s)));
        return (
          // (a top of book is republished only when it changes: its seq may be older)
          tob?.state === 'live' &&
          tob.bidPx === final.bids[0]![0] &&
          tob.bidSz === final.bids[0]![1] &&
          tob.askPx === final.asks[0]![0] &&
          tob.askSz === final.asks[0]![1]
        );
      },
      {
        timeoutMs: 10_000,
        message: () =>
          `${s} in Redis ${JSON.stringify(tob)} equals the final ground truth ${final.lastUpdateId} ${JSON.stringify([final.bids[0], final.asks[0]])}`,
      },
    );
    if (moved.includes(s)) {
      const snap = decodeBookReply(
        await pub.request(bookRequestSubject('binance', s), encodeBookRequest({ depth: 10 }), 2000),
      ) as BookSnapshot;
      assert.deepEqual(
        [snap.seq, snap.bids, snap.asks],
        [final.lastUpdateId, final.bids.slice(0, 10), final.asks.slice(0, 10)],
      );
    }
  }

  // a graceful stop hands over explicitly: the leaving replica marks its books stale
  await bb0.stop('SIGTERM');
  await waitFor(
    async () => {
      for (const s of own0) {
        const tob = tobFromRedisHash(await redis.hgetall(tobRedisKey('binance', s)));
        if (tob?.state !== 'stale') return false;
      }
      return true;
    },
    { timeoutMs: 10_000, message: `${[...own0].join(', ')} stale after replica 0 stopped` },
  );

  sampling = false;
  await sampler;
  assert.deepEqual(violations, [], 'no live top of book other than the ground truth at its seq');
  for (const s of SYMBOLS)
    assert.ok((liveSeen.get(s) ?? 0) > 10, `${s}: ${liveSeen.get(s) ?? 0} live Redis samples checked`);
  assert.ok(natsLive > 50, `${natsLive} live NATS tops of book checked`);
  t.diagnostic(
    `checked ${natsLive} live NATS tops and ${[...liveSeen.values()].reduce((a, b) => a + b, 0)} live Redis samples; takeover (spawn → all moved books live) ${Math.round((liveAt - replacedAt) / 1000)} ms`,
  );
  failed = false;
});
