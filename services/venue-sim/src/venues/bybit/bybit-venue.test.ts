/**
 * The Bybit v5 protocol over real sockets: acks, pongs, errors, idle cut-off, REST, and book
 * correctness — a client following the documented rules (snapshot resets, absolute deltas, `u` +1,
 * truncation to the depth) must end with exactly the simulator's ground truth, and a gap fault must
 * be visible as exactly one `u` discontinuity.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { resolveConfig, type SimulatorConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { createSimServer } from '../../server/http-server';
import { getJson, obj, postJson, TestClient, type Json } from '../../../test/support/client';
import { createBybitVenues, type BybitSimOptions, type BybitVenue } from './index';

const SYMBOLS = [
  { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { native: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
];

interface Sim {
  url: string;
  wsUrl: string;
  spot: BybitVenue;
  linear: BybitVenue;
}

type T = { after: (fn: () => Promise<void> | void) => void };

async function sim(t: T, config: Partial<SimulatorConfig> = {}, opts: BybitSimOptions = {}): Promise<Sim> {
  const c = resolveConfig({
    seed: 11,
    symbols: SYMBOLS,
    rate: 400,
    tradeRate: 5,
    autoStart: false,
    ...config,
  });
  const venues = createBybitVenues(c, silentLogger, opts);
  const control = new ControlApi(new Map(venues.map((v) => [v.name, v])), silentLogger);
  const server = createSimServer(control, venues, silentLogger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const v of venues) v.market.stop();
    await Promise.all(venues.map((v) => v.close()));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    spot: venues.find((v) => v.name === 'bybit')!,
    linear: venues.find((v) => v.name === 'bybitlinear')!,
  };
}

async function client(t: T, url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  t.after(() => c.close());
  return c;
}

const op = (name: string, reqId?: string) => (m: Json) =>
  m['op'] === name && (reqId === undefined || m['req_id'] === reqId);
const onTopic = (topic: string) => (m: Json) => m['topic'] === topic;

test('spot: subscribe ack with req_id, snapshot after the ack, pong without req_id', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/v5/public/spot`);
  c.send({ req_id: 'r1', op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'] });
  const ack = await c.next(op('subscribe'));
  assert.deepEqual(
    { ...ack, conn_id: 'x' },
    { success: true, ret_msg: 'subscribe', conn_id: 'x', req_id: 'r1', op: 'subscribe' },
  );
  assert.match(ack['conn_id'] as string, /^[0-9a-f-]{36}$/);
  const snap = await c.next(onTopic('orderbook.50.BTCUSDT'));
  assert.ok(c.messages.indexOf(snap) > c.messages.indexOf(ack));
  assert.deepEqual(Object.keys(snap), ['topic', 'ts', 'type', 'data', 'cts'], 'spot: ts before type');
  assert.equal(snap['type'], 'snapshot');
  const data = obj(snap['data']);
  assert.equal((data['b'] as unknown[]).length, 50);
  assert.match((data['b'] as string[][])[0]![0]!, /^\d+\.\d{2}$/, 'prices carry the tick decimals');
  assert.equal(data['u'], s.spot.market.model('BTCUSDT')!.updateId);
  c.send({ req_id: '100001', op: 'ping' });
  const pong = await c.next(op('ping'));
  assert.deepEqual(pong, { success: true, ret_msg: 'pong', conn_id: ack['conn_id'], op: 'ping' });
});

test('linear: empty ret_msg and req_id in acks and pongs; futures key order; trades with L and UUID ids', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/v5/public/linear`);
  c.send({ op: 'subscribe', args: ['orderbook.200.ETHUSDT', 'publicTrade.ETHUSDT'] });
  const ack = await c.next(op('subscribe'));
  assert.deepEqual(
    { ...ack, conn_id: 'x' },
    { success: true, ret_msg: '', conn_id: 'x', req_id: '', op: 'subscribe' },
  );
  const snap = await c.next(onTopic('orderbook.200.ETHUSDT'));
  assert.deepEqual(
    Object.keys(snap),
    ['topic', 'type', 'ts', 'data', 'cts'],
    'futures depth > 1: type before ts',
  );
  c.send({ op: 'ping' });
  assert.deepEqual(await c.next(op('ping')), {
    success: true,
    ret_msg: 'pong',
    conn_id: ack['conn_id'],
    req_id: '',
    op: 'ping',
  });
  s.linear.market.generateTrades('ETHUSDT', 2);
  await c.until(
    () => (c.messages.filter(onTopic('publicTrade.ETHUSDT')).length === 2 ? true : undefined),
    'trades',
  );
  const trades = c.messages.filter(onTopic('publicTrade.ETHUSDT'));
  for (const tr of trades) {
    assert.equal(tr['type'], 'snapshot');
    const [d] = tr['data'] as Json[];
    assert.deepEqual(Object.keys(d!), ['T', 's', 'S', 'v', 'p', 'L', 'i', 'BT', 'seq']);
    assert.match(d!['i'] as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(['Buy', 'Sell'].includes(d!['S'] as string));
    assert.match(d!['p'] as string, /^\d+\.\d{2}$/);
  }
});

test('error acks: unknown topics, too many args on spot, already subscribed, bad ops; the connection stays usable', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/v5/public/spot`);
  c.send({
    req_id: 'a',
    op: 'subscribe',
    args: ['publicTrade.NOTASYMBOL', 'orderbook.25.BTCUSDT', 'publicTrade.BTCUSDT'],
  });
  const bad = await c.next(op('subscribe', 'a'));
  assert.equal(bad['success'], false);
  assert.equal(
    bad['ret_msg'],
    'error:handler not found,topic:publicTrade.NOTASYMBOL,topic:orderbook.25.BTCUSDT',
  );
  c.send({
    req_id: 'b',
    op: 'subscribe',
    args: Array.from({ length: 11 }, (_, i) => `orderbook.${i < 6 ? 1 : 50}.BTCUSDT`),
  });
  assert.deepEqual((await c.next(op('subscribe', 'b')))['ret_msg'], 'error:args size exceeds 10');
  c.send({ req_id: 'c', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
  assert.equal(
    (await c.next(op('subscribe', 'c')))['ret_msg'],
    'error:already subscribed,topic:publicTrade.BTCUSDT',
  );
  c.send('{"op": subscribe');
  assert.deepEqual((await c.next((m) => m['ret_msg'] === 'error:invalid JSON'))['success'], false);
  c.send({ req_id: 'd', op: 'auth' });
  assert.equal((await c.next(op('auth', 'd')))['success'], false);
  c.send({ req_id: 'e', op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] });
  assert.deepEqual(
    { ...(await c.next(op('unsubscribe', 'e'))), conn_id: 'x' },
    {
      success: true,
      ret_msg: 'unsubscribe',
      conn_id: 'x',
      req_id: 'e',
      op: 'unsubscribe',
    },
  );
  // the valid topic of request "a" was subscribed, then unsubscribed: no trade reaches us
  const before = c.messages.length;
  s.spot.market.generateTrades('BTCUSDT', 1);
  c.send({ req_id: 'f', op: 'ping' });
  await c.next(op('ping'), before);
  assert.equal(c.messages.slice(before).filter(onTopic('publicTrade.BTCUSDT')).length, 0);
  // linear serves no spot path and vice versa
  await assert.rejects(TestClient.open(`${s.wsUrl}/v5/public/inverse`), /HTTP 404/);
});

/** A client written from orderbook.mdx's rules (plus truncation to the depth), not from the simulator. */
class ReferenceBook {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  u: number | undefined;
  gaps = 0;
  constructor(readonly depth: number) {}

  on(m: Json): 'snapshot' | 'apply' | 'ignore' | 'gap' | 'wait' {
    const d = obj(m['data']);
    const u = d['u'] as number;
    if (m['type'] === 'snapshot' || u === 1) {
      this.bids = new Map(d['b'] as [string, string][]);
      this.asks = new Map(d['a'] as [string, string][]);
      this.u = u;
      return 'snapshot';
    }
    if (this.u === undefined) return 'wait';
    if (u <= this.u) return 'ignore';
    if (u !== this.u + 1) {
      this.gaps++;
      this.u = undefined;
      return 'gap';
    }
    for (const [p, q] of d['b'] as [string, string][]) set(this.bids, p, q);
    for (const [p, q] of d['a'] as [string, string][]) set(this.asks, p, q);
    const top = this.top();
    this.bids = new Map(top.b);
    this.asks = new Map(top.a);
    this.u = u;
    return 'apply';
  }

  top(): { b: [string, string][]; a: [string, string][] } {
    const sort = (m: Map<string, string>, desc: boolean): [string, string][] =>
      [...m].sort((x, y) => (desc ? -1 : 1) * (Number(x[0]) - Number(y[0]))).slice(0, this.depth);
    return { b: sort(this.bids, true), a: sort(this.asks, false) };
  }
}

function set(side: Map<string, string>, price: string, qty: string): void {
  if (/^0(\.0+)?$/.test(qty)) side.delete(price);
  else side.set(price, qty);
}

/** Pauses the venue's generator, waits until every message before the pause arrived (ping barrier), reads the truth. */
async function pauseAndTruth(s: Sim, venue: BybitVenue, c: TestClient, symbol: string): Promise<Json> {
  assert.equal((await postJson(`${s.url}/sim/faults`, { venue: venue.name, kind: 'pause' })).status, 200);
  const from = c.messages.length;
  c.send({ req_id: 'barrier', op: 'ping' });
  await c.next(op('ping'), from, 'the barrier pong');
  const truth = await getJson(`${s.url}/sim/${venue.name}/book?symbol=${symbol}`);
  assert.equal(truth.status, 200);
  return obj(obj(truth.body)['result']);
}

function feed(book: ReferenceBook, c: TestClient, topic: string, from = 0): number {
  const msgs = c.messages.filter(onTopic(topic));
  for (let i = from; i < msgs.length; i++) book.on(msgs[i]!);
  return msgs.length;
}

async function untilMessages(c: TestClient, topic: string, n: number): Promise<void> {
  await c.until(
    () => (c.messages.filter(onTopic(topic)).length >= n ? true : undefined),
    `${n} messages on ${topic}`,
    20_000,
  );
}

for (const [category, depth, exitDeletes] of [
  ['spot', 50, true],
  ['linear', 200, true],
  ['spot', 50, false],
] as const) {
  test(`${category} depth ${depth}${exitDeletes ? '' : ' (no exit deletes)'}: snapshot + deltas reproduce the ground truth; u steps by 1`, async (t) => {
    const s = await sim(
      t,
      { minBookLevels: 30, bookLevels: 60, maxBookLevels: 300 },
      { windowExitDeletes: exitDeletes },
    );
    const venue = category === 'spot' ? s.spot : s.linear;
    const topic = `orderbook.${depth}.BTCUSDT`;
    const c = await client(t, `${s.wsUrl}/v5/public/${category}`);
    c.send({ op: 'subscribe', args: [topic] });
    venue.market.start();
    await untilMessages(c, topic, 300);
    const truth = await pauseAndTruth(s, venue, c, 'BTCUSDT');
    const book = new ReferenceBook(depth);
    feed(book, c, topic);
    assert.equal(book.gaps, 0);
    const top = book.top();
    assert.deepEqual(top.b, (truth['b'] as unknown[]).slice(0, depth));
    assert.deepEqual(top.a, (truth['a'] as unknown[]).slice(0, depth));
    const msgs = c.messages.filter(onTopic(topic)).map((m) => obj(m['data']));
    for (let i = 1; i < msgs.length; i++) {
      assert.equal(msgs[i]!['u'], (msgs[i - 1]!['u'] as number) + 1);
      assert.ok((msgs[i]!['seq'] as number) > (msgs[i - 1]!['seq'] as number), 'seq increases');
    }
    assert.ok((msgs.at(-1)!['seq'] as number) <= (truth['seq'] as number));
  });
}

test('a gap fault produces exactly one u discontinuity; re-subscribing gives a snapshot that recovers the truth', async (t) => {
  const s = await sim(t);
  const topic = 'orderbook.50.BTCUSDT';
  const c = await client(t, `${s.wsUrl}/v5/public/spot`);
  c.send({ op: 'subscribe', args: [topic, 'orderbook.1.BTCUSDT'] });
  s.spot.market.start();
  await untilMessages(c, topic, 50);
  const r = await postJson(`${s.url}/sim/faults`, {
    venue: 'bybit',
    symbol: 'BTCUSDT',
    kind: 'gap',
    count: 1,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...obj(obj(r.body)['scheduled']), afterUpdateId: 0 },
    { kind: 'gap', venue: 'bybit', symbol: 'BTCUSDT', count: 1, pending: 1, afterUpdateId: 0 },
  );
  const book = new ReferenceBook(50);
  let fed = 0;
  await c.until(() => {
    fed = feed(book, c, topic, fed);
    return book.gaps > 0 ? true : undefined;
  }, 'the gap');
  c.send({ req_id: 'resync', op: 'unsubscribe', args: [topic] });
  c.send({ req_id: 'resync', op: 'subscribe', args: [topic] });
  await c.until(() => {
    fed = feed(book, c, topic, fed);
    return book.u !== undefined ? true : undefined;
  }, 'the new snapshot');
  await untilMessages(c, topic, fed + 50);
  const truth = await pauseAndTruth(s, s.spot, c, 'BTCUSDT');
  feed(book, c, topic, fed);
  assert.equal(book.gaps, 1);
  assert.deepEqual(book.top(), {
    b: (truth['b'] as unknown[]).slice(0, 50),
    a: (truth['a'] as unknown[]).slice(0, 50),
  });
  // exactly one break in the u chain of deltas (snapshots restart the chain)
  let prev: number | undefined;
  let breaks = 0;
  for (const m of c.messages.filter(onTopic(topic))) {
    const u = obj(m['data'])['u'] as number;
    if (m['type'] === 'delta' && prev !== undefined && u !== prev + 1) breaks++;
    prev = u;
  }
  assert.equal(breaks, 1);
  const stats = obj(obj(obj((await getJson(`${s.url}/sim/stats`)).body)['venues'])['bybit']);
  const btc = obj(obj(stats['symbols'])['BTCUSDT']);
  assert.equal(btc['depthDropped'], 1);
  assert.equal(btc['depthDropPending'], 0);
  // level 1 carries snapshots only
  assert.ok(c.messages.filter(onTopic('orderbook.1.BTCUSDT')).every((m) => m['type'] === 'snapshot'));
});

test('a service restart sends a u=1 snapshot, then deltas continue from 2', async (t) => {
  const s = await sim(t);
  const topic = 'orderbook.50.ETHUSDT';
  const c = await client(t, `${s.wsUrl}/v5/public/spot`);
  c.send({ op: 'subscribe', args: [topic] });
  await c.next(onTopic(topic));
  s.spot.market.generateUpdates('ETHUSDT', 5);
  assert.equal(s.spot.restartService('ETHUSDT'), 1);
  s.spot.market.generateUpdates('ETHUSDT', 40);
  c.send({ op: 'ping' });
  await c.next(op('ping'));
  const msgs = c.messages.filter(onTopic(topic));
  const restart = msgs.findIndex((m) => obj(m['data'])['u'] === 1);
  assert.ok(restart > 0);
  assert.equal(msgs[restart]!['type'], 'snapshot');
  assert.equal(obj(msgs[restart + 1]!['data'])['u'], 2);
  const book = new ReferenceBook(50);
  for (const m of msgs) book.on(m);
  assert.equal(book.gaps, 0);
  const truth = obj(obj(JSON.parse(s.spot.groundTruth('ETHUSDT')!) as Json)['result']);
  assert.deepEqual(book.top(), {
    b: (truth['b'] as unknown[]).slice(0, 50),
    a: (truth['a'] as unknown[]).slice(0, 50),
  });
});

test('the server closes a connection that does not ping within the idle timeout; pinging keeps it open', async (t) => {
  const s = await sim(t, {}, { idleTimeoutMs: 300 });
  const quiet = await client(t, `${s.wsUrl}/v5/public/spot`);
  const pinger = await client(t, `${s.wsUrl}/v5/public/spot`);
  const timer = setInterval(() => pinger.send({ op: 'ping' }), 50);
  t.after(() => clearInterval(timer));
  const started = Date.now();
  assert.equal(await quiet.closed('the idle close'), 1000);
  assert.ok(Date.now() - started >= 250);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(pinger.closeCode, undefined);
});

test('REST: instruments-info, orderbook and errors in the venue shape; ground truth per venue', async (t) => {
  const s = await sim(t);
  const spot = obj((await getJson(`${s.url}/v5/market/instruments-info?category=spot`)).body);
  assert.equal(spot['retCode'], 0);
  const list = obj(spot['result'])['list'] as Json[];
  assert.deepEqual(
    list.map((i) => [
      i['symbol'],
      i['baseCoin'],
      i['quoteCoin'],
      i['status'],
      obj(i['priceFilter'])['tickSize'],
    ]),
    [
      ['BTCUSDT', 'BTC', 'USDT', 'Trading', '0.01'],
      ['ETHUSDT', 'ETH', 'USDT', 'Trading', '0.01'],
    ],
  );
  const linear = obj((await getJson(`${s.url}/v5/market/instruments-info?category=linear&limit=1000`)).body);
  const l0 = (obj(linear['result'])['list'] as Json[])[0]!;
  assert.deepEqual(
    [l0['contractType'], l0['settleCoin'], obj(l0['lotSizeFilter'])['qtyStep']],
    ['LinearPerpetual', 'USDT', '0.00001'],
  );

  const ob = obj((await getJson(`${s.url}/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=5`)).body);
  const res = obj(ob['result']);
  assert.deepEqual(Object.keys(res), ['s', 'a', 'b', 'ts', 'u', 'seq', 'cts']);
  assert.equal((res['b'] as unknown[]).length, 5);
  assert.equal(res['seq'], s.spot.market.model('BTCUSDT')!.updateId);
  assert.equal(
    ((await getJson(`${s.url}/v5/market/orderbook?category=linear&symbol=BTCUSDT`)).body as Json)['retCode'],
    0,
  );
  for (const bad of [
    'category=spot&symbol=NOPE',
    'category=spot',
    'category=spot&symbol=BTCUSDT&limit=0',
    'category=foo&symbol=BTCUSDT',
    'symbol=BTCUSDT',
  ]) {
    const r = await getJson(`${s.url}/v5/market/orderbook?${bad}`);
    assert.equal(r.status, 200, bad);
    assert.equal(obj(r.body)['retCode'], 10001, bad);
  }
  assert.equal(obj((await getJson(`${s.url}/v5/market/time`)).body)['retCode'], 0);

  const truth = obj(obj((await getJson(`${s.url}/sim/bybitlinear/book?symbol=ETHUSDT`)).body)['result']);
  assert.ok((truth['b'] as unknown[]).length >= 50, 'the full book');
  assert.equal(truth['seq'], s.linear.market.model('ETHUSDT')!.updateId);
  assert.notDeepEqual(
    obj(obj((await getJson(`${s.url}/sim/bybit/book?symbol=ETHUSDT`)).body)['result'])['b'],
    truth['b'],
    'spot and linear are separate markets',
  );
  assert.equal(
    (await postJson(`${s.url}/sim/faults`, { venue: 'bybitlinear', kind: 'disconnect' })).status,
    200,
  );
  assert.deepEqual(
    s.linear.instruments.map((i) => [i.venue, i.symbol, i.kind]),
    [
      ['bybitlinear', 'BTC-USDT-PERP', 'perp'],
      ['bybitlinear', 'ETH-USDT-PERP', 'perp'],
    ],
  );
});
