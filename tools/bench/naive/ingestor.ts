/**
 * NAIVE BASELINE ingestor + book builder, one process, one file. It exists only so the benchmark
 * can compare tickmesh with "what you would write first" on the same machine in the same run
 * (`npm run bench -- --pipeline naive|both`). It is deliberately naive in HOW it moves data and
 * correct in WHAT it computes:
 *
 * - one Binance combined stream (`<sym>@depth@100ms` + `<sym>@trade` of every symbol,
 *   `timeUnit=MICROSECOND`) and one REST snapshot per symbol (`/api/v3/depth?limit=1000`);
 * - Binance's documented sync: buffer events, snapshot (again if `lastUpdateId` < first `U`), drop
 *   `u <= lastUpdateId`, the first kept event must straddle `lastUpdateId + 1`, then every event
 *   needs `U == previous u + 1`, else resync from a new snapshot (new epoch);
 * - per side a `Map<string, string>` price text → size text; best bid/ask by `Number()` comparison,
 *   kept incrementally and rescanned over the whole side when the best level is removed (floats are
 *   fine for ordering Binance's 8-decimal prices here; the published prices are the venue's text);
 * - for EVERY applied depth event (changed top or not): top of book as JSON, then
 *   `await redis.set(key, json)`, `await redis.publish(channel, json)` (one command awaited at a
 *   time, no pipeline, no MULTI), then `nc.publish(subject, json)` (JSON over NATS, unbatched);
 * - trades: the raw trade, normalized to JSON, `nc.publish` per trade.
 *
 * The `ws` message handler is an ordinary async callback: the book is applied synchronously when the
 * frame arrives, so every top of book is the book right after its event; the Redis awaits of
 * successive events overlap (ioredis answers in order on one connection, so the NATS publishes stay
 * in event order).
 *
 * Environment: VENUE_WS_URL, VENUE_REST_URL, SYMBOLS (`NATIVE=NORMALIZED,…`, e.g.
 * `SYM0USDT=SYM0-USDT`), NATS_URL, REDIS_URL, HTTP_HOST (127.0.0.1), HTTP_PORT (/metrics, /healthz,
 * /readyz).
 *
 * Output: Redis string `naive:tob:binance:<SYMBOL>` (TOB JSON), Redis channel and NATS subject
 * `naive.tob.binance.<SYMBOL>` (the same JSON: the @tickmesh/contracts TopOfBook fields), NATS
 * `naive.trade.binance.<SYMBOL>`.
 */
import { createServer } from 'node:http';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { TopOfBook } from '@tickmesh/contracts';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';

const VENUE = 'binance';

type RawLevel = [price: string, qty: string];

interface DepthEvent {
  e: 'depthUpdate';
  E: number;
  s: string;
  U: number;
  u: number;
  b: RawLevel[];
  a: RawLevel[];
}

interface TradeEvent {
  e: 'trade';
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  /** buyer is the maker: the taker sold */
  m: boolean;
}

interface CombinedFrame {
  stream?: string;
  data?: DepthEvent | TradeEvent | { e?: string };
}

interface DepthSnapshot {
  lastUpdateId: number;
  bids: RawLevel[];
  asks: RawLevel[];
}

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    process.stderr.write(`naive-ingestor: ${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** One side of a book: price text → size text, best price tracked with Number(). */
class Side {
  readonly levels = new Map<string, string>();
  best: string | undefined;
  private bestNum = Number.NaN;

  constructor(private readonly isBid: boolean) {}

  clear(): void {
    this.levels.clear();
    this.best = undefined;
    this.bestNum = Number.NaN;
  }

  set(price: string, qty: string): void {
    if (Number(qty) === 0) {
      if (!this.levels.delete(price)) return;
      if (price === this.best) this.rescan();
      return;
    }
    this.levels.set(price, qty);
    const p = Number(price);
    if (this.best === undefined || (this.isBid ? p > this.bestNum : p < this.bestNum)) {
      this.best = price;
      this.bestNum = p;
    }
  }

  private rescan(): void {
    this.best = undefined;
    this.bestNum = Number.NaN;
    for (const price of this.levels.keys()) {
      const p = Number(price);
      if (this.best === undefined || (this.isBid ? p > this.bestNum : p < this.bestNum)) {
        this.best = price;
        this.bestNum = p;
      }
    }
  }
}

type SyncState = 'buffering' | 'waiting-straddle' | 'live';

interface SymbolBook {
  native: string;
  symbol: string;
  redisKey: string;
  subject: string;
  tradeSubject: string;
  bids: Side;
  asks: Side;
  state: SyncState;
  buffer: DepthEvent[];
  /** local update id: the last applied `u` (or the snapshot's lastUpdateId) */
  lastId: number;
  /** +1 per snapshot */
  epoch: number;
  /** top of book last published, `bidPx|bidSz|askPx|askSz` (for the tob-changed counter only) */
  lastTop: string;
}

const wsBase = env('VENUE_WS_URL').replace(/\/$/, '');
const restBase = env('VENUE_REST_URL').replace(/\/$/, '');
const httpPort = Number(env('HTTP_PORT', '0'));
const books = new Map<string, SymbolBook>();
for (const pair of env('SYMBOLS').split(',')) {
  const [native, symbol] = pair.split('=');
  if (native === undefined || symbol === undefined || native === '' || symbol === '') {
    process.stderr.write(`naive-ingestor: bad SYMBOLS entry "${pair}" (expected NATIVE=NORMALIZED)\n`);
    process.exit(2);
  }
  books.set(native.toUpperCase(), {
    native: native.toUpperCase(),
    symbol,
    redisKey: `naive:tob:${VENUE}:${symbol}`,
    subject: `naive.tob.${VENUE}.${symbol}`,
    tradeSubject: `naive.trade.${VENUE}.${symbol}`,
    bids: new Side(true),
    asks: new Side(false),
    state: 'buffering',
    buffer: [],
    lastId: -1,
    epoch: 0,
    lastTop: '',
  });
}

const counters = {
  frames: 0,
  depthApplied: 0,
  tobPublished: 0,
  tobChanged: 0,
  tradesPublished: 0,
  resyncs: 0,
  redisErrors: 0,
};

const redis = new Redis(env('REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
let nc: NatsConnection | undefined;
let venueWs: WebSocket | undefined;
let stopping = false;

/** Top of book of `b` as JSON → Redis SET, Redis PUBLISH (each awaited), then NATS. */
async function publishTop(b: SymbolBook, venueTs: number, recvTs: number): Promise<void> {
  const bidPx = b.bids.best ?? '';
  const askPx = b.asks.best ?? '';
  const tob: TopOfBook = {
    type: 'tob',
    venue: VENUE,
    symbol: b.symbol,
    bidPx,
    bidSz: bidPx === '' ? '' : b.bids.levels.get(bidPx)!,
    askPx,
    askSz: askPx === '' ? '' : b.asks.levels.get(askPx)!,
    epoch: b.epoch,
    seq: b.lastId,
    state: 'live',
    venueTs,
    recvTs,
    bookTs: nowMicros(),
  };
  const top = `${tob.bidPx}|${tob.bidSz}|${tob.askPx}|${tob.askSz}`;
  if (top !== b.lastTop) counters.tobChanged++;
  b.lastTop = top;
  const json = JSON.stringify(tob);
  try {
    await redis.set(b.redisKey, json);
    await redis.publish(b.subject, json);
  } catch {
    counters.redisErrors++;
  }
  nc?.publish(b.subject, json);
  counters.tobPublished++;
}

function applyEvent(b: SymbolBook, ev: DepthEvent): void {
  for (const [p, q] of ev.b) b.bids.set(p, q);
  for (const [p, q] of ev.a) b.asks.set(p, q);
  b.lastId = ev.u;
  counters.depthApplied++;
}

/** Starts over from a new snapshot, keeping `ev` (the event that showed the gap) as the first buffered one. */
function resync(b: SymbolBook, reason: string, ev?: DepthEvent): void {
  counters.resyncs++;
  process.stderr.write(`naive-ingestor: ${b.native} resync: ${reason}\n`);
  b.bids.clear();
  b.asks.clear();
  b.state = 'buffering';
  b.buffer = [];
  b.lastId = -1;
  if (ev !== undefined) onDepth(b, ev, nowMicros());
}

function onDepth(b: SymbolBook, ev: DepthEvent, recvTs: number): void {
  if (b.state === 'buffering') {
    b.buffer.push(ev);
    if (b.buffer.length === 1) void fetchSnapshot(b);
    return;
  }
  if (ev.u <= b.lastId) return;
  if (b.state === 'waiting-straddle') {
    if (ev.U > b.lastId + 1) return resync(b, `first event U ${ev.U} > lastUpdateId+1 ${b.lastId + 1}`, ev);
    applyEvent(b, ev);
    b.state = 'live';
    void publishTop(b, ev.E, recvTs);
    return;
  }
  if (ev.U !== b.lastId + 1) return resync(b, `U ${ev.U} != last u + 1 (${b.lastId + 1})`, ev);
  applyEvent(b, ev);
  void publishTop(b, ev.E, recvTs);
}

async function fetchSnapshot(b: SymbolBook): Promise<void> {
  for (let attempt = 0; !stopping; attempt++) {
    let snap: DepthSnapshot;
    try {
      const r = await fetch(`${restBase}/api/v3/depth?symbol=${b.native}&limit=1000`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      snap = (await r.json()) as DepthSnapshot;
    } catch (err) {
      process.stderr.write(`naive-ingestor: ${b.native} snapshot: ${String(err)}\n`);
      await new Promise((res) => setTimeout(res, Math.min(2000, 100 * 2 ** attempt)));
      continue;
    }
    if (b.state !== 'buffering' || b.buffer.length === 0) return; // superseded
    if (snap.lastUpdateId < b.buffer[0]!.U) {
      // older than the buffered events: fetch again
      await new Promise((res) => setTimeout(res, 50));
      continue;
    }
    b.bids.clear();
    b.asks.clear();
    for (const [p, q] of snap.bids) b.bids.set(p, q);
    for (const [p, q] of snap.asks) b.asks.set(p, q);
    b.lastId = snap.lastUpdateId;
    b.epoch++;
    b.state = 'waiting-straddle';
    const buffered = b.buffer;
    b.buffer = [];
    let last: DepthEvent | undefined;
    for (const ev of buffered) {
      if (ev.u <= b.lastId) continue;
      const ok = b.state === 'waiting-straddle' ? ev.U <= b.lastId + 1 : ev.U === b.lastId + 1;
      if (!ok) return resync(b, `buffered event U ${ev.U} does not follow ${b.lastId}`);
      applyEvent(b, ev);
      b.state = 'live';
      last = ev;
    }
    if (last !== undefined) void publishTop(b, last.E, nowMicros());
    return;
  }
}

function onFrame(raw: string, recvTs: number): void {
  counters.frames++;
  const frame = JSON.parse(raw) as CombinedFrame;
  const data = frame.data;
  if (data === undefined) return;
  if (data.e === 'depthUpdate') {
    const ev = data as DepthEvent;
    const b = books.get(ev.s);
    if (b !== undefined) onDepth(b, ev, recvTs);
  } else if (data.e === 'trade') {
    const t = data as TradeEvent;
    const b = books.get(t.s);
    if (b === undefined) return;
    nc?.publish(
      b.tradeSubject,
      JSON.stringify({
        type: 'trade',
        venue: VENUE,
        symbol: b.symbol,
        id: String(t.t),
        price: t.p,
        size: t.q,
        side: t.m ? 'sell' : 'buy',
        venueTs: t.T,
        recvTs,
      }),
    );
    counters.tradesPublished++;
  }
}

function connectVenue(): void {
  const streams = [...books.keys()].flatMap((s) => [
    `${s.toLowerCase()}@depth@100ms`,
    `${s.toLowerCase()}@trade`,
  ]);
  const ws = new WebSocket(`${wsBase}/stream?streams=${streams.join('/')}&timeUnit=MICROSECOND`);
  venueWs = ws;
  ws.on('message', (data) => {
    const recvTs = nowMicros();
    try {
      onFrame((data as Buffer).toString('utf8'), recvTs);
    } catch (err) {
      process.stderr.write(`naive-ingestor: bad frame: ${String(err)}\n`);
    }
  });
  ws.on('error', (err) => process.stderr.write(`naive-ingestor: venue ws: ${err.message}\n`));
  ws.on('close', () => {
    if (stopping) return;
    // Every book must be rebuilt from a new snapshot after a reconnect.
    for (const b of books.values()) resync(b, 'venue connection closed');
    setTimeout(connectVenue, 500);
  });
}

function metricsText(): string {
  const lines: string[] = [];
  const c = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
  };
  c('naive_ingestor_frames_total', 'WebSocket frames received from the venue', counters.frames);
  c('naive_ingestor_depth_applied_total', 'depth events applied to a live book', counters.depthApplied);
  c(
    'naive_ingestor_tob_published_total',
    'top-of-book messages published (one per applied event)',
    counters.tobPublished,
  );
  c(
    'naive_ingestor_tob_changed_total',
    'published tops that differ from the previous one',
    counters.tobChanged,
  );
  c('naive_ingestor_trades_published_total', 'trades published on NATS', counters.tradesPublished);
  c('naive_ingestor_resyncs_total', 'book resyncs', counters.resyncs);
  c('naive_ingestor_redis_errors_total', 'failed Redis SET/PUBLISH', counters.redisErrors);
  return `${lines.join('\n')}\n`;
}

const http = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText());
  } else if (path === '/healthz') {
    res.writeHead(200).end('ok\n');
  } else if (path === '/readyz') {
    const ready = nc !== undefined && redis.status === 'ready' && venueWs?.readyState === WebSocket.OPEN;
    res.writeHead(ready ? 200 : 503).end(ready ? 'ready\n' : 'not ready\n');
  } else {
    res.writeHead(404).end();
  }
});

async function main(): Promise<void> {
  await redis.connect();
  nc = await connect({ servers: env('NATS_URL').split(','), name: 'naive-ingestor' });
  await new Promise<void>((res) => http.listen(httpPort, env('HTTP_HOST', '127.0.0.1'), res));
  connectVenue();
}

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  venueWs?.close();
  http.close();
  await nc?.drain().catch(() => undefined);
  redis.disconnect();
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
main().catch((err: unknown) => {
  process.stderr.write(
    `naive-ingestor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
