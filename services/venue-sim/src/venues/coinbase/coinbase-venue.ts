/**
 * The Coinbase Advanced Trade public market-data protocol on top of its own `Market`:
 *
 * - WebSocket at `/` (the venue serves the feed at the root of `advanced-trade-ws.coinbase.com`,
 *   so `VENUE_WS_URL=ws://<sim>:<port>` works unchanged) and at `/coinbase` (an explicit alias);
 * - client messages `{"type":"subscribe"|"unsubscribe","product_ids":[..],"channel":".."}`, ONE
 *   channel per message; every (un)subscribe is answered by a `subscriptions` message listing the
 *   connection's subscriptions; unknown products get an error each (the others are subscribed);
 * - `level2` → `l2_data`: a `snapshot` of the whole book per newly subscribed product (after the
 *   `subscriptions` message), then one `update` per model update, absolute sizes, `"0"` removes;
 * - `market_trades`: a `snapshot` of the product's recent trades on subscribe, then one `update`
 *   per trade; `heartbeats`: one message per second per subscribed connection;
 * - `sequence_num`: ONE counter per connection, across every channel and product, from 0
 *   (the OBSERVED behaviour, PROTOCOLS.md §4.1); errors carry none;
 * - a connection that sends no subscribe within 5 s is closed (Advanced Trade overview);
 * - REST under `/api/v3/brokerage/` (rest.ts); ground truth is the full `pricebook`;
 * - faults: gap (the next `count` level2 updates of a product are applied to the model but not
 *   sent; each still consumes one `sequence_num` on every connection subscribed to it, so each
 *   suppressed message is one jump on that connection), disconnect, pause/resume.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizedSymbol, nowMicros, type Instrument } from '@tickmesh/contracts';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../log';
import type { Market } from '../../market/market';
import type { BookUpdate, SymbolModel, Trade } from '../../market/symbol-model';
import type { VenueProtocol, VenueSymbolStats } from '../venue';
import { StreamVenue } from '../stream-venue';
import { handleCoinbaseRest, pricebook, REST_PREFIX } from './rest';
import {
  envelope,
  errorMessage,
  heartbeatEvents,
  l2SnapshotEvents,
  l2UpdateEvents,
  rfc3339,
  subscriptionsEvents,
  tradeJson,
  tradesEvents,
  withSequence,
  type EnvelopeParts,
} from './wire';

/** Channels that carry data in the simulator. */
export const DATA_CHANNELS = ['level2', 'market_trades', 'heartbeats'] as const;
/** Public channels of the venue the simulator accepts but does not feed. */
export const SILENT_CHANNELS = ['ticker', 'ticker_batch', 'candles', 'status'] as const;
/** Channels that need a CDP key on the venue. */
export const AUTH_CHANNELS = ['user', 'futures_balance_summary'] as const;
export const WS_PATHS: readonly string[] = ['/', '/coinbase'];
const RECENT_TRADES = 50;
const MAX_CLIENT_PAYLOAD = 64 * 1024;

export interface CoinbaseVenueOptions {
  /** control-API name; default `coinbase` */
  name?: string;
  /** slow-consumer threshold: close with 1008 beyond this many unsent bytes */
  maxBufferedBytes: number;
  /** heartbeat period, default 1000 ms (the venue's) */
  heartbeatIntervalMs?: number;
  /** close a connection without a subscribe after this long; default 5000, 0 = never */
  subscribeTimeoutMs?: number;
  /** what `market_trades[].side` carries: `maker` (default) or `taker`; see README.md */
  tradeSide?: 'maker' | 'taker';
}

interface Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  /** next sequence_num */
  seq: number;
  /** channel → products, in subscription order */
  readonly subs: Map<string, Set<string>>;
  heartbeatCounter: number;
  subscribed: boolean;
  closing: boolean;
  deadline: ReturnType<typeof setTimeout> | undefined;
}

interface ProductState extends VenueSymbolStats {
  readonly level2: Set<Conn>;
  readonly trades: Set<Conn>;
  /** recent trade objects (wire text), oldest first */
  readonly recent: string[];
}

export class CoinbaseVenue extends StreamVenue<Conn> implements VenueProtocol {
  readonly name: string;
  private readonly heartbeatIntervalMs: number;
  private readonly subscribeTimeoutMs: number;
  private readonly tradeSide: 'maker' | 'taker';
  protected readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly heartbeatConns = new Set<Conn>();
  private readonly products = new Map<string, ProductState>();
  protected readonly unlisten: () => void;
  private readonly startedAt = performance.now();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;

  constructor(
    readonly market: Market,
    private readonly opts: CoinbaseVenueOptions,
    private readonly log: Logger,
  ) {
    super();
    this.name = opts.name ?? 'coinbase';
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1000;
    this.subscribeTimeoutMs = opts.subscribeTimeoutMs ?? 5000;
    this.tradeSide = opts.tradeSide ?? 'maker';
    for (const product of market.symbols) {
      this.products.set(product, {
        level2: new Set(),
        trades: new Set(),
        recent: [],
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

  /** tickmesh instrument records of the simulated products (`BTC-USD` ↔ `BTC-USD`). */
  get instruments(): Instrument[] {
    return this.market.symbols.map((p) => {
      const s = this.market.model(p)!.spec;
      return {
        venue: this.name,
        symbol: normalizedSymbol(s.base, s.quote, 'spot'),
        native: s.native,
        base: s.base,
        quote: s.quote,
        kind: 'spot',
        priceDecimals: s.priceDecimals,
        sizeDecimals: s.sizeDecimals,
      };
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      url.pathname.startsWith(REST_PREFIX) &&
      this.faults.takeRest(res, '{"error":"RESOURCE_EXHAUSTED","message":"Too many requests"}')
    )
      return true;
    return handleCoinbaseRest(req, res, url, this.market);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (!WS_PATHS.includes(url.pathname)) return false;
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, remote));
    return true;
  }

  /** The model's full book, in the REST `product_book` shape. */
  groundTruth(symbol: string): string | undefined {
    const model = this.market.model(symbol);
    return model === undefined ? undefined : `{"pricebook":${pricebook(model)}}`;
  }

  dropBookEvents(symbol: string, count: number): number {
    const p = this.products.get(symbol);
    if (p === undefined) throw new Error(`unknown symbol ${symbol}`);
    p.depthDropPending += count;
    return p.depthDropPending;
  }

  protected statsSymbols(): Iterable<[string, VenueSymbolStats]> {
    return this.products;
  }

  protected stopTimers(): void {
    this.stopHeartbeats();
  }

  // ---- connections -------------------------------------------------------------------------

  private add(ws: WebSocket, remote: string): void {
    const conn: Conn = {
      id: this.nextId++,
      ws,
      remote,
      seq: 0,
      subs: new Map(),
      heartbeatCounter: 0,
      subscribed: false,
      closing: false,
      deadline: undefined,
    };
    this.conns.add(conn);
    if (this.subscribeTimeoutMs > 0) {
      conn.deadline = setTimeout(() => {
        if (conn.subscribed || conn.closing) return;
        this.log.info({ conn: conn.id, remote }, 'no subscribe within the deadline: closing');
        conn.closing = true;
        ws.close(1008, 'no subscribe message received');
      }, this.subscribeTimeoutMs);
    }
    ws.on('message', (data: RawData) => this.onMessage(conn, toText(data)));
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'ws error'));
    ws.on('close', (code) => {
      this.remove(conn);
      this.log.debug({ conn: conn.id, code }, 'ws closed');
    });
    this.log.debug({ conn: conn.id, remote }, 'ws connected');
  }

  private remove(conn: Conn): void {
    clearTimeout(conn.deadline);
    for (const p of this.products.values()) {
      p.level2.delete(conn);
      p.trades.delete(conn);
    }
    this.heartbeatConns.delete(conn);
    if (this.heartbeatConns.size === 0) this.stopHeartbeats();
    this.conns.delete(conn);
  }

  /** Sends one enveloped message with the connection's next sequence_num. */
  private send(conn: Conn, parts: EnvelopeParts): boolean {
    return this.sendText(conn, () => withSequence(parts, conn.seq++));
  }

  /** Sends a frame rendered only if the connection can take it. */
  private sendText(conn: Conn, text: () => string): boolean {
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
    conn.ws.send(text(), { binary: false });
    return true;
  }

  private sendError(conn: Conn, message: string, reason?: string): void {
    if (conn.closing || conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(errorMessage(message, reason), { binary: false });
  }

  // ---- client messages ---------------------------------------------------------------------

  private onMessage(conn: Conn, text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.sendError(conn, 'Failed to parse message', 'invalid JSON');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
      return this.sendError(conn, 'Failed to parse message', 'message must be a JSON object');
    const m = msg as Record<string, unknown>;
    const type = m['type'];
    if (type !== 'subscribe' && type !== 'unsubscribe')
      return this.sendError(
        conn,
        `unknown message type ${JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}`,
      );
    const channel = m['channel'];
    if (typeof channel !== 'string') {
      const why =
        'channels' in m ? 'one channel per message: use "channel", not "channels"' : '"channel" is required';
      return this.sendError(conn, `Failed to ${type}`, why);
    }
    if ((AUTH_CHANNELS as readonly string[]).includes(channel))
      return this.sendError(conn, `Failed to ${type}`, `channel ${channel} requires authentication`);
    if (
      !(DATA_CHANNELS as readonly string[]).includes(channel) &&
      !(SILENT_CHANNELS as readonly string[]).includes(channel)
    )
      return this.sendError(
        conn,
        `Failed to ${type}`,
        `unknown channel ${JSON.stringify(channel.slice(0, 40))}`,
      );
    const raw = m['product_ids'] ?? [];
    if (!Array.isArray(raw) || !raw.every((p): p is string => typeof p === 'string' && p.length <= 64))
      return this.sendError(conn, `Failed to ${type}`, '"product_ids" must be an array of strings');
    if (type === 'subscribe') this.subscribe(conn, channel, raw);
    else this.unsubscribe(conn, channel, raw);
  }

  private subscribe(conn: Conn, channel: string, ids: string[]): void {
    conn.subscribed = true;
    clearTimeout(conn.deadline);
    if (ids.length === 0 && channel !== 'heartbeats' && channel !== 'status')
      return this.sendError(conn, 'Failed to subscribe', `channel ${channel} needs product_ids`);
    const known: string[] = [];
    for (const id of new Set(ids)) {
      if (this.products.has(id)) known.push(id);
      else
        this.sendError(
          conn,
          'Failed to subscribe',
          `${JSON.stringify(id).slice(1, -1)} is not a valid product`,
        );
    }
    let set = conn.subs.get(channel);
    if (set === undefined) conn.subs.set(channel, (set = new Set()));
    const fresh = known.filter((p) => !set.has(p));
    for (const p of fresh) set.add(p);
    if (channel === 'heartbeats') this.startHeartbeats(conn);
    this.sendSubscriptions(conn);
    const us = nowMicros();
    const time = rfc3339(us);
    for (const product of fresh) {
      const state = this.products.get(product)!;
      const model = this.market.model(product)!;
      if (channel === 'level2') {
        state.level2.add(conn);
        const events = l2SnapshotEvents(model.spec, model.bids.levels(), model.asks.levels(), time);
        if (this.send(conn, envelope('l2_data', time, events))) state.framesSent++;
      } else if (channel === 'market_trades') {
        state.trades.add(conn);
        if (this.send(conn, envelope('market_trades', time, tradesEvents('snapshot', state.recent))))
          state.framesSent++;
      }
    }
  }

  private unsubscribe(conn: Conn, channel: string, ids: string[]): void {
    const set = conn.subs.get(channel);
    // "You can also unsubscribe from a channel entirely by providing no product IDs."
    const gone = set === undefined ? [] : ids.length === 0 ? [...set] : ids.filter((p) => set.has(p));
    for (const p of gone) {
      set!.delete(p);
      const state = this.products.get(p);
      if (channel === 'level2') state?.level2.delete(conn);
      if (channel === 'market_trades') state?.trades.delete(conn);
    }
    if (set !== undefined && (set.size === 0 || ids.length === 0)) {
      conn.subs.delete(channel);
      if (channel === 'heartbeats') {
        this.heartbeatConns.delete(conn);
        if (this.heartbeatConns.size === 0) this.stopHeartbeats();
      }
    }
    this.sendSubscriptions(conn);
  }

  private sendSubscriptions(conn: Conn): void {
    const time = rfc3339(nowMicros());
    this.send(conn, envelope('subscriptions', time, subscriptionsEvents(conn.subs)));
  }

  private startHeartbeats(conn: Conn): void {
    this.heartbeatConns.add(conn);
    this.heartbeatTimer ??= setInterval(() => this.beat(), this.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private beat(): void {
    const us = nowMicros();
    const time = rfc3339(us);
    const uptime = performance.now() - this.startedAt;
    for (const c of this.heartbeatConns)
      this.send(c, envelope('heartbeats', time, heartbeatEvents(us, ++c.heartbeatCounter, uptime)));
  }

  // ---- market events -----------------------------------------------------------------------

  private onDepth(model: SymbolModel, update: BookUpdate): void {
    const p = this.products.get(update.symbol)!;
    if (p.depthDropPending > 0) {
      p.depthDropPending--;
      p.depthDropped++;
      // the message is lost on the way: each subscriber's counter still moves past it
      for (const c of p.level2) if (!c.closing) c.seq++;
      this.log.debug({ symbol: update.symbol, seq: update.lastId }, 'gap fault: l2_data update dropped');
      return;
    }
    p.depthSent++;
    if (p.level2.size === 0) return;
    const time = rfc3339(nowMicros());
    const parts = envelope('l2_data', time, l2UpdateEvents(model.spec, update.changes, time));
    // sequence_num is taken now: a reordered frame keeps its number, a duplicate repeats it
    const frames: [Conn, string][] = [];
    for (const c of p.level2) {
      if (!c.closing && c.ws.readyState === c.ws.OPEN) frames.push([c, withSequence(parts, c.seq++)]);
    }
    p.framesSent += this.faults.emitBook(update.symbol, () =>
      frames.reduce((n, [c, f]) => n + (this.sendText(c, () => f) ? 1 : 0), 0),
    );
  }

  private onTrade(model: SymbolModel, trade: Trade): void {
    const p = this.products.get(trade.symbol)!;
    p.tradesSent++;
    const time = rfc3339(nowMicros());
    const item = tradeJson(model.spec, trade, time, this.tradeSide);
    p.recent.push(item);
    if (p.recent.length > RECENT_TRADES) p.recent.shift();
    if (p.trades.size === 0) return;
    const parts = envelope('market_trades', time, tradesEvents('update', [item]));
    for (const c of p.trades) if (this.send(c, parts)) p.framesSent++;
  }
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
