/**
 * The OKX v5 protocol over real sockets, checked by a reference client written from the docs
 * (PROTOCOLS.md §5), independent of the tickmesh adapter: acks, pong, errors, idle cut-off, REST,
 * and book correctness — snapshot + updates applied by the rules reproduce the simulator's ground
 * truth exactly, every non-zero checksum verifies, a gap fault is exactly one prevSeqId break.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { WebSocket } from 'ws';
import { resolveConfig, type SimulatorConfig } from '../../config';
import { ControlApi } from '../../control/control-api';
import { silentLogger } from '../../log';
import { Market } from '../../market/market';
import { createSimServer } from '../../server/http-server';
import { BinanceVenue } from '../binance/binance-venue';
import type { VenueProtocol } from '../venue';
import { createOkxVenue, okxSpec, type OkxSimOptions, type OkxVenue } from './index';

type Json = Record<string, unknown>;
type T = { after: (fn: () => Promise<void> | void) => void };

const SYMBOLS = [
  { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { native: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
];

interface Sim {
  url: string;
  wsUrl: string;
  okx: OkxVenue;
}

async function sim(t: T, config: Partial<SimulatorConfig> = {}, opts: OkxSimOptions = {}): Promise<Sim> {
  const c = resolveConfig({
    seed: 11,
    symbols: SYMBOLS,
    rate: 400,
    tradeRate: 5,
    autoStart: false,
    ...config,
  });
  const okx = createOkxVenue(c, silentLogger, opts);
  const server = createSimServer(
    new ControlApi(new Map([[okx.name, okx]]), silentLogger),
    [okx],
    silentLogger,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    okx.market.stop();
    await okx.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, okx };
}

interface RefBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
  lastSeqId: number;
  /** false after a gap until the next snapshot */
  synced: boolean;
  gaps: string[];
  checksumsVerified: number;
  checksumsZero: number;
  keepAlives: number;
  resets: number;
  messages: number;
}

const sorted = (side: Map<string, string>, desc: boolean): [string, string][] =>
  [...side].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));

/** A client written from the OKX docs: books by the seqId rules, checksums verified when non-zero. */
class RefClient {
  readonly frames: (Json | string)[] = [];
  readonly books = new Map<string, RefBook>();
  closeCode: number | undefined;
  private readonly checks = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const msg = text === 'pong' ? text : (JSON.parse(text) as Json);
      this.frames.push(msg);
      if (typeof msg !== 'string') this.onBooks(msg);
      this.recheck();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.recheck();
    });
  }

  static open(url: string): Promise<RefClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new RefClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode ?? '?'}`)));
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  book(instId: string): RefBook {
    let b = this.books.get(instId);
    if (b === undefined) {
      b = {
        bids: new Map(),
        asks: new Map(),
        lastSeqId: -1,
        synced: false,
        gaps: [],
        checksumsVerified: 0,
        checksumsZero: 0,
        keepAlives: 0,
        resets: 0,
        messages: 0,
      };
      this.books.set(instId, b);
    }
    return b;
  }

  top(instId: string, n = 400): { bids: [string, string][]; asks: [string, string][] } {
    const b = this.book(instId);
    return { bids: sorted(b.bids, true).slice(0, n), asks: sorted(b.asks, false).slice(0, n) };
  }

  private onBooks(m: Json): void {
    const arg = m['arg'] as Json | undefined;
    if (arg?.['channel'] !== 'books' || m['data'] === undefined) return;
    const instId = arg['instId'] as string;
    const b = this.book(instId);
    for (const d of m['data'] as Json[]) {
      b.messages++;
      const prev = d['prevSeqId'] as number;
      const seq = d['seqId'] as number;
      if (m['action'] === 'snapshot') {
        assert.equal(prev, -1, 'a snapshot has prevSeqId -1');
        b.bids.clear();
        b.asks.clear();
        b.synced = true;
      } else {
        if (!b.synced) continue;
        if (prev !== b.lastSeqId) {
          b.gaps.push(`prevSeqId ${prev} != last ${b.lastSeqId}`);
          b.synced = false;
          continue;
        }
        if (seq === prev) {
          assert.deepEqual([d['bids'], d['asks']], [[], []], 'a keep-alive carries no levels');
          b.keepAlives++;
        }
        if (seq < prev) b.resets++;
      }
      for (const [side, key] of [
        [b.bids, 'bids'],
        [b.asks, 'asks'],
      ] as const) {
        for (const l of d[key] as string[][]) {
          assert.equal(l.length, 4, 'levels are [px, sz, "0", orders]');
          if (Number(l[1]) === 0) side.delete(l[0]!);
          else side.set(l[0]!, l[1]!);
        }
      }
      // keep the 400-level window (levels pushed out may or may not be deleted by the venue)
      for (const [side, desc] of [
        [b.bids, true],
        [b.asks, false],
      ] as const) {
        if (side.size > 400) for (const [p] of sorted(side, desc).slice(400)) side.delete(p);
      }
      const checksum = d['checksum'] as number;
      if (checksum === 0) b.checksumsZero++;
      else {
        const top = this.top(instId, 25);
        const parts: string[] = [];
        for (let i = 0; i < 25; i++) {
          if (top.bids[i]) parts.push(top.bids[i]!.join(':'));
          if (top.asks[i]) parts.push(top.asks[i]!.join(':'));
        }
        assert.equal(crc32(parts.join(':')) | 0, checksum, `checksum at seqId ${seq}`);
        b.checksumsVerified++;
      }
      b.lastSeqId = seq;
    }
  }

  until<R>(check: () => R | undefined, what: string, timeoutMs = 10_000): Promise<R> {
    return new Promise((resolve, reject) => {
      const run = (): void => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (this.closeCode !== undefined) {
          done();
          reject(new Error(`closed (${this.closeCode}) while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.checks.delete(run);
      };
      this.checks.add(run);
      run();
    });
  }

  next(pred: (m: Json | string) => boolean, from = 0, what = 'frame'): Promise<Json | string> {
    return this.until(() => this.frames.slice(from).find(pred), what);
  }

  /** ping → pong: every frame sent before the pong has arrived */
  async barrier(): Promise<void> {
    const pongs = this.frames.filter((f) => f === 'pong').length;
    this.send('ping');
    await this.until(
      () => (this.frames.filter((f) => f === 'pong').length > pongs ? true : undefined),
      'pong',
    );
  }

  close(): void {
    this.ws.terminate();
  }

  private recheck(): void {
    for (const c of [...this.checks]) c();
  }
}

async function client(t: T, s: Sim): Promise<RefClient> {
  const c = await RefClient.open(`${s.wsUrl}/ws/v5/public`);
  t.after(() => c.close());
  return c;
}

const isEvent = (event: string, id?: string) => (m: Json | string) =>
  typeof m !== 'string' && m['event'] === event && (id === undefined || m['id'] === id);

async function truth(s: Sim, instId: string): Promise<{ bids: string[][]; asks: string[][]; seqId: number }> {
  const r = await fetch(`${s.url}/sim/okx/book?symbol=${instId}`);
  assert.equal(r.status, 200);
  const body = (await r.json()) as {
    code: string;
    data: { bids: string[][]; asks: string[][]; seqId: number }[];
  };
  assert.equal(body.code, '0');
  return body.data[0]!;
}

const px = (levels: string[][], n: number): [string, string][] =>
  levels.slice(0, n).map((l) => [l[0]!, l[1]!]);

test('subscribe: one ack per arg with the request id, then the books snapshot; ping → pong', async (t) => {
  const s = await sim(t);
  const c = await client(t, s);
  c.send({
    id: '1512',
    op: 'subscribe',
    args: [
      { channel: 'books', instId: 'BTC-USDT' },
      { channel: 'trades', instId: 'BTC-USDT' },
    ],
  });
  const ack = (await c.next(isEvent('subscribe'))) as Json;
  assert.deepEqual(
    { ...ack, connId: 'x' },
    { id: '1512', event: 'subscribe', arg: { channel: 'books', instId: 'BTC-USDT' }, connId: 'x' },
  );
  assert.match(ack['connId'] as string, /^[0-9a-f]{8}$/);
  const snap = (await c.next((m) => typeof m !== 'string' && m['action'] === 'snapshot')) as Json;
  assert.ok(c.frames.indexOf(snap) > c.frames.indexOf(ack), 'snapshot after the ack');
  const d = (snap['data'] as Json[])[0]!;
  assert.deepEqual(Object.keys(d), ['asks', 'bids', 'ts', 'checksum', 'prevSeqId', 'seqId']);
  assert.match(d['ts'] as string, /^\d{13}\.\d{3}$/, 'ts: ms text with a µs fraction');
  assert.equal((d['bids'] as unknown[]).length, 200, 'the whole (200-level) book: under 400 levels');
  assert.ok(
    (d['bids'] as string[][]).every((l) => !/\.\d*0$/.test(l[0]!) && !/\.\d*0$/.test(l[1]!)),
    'no trailing zeros',
  );
  await c.next(isEvent('subscribe', '1512'), c.frames.indexOf(ack) + 1, 'the trades ack');
  await c.barrier();
  assert.equal(c.book('BTC-USDT').checksumsVerified, 1);

  // without id: no id in the ack; unsubscribe is acknowledged and stops the data
  c.send({ op: 'unsubscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
  const unsub = (await c.next(isEvent('unsubscribe'))) as Json;
  assert.equal('id' in unsub, false);
  const n = c.book('BTC-USDT').messages;
  s.okx.market.generateUpdates('BTC-USDT', 50);
  s.okx.market.generateTrades('BTC-USDT', 1);
  await c.next((m) => typeof m !== 'string' && (m['arg'] as Json | undefined)?.['channel'] === 'trades');
  await c.barrier();
  assert.equal(c.book('BTC-USDT').messages, n, 'no books data after unsubscribe');
});

test('errors: 60018 for unknown instruments or channels (valid args still subscribed), 60012 for bad requests', async (t) => {
  const s = await sim(t);
  const c = await client(t, s);
  c.send({
    id: '7',
    op: 'subscribe',
    args: [
      { channel: 'trades', instId: 'NOPE-USDT' },
      { channel: 'books5', instId: 'BTC-USDT' },
      { channel: 'trades', instId: 'ETH-USDT' },
    ],
  });
  const e1 = (await c.next(isEvent('error'))) as Json;
  assert.deepEqual([e1['id'], e1['code']], ['7', '60018']);
  assert.match(e1['msg'] as string, /channel:trades,instId:NOPE-USDT doesn't exist/);
  await c.next(isEvent('subscribe', '7'));
  assert.equal(c.frames.filter(isEvent('error')).length, 2);
  for (const bad of [
    '{',
    '{"op":"login"}',
    '{"op":"subscribe","args":[]}',
    '{"op":"subscribe","args":[{"channel":1}]}',
    '[1]',
  ])
    c.send(bad);
  await c.until(
    () => (c.frames.filter(isEvent('error')).length === 7 ? true : undefined),
    'five 60012 errors',
  );
  assert.ok(
    c.frames
      .filter(isEvent('error'))
      .slice(2)
      .every((e) => (e as Json)['code'] === '60012'),
  );
  await c.barrier();
  assert.equal(c.closeCode, undefined, 'errors keep the connection open');
});

test('books: snapshot + updates reproduce the ground truth exactly; every checksum verifies; trades carry the taker side', async (t) => {
  const s = await sim(t, { maxBookLevels: 600, bookLevels: 380 });
  const c = await client(t, s);
  const ids = ['BTC-USDT', 'ETH-USDT', 'BTC-USDT-SWAP'];
  c.send({
    op: 'subscribe',
    args: ids.flatMap((instId) => [
      { channel: 'books', instId },
      { channel: 'trades', instId },
    ]),
  });
  await c.until(() => (ids.every((i) => c.book(i).synced) ? true : undefined), 'three snapshots');
  s.okx.market.start();
  await c.until(() => (ids.every((i) => c.book(i).messages > 300) ? true : undefined), 'updates', 20_000);
  s.okx.market.pause();
  await c.barrier();
  for (const instId of ids) {
    const b = c.book(instId);
    assert.deepEqual(b.gaps, [], instId);
    assert.equal(b.checksumsVerified, b.messages, `${instId}: every message's checksum verified`);
    const tr = await truth(s, instId);
    assert.equal(tr.seqId, b.lastSeqId, `${instId}: ground-truth seqId`);
    const mine = c.top(instId);
    assert.deepEqual(mine.bids, px(tr.bids, 400), `${instId} bids`);
    assert.deepEqual(mine.asks, px(tr.asks, 400), `${instId} asks`);
  }
  const trades = c.frames.filter(
    (m): m is Json =>
      typeof m !== 'string' && (m['arg'] as Json | undefined)?.['channel'] === 'trades' && 'data' in m,
  );
  assert.ok(trades.length > 0);
  for (const tm of trades) {
    const [tr] = tm['data'] as Json[];
    assert.deepEqual(Object.keys(tr!), ['instId', 'tradeId', 'px', 'sz', 'side', 'ts', 'count']);
    assert.ok(tr!['side'] === 'buy' || tr!['side'] === 'sell');
  }
  const swapTrade = trades.find((m) => (m['arg'] as Json)['instId'] === 'BTC-USDT-SWAP');
  if (swapTrade)
    assert.match((swapTrade['data'] as Json[])[0]!['sz'] as string, /^\d+$/, 'SWAP sizes are contracts');
});

test('the book is the 400-level window, with or without exit deletes', async (t) => {
  for (const windowExitDeletes of [true, false]) {
    const s = await sim(t, { maxBookLevels: 700, bookLevels: 650, rate: 1000 }, { windowExitDeletes });
    const c = await client(t, s);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
    const snap = (await c.next((m) => typeof m !== 'string' && m['action'] === 'snapshot')) as Json;
    assert.equal(((snap['data'] as Json[])[0]!['bids'] as unknown[]).length, 400);
    s.okx.market.generateUpdates('BTC-USDT', 2000);
    await c.barrier();
    const tr = await truth(s, 'BTC-USDT');
    assert.deepEqual(c.top('BTC-USDT').bids, px(tr.bids, 400));
    assert.deepEqual(c.top('BTC-USDT').asks, px(tr.asks, 400));
    assert.deepEqual(c.book('BTC-USDT').gaps, []);
  }
});

test('a gap fault is exactly one prevSeqId break; the re-subscription snapshot resyncs', async (t) => {
  const s = await sim(t);
  const c = await client(t, s);
  c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'ETH-USDT-SWAP' }] });
  await c.until(() => (c.book('ETH-USDT-SWAP').synced ? true : undefined), 'snapshot');
  s.okx.market.generateUpdates('ETH-USDT-SWAP', 20);
  const r = await fetch(`${s.url}/sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ venue: 'okx', symbol: 'ETH-USDT-SWAP', kind: 'gap', count: 2 }),
  });
  assert.equal(r.status, 200);
  s.okx.market.generateUpdates('ETH-USDT-SWAP', 20);
  await c.barrier();
  const b = c.book('ETH-USDT-SWAP');
  assert.equal(b.gaps.length, 1);
  assert.equal(s.okx.stats().symbols['ETH-USDT-SWAP']!.depthDropped, 2);
  c.send({ op: 'unsubscribe', args: [{ channel: 'books', instId: 'ETH-USDT-SWAP' }] });
  c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'ETH-USDT-SWAP' }] });
  await c.until(() => (b.synced ? true : undefined), 'snapshot again');
  s.okx.market.generateUpdates('ETH-USDT-SWAP', 20);
  await c.barrier();
  const tr = await truth(s, 'ETH-USDT-SWAP');
  assert.deepEqual(c.top('ETH-USDT-SWAP').bids, px(tr.bids, 400));
  assert.equal(b.gaps.length, 1);
});

test("checksumMode 'zero' (the 2026 change): every checksum is 0", async (t) => {
  const s = await sim(t, {}, { checksumMode: 'zero' });
  const c = await client(t, s);
  c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
  await c.until(() => (c.book('BTC-USDT').synced ? true : undefined), 'snapshot');
  s.okx.market.generateUpdates('BTC-USDT', 100);
  await c.barrier();
  const b = c.book('BTC-USDT');
  assert.equal(b.checksumsVerified, 0);
  assert.equal(b.checksumsZero, b.messages);
  assert.ok(b.messages > 50);
  const tr = await truth(s, 'BTC-USDT');
  assert.deepEqual(c.top('BTC-USDT').asks, px(tr.asks, 400));
});

test('keep-alive after no change (seqId == prevSeqId) and the sequence reset (seqId < prevSeqId)', async (t) => {
  const s = await sim(t, {}, { keepAliveMs: 150 });
  const c = await client(t, s);
  c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
  const b = c.book('BTC-USDT');
  await c.until(() => (b.keepAlives >= 2 ? true : undefined), 'two keep-alives');
  const before = b.lastSeqId;
  assert.deepEqual(s.okx.resetSequence('BTC-USDT'), ['BTC-USDT']);
  s.okx.market.generateUpdates('BTC-USDT', 30);
  await c.barrier();
  assert.equal(b.resets, 1);
  assert.ok(b.lastSeqId < before, `${b.lastSeqId} < ${before}`);
  assert.deepEqual(b.gaps, []);
  assert.equal(b.checksumsVerified, b.messages);
});

test('idle cut-off: no subscription, or nothing sent, within idleTimeoutMs closes the connection; pings keep it', async (t) => {
  const s = await sim(t, {}, { idleTimeoutMs: 200 });
  const idle = await client(t, s);
  assert.equal(await idle.until(() => idle.closeCode, 'close'), 4004);
  const quiet = await client(t, s);
  quiet.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
  assert.equal(await quiet.until(() => quiet.closeCode, 'close'), 4004);
  const pinging = await client(t, s);
  pinging.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await pinging.barrier();
  }
  assert.equal(pinging.closeCode, undefined);
});

test('REST: instruments per instType, books with seqId consistent with the stream, errors', async (t) => {
  const s = await sim(t);
  const get = async (
    path: string,
  ): Promise<{ status: number; body: { code: string; msg: string; data: Json[] } }> => {
    const r = await fetch(`${s.url}${path}`);
    return { status: r.status, body: (await r.json()) as { code: string; msg: string; data: Json[] } };
  };
  const spot = await get('/api/v5/public/instruments?instType=SPOT');
  assert.deepEqual(
    spot.body.data.map((i) => [
      i['instId'],
      i['baseCcy'],
      i['quoteCcy'],
      i['tickSz'],
      i['lotSz'],
      i['state'],
    ]),
    [
      ['BTC-USDT', 'BTC', 'USDT', '0.01', '0.00001', 'live'],
      ['ETH-USDT', 'ETH', 'USDT', '0.01', '0.0001', 'live'],
    ],
  );
  const swap = await get('/api/v5/public/instruments?instType=SWAP&instId=BTC-USDT-SWAP');
  assert.deepEqual(
    swap.body.data.map((i) => [
      i['instId'],
      i['baseCcy'],
      i['ctValCcy'],
      i['settleCcy'],
      i['ctType'],
      i['ctVal'],
      i['lotSz'],
    ]),
    [['BTC-USDT-SWAP', '', 'BTC', 'USDT', 'linear', '0.00001', '1']],
  );
  assert.deepEqual((await get('/api/v5/public/instruments?instType=FUTURES')).body.data, []);
  assert.equal((await get('/api/v5/public/instruments')).body.code, '51000');

  const c = await client(t, s);
  c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'ETH-USDT' }] });
  await c.until(() => (c.book('ETH-USDT').synced ? true : undefined), 'snapshot');
  s.okx.market.generateUpdates('ETH-USDT', 40);
  await c.barrier();
  const books = await get('/api/v5/market/books?instId=ETH-USDT&sz=5');
  const [b] = books.body.data;
  assert.deepEqual(Object.keys(b!), ['asks', 'bids', 'ts', 'seqId']);
  assert.equal(b!['seqId'], c.book('ETH-USDT').lastSeqId, 'REST seqId = the stream seqId of the same book');
  assert.deepEqual(
    (b!['bids'] as string[][]).map((l) => [l[0], l[1]]),
    c.top('ETH-USDT', 5).bids,
  );
  assert.equal(
    ((await get('/api/v5/market/books?instId=ETH-USDT')).body.data[0]!['asks'] as unknown[]).length,
    1,
  );
  assert.equal((await get('/api/v5/market/books?instId=ETH-USDT&sz=401')).body.code, '51000');
  assert.equal((await get('/api/v5/market/books?instId=NOPE')).body.code, '51001');
  assert.equal((await get('/api/v5/public/time')).body.code, '0');
  assert.equal((await get('/api/v5/market/tickers')).status, 404);
  // the control API knows the OKX instIds
  assert.equal((await fetch(`${s.url}/sim/okx/book?symbol=BTC-USDT-SWAP`)).status, 200);
  assert.equal((await fetch(`${s.url}/sim/okx/book?symbol=BTCUSDT`)).status, 400);
});

test('routing: /ws/v5/public reaches OKX only when OKX is offered the upgrade before Binance', async (t) => {
  const c = resolveConfig({ seed: 1, symbols: SYMBOLS, autoStart: false });
  const okx = createOkxVenue(c, silentLogger);
  const binance = new BinanceVenue(new Market(c.specs, c, silentLogger), c, silentLogger);
  const serve = async (venues: VenueProtocol[]): Promise<string> => {
    const server = createSimServer(
      new ControlApi(new Map(venues.map((v) => [v.name, v])), silentLogger),
      venues,
      silentLogger,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  t.after(async () => {
    await okx.close();
    await binance.close();
  });
  const wrongOrder = await serve([binance, okx]);
  await assert.rejects(
    RefClient.open(`${wrongOrder}/ws/v5/public`),
    /HTTP 400/,
    'Binance takes /ws/<streams>',
  );
  const rightOrder = await serve([okx, binance]);
  const ok = await RefClient.open(`${rightOrder}/ws/v5/public`);
  t.after(() => ok.close());
  await ok.barrier();
  const bin = await RefClient.open(`${rightOrder}/ws/btcusdt@depth`);
  t.after(() => bin.close());
});

test('okxSpec: OKX instIds, trimmed wire decimals, SWAP contracts', () => {
  const [btc] = resolveConfig({ symbols: SYMBOLS }).specs;
  const spot = okxSpec(btc!, 'SPOT');
  assert.deepEqual(
    [spot.spec.native, spot.spec.normalized, spot.spec.priceDecimals, spot.spec.sizeDecimals, spot.info],
    ['BTC-USDT', 'BTC-USDT', 2, 5, { instType: 'SPOT', ctVal: '' }],
  );
  const swap = okxSpec(btc!, 'SWAP');
  assert.deepEqual(
    [swap.spec.native, swap.spec.normalized, swap.spec.stepSize, swap.info],
    ['BTC-USDT-SWAP', 'BTC-USDT-PERP', '1', { instType: 'SWAP', ctVal: '0.00001' }],
  );
});
