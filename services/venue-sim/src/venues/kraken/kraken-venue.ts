/**
 * The Kraken Spot WebSocket v2 public protocol on top of its own `Market` (venue `kraken`):
 *
 * - WebSocket `/v2`; a `status` message on connect; client requests `subscribe`, `unsubscribe` and
 *   `ping` with the acks (one per symbol), rejections and pong of PROTOCOLS.md §3.1; a
 *   `{"channel":"heartbeat"}` every `heartbeatMs` to connections with at least one subscription;
 * - `book` (depth 10, 25, 100, 500, 1000): a `snapshot` after the ack (unless `snapshot: false`),
 *   then an `update` per model update that changes the subscribed view (book-view.ts: levels
 *   falling out of scope are left to the client's truncation), every message with the checksum of
 *   the model's top 10 levels (wire.ts);
 * - `trade`: one message per model trade, `side` = the taker's side, `trade_id` sequential; with
 *   `snapshot: true` the last 50 trades first (the default is false, as documented);
 * - REST `/0/public/AssetPairs`, `/0/public/Depth`, `/0/public/Time` (rest.ts);
 * - faults: `gap` (the next `count` model updates that change the top 10 levels are applied but sent
 *   on no book subscription of the symbol, so the next message's checksum no longer matches a
 *   client's book), `corruptChecksums` (the next `count` book messages carry a wrong checksum; a
 *   method, not reachable through /sim/faults yet), disconnect, pause/resume.
 *
 * Symbols: the market's symbols are the v2 natives (`BTC/USDT`). Ground truth and faults accept the
 * native, the simulator's configured symbol (`BTCUSDT`) or the REST names (`XBTUSDT`, `XBT/USDT`).
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
import { BookView } from './book-view';
import { depthBody, handleKrakenRest, pairNames } from './rest';
import {
  ackMessage,
  bookChecksum,
  bookMessage,
  CHECKSUM_LEVELS,
  errorMessage,
  HEARTBEAT,
  pongMessage,
  statusMessage,
  tradeMessage,
  type SentTrade,
  type Times,
} from './wire';

export const WS_PATH = '/v2';
/** `depth` values of the v2 `book` channel ("Book (Level 2)"). */
export const BOOK_DEPTHS: readonly number[] = [10, 25, 100, 500, 1000];
/** Trades replayed by a `trade` subscription with `snapshot: true` (v1 documents 50). */
export const TRADE_SNAPSHOT_SIZE = 50;
const MAX_CLIENT_PAYLOAD = 64 * 1024;
const MAX_SYMBOLS_PER_REQUEST = 1000;

export interface KrakenVenueOptions {
  /** control-API name; default `kraken` */
  name?: string;
  /** period of `{"channel":"heartbeat"}` to subscribed connections (ms); default 1000 */
  heartbeatMs?: number;
  /** slow-consumer threshold: close with 1008 beyond this many unsent bytes */
  maxBufferedBytes: number;
  /** extra names (the simulator's configured symbols, `BTCUSDT`) → market symbol (`BTC/USDT`) */
  aliases?: ReadonlyMap<string, string>;
}

interface Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  /** symbol → subscribed book depth */
  readonly books: Map<string, number>;
  readonly trades: Set<string>;
  closing: boolean;
}

interface BookSub {
  readonly view: BookView;
  readonly subscribers: Set<Conn>;
}

interface SymbolState extends VenueSymbolStats {
  /** depth → subscription view; created on first subscription, dropped when the last one leaves */
  readonly books: Map<number, BookSub>;
  readonly trades: Set<Conn>;
  readonly recentTrades: SentTrade[];
  /** checksum of the model's top 10 levels after the last update */
  checksum: number;
  corruptPending: number;
}

type Request = Record<string, unknown>;

export class KrakenVenue extends StreamVenue<Conn> implements VenueProtocol {
  readonly name: string;
  private readonly heartbeatMs: number;
  protected readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly symbols = new Map<string, SymbolState>();
  private readonly names = new Map<string, string>();
  protected readonly unlisten: () => void;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;

  constructor(
    readonly market: Market,
    private readonly opts: KrakenVenueOptions,
    private readonly log: Logger,
  ) {
    super();
    this.name = opts.name ?? 'kraken';
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    for (const symbol of market.symbols) {
      const model = market.model(symbol)!;
      this.symbols.set(symbol, {
        books: new Map(),
        trades: new Set(),
        recentTrades: [],
        checksum: topChecksum(model),
        corruptPending: 0,
        depthSent: 0,
        depthDropped: 0,
        depthDropPending: 0,
        tradesSent: 0,
        framesSent: 0,
      });
      const n = pairNames(model.spec);
      for (const name of [symbol, n.key, n.wsname]) this.names.set(name, symbol);
    }
    for (const [alias, symbol] of opts.aliases ?? [])
      if (this.symbols.has(symbol)) this.names.set(alias, symbol);
    this.unlisten = market.listen({
      depth: (m, u) => this.onDepth(m, u),
      trade: (m, t) => this.onTrade(m, t),
    });
  }

  /** tickmesh instrument records of the simulated pairs (what the adapter builds from AssetPairs). */
  get instruments(): Instrument[] {
    return this.market.symbols.map((symbol) => {
      const s = this.market.model(symbol)!.spec;
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

  /** The market symbol (v2 native) of any accepted name, or undefined. */
  resolve(name: string): string | undefined {
    return this.names.get(name);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      url.pathname.startsWith('/0/public/') &&
      this.faults.takeRest(res, '{"error":["EGeneral:Too many requests"]}')
    )
      return true;
    return handleKrakenRest(req, res, url, { market: this.market, resolve: (n) => this.resolve(n) });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (url.pathname !== WS_PATH) return false;
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, remote));
    return true;
  }

  /** The model's full book in the `GET /0/public/Depth` shape (all levels). */
  groundTruth(symbol: string): string | undefined {
    const s = this.resolve(symbol);
    if (s === undefined) return undefined;
    const model = this.market.model(s)!;
    return depthBody(model.spec, model.bids.levels(), model.asks.levels());
  }

  dropBookEvents(symbol: string, count: number): number {
    const s = this.state(symbol);
    s.depthDropPending += count;
    return s.depthDropPending;
  }

  /** The next `count` book messages of `symbol` (each model update sent) carry a wrong checksum. */
  corruptChecksums(symbol: string, count: number): number {
    const s = this.state(symbol);
    s.corruptPending += count;
    return s.corruptPending;
  }

  private state(symbol: string): SymbolState {
    const name = this.resolve(symbol);
    if (name === undefined) throw new Error(`unknown symbol ${symbol}`);
    return this.symbols.get(name)!;
  }

  protected statsSymbols(): Iterable<[string, VenueSymbolStats]> {
    return this.symbols;
  }

  protected stopTimers(): void {
    this.stopHeartbeat();
  }

  // ---- connections -------------------------------------------------------------------------

  private add(ws: WebSocket, remote: string): void {
    const conn: Conn = { id: this.nextId++, ws, remote, books: new Map(), trades: new Set(), closing: false };
    this.conns.add(conn);
    ws.on('message', (data: RawData) => this.onMessage(conn, toText(data)));
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'ws error'));
    ws.on('close', (code) => {
      this.remove(conn);
      this.log.debug({ conn: conn.id, code }, 'ws closed');
    });
    this.heartbeatTimer ??= setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.send(conn, statusMessage(conn.id));
    this.log.debug({ conn: conn.id, remote, path: WS_PATH }, 'ws connected');
  }

  private remove(conn: Conn): void {
    for (const [symbol] of conn.books) this.leaveBook(conn, symbol);
    for (const symbol of conn.trades) this.symbols.get(symbol)?.trades.delete(conn);
    conn.trades.clear();
    this.conns.delete(conn);
    if (this.conns.size === 0) this.stopHeartbeat();
  }

  private heartbeat(): void {
    const frame = Buffer.from(HEARTBEAT);
    for (const c of this.conns) if (c.books.size > 0 || c.trades.size > 0) this.send(c, frame);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
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

  // ---- client requests ---------------------------------------------------------------------

  private onMessage(conn: Conn, text: string): void {
    const inUs = nowMicros();
    const times = (): Times => ({ inUs, outUs: nowMicros() });
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(
        conn,
        errorMessage('EGeneral:Invalid arguments:invalid JSON', undefined, undefined, times(), undefined),
      );
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.send(
        conn,
        errorMessage(
          'EGeneral:Invalid arguments:request must be an object',
          undefined,
          undefined,
          times(),
          undefined,
        ),
      );
      return;
    }
    const m = msg as Request;
    const method = typeof m['method'] === 'string' ? m['method'].slice(0, 40) : undefined;
    const rawReq = m['req_id'];
    if (rawReq !== undefined && !(Number.isSafeInteger(rawReq) && (rawReq as number) >= 0)) {
      this.send(
        conn,
        errorMessage(
          'EGeneral:Invalid arguments:req_id must be an integer',
          method,
          undefined,
          times(),
          undefined,
        ),
      );
      return;
    }
    const reqId = rawReq as number | undefined;
    switch (method) {
      case 'ping':
        this.send(conn, pongMessage(times(), reqId));
        return;
      case 'subscribe':
      case 'unsubscribe':
        this.request(conn, method, m['params'], reqId, inUs);
        return;
      default:
        this.send(
          conn,
          errorMessage(
            method === undefined
              ? 'EGeneral:Invalid arguments:method required'
              : `Method not supported ${method}`,
            method,
            undefined,
            times(),
            reqId,
          ),
        );
    }
  }

  private request(
    conn: Conn,
    method: 'subscribe' | 'unsubscribe',
    params: unknown,
    reqId: number | undefined,
    inUs: number,
  ): void {
    const times = (): Times => ({ inUs, outUs: nowMicros() });
    const fail = (error: string, symbol?: string): void =>
      void this.send(conn, errorMessage(error, method, symbol, times(), reqId));
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      return fail('EGeneral:Invalid arguments:params must be an object');
    const p = params as Request;
    const channel = p['channel'];
    const symbols = p['symbol'];
    if (channel !== 'book' && channel !== 'trade')
      return fail(
        `EGeneral:Invalid arguments:channel ${JSON.stringify(channel)?.slice(0, 40)} is not simulated`,
      );
    if (
      !Array.isArray(symbols) ||
      symbols.length === 0 ||
      symbols.length > MAX_SYMBOLS_PER_REQUEST ||
      !symbols.every((s): s is string => typeof s === 'string' && s.length > 0 && s.length <= 64)
    )
      return fail('EGeneral:Invalid arguments:symbol must be a non-empty array of strings');
    let depth = 10;
    if (channel === 'book' && p['depth'] !== undefined) {
      depth = p['depth'] as number;
      if (!BOOK_DEPTHS.includes(depth))
        return fail(`EGeneral:Invalid arguments:depth must be one of ${BOOK_DEPTHS.join(', ')}`);
    }
    const snapshotParam = p['snapshot'];
    if (snapshotParam !== undefined && typeof snapshotParam !== 'boolean')
      return fail('EGeneral:Invalid arguments:snapshot must be a boolean');
    // documented defaults: true for book, false for trade
    const snapshot = snapshotParam ?? channel === 'book';

    for (const symbol of symbols) {
      if (!this.symbols.has(symbol)) {
        fail(
          method === 'subscribe' ? `Currency pair not supported ${symbol}` : 'Subscription Not Found',
          symbol,
        );
        continue;
      }
      if (method === 'unsubscribe') {
        const had = channel === 'book' ? this.leaveBook(conn, symbol) : this.leaveTrades(conn, symbol);
        if (had === undefined) fail('Subscription Not Found', symbol);
        else
          this.send(
            conn,
            ackMessage(
              'unsubscribe',
              channel === 'book' ? { channel, depth: had, symbol } : { channel, symbol },
              times(),
              reqId,
            ),
          );
        continue;
      }
      if (channel === 'book' ? conn.books.has(symbol) : conn.trades.has(symbol)) {
        fail('Already subscribed', symbol);
        continue;
      }
      const s = this.symbols.get(symbol)!;
      const model = this.market.model(symbol)!;
      if (channel === 'book') {
        const sub = this.bookSub(symbol, depth);
        sub.subscribers.add(conn);
        conn.books.set(symbol, depth);
        this.send(conn, ackMessage('subscribe', { channel, depth, snapshot, symbol }, times(), reqId));
        if (snapshot) {
          const { bids, asks } = sub.view.levels(model);
          const text = bookMessage({
            type: 'snapshot',
            spec: model.spec,
            bids,
            asks,
            checksum: s.checksum,
            sendUs: nowMicros(),
          });
          if (this.send(conn, text)) s.framesSent++;
        }
      } else {
        s.trades.add(conn);
        conn.trades.add(symbol);
        this.send(conn, ackMessage('subscribe', { channel, snapshot, symbol }, times(), reqId));
        if (snapshot && this.send(conn, tradeMessage('snapshot', model.spec, s.recentTrades))) s.framesSent++;
      }
    }
  }

  /** The view of `symbol` at `depth`, created at the model's current state on first use. */
  private bookSub(symbol: string, depth: number): BookSub {
    const s = this.symbols.get(symbol)!;
    let sub = s.books.get(depth);
    if (sub === undefined) {
      sub = { view: new BookView(depth, this.market.model(symbol)!), subscribers: new Set() };
      s.books.set(depth, sub);
    }
    return sub;
  }

  /** Removes a book subscription; returns its depth, or undefined when there was none. */
  private leaveBook(conn: Conn, symbol: string): number | undefined {
    const depth = conn.books.get(symbol);
    if (depth === undefined) return undefined;
    conn.books.delete(symbol);
    const s = this.symbols.get(symbol)!;
    const sub = s.books.get(depth);
    sub?.subscribers.delete(conn);
    if (sub !== undefined && sub.subscribers.size === 0) s.books.delete(depth);
    return depth;
  }

  private leaveTrades(conn: Conn, symbol: string): true | undefined {
    if (!conn.trades.delete(symbol)) return undefined;
    this.symbols.get(symbol)!.trades.delete(conn);
    return true;
  }

  // ---- market events -----------------------------------------------------------------------

  private onDepth(model: SymbolModel, update: BookUpdate): void {
    const s = this.symbols.get(update.symbol)!;
    const before = s.checksum;
    s.checksum = topChecksum(model);
    // a gap fault drops updates a client would notice: those that change the checksummed top 10
    const drop = s.depthDropPending > 0 && s.checksum !== before;
    if (drop) {
      s.depthDropPending--;
      s.depthDropped++;
      this.log.debug({ symbol: update.symbol, id: update.lastId }, 'gap fault: book update dropped');
    } else {
      s.depthSent++;
    }
    let sendUs = 0;
    let checksum = s.checksum;
    let corrupted = false;
    const out: [Set<Conn>, string][] = [];
    for (const sub of s.books.values()) {
      const change = sub.view.advance(model, update);
      if (drop || change === undefined || sub.subscribers.size === 0) continue;
      if (sendUs === 0) {
        sendUs = nowMicros();
        if (s.corruptPending > 0) {
          s.corruptPending--;
          corrupted = true;
          checksum = (checksum ^ 0x5a5a5a5a) >>> 0;
        }
      }
      const text = bookMessage({ type: 'update', spec: model.spec, ...change, checksum, sendUs });
      out.push([sub.subscribers, text]);
    }
    if (out.length > 0) {
      // one update is one book message per subscribed depth: duplicated or reordered together
      s.framesSent += this.faults.emitBook(update.symbol, () =>
        out.reduce((n, [subs, text]) => n + this.sendAll(subs, text), 0),
      );
    }
    if (corrupted) this.log.debug({ symbol: update.symbol }, 'fault: book checksum corrupted');
  }

  private onTrade(model: SymbolModel, trade: Trade): void {
    const s = this.symbols.get(trade.symbol)!;
    s.tradesSent++;
    const sent: SentTrade = { trade, sendUs: nowMicros() };
    s.recentTrades.push(sent);
    if (s.recentTrades.length > TRADE_SNAPSHOT_SIZE) s.recentTrades.shift();
    if (s.trades.size === 0) return;
    s.framesSent += this.sendAll(s.trades, tradeMessage('update', model.spec, [sent]));
  }
}

function topChecksum(model: SymbolModel): number {
  return bookChecksum(model.spec, model.bids.levels(CHECKSUM_LEVELS), model.asks.levels(CHECKSUM_LEVELS));
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
