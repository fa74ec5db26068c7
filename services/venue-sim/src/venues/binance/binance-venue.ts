/**
 * The Binance spot protocol on top of a `Market`: WebSocket Streams (`/ws/...`, `/stream?...`),
 * the REST market-data endpoints and the venue-specific parts of the control API.
 *
 * One event per model update: the simulator does not aggregate changes into 100 ms / 1000 ms
 * windows; `@depth` and `@depth@100ms` both carry every update at the configured rate, each with
 * its `U`..`u` range (`U` = previous `u` + 1 unless a gap fault dropped events).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../log';
import { rejectUpgrade } from '../../server/http-io';
import type { Market } from '../../market/market';
import type { BookUpdate, SymbolModel, Trade } from '../../market/symbol-model';
import { VenueFaults, type VenueProtocol, type VenueStats, type VenueSymbolStats } from '../venue';
import { venueStats } from '../stream-venue';
import { errorReply, parseControlMessage, resultReply } from './control-messages';
import { handleRest } from './rest';
import { StreamHub, type Connection, type HubOptions } from './stream-hub';
import { depthStreams, parseConnectUrl, tradeStreams } from './streams';
import { bookJson, depthEvent, depthTail, timeIn, tradeEvent, tradeParts } from './wire';

/** Client control messages are tiny; anything bigger is abuse. */
const MAX_CLIENT_PAYLOAD = 64 * 1024;

interface SymbolState extends VenueSymbolStats {
  readonly depthNames: readonly string[];
  readonly tradeNames: readonly string[];
}

export class BinanceVenue implements VenueProtocol {
  readonly name = 'binance';
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly hub: StreamHub;
  private readonly symbols = new Map<string, SymbolState>();
  private readonly unlisten: () => void;
  private readonly faults = new VenueFaults();

  constructor(
    readonly market: Market,
    opts: HubOptions,
    private readonly log: Logger,
  ) {
    this.hub = new StreamHub(opts, log, (conn, text) => this.onControl(conn, text));
    for (const symbol of market.symbols) {
      this.symbols.set(symbol, {
        depthNames: depthStreams(symbol),
        tradeNames: tradeStreams(symbol),
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

  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      url.pathname.startsWith('/api/v3/') &&
      this.faults.takeRest(res, '{"code":-1003,"msg":"Too many requests; simulated rate limit."}')
    )
      return true;
    return handleRest(req, res, url, this.market);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    const parsed = parseConnectUrl(url);
    if (parsed === undefined) return false;
    if (!parsed.ok) {
      rejectUpgrade(socket, parsed.status, parsed.reason);
      return true;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = this.hub.add(ws, parsed.target, remote);
      this.log.debug(
        { conn: conn.id, remote, path: url.pathname, streams: parsed.target.streams },
        'ws connected',
      );
    });
    return true;
  }

  groundTruth(symbol: string): string | undefined {
    const model = this.market.model(symbol);
    return model === undefined ? undefined : bookJson(model.spec, model.updateId, model.bids, model.asks);
  }

  dropBookEvents(symbol: string, count: number): number {
    const s = this.symbols.get(symbol);
    if (s === undefined) throw new Error(`unknown symbol ${symbol}`);
    s.depthDropPending += count;
    return s.depthDropPending;
  }

  disconnectAll(code: number, reason: string): number {
    return this.hub.closeAll(code, reason);
  }

  duplicateBookMessages(symbol: string, count: number): number {
    return this.faults.duplicate(symbol, count);
  }

  reorderBookMessages(symbol: string): number {
    return this.faults.reorder(symbol);
  }

  stall(ms: number): number {
    return this.faults.stall(this.hub.sockets(), ms);
  }

  rest429(count: number, retryAfterSec: number): number {
    return this.faults.rest429(count, retryAfterSec);
  }

  /** `serverShutdown` (wrapped as `!serverShutdown` on combined connections), then close 1001. */
  shutdown(): number {
    const n = this.hub.size;
    this.hub.shutdown();
    return n;
  }

  stats(): VenueStats {
    return venueStats(this.symbols, this.hub.size);
  }

  async close(): Promise<void> {
    this.unlisten();
    this.faults.dispose();
    this.hub.shutdown();
    // Give close handshakes a moment, then cut whatever is left.
    await this.hub.drained(1000);
    this.hub.terminateAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onDepth(model: SymbolModel, update: BookUpdate): void {
    const s = this.symbols.get(update.symbol)!;
    if (s.depthDropPending > 0) {
      s.depthDropPending--;
      s.depthDropped++;
      this.log.debug(
        { symbol: update.symbol, U: update.firstId, u: update.lastId },
        'gap fault: depth event dropped',
      );
      return;
    }
    s.depthSent++;
    if (!this.hub.hasSubscribers(s.depthNames)) return;
    const tail = depthTail(model.spec, update);
    s.framesSent += this.faults.emitBook(update.symbol, () =>
      this.hub.publish(s.depthNames, (us, inMicros) => depthEvent(timeIn(us, inMicros), tail)),
    );
  }

  private onTrade(model: SymbolModel, trade: Trade): void {
    const s = this.symbols.get(trade.symbol)!;
    s.tradesSent++;
    if (!this.hub.hasSubscribers(s.tradeNames)) return;
    const parts = tradeParts(model.spec, trade);
    // The simulated match happens at publication: trade time T equals the event time E.
    s.framesSent += this.hub.publish(s.tradeNames, (us, inMicros) => {
      const t = timeIn(us, inMicros);
      return tradeEvent(t, t, parts);
    });
  }

  private onControl(conn: Connection, text: string): void {
    const parsed = parseControlMessage(text);
    if (!parsed.ok) {
      this.log.debug(
        { conn: conn.id, code: parsed.error.code, msg: parsed.error.msg },
        'bad control message',
      );
      this.hub.reply(conn, errorReply(parsed.error));
      return;
    }
    const r = parsed.request;
    switch (r.method) {
      case 'SUBSCRIBE':
        if (!this.hub.subscribe(conn, r.streams)) {
          this.hub.reply(conn, errorReply({ code: 2, msg: 'Invalid request: too many streams', id: r.id }));
          return;
        }
        this.hub.reply(conn, resultReply(null, r.id));
        return;
      case 'UNSUBSCRIBE':
        this.hub.unsubscribe(conn, r.streams);
        this.hub.reply(conn, resultReply(null, r.id));
        return;
      case 'LIST_SUBSCRIPTIONS':
        this.hub.reply(conn, resultReply([...conn.streams], r.id));
        return;
      case 'SET_PROPERTY':
        conn.combined = r.value;
        this.hub.reply(conn, resultReply(null, r.id));
        return;
      case 'GET_PROPERTY':
        this.hub.reply(conn, resultReply(conn.combined, r.id));
        return;
    }
  }
}
