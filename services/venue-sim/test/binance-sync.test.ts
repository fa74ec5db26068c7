/**
 * End-to-end book correctness over real sockets: a client that follows Binance's documented
 * snapshot + diff procedure must end with exactly the simulator's ground truth, and a gap fault
 * must be visible as exactly one discontinuity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, startSimulator, type Simulator } from '../src/index';
import { ReferenceBook, type DepthEvent, type Snapshot } from './support/binance-book';
import { getJson, obj, postJson, TestClient, type Json } from './support/client';

const SYMBOLS = [
  { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { native: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
];

async function sim(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({
    port: 0,
    seed: 11,
    symbols: SYMBOLS,
    rate: 400,
    tradeRate: 5,
    logger: silentLogger,
    ...options,
  });
}

function depthEvents(c: TestClient): DepthEvent[] {
  return c.messages.filter((m) => m['e'] === 'depthUpdate') as unknown as DepthEvent[];
}

async function snapshot(s: Simulator, symbol: string): Promise<Snapshot> {
  const r = await getJson(`${s.url}/api/v3/depth?symbol=${symbol}&limit=5000`);
  assert.equal(r.status, 200);
  return r.body as Snapshot;
}

/**
 * Drives a ReferenceBook from a raw-stream client: feeds every event from index `fed` on,
 * (re)snapshots when needed, until `untilEvents` events were fed. Returns the new `fed`.
 */
async function follow(
  s: Simulator,
  c: TestClient,
  book: ReferenceBook,
  untilEvents: number,
  fed = 0,
): Promise<number> {
  const feed = (): void => {
    const events = depthEvents(c);
    while (fed < events.length) book.onEvent(events[fed++]!);
  };
  while (true) {
    feed();
    if (book.localId === undefined) {
      await c.until(() => (depthEvents(c).length > fed ? true : undefined), 'a buffered event');
      feed();
      // Step 3/4: fetch until the snapshot is not older than the first buffered event.
      while (!book.loadSnapshot(await snapshot(s, 'BTCUSDT'))) feed();
      continue;
    }
    if (fed >= untilEvents) return fed;
    await c.until(() => (depthEvents(c).length > fed ? true : undefined), 'more depth events');
  }
}

async function expectGroundTruth(
  s: Simulator,
  c: TestClient,
  book: ReferenceBook,
  fed: number,
): Promise<void> {
  const paused = await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'pause' });
  assert.equal(paused.status, 200);
  const truth = (await getJson(`${s.url}/sim/binance/book?symbol=BTCUSDT`)).body as Snapshot;
  // Every event up to truth.lastUpdateId was written before the pause answered; wait for them.
  await c.until(
    () => (depthEvents(c).at(-1)?.u === truth.lastUpdateId ? true : undefined),
    'the last event before the pause',
  );
  for (const e of depthEvents(c).slice(fed)) book.onEvent(e);
  assert.equal(book.localId, truth.lastUpdateId);
  assert.deepEqual(book.book(), truth);
  assert.ok(truth.bids.length >= 50 && truth.asks.length >= 50);
  await postJson(`${s.url}/sim/faults`, { venue: 'binance', kind: 'resume' });
}

test('snapshot + diff events per the documented procedure reproduce /sim/binance/book exactly', async (t) => {
  const s = await sim();
  t.after(() => s.close());
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth@100ms`);
  t.after(() => c.close());
  const book = new ReferenceBook();
  const fed = await follow(s, c, book, 300);
  await expectGroundTruth(s, c, book, fed);
});

test('on an uninterrupted connection every event has U = previous u + 1', async (t) => {
  const s = await sim();
  t.after(() => s.close());
  const c = await TestClient.open(`${s.wsUrl}/stream?streams=btcusdt@depth/ethusdt@depth@100ms`);
  t.after(() => c.close());
  await c.until(() => (c.messages.length >= 400 ? true : undefined), '400 events');
  for (const stream of ['btcusdt@depth', 'ethusdt@depth@100ms']) {
    const events = c.messages.filter((m) => m['stream'] === stream).map((m) => obj(m['data']));
    assert.ok(events.length > 50, `${stream}: ${events.length}`);
    for (let i = 1; i < events.length; i++)
      assert.equal(events[i]!['U'], (events[i - 1]!['u'] as number) + 1);
  }
});

test('a gap fault produces exactly one discontinuity, and a re-snapshot recovers the true book', async (t) => {
  const s = await sim();
  t.after(() => s.close());
  const c = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`);
  t.after(() => c.close());
  const book = new ReferenceBook();
  let fed = await follow(s, c, book, 50);
  const r = await postJson(`${s.url}/sim/faults`, {
    venue: 'binance',
    symbol: 'BTCUSDT',
    kind: 'gap',
    count: 1,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...obj(obj(r.body)['scheduled']), afterUpdateId: 0 },
    { kind: 'gap', venue: 'binance', symbol: 'BTCUSDT', count: 1, pending: 1, afterUpdateId: 0 },
  );
  fed = await follow(s, c, book, fed + 100, fed);
  const events = depthEvents(c);
  const breaks = events.slice(1).filter((e, i) => e.U !== events[i]!.u + 1);
  assert.equal(breaks.length, 1);
  assert.equal(book.gaps, 1);
  const stats = obj(obj(obj((await getJson(`${s.url}/sim/stats`)).body)['venues'])['binance']);
  const btc = obj(obj(stats['symbols'])['BTCUSDT']);
  assert.equal(btc['depthDropped'], 1);
  assert.equal(btc['depthDropPending'], 0);
  await expectGroundTruth(s, c, book, fed);
});

test('same seed → the same event sequence on the wire and the same ground truth', async (t) => {
  const run = async (seed: number): Promise<{ events: Json[]; truth: string }> => {
    const s = await sim({ seed, autoStart: false });
    t.after(() => s.close());
    const c = await TestClient.open(`${s.wsUrl}/stream?streams=btcusdt@depth/btcusdt@trade`);
    t.after(() => c.close());
    for (let i = 0; i < 40; i++) {
      s.generateUpdates('BTCUSDT', 5);
      s.generateTrades('BTCUSDT', 1);
    }
    await c.until(() => (c.messages.length === 240 ? true : undefined), '240 events');
    // Event and trade times are wall-clock; everything else must match.
    const events = c.messages.map((m) => ({ ...m, data: { ...obj(m['data']), E: 0, T: 0 } }));
    return { events, truth: s.groundTruth('BTCUSDT')! };
  };
  const a = await run(5);
  const b = await run(5);
  const other = await run(6);
  assert.deepEqual(a.events, b.events);
  assert.equal(a.truth, b.truth);
  assert.notDeepEqual(other.events, a.events);
});
