/**
 * The OKX v5 public protocol on top of its own `Market` (one venue `okx` serving SPOT and SWAP
 * instruments on one endpoint, as OKX does):
 *
 * - WebSocket `/ws/v5/public`; client requests `{"id":..,"op":"subscribe"|"unsubscribe","args":[{"channel","instId"}]}`
 *   answered per arg with `{"id":..,"event":"subscribe","arg":{..},"connId":".."}` or an
 *   `{"event":"error","code":"60018",..}`; the text `ping` is answered with the text `pong`;
 * - `books` (400 levels): a `snapshot` right after the subscribe ack, then an `update` for each
 *   model update that changes the top-400 view. `seqId` is the model's update id (increasing, not
 *   consecutive; the same for every subscriber); `prevSeqId` is the seqId of the channel's
 *   previous message (`-1` on a snapshot); `checksum` is the signed CRC32 of the best 25 levels
 *   after the message (`checksumMode: 'crc'`) or always 0 (`'zero'`, the 23 June 2026 change). A
 *   channel with no change for `keepAliveMs` sends an empty update with `seqId == prevSeqId`;
 * - `trades`: one trade per push, `side` = taker side, `count` "1";
 * - REST `/api/v5/public/instruments`, `/api/v5/market/books` (with the channel's `seqId`, for the
 *   post-2026 REST-snapshot procedure), `/api/v5/public/time` (rest.ts);
 * - faults: gap (the next `count` book messages of the symbol are not sent, each still consumes its
 *   seqId, so the next message's prevSeqId does not match), disconnect, pause/resume, and
 *   `resetSequence` (the post-maintenance sequence reset; a method only);
 * - a connection without a subscription, or to which nothing was sent, for `idleTimeoutMs`
 *   (default 30 s) is closed, as the venue does.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizedSymbol, nowMicros, type Instrument } from '@tickmesh/contracts';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../log';
import type { Market } from '../../market/market';
import type { BookUpdate, SymbolModel, Trade } from '../../market/symbol-model';
import { DepthWindow } from '../bybit';
import type { VenueProtocol, VenueSymbolStats } from '../venue';
import { StreamVenue } from '../stream-venue';
import { handleOkxRest } from './rest';
import {
  booksMessage,
  CHECKSUM_LEVELS,
  checksumOf,
  envelope,
  errorReply,
  eventReply,
  restBook,
  tradeMessage,
  type Arg,
  type ChecksumMode,
  type InstType,
} from './wire';

export const WS_PATH = '/ws/v5/public';
/** Levels of the `books` channel. */
export const BOOKS_DEPTH = 400;
export const CHANNELS = ['books', 'trades'] as const;
/** "The total length of multiple channels cannot exceed 64 KB" — and client frames are capped there. */
const MAX_CLIENT_PAYLOAD = 64 * 1024;

export interface OkxVenueOptions {
  /** control-API name; default `okx` */
  name?: string;
  /** 'crc' (default): real checksums; 'zero': always 0, as from 23 June 2026 */
  checksumMode?: ChecksumMode;
  /** close a connection without a subscription, or with nothing sent to it, for this long; default 30 000 */
  idleTimeoutMs?: number;
  /** an unchanged `books` channel sends an empty keep-alive update this often; default 60 000 */
  keepAliveMs?: number;
  /**
   * send deletes for levels pushed out of the 400-level view by a better one (default true); with
   * false they are left to the client's truncation (the venue's behaviour is undocumented)
   */
  windowExitDeletes?: boolean;
  /** slow-consumer threshold: close with 1008 beyond this many unsent bytes */
  maxBufferedBytes: number;
}

/** Per-symbol instrument data that the model's spec does not carry. */
export interface OkxInstrumentInfo {
  instType: InstType;
  /** SWAP: base units per contract */
  ctVal: string;
}

interface Conn {
  readonly id: number;
  readonly connId: string;
  readonly ws: WebSocket;
  readonly remote: string;
  /** `channel:instId` keys */
  readonly channels: Set<string>;
  readonly openedAt: number;
  lastSentAt: number;
  subscribed: boolean;
  closing: boolean;
}

/**
 * The `books` channel of one instrument. Created on first use (subscription, REST book, ground
 * truth, reset) and kept: tracking the 400-level view costs O(400) per model update, which a
 * simulator run that never speaks OKX must not pay.
 */
interface BooksChannel {
  readonly window: DepthWindow;
  readonly subscribers: Set<Conn>;
  /** seqId of the channel's last message (sent or suppressed by a gap fault) */
  lastSeqId: number;
  /** added to the model's update id; lowered by `resetSequence` */
  shift: number;
  /** performance.now() of the last message sent (keep-alive timer) */
  lastPushAt: number;
}

interface SymbolState extends VenueSymbolStats {
  readonly native: string;
  readonly info: OkxInstrumentInfo;
  books: BooksChannel | undefined;
  readonly trades: Set<Conn>;
}

export class OkxVenue extends StreamVenue<Conn> implements VenueProtocol {
  readonly name: string;
  readonly checksumMode: ChecksumMode;
  private readonly idleTimeoutMs: number;
  private readonly keepAliveMs: number;
  protected readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly symbols = new Map<string, SymbolState>();
  protected readonly unlisten: () => void;
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;

  constructor(
    readonly market: Market,
    infos: ReadonlyMap<string, OkxInstrumentInfo>,
    private readonly opts: OkxVenueOptions,
    private readonly log: Logger,
  ) {
    super();
    this.name = opts.name ?? 'okx';
    this.checksumMode = opts.checksumMode ?? 'crc';
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.keepAliveMs = opts.keepAliveMs ?? 60_000;
    for (const symbol of market.symbols) {
      const info = infos.get(symbol);
      if (info === undefined) throw new Error(`no OKX instrument info for ${symbol}`);
      this.symbols.set(symbol, {
        native: symbol,
        info,
        books: undefined,
        trades: new Set(),
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

  /** tickmesh instrument records: SPOT `BASE-QUOTE` (venue `okx`), SWAP `BASE-QUOTE-PERP` (venue `okxswap`). */
  get instruments(): Instrument[] {
    return this.market.symbols.map((symbol) => {
      const s = this.market.model(symbol)!.spec;
      const perp = this.symbols.get(symbol)!.info.instType === 'SWAP';
      return {
        venue: perp ? 'okxswap' : 'okx',
        symbol: normalizedSymbol(s.base, s.quote, perp ? 'perp' : 'spot'),
        native: s.native,
        base: s.base,
        quote: s.quote,
        kind: perp ? 'perp' : 'spot',
        priceDecimals: s.priceDecimals,
        sizeDecimals: s.sizeDecimals,
      };
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      url.pathname.startsWith('/api/v5/') &&
      this.faults.takeRest(res, '{"msg":"Too Many Requests","code":"50011"}')
    )
      return true;
    return handleOkxRest(req, res, url, {
      market: this.market,
      instTypeOf: (s) => this.symbols.get(s)?.info.instType,
      ctValOf: (s) => this.symbols.get(s)?.info.ctVal ?? '',
      seqIdOf: (s) => this.channel(this.symbols.get(s)!).lastSeqId,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    if (url.pathname !== WS_PATH && url.pathname !== `${WS_PATH}/`) return false;
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, remote));
    return true;
  }

  /** The model's full book, `GET /api/v5/market/books` shape, `seqId` = the channel's last seqId. */
  groundTruth(symbol: string): string | undefined {
    const model = this.market.model(symbol);
    if (model === undefined) return undefined;
    const body = restBook(
      model.spec,
      model.bids.levels(),
      model.asks.levels(),
      Date.now(),
      this.channel(this.symbols.get(symbol)!).lastSeqId,
    );
    return envelope(`[${body}]`);
  }

  dropBookEvents(symbol: string, count: number): number {
    const s = this.symbols.get(symbol);
    if (s === undefined) throw new Error(`unknown symbol ${symbol}`);
    s.depthDropPending += count;
    return s.depthDropPending;
  }

  /**
   * The sequence reset after maintenance: the next `books` message of the symbol (all symbols when
   * omitted) carries a seqId lower than its prevSeqId ("may reset ... seqId < prevSeqId"), and the
   * sequence continues from there. Returns the symbols reset.
   */
  resetSequence(symbol?: string): string[] {
    const out: string[] = [];
    for (const [name, s] of this.symbols) {
      if (symbol !== undefined && name !== symbol) continue;
      this.channel(s).shift = 1 - this.market.model(name)!.updateId;
      out.push(name);
    }
    return out;
  }

  protected statsSymbols(): Iterable<[string, VenueSymbolStats]> {
    return this.symbols;
  }

  protected stopTimers(): void {
    this.stopTimer();
  }

  // ---- connections -------------------------------------------------------------------------

  private add(ws: WebSocket, remote: string): void {
    const now = performance.now();
    const conn: Conn = {
      id: this.nextId++,
      connId: randomBytes(4).toString('hex'),
      ws,
      remote,
      channels: new Set(),
      openedAt: now,
      lastSentAt: now,
      subscribed: false,
      closing: false,
    };
    this.conns.add(conn);
    ws.on('message', (data: RawData) => this.onMessage(conn, toText(data)));
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'ws error'));
    ws.on('close', (code) => {
      this.remove(conn);
      this.log.debug({ conn: conn.id, code }, 'ws closed');
    });
    const period = Math.max(
      10,
      Math.min(1000, Math.floor(Math.min(this.idleTimeoutMs, this.keepAliveMs) / 4)),
    );
    this.timer ??= setInterval(() => this.tick(), period);
    this.log.debug({ conn: conn.id, remote, path: WS_PATH }, 'ws connected');
  }

  private remove(conn: Conn): void {
    for (const key of conn.channels) this.unsubscribeKey(conn, key);
    this.conns.delete(conn);
    if (this.conns.size === 0) this.stopTimer();
  }

  /** Idle cut-off and `books` keep-alives. */
  private tick(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.closing) continue;
      const reason = !c.subscribed
        ? now - c.openedAt > this.idleTimeoutMs && 'no subscription'
        : now - c.lastSentAt > this.idleTimeoutMs && 'no data';
      if (reason === false) continue;
      this.log.info({ conn: c.id, remote: c.remote, reason }, 'idle connection: closing');
      c.closing = true;
      c.ws.close(4004, `${reason} for ${this.idleTimeoutMs} ms`);
    }
    let sendUs = 0;
    for (const s of this.symbols.values()) {
      const ch = s.books;
      if (ch === undefined || ch.subscribers.size === 0 || now - ch.lastPushAt < this.keepAliveMs) continue;
      const model = this.market.model(s.native)!;
      sendUs ||= nowMicros();
      ch.lastPushAt = now;
      s.framesSent += this.sendAll(
        ch.subscribers,
        this.booksText(model, 'update', [], [], ch.lastSeqId, ch.lastSeqId, sendUs),
      );
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
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
    conn.lastSentAt = performance.now();
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
    if (text === 'ping') {
      this.send(conn, 'pong');
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.invalid(conn, text, undefined);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
      return this.invalid(conn, text, undefined);
    const m = msg as Record<string, unknown>;
    const rawId = m['id'];
    const id = typeof rawId === 'string' && /^[A-Za-z0-9]{1,32}$/.test(rawId) ? rawId : undefined;
    if (rawId !== undefined && id === undefined) return this.invalid(conn, text, undefined);
    const op = m['op'];
    const args = parseArgs(m['args']);
    if ((op !== 'subscribe' && op !== 'unsubscribe') || args === undefined)
      return this.invalid(conn, text, id);
    for (const arg of args) {
      if (op === 'subscribe') this.subscribe(conn, arg, id);
      else this.unsubscribe(conn, arg, id);
    }
  }

  private invalid(conn: Conn, text: string, id: string | undefined): void {
    this.send(conn, errorReply('60012', `Invalid request: ${text.slice(0, 200)}`, id, conn.connId));
  }

  private subscribe(conn: Conn, arg: Arg, id: string | undefined): void {
    const s = this.symbols.get(arg.instId);
    if (s === undefined || !(CHANNELS as readonly string[]).includes(arg.channel)) {
      const msg =
        `Subscribe failed, wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist. ` +
        'Please use the correct URL, channel and parameters referring to API document.';
      this.send(conn, errorReply('60018', msg, id, conn.connId));
      return;
    }
    const key = `${arg.channel}:${arg.instId}`;
    conn.channels.add(key);
    conn.subscribed = true;
    if (arg.channel === 'trades') s.trades.add(conn);
    else this.channel(s).subscribers.add(conn);
    this.send(conn, eventReply('subscribe', arg, id, conn.connId));
    if (arg.channel !== 'books') return;
    // every (re)subscription of `books` starts with a full snapshot
    const model = this.market.model(arg.instId)!;
    const ch = this.channel(s);
    const { bids, asks } = ch.window.levels(model);
    if (this.send(conn, this.booksText(model, 'snapshot', bids, asks, -1, ch.lastSeqId, nowMicros())))
      s.framesSent++;
  }

  private unsubscribe(conn: Conn, arg: Arg, id: string | undefined): void {
    this.unsubscribeKey(conn, `${arg.channel}:${arg.instId}`);
    this.send(conn, eventReply('unsubscribe', arg, id, conn.connId));
  }

  private unsubscribeKey(conn: Conn, key: string): void {
    if (!conn.channels.delete(key)) return;
    const [channel, instId] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const s = this.symbols.get(instId);
    if (s === undefined) return;
    if (channel === 'trades') s.trades.delete(conn);
    else s.books?.subscribers.delete(conn);
  }

  // ---- market events -----------------------------------------------------------------------

  /** The symbol's `books` channel, created at the model's current state (seqId = its update id). */
  private channel(s: SymbolState): BooksChannel {
    if (s.books === undefined) {
      const model = this.market.model(s.native)!;
      s.books = {
        window: new DepthWindow(BOOKS_DEPTH, model, 0, this.opts.windowExitDeletes ?? true),
        subscribers: new Set(),
        lastSeqId: model.updateId,
        shift: 0,
        lastPushAt: performance.now(),
      };
    }
    return s.books;
  }

  private booksText(
    model: SymbolModel,
    action: 'snapshot' | 'update',
    bids: readonly (readonly [number, number])[],
    asks: readonly (readonly [number, number])[],
    prevSeqId: number,
    seqId: number,
    sendUs: number,
  ): string {
    const checksum =
      this.checksumMode === 'zero'
        ? 0
        : checksumOf(model.spec, model.bids.levels(CHECKSUM_LEVELS), model.asks.levels(CHECKSUM_LEVELS));
    return booksMessage({ spec: model.spec, action, bids, asks, checksum, prevSeqId, seqId, sendUs });
  }

  private onDepth(model: SymbolModel, update: BookUpdate): void {
    const s = this.symbols.get(update.symbol)!;
    const ch = s.books;
    if (ch === undefined) return;
    const change = ch.window.advance(model, update);
    // the top-400 view did not change: OKX pushes nothing and no seqId is consumed
    if (change === undefined) return;
    const prevSeqId = ch.lastSeqId;
    const seqId = update.lastId + ch.shift;
    ch.lastSeqId = seqId;
    if (s.depthDropPending > 0) {
      s.depthDropPending--;
      s.depthDropped++;
      this.log.debug({ symbol: update.symbol, seqId }, 'gap fault: books message dropped');
      return;
    }
    s.depthSent++;
    if (ch.subscribers.size === 0) return;
    ch.lastPushAt = performance.now();
    const text = this.booksText(model, 'update', change.bids, change.asks, prevSeqId, seqId, nowMicros());
    s.framesSent += this.faults.emitBook(update.symbol, () => this.sendAll(ch.subscribers, text));
  }

  private onTrade(model: SymbolModel, trade: Trade): void {
    const s = this.symbols.get(trade.symbol)!;
    s.tradesSent++;
    if (s.trades.size === 0) return;
    s.framesSent += this.sendAll(s.trades, tradeMessage(model.spec, trade, nowMicros()));
  }
}

/** `[{"channel":"books","instId":"BTC-USDT"},..]`, or undefined when malformed. */
function parseArgs(args: unknown): Arg[] | undefined {
  if (!Array.isArray(args) || args.length === 0) return undefined;
  const out: Arg[] = [];
  for (const a of args) {
    if (typeof a !== 'object' || a === null) return undefined;
    const { channel, instId } = a as Record<string, unknown>;
    if (typeof channel !== 'string' || typeof instId !== 'string') return undefined;
    if (channel.length === 0 || channel.length > 64 || instId.length === 0 || instId.length > 64)
      return undefined;
    out.push({ channel, instId });
  }
  return out;
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
