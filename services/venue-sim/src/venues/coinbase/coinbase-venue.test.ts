/**
 * The Coinbase Advanced Trade protocol over real sockets: subscriptions acks, the per-connection
 * `sequence_num` across channels, heartbeats, errors, REST, and book correctness — a client written
 * from the docs (snapshot replaces, `new_quantity` absolute, "0" removes) must end with exactly the
 * simulator's ground truth, and a gap fault must show as exactly one `sequence_num` jump.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { resolveConfig, type SimulatorConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { Market } from '../../market/market';
import { createSimServer } from '../../server/http-server';
import { BinanceVenue } from '../binance/binance-venue';
import { getJson, obj, postJson, TestClient, type Json } from '../../../test/support/client';
import { createCoinbaseVenue, type CoinbaseSimOptions, type CoinbaseVenue } from './index';

const SYMBOLS = [
  { native: 'BTCUSD', base: 'BTC', quote: 'USD' },
  { native: 'ETHUSD', base: 'ETH', quote: 'USD' },
];

type T = { after: (fn: () => Promise<void> | void) => void };

interface Sim {
  url: string;
  wsUrl: string;
  venue: CoinbaseVenue;
}

async function sim(t: T, config: Partial<SimulatorConfig> = {}, opts: CoinbaseSimOptions = {}): Promise<Sim> {
  const c = resolveConfig({
    seed: 3,
    symbols: SYMBOLS,
    rate: 400,
    tradeRate: 5,
    autoStart: false,
    ...config,
  });
  const venue = createCoinbaseVenue(c, silentLogger, { heartbeatIntervalMs: 60_000, ...opts });
  // Binance too, after Coinbase: its REST claims every /api/v3/ path
  const binance = new BinanceVenue(new Market(c.specs, c, silentLogger), c, silentLogger);
  const control = new ControlApi(new Map([[venue.name, venue]]), silentLogger);
  const server = createSimServer(control, [venue, binance], silentLogger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    venue.market.stop();
    await Promise.all([venue.close(), binance.close()]);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, venue };
}

async function client(t: T, url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  t.after(() => c.close());
  return c;
}

const sub = (channel: string, product_ids: string[], type = 'subscribe') => ({ type, product_ids, channel });
const onChannel = (ch: string) => (m: Json) => m['channel'] === ch;
const events = (m: Json): Json[] => m['events'] as Json[];

/** Waits for a `subscriptions` reply sent after everything already queued (a protocol-level barrier). */
async function barrier(c: TestClient): Promise<void> {
  const from = c.messages.length;
  c.send(sub('status', [], 'unsubscribe'));
  await c.next(onChannel('subscriptions'), from, 'barrier');
}

/** The numbered messages of a connection must be 0, 1, 2, ... except where `jumps` says. */
function jumps(c: TestClient): [number, number][] {
  const nums = c.messages.filter((m) => 'sequence_num' in m).map((m) => m['sequence_num'] as number);
  const out: [number, number][] = [];
  nums.forEach((n, i) => {
    const expected = i === 0 ? 0 : nums[i - 1]! + 1;
    if (n !== expected) out.push([i === 0 ? -1 : nums[i - 1]!, n]);
  });
  return out;
}

/** A client written from the Level 2 docs, not from the simulator. */
class ReferenceBook {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  live = false;

  on(m: Json): void {
    for (const ev of events(m)) {
      if (ev['type'] === 'snapshot') {
        this.bids.clear();
        this.asks.clear();
        this.live = true;
      } else if (!this.live) continue;
      for (const u of ev['updates'] as Json[]) {
        const side = u['side'] === 'bid' ? this.bids : this.asks;
        const [p, q] = [u['price_level'] as string, u['new_quantity'] as string];
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
      }
    }
  }

  levels(side: 'bid' | 'ask'): [string, string][] {
    const m = side === 'bid' ? this.bids : this.asks;
    return [...m].sort((a, b) =>
      side === 'bid' ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]),
    );
  }
}

function truth(s: Sim, product: string): { bids: [string, string][]; asks: [string, string][] } {
  const pb = obj(obj(JSON.parse(s.venue.groundTruth(product)!))['pricebook']);
  const side = (x: unknown): [string, string][] =>
    (x as Json[]).map((e) => [e['price'] as string, e['size'] as string]);
  return { bids: side(pb['bids']), asks: side(pb['asks']) };
}

test('subscribe: a subscriptions ack, then the whole book; one sequence_num per connection across channels', async (t) => {
  const s = await sim(t, {}, { heartbeatIntervalMs: 30 });
  const c = await client(t, s.wsUrl);
  c.send(sub('level2', ['BTC-USD']));
  const ack = await c.next(onChannel('subscriptions'));
  assert.deepEqual(Object.keys(ack), ['channel', 'client_id', 'timestamp', 'sequence_num', 'events']);
  assert.equal(ack['sequence_num'], 0);
  assert.deepEqual(events(ack), [{ subscriptions: { level2: ['BTC-USD'] } }]);
  const snap = await c.next(onChannel('l2_data'));
  assert.equal(snap['sequence_num'], 1);
  assert.match(snap['timestamp'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const [ev] = events(snap);
  assert.equal(ev!['type'], 'snapshot');
  assert.equal(ev!['product_id'], 'BTC-USD');
  const model = s.venue.market.model('BTC-USD')!;
  const updates = ev!['updates'] as Json[];
  assert.equal(updates.length, model.bids.length + model.asks.length, 'the whole book');
  assert.deepEqual(new Set(updates.map((u) => u['side'])), new Set(['bid', 'offer']));
  assert.ok(
    updates.every((u) => /^\d+(\.\d*[1-9])?$/.test(u['price_level'] as string)),
    'no trailing zeros',
  );

  c.send(sub('market_trades', ['BTC-USD', 'ETH-USD']));
  c.send(sub('heartbeats', ['BTC-USD']));
  const hb = await c.next((m) => m['channel'] === 'heartbeats' && events(m)[0]!['heartbeat_counter'] === '2');
  assert.match(
    events(hb)[0]!['current_time'] as string,
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC m=\+/,
  );
  s.venue.market.generateUpdates('BTC-USD', 3);
  s.venue.market.generateUpdates('ETH-USD', 3); // not subscribed on level2: nothing arrives
  s.venue.market.generateTrades('ETH-USD', 2);
  await barrier(c);
  const channels = c.messages.map((m) => m['channel']);
  assert.deepEqual(channels.slice(0, 6), [
    'subscriptions',
    'l2_data',
    'subscriptions',
    'market_trades',
    'market_trades',
    'subscriptions',
  ]);
  assert.equal(c.messages.filter((m) => m['channel'] === 'l2_data').length, 4);
  assert.deepEqual(jumps(c), [], 'contiguous across subscriptions, l2_data, market_trades and heartbeats');
  const trades = c.messages.filter(
    (m) => m['channel'] === 'market_trades' && events(m)[0]!['type'] === 'update',
  );
  assert.equal(trades.length, 2);
  const tr = (events(trades[0]!)[0]!['trades'] as Json[])[0]!;
  assert.deepEqual(Object.keys(tr), ['trade_id', 'product_id', 'price', 'size', 'side', 'time']);
  assert.ok(tr['side'] === 'BUY' || tr['side'] === 'SELL');

  // a second connection has its own counter, from 0
  const c2 = await client(t, `${s.wsUrl}/coinbase`);
  c2.send(sub('level2', ['ETH-USD']));
  assert.equal((await c2.next(onChannel('l2_data')))['sequence_num'], 1);
});

test('trades: one update per trade; side = the maker side (a taker buy prints SELL), or as-is with tradeSide taker', async (t) => {
  for (const tradeSide of ['maker', 'taker'] as const) {
    const s = await sim(t, {}, { tradeSide });
    const taker: string[] = [];
    s.venue.market.listen({ depth: () => undefined, trade: (_m, tr) => void taker.push(tr.takerSide) });
    s.venue.market.generateTrades('BTC-USD', 3); // before the subscription: the snapshot's history
    const c = await client(t, s.wsUrl);
    c.send(sub('market_trades', ['BTC-USD']));
    const snap = await c.next(onChannel('market_trades'));
    assert.equal(events(snap)[0]!['type'], 'snapshot');
    assert.equal((events(snap)[0]!['trades'] as Json[]).length, 3);
    s.venue.market.generateTrades('BTC-USD', 20);
    await barrier(c);
    const sides = c.messages
      .filter((m) => m['channel'] === 'market_trades' && events(m)[0]!['type'] === 'update')
      .map((m) => (events(m)[0]!['trades'] as Json[])[0]!['side']);
    const expected = taker.slice(3).map((x) => ((x === 'buy') === (tradeSide === 'taker') ? 'BUY' : 'SELL'));
    assert.deepEqual(sides, expected, tradeSide);
  }
});

test('snapshot + updates reproduce the ground truth exactly (two products, one connection)', async (t) => {
  const s = await sim(t);
  const c = await client(t, s.wsUrl);
  c.send(sub('level2', ['BTC-USD', 'ETH-USD']));
  c.send(sub('heartbeats', []));
  await c.until(() => (c.messages.filter(onChannel('l2_data')).length === 2 ? true : undefined), 'snapshots');
  s.venue.market.start();
  await c.until(() => (c.messages.filter(onChannel('l2_data')).length > 300 ? true : undefined), 'updates');
  s.venue.market.pause();
  await barrier(c);
  const books = new Map([
    ['BTC-USD', new ReferenceBook()],
    ['ETH-USD', new ReferenceBook()],
  ]);
  for (const m of c.messages.filter(onChannel('l2_data')))
    books.get(events(m)[0]!['product_id'] as string)!.on(m);
  for (const [product, book] of books) {
    const want = truth(s, product);
    assert.deepEqual(book.levels('bid'), want.bids, product);
    assert.deepEqual(book.levels('ask'), want.asks, product);
  }
  assert.deepEqual(jumps(c), []);
});

test('gap fault: the sequence jumps exactly once, on every connection carrying the product only', async (t) => {
  const s = await sim(t);
  const both = await client(t, s.wsUrl);
  const ethOnly = await client(t, s.wsUrl);
  both.send(sub('level2', ['BTC-USD', 'ETH-USD']));
  ethOnly.send(sub('level2', ['ETH-USD']));
  await both.until(() => (both.messages.filter(onChannel('l2_data')).length === 2 ? true : undefined));
  await ethOnly.next(onChannel('l2_data'));
  const r = await postJson(`${s.url}/sim/faults`, {
    venue: 'coinbase',
    symbol: 'BTC-USD',
    kind: 'gap',
    count: 1,
  });
  assert.equal(r.status, 200);
  for (let i = 0; i < 5; i++) {
    s.venue.market.generateUpdates('BTC-USD', 1);
    s.venue.market.generateUpdates('ETH-USD', 1);
  }
  await barrier(both);
  await barrier(ethOnly);
  assert.equal(jumps(both).length, 1);
  const [[before, after]] = jumps(both) as [[number, number]];
  assert.equal(after, before + 2, 'one message lost');
  const skipped = both.messages.find((m) => m['sequence_num'] === after)!;
  assert.equal(
    events(skipped)[0]!['product_id'],
    'ETH-USD',
    'the numbers moved past the dropped BTC-USD update',
  );
  assert.deepEqual(jumps(ethOnly), [], 'a connection without the product loses nothing');
  const stats = s.venue.stats().symbols['BTC-USD']!;
  assert.deepEqual([stats.depthDropped, stats.depthSent, stats.depthDropPending], [1, 4, 0]);
  // after the gap, a resubscription's snapshot matches the ground truth again
  const from = both.messages.length;
  both.send(sub('level2', ['BTC-USD'], 'unsubscribe'));
  both.send(sub('level2', ['BTC-USD']));
  const snap = await both.next(
    (m) => m['channel'] === 'l2_data' && events(m)[0]!['type'] === 'snapshot',
    from,
  );
  const ref = new ReferenceBook();
  ref.on(snap);
  assert.deepEqual(ref.levels('bid'), truth(s, 'BTC-USD').bids);
});

test('errors: unknown products (the rest subscribed), bad messages; errors carry no sequence_num', async (t) => {
  const s = await sim(t);
  const c = await client(t, s.wsUrl);
  c.send(sub('level2', ['NOPE-USD', 'BTC-USD']));
  const err = await c.next((m) => m['type'] === 'error');
  assert.deepEqual(err, {
    type: 'error',
    message: 'Failed to subscribe',
    reason: 'NOPE-USD is not a valid product',
  });
  assert.deepEqual(events(await c.next(onChannel('subscriptions'))), [
    { subscriptions: { level2: ['BTC-USD'] } },
  ]);
  const bad: [unknown, RegExp][] = [
    ['{"type": subscribe', /invalid JSON/],
    [
      { type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2', 'heartbeats'] },
      /one channel per message/,
    ],
    [sub('level3', ['BTC-USD']), /unknown channel/],
    [sub('user', ['BTC-USD']), /requires authentication/],
    [{ type: 'hello' }, /unknown message type/],
    [{ type: 'subscribe', channel: 'level2', product_ids: 'BTC-USD' }, /array of strings/],
    [sub('level2', []), /needs product_ids/],
  ];
  for (const [msg, re] of bad) {
    const from = c.messages.length;
    c.send(msg);
    const e = await c.next((m) => m['type'] === 'error', from);
    assert.match(`${e['message'] as string} ${(e['reason'] as string | undefined) ?? ''}`, re);
  }
  await barrier(c);
  assert.deepEqual(jumps(c), [], 'errors do not consume sequence numbers');
  assert.ok(c.messages.filter((m) => m['type'] === 'error').every((m) => !('sequence_num' in m)));
  // unsubscribing stops the updates
  c.send(sub('level2', [], 'unsubscribe'));
  const ack = await c.next(
    (m) => m['channel'] === 'subscriptions' && !('level2' in obj(events(m)[0]!['subscriptions'])),
  );
  const from = c.messages.indexOf(ack) + 1;
  s.venue.market.generateUpdates('BTC-USD', 3);
  await barrier(c);
  assert.equal(c.messages.slice(from).filter(onChannel('l2_data')).length, 0);
});

test('a connection that subscribes to nothing within the deadline is closed', async (t) => {
  const s = await sim(t, {}, { subscribeTimeoutMs: 100 });
  const c = await client(t, s.wsUrl);
  assert.equal(await c.closed(), 1008);
  const ok = await client(t, s.wsUrl);
  ok.send(sub('heartbeats', []));
  await ok.next(onChannel('subscriptions'));
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(ok.closeCode, undefined);
});

test('REST: products, one product, product book, time — next to Binance /api/v3/ (Coinbase offered first)', async (t) => {
  const s = await sim(t);
  const list = await getJson(`${s.url}/api/v3/brokerage/market/products?product_type=SPOT`);
  assert.equal(list.status, 200);
  const products = obj(list.body)['products'] as Json[];
  assert.deepEqual(
    products.map((p) => [
      p['product_id'],
      p['base_currency_id'],
      p['quote_currency_id'],
      p['product_type'],
      p['status'],
    ]),
    [
      ['BTC-USD', 'BTC', 'USD', 'SPOT', 'online'],
      ['ETH-USD', 'ETH', 'USD', 'SPOT', 'online'],
    ],
  );
  assert.deepEqual([products[0]!['price_increment'], products[0]!['base_increment']], ['0.01', '0.00001']);
  assert.equal(obj(list.body)['num_products'], 2);
  const futures = await getJson(`${s.url}/api/v3/brokerage/market/products?product_type=FUTURE`);
  assert.deepEqual(obj(futures.body)['products'], []);
  const some = await getJson(`${s.url}/api/v3/brokerage/market/products?product_ids=ETH-USD&limit=5`);
  assert.deepEqual(
    (obj(some.body)['products'] as Json[]).map((p) => p['product_id']),
    ['ETH-USD'],
  );
  const one = await getJson(`${s.url}/api/v3/brokerage/market/products/BTC-USD`);
  assert.equal(obj(one.body)['product_id'], 'BTC-USD');
  assert.equal((await getJson(`${s.url}/api/v3/brokerage/market/products/BTC-EUR`)).status, 404);
  const pb = await getJson(`${s.url}/api/v3/brokerage/market/product_book?product_id=BTC-USD&limit=3`);
  assert.equal((obj(obj(pb.body)['pricebook'])['bids'] as unknown[]).length, 3);
  assert.equal((await getJson(`${s.url}/api/v3/brokerage/market/product_book`)).status, 400);
  assert.equal((await getJson(`${s.url}/api/v3/brokerage/market/products?limit=x`)).status, 400);
  assert.match(obj((await getJson(`${s.url}/api/v3/brokerage/time`)).body)['iso'] as string, /Z$/);
  assert.equal((await getJson(`${s.url}/api/v3/brokerage/orders`)).status, 404);
  // Binance's REST still answers its own /api/v3/ paths
  assert.equal((await getJson(`${s.url}/api/v3/depth?symbol=BTCUSD&limit=5`)).status, 200);
  // ground truth through the control API
  const gt = await getJson(`${s.url}/sim/coinbase/book?symbol=BTC-USD`);
  assert.equal(gt.status, 200);
  assert.equal(obj(obj(gt.body)['pricebook'])['product_id'], 'BTC-USD');
  assert.equal((await getJson(`${s.url}/sim/coinbase/book?symbol=BTCUSD`)).status, 400);
});
