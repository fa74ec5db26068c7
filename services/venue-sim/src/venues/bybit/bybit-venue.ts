/**
 * The Bybit v5 public protocol of one category (`spot` → venue `bybit`, `linear` → `bybitlinear`)
 * on top of its own `Market`:
 *
 * - WebSocket `/v5/public/<category>`; client ops `subscribe`, `unsubscribe`, `ping` with the acks
 *   and pongs of "Connect" (spot and linear differ; see wire.ts);
 * - `orderbook.{1|50|200|1000}.{symbol}`: a `snapshot` right after the subscribe ack, then a `delta`
 *   per model update that changes the top-`depth` view, `u` +1 per message of the topic, `seq` = the
 *   model's update id (cross sequence: increasing, not consecutive). Level 1 sends snapshots only;
 * - `publicTrade.{symbol}`: one trade per message, `S` = taker side, futures add `L`;
 * - REST `/v5/market/instruments-info`, `/v5/market/orderbook`, `/v5/market/time` (rest.ts);
 * - faults: gap (the next `count` model updates are applied but not sent on any book topic of the
 *   symbol; each consumes one `u` of every topic, so each subscriber sees exactly one jump per
 *   suppressed message), disconnect, pause/resume, and `restartService` (a `u = 1` snapshot, as
 *   after a venue service restart; not reachable through /sim/faults yet);
 * - a connection that sends nothing (no ping, no op) for `idleTimeoutMs` is closed (default 10 min,
 *   the private-stream figure of "Connect"; whether public streams do this is undocumented).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizedSymbol, nowMicros, type Instrument } from '@tickmesh/contracts';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../log';
import type { Market } from '../../market/market';
import type { BookUpdate, SymbolModel, Trade } from '../../market/symbol-model';
import type { VenueProtocol, VenueSymbolStats } from '../venue';
import { StreamVenue } from '../stream-venue';
import { DepthWindow } from './depth-window';
import { handleBybitRest } from './rest';
import {
  bookMessage,
  envelope,
  opReply,
  restBookResult,
  tickDirection,
  tradeMessage,
  type Category,
  type TickDirection,
} from './wire';

export const BOOK_DEPTHS: readonly number[] = [1, 50, 200, 1000];
/** "Spot: at most 10 args per subscribe request" (Connect, "Args limits"). */
export const SPOT_MAX_ARGS = 10;
/** "The args array may not exceed 21,000 characters per connection". */
export const MAX_ARGS_CHARS = 21_000;
const MAX_CLIENT_PAYLOAD = 64 * 1024;
/** The REST book's `u` is the 1000-level topic's. */
const REST_DEPTH = 1000;

export interface BybitVenueOptions {
  category: Category;
  /** control-API name; default `bybit` (spot) / `bybitlinear` (linear) */
  name?: string;
  /** close a connection that sent no frame for this long (ms); default 600 000 */
  idleTimeoutMs?: number;
  /** send deletes for levels pushed out of a depth view (default true; see depth-window.ts) */
  windowExitDeletes?: boolean;
  /** slow-consumer threshold: close with 1008 beyond this many unsent bytes */
  maxBufferedBytes: number;
  /** this instance answers /v5/market requests for categories nobody serves (one instance should) */
  answersUnknownCategories?: boolean;
}

interface Conn {
  readonly id: number;
  readonly connId: string;
  readonly ws: WebSocket;
  readonly remote: string;
  readonly topics: Set<string>;
  argsChars: number;
  lastClientAt: number;
  closing: boolean;
}

interface Topic {
  readonly name: string;
  readonly subscribers: Set<Conn>;
}

interface BookTopic extends Topic {
  readonly window: DepthWindow;
}

interface SymbolState extends VenueSymbolStats {
  /** depth → topic, created on first use and kept (its `u` is the venue's, not a subscriber's) */
  readonly books: Map<number, BookTopic>;
  readonly trades: Topic;
  lastTradeTicks: number | undefined;
  lastTick: TickDirection;
}

type ParsedTopic = { kind: 'book'; symbol: string; depth: number } | { kind: 'trade'; symbol: string };

export class BybitVenue extends StreamVenue<Conn> implements VenueProtocol {
  readonly name: string;
  readonly category: Category;
  private readonly path: string;
  private readonly idleTimeoutMs: number;
  private readonly exitDeletes: boolean;
  protected readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly symbols = new Map<string, SymbolState>();
  protected readonly unlisten: () => void;
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;

  constructor(
    readonly market: Market,
    private readonly opts: BybitVenueOptions,
    private readonly log: Logger,
  ) {
    super();
    this.category = opts.category;
    this.name = opts.name ?? (opts.category === 'spot' ? 'bybit' : 'bybitlinear');
    this.path = `/v5/public/${opts.category}`;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 600_000;
    this.exitDeletes = opts.windowExitDeletes ?? true;
    for (const symbol of market.symbols) {
      this.symbols.set(symbol, {
        books: new Map(),
        trades: { name: `publicTrade.${symbol}`, subscribers: new Set() },
        lastTradeTicks: undefined,
        lastTick: 'PlusTick',
        depthSent: 0,
        depthDropped: 0,
        depthDropPending: 0,
        tradesSent: 0,
        framesSent: 0,
      });
    }
    this.unlisten = market.listen({
      depth: (m, u) => this.onDepth(m, u),
      trade: (m, t) => this.onTrade(m, t),
    });
  }

  /** tickmesh instrument records of the simulated symbols (linear: `BASE-QUOTE-PERP`). */
  get instruments(): Instrument[] {
    const kind = this.category === 'spot' ? 'spot' : 'perp';
    return this.market.symbols.map((symbol) => {
      const s = this.market.model(symbol)!.spec;
      return {
        venue: this.name,
        symbol: normalizedSymbol(s.base, s.quote, kind),
        native: s.native,
        base: s.base,
        quote: s.quote,
        kind,
        priceDecimals: s.priceDecimals,
        sizeDecimals: s.sizeDecimals,
      };
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      url.pathname.startsWith('/v5/market/') &&
      url.searchParams.get('category') === this.category &&
      this.faults.takeRest(res, envelope('{}', Date.now(), 10006, 'Too many visits!'))
    )
      return true;
    return handleBybitRest(req, res, url, {
      category: this.category,
      market: this.market,
      restU: (symbol) => this.bookTopic(symbol, REST_DEPTH).window.u,
      answersUnknownCategories: this.opts.answersUnknownCategories ?? this.category === 'spot',
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (url.pathname !== this.path) return false;
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, remote));
    return true;
  }

  /** The model's full book, `GET /v5/market/orderbook` shape (`u`: the 1000-level topic's). */
  groundTruth(symbol: string): string | undefined {
    const model = this.market.model(symbol);
    if (model === undefined) return undefined;
    const now = Date.now();
    const u = this.bookTopic(symbol, REST_DEPTH).window.u;
    return envelope(
      restBookResult(model.spec, model.bids.levels(), model.asks.levels(), u, model.updateId, now),
      now,
    );
  }

  dropBookEvents(symbol: string, count: number): number {
    const s = this.symbols.get(symbol);
    if (s === undefined) throw new Error(`unknown symbol ${symbol}`);
    s.depthDropPending += count;
    return s.depthDropPending;
  }

  /**
   * A venue service restart: every book topic of the symbol (all symbols when omitted) restarts at
   * `u = 1` with a snapshot to its subscribers ("u=1 ... snapshot data due to the restart of the
   * service", orderbook.mdx). Returns the number of topics restarted.
   */
  restartService(symbol?: string): number {
    let n = 0;
    for (const [name, s] of this.symbols) {
      if (symbol !== undefined && name !== symbol) continue;
      const model = this.market.model(name)!;
      for (const t of s.books.values()) {
        t.window.u = 1;
        n++;
        if (t.subscribers.size > 0) s.framesSent += this.sendAll(t.subscribers, this.snapshotOf(model, t));
      }
    }
    return n;
  }

  protected statsSymbols(): Iterable<[string, VenueSymbolStats]> {
    return this.symbols;
  }

  protected stopTimers(): void {
    this.stopIdleTimer();
  }

  // ---- connections -------------------------------------------------------------------------

  private add(ws: WebSocket, remote: string): void {
    const conn: Conn = {
      id: this.nextId++,
      connId: randomUUID(),
      ws,
      remote,
      topics: new Set(),
      argsChars: 0,
      lastClientAt: performance.now(),
      closing: false,
    };
    this.conns.add(conn);
    ws.on('message', (data: RawData) => this.onMessage(conn, toText(data)));
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'ws error'));
    ws.on('close', (code) => {
      this.remove(conn);
      this.log.debug({ conn: conn.id, code }, 'ws closed');
    });
    this.idleTimer ??= setInterval(
      () => this.checkIdle(),
      Math.max(10, Math.min(1000, Math.floor(this.idleTimeoutMs / 4))),
    );
    this.log.debug({ conn: conn.id, remote, path: this.path }, 'ws connected');
  }

  private remove(conn: Conn): void {
    for (const name of conn.topics) this.topic(name)?.subscribers.delete(conn);
    conn.topics.clear();
    this.conns.delete(conn);
    if (this.conns.size === 0) this.stopIdleTimer();
  }

  private checkIdle(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.closing || now - c.lastClientAt <= this.idleTimeoutMs) continue;
      this.log.info({ conn: c.id, remote: c.remote }, 'no ping within the idle timeout: closing');
      c.closing = true;
      c.ws.close(1000, 'idle timeout: no ping');
    }
  }

  private stopIdleTimer(): void {
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
  }

  private send(conn: Conn, frame: Buffer | string): boolean {
    if (conn.closing || conn.ws.readyState !== conn.ws.OPEN) return false;
    if (conn.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.log.warn(
        { conn: conn.id, remote: conn.remote, bufferedBytes: conn.ws.bufferedAmount },
        'slow consumer: closing with 1008',
      );
      conn.closing = true;
      conn.ws.close(1008, 'slow consumer');
      return false;
    }
    conn.ws.send(frame, { binary: false });
    return true;
  }

  /** Serialize once, send to every subscriber; returns the frames written. */
  private sendAll(subscribers: Iterable<Conn>, text: string): number {
    const frame = Buffer.from(text);
    let n = 0;
    for (const c of subscribers) if (this.send(c, frame)) n++;
    return n;
  }

  // ---- client ops --------------------------------------------------------------------------

  private onMessage(conn: Conn, text: string): void {
    conn.lastClientAt = performance.now();
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.reply(conn, false, 'error:invalid JSON', undefined, '');
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.reply(conn, false, 'error:request must be a JSON object', undefined, '');
      return;
    }
    const m = msg as Record<string, unknown>;
    const rawReq = m['req_id'];
    const reqId =
      typeof rawReq === 'string'
        ? rawReq.slice(0, 64)
        : typeof rawReq === 'number'
          ? String(rawReq)
          : undefined;
    const op = typeof m['op'] === 'string' ? m['op'] : '';
    switch (op) {
      case 'ping':
        this.send(
          conn,
          opReply({
            category: this.category,
            success: true,
            retMsg: 'pong',
            connId: conn.connId,
            reqId,
            op: 'ping',
            withReqId: this.category !== 'spot',
          }),
        );
        return;
      case 'subscribe':
        this.subscribe(conn, m['args'], reqId);
        return;
      case 'unsubscribe':
        this.unsubscribe(conn, m['args'], reqId);
        return;
      default:
        this.reply(
          conn,
          false,
          `error:unsupported op ${JSON.stringify(op).slice(0, 40)}`,
          reqId,
          op.slice(0, 32),
        );
    }
  }

  private reply(conn: Conn, success: boolean, retMsg: string, reqId: string | undefined, op: string): void {
    this.send(conn, opReply({ category: this.category, success, retMsg, connId: conn.connId, reqId, op }));
  }

  private subscribe(conn: Conn, args: unknown, reqId: string | undefined): void {
    const topics = stringArgs(args);
    if (topics === undefined)
      return this.reply(conn, false, 'error:args must be a non-empty array of strings', reqId, 'subscribe');
    if (this.category === 'spot' && topics.length > SPOT_MAX_ARGS)
      return this.reply(conn, false, `error:args size exceeds ${SPOT_MAX_ARGS}`, reqId, 'subscribe');
    const chars = topics.reduce((n, t) => n + t.length, 0);
    if (conn.argsChars + chars > MAX_ARGS_CHARS)
      return this.reply(conn, false, `error:args exceed ${MAX_ARGS_CHARS} characters`, reqId, 'subscribe');
    const unknown: string[] = [];
    const already: string[] = [];
    const fresh: ParsedTopic[] = [];
    for (const name of topics) {
      const t = this.parseTopic(name);
      if (t === undefined) unknown.push(name);
      else if (conn.topics.has(name) || fresh.some((f) => topicName(f) === name)) already.push(name);
      else fresh.push(t);
    }
    for (const t of fresh) {
      const topic =
        t.kind === 'book' ? this.bookTopic(t.symbol, t.depth) : this.symbols.get(t.symbol)!.trades;
      topic.subscribers.add(conn);
      conn.topics.add(topic.name);
      conn.argsChars += topic.name.length;
    }
    if (unknown.length > 0) {
      this.reply(conn, false, `error:handler not found,topic:${unknown.join(',topic:')}`, reqId, 'subscribe');
    } else if (already.length > 0) {
      this.reply(
        conn,
        false,
        `error:already subscribed,topic:${already.join(',topic:')}`,
        reqId,
        'subscribe',
      );
    } else {
      this.reply(conn, true, this.category === 'spot' ? 'subscribe' : '', reqId, 'subscribe');
    }
    // "Once you have subscribed successfully, you will receive a snapshot" (orderbook.mdx)
    for (const t of fresh) {
      if (t.kind !== 'book') continue;
      const s = this.symbols.get(t.symbol)!;
      if (this.send(conn, this.snapshotOf(this.market.model(t.symbol)!, this.bookTopic(t.symbol, t.depth))))
        s.framesSent++;
    }
  }

  private unsubscribe(conn: Conn, args: unknown, reqId: string | undefined): void {
    const topics = stringArgs(args);
    if (topics === undefined)
      return this.reply(conn, false, 'error:args must be a non-empty array of strings', reqId, 'unsubscribe');
    for (const name of topics) {
      if (!conn.topics.delete(name)) continue;
      conn.argsChars -= name.length;
      this.topic(name)?.subscribers.delete(conn);
    }
    this.reply(conn, true, this.category === 'spot' ? 'unsubscribe' : '', reqId, 'unsubscribe');
  }

  private parseTopic(name: string): ParsedTopic | undefined {
    const parts = name.split('.');
    if (parts.length === 3 && parts[0] === 'orderbook') {
      const depth = /^[0-9]{1,4}$/.test(parts[1]!) ? Number(parts[1]) : NaN;
      if (!BOOK_DEPTHS.includes(depth) || !this.symbols.has(parts[2]!)) return undefined;
      return { kind: 'book', symbol: parts[2]!, depth };
    }
    if (parts.length === 2 && parts[0] === 'publicTrade' && this.symbols.has(parts[1]!))
      return { kind: 'trade', symbol: parts[1]! };
    return undefined;
  }

  private topic(name: string): Topic | undefined {
    const t = this.parseTopic(name);
    if (t === undefined) return undefined;
    const s = this.symbols.get(t.symbol)!;
    return t.kind === 'trade' ? s.trades : s.books.get(t.depth);
  }

  /** The symbol's topic at `depth`, created at the model's current state (its `u` starts at the model's update id). */
  private bookTopic(symbol: string, depth: number): BookTopic {
    const s = this.symbols.get(symbol)!;
    let t = s.books.get(depth);
    if (t === undefined) {
      const model = this.market.model(symbol)!;
      t = {
        name: `orderbook.${depth}.${symbol}`,
        subscribers: new Set(),
        window: new DepthWindow(depth, model, model.updateId, this.exitDeletes),
      };
      s.books.set(depth, t);
    }
    return t;
  }

  private snapshotOf(model: SymbolModel, t: BookTopic): string {
    const { bids, asks } = t.window.levels(model);
    return bookMessage({
      category: this.category,
      depth: t.window.depth,
      type: 'snapshot',
      spec: model.spec,
      bids,
      asks,
      u: t.window.u,
      seq: model.updateId,
      sendUs: nowMicros(),
    });
  }

  // ---- market events -----------------------------------------------------------------------

  private onDepth(model: SymbolModel, update: BookUpdate): void {
    const s = this.symbols.get(update.symbol)!;
    const drop = s.depthDropPending > 0;
    if (drop) {
      s.depthDropPending--;
      s.depthDropped++;
      this.log.debug({ symbol: update.symbol, seq: update.lastId }, 'gap fault: book message dropped');
    } else {
      s.depthSent++;
    }
    let sendUs = 0;
    const out: [Set<Conn>, string][] = [];
    for (const t of s.books.values()) {
      const change = t.window.advance(model, update);
      if (drop) {
        t.window.u++;
        continue;
      }
      if (change === undefined) continue;
      t.window.u++;
      if (t.subscribers.size === 0) continue;
      sendUs ||= nowMicros();
      const level1 = t.window.depth === 1;
      const text = bookMessage({
        category: this.category,
        depth: t.window.depth,
        type: level1 ? 'snapshot' : 'delta',
        spec: model.spec,
        ...(level1 ? t.window.levels(model) : change),
        u: t.window.u,
        seq: update.lastId,
        sendUs,
      });
      out.push([t.subscribers, text]);
    }
    if (out.length === 0) return;
    // one update is one book message per depth topic: duplicated or reordered together
    s.framesSent += this.faults.emitBook(update.symbol, () =>
      out.reduce((n, [subs, text]) => n + this.sendAll(subs, text), 0),
    );
  }

  private onTrade(model: SymbolModel, trade: Trade): void {
    const s = this.symbols.get(trade.symbol)!;
    s.tradesSent++;
    s.lastTick = tickDirection(trade.ticks, s.lastTradeTicks, s.lastTick);
    s.lastTradeTicks = trade.ticks;
    if (s.trades.subscribers.size === 0) return;
    const text = tradeMessage({
      category: this.category,
      spec: model.spec,
      trade,
      tick: s.lastTick,
      seq: model.updateId,
      sendUs: nowMicros(),
    });
    s.framesSent += this.sendAll(s.trades.subscribers, text);
  }
}

function topicName(t: ParsedTopic): string {
  return t.kind === 'book' ? `orderbook.${t.depth}.${t.symbol}` : `publicTrade.${t.symbol}`;
}

function stringArgs(args: unknown): string[] | undefined {
  if (!Array.isArray(args) || args.length === 0) return undefined;
  if (!args.every((a): a is string => typeof a === 'string' && a.length > 0 && a.length <= 100))
    return undefined;
  return args;
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
