/**
 * The WebSocket transport: upgrades on `GET /ws`, moves frames between sockets and sessions, and
 * detects dead peers. Protocol decisions live in `Session`; this file only knows bytes, close
 * codes and timers.
 *
 * - Inbound: text frames go to the session; binary frames get `bad_request`; a frame over
 *   MAX_INBOUND_BYTES is refused by ws itself (close 1009), invalid UTF-8 closes with 1007.
 * - Outbound: the session's frames are written in one cork/uncork of the upgraded net socket per
 *   flush (we keep the `Duplex` from the upgrade, so ws's private `_socket` is never touched).
 * - Liveness: a ping every WS_PING_MS; a connection without a pong since the previous ping is
 *   terminated.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import { createLogger, RateLimitedLog } from '@tickmesh/observability';
import type { ChannelHub } from './channel-hub';
import { CLOSE_CODES, type Frame } from './frame';
import { gatewayMetrics, type CloseReason } from './metrics';
import { Outbound, type FlushScheduler, type FrameSink } from './outbound';
import { Session } from './session';

export interface WsServerOptions {
  maxInboundBytes: number;
  maxOutboundBytes: number;
  /** slow consumers are conflated this long before the close (0 = close at once) */
  slowConsumerGraceMs: number;
  maxSubscriptions: number;
  wsPingMs: number;
  /** how long a closing handshake may take before the socket is destroyed */
  closeTimeoutMs: number;
}

interface WsConn {
  readonly ws: WebSocket;
  readonly session: Session;
  readonly out: Outbound;
  alive: boolean;
}

export class WsServer {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<WsConn>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly warn = new RateLimitedLog(createLogger('ws'));

  constructor(
    private readonly hub: ChannelHub,
    private readonly scheduler: FlushScheduler,
    private readonly welcome: Frame,
    private readonly opts: WsServerOptions,
  ) {
    // closeTimeout is a ws ≥ 8.18 server option that @types/ws does not list yet.
    const wsOpts: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: opts.maxInboundBytes,
      closeTimeout: opts.closeTimeoutMs,
    };
    this.wss = new WebSocketServer(wsOpts);
    this.pingTimer = setInterval(() => this.pingAll(), opts.wsPingMs);
    this.pingTimer.unref();
  }

  get size(): number {
    return this.conns.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket));
  }

  /** Shutdown: writes what is queued, then closes every connection with 1012 (reconnect hint). */
  closeAll(): void {
    for (const c of this.conns) {
      c.out.flush();
      this.close(c, CLOSE_CODES.serviceRestart, 'service restart', 'shutdown');
    }
  }

  terminateAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  stop(): void {
    clearInterval(this.pingTimer);
  }

  private accept(ws: WebSocket, socket: Duplex): void {
    const sink: FrameSink = {
      transport: 'ws',
      bufferedAmount: () => ws.bufferedAmount,
      writeBatch: (frames) => {
        if (ws.readyState !== ws.OPEN) return;
        socket.cork();
        for (const f of frames) ws.send(f.forWs(), { binary: false });
        socket.uncork();
      },
    };
    const holder: { c?: WsConn } = {};
    const out = new Outbound(
      sink,
      this.scheduler,
      this.opts.maxOutboundBytes,
      () => {
        if (holder.c !== undefined)
          this.close(holder.c, CLOSE_CODES.slowConsumer, 'slow consumer', 'slow_consumer');
      },
      this.opts.slowConsumerGraceMs,
    );
    const session = new Session('ws', this.hub, out, { maxSubscriptions: this.opts.maxSubscriptions });
    const c: WsConn = { ws, session, out, alive: true };
    holder.c = c;
    this.conns.add(c);
    gatewayMetrics.connectionOpened('ws');

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (session.isClosed) return;
      if (isBinary) {
        session.reject('bad_request', 'binary frames are not supported: send JSON text frames');
        return;
      }
      try {
        session.handleText(rawToString(data));
      } catch (err) {
        // Session code does not throw on input; if a bug makes it, answer and keep the process up.
        this.warn.warn('handler', { err: (err as Error).stack }, 'inbound handler threw');
        session.reject('internal', 'internal error');
      }
    });
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('error', (err: Error & { code?: string }) => this.onError(c, err));
    ws.on('close', () => {
      if (!this.conns.delete(c)) return;
      session.close();
      gatewayMetrics.connectionClosed('ws');
    });
    out.push(this.welcome);
  }

  /** ws reports protocol violations here and closes the socket itself (1009, 1007, 1002). */
  private onError(c: WsConn, err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      gatewayMetrics.inboundError('ws', 'message_too_large');
      gatewayMetrics.closed('ws', 'message_too_large');
    } else {
      gatewayMetrics.inboundError('ws', 'bad_request');
      gatewayMetrics.closed('ws', 'protocol_error');
      this.warn.warn(`ws:${err.code ?? 'error'}`, { err: err.message, code: err.code }, 'WebSocket error');
    }
    c.session.close();
  }

  private close(c: WsConn, code: number, reason: string, why: CloseReason): void {
    if (c.session.isClosed && why !== 'shutdown') return;
    gatewayMetrics.closed('ws', why);
    c.session.close();
    c.ws.close(code, reason);
  }

  private pingAll(): void {
    for (const c of this.conns) {
      if (!c.alive) {
        gatewayMetrics.closed('ws', 'ping_timeout');
        c.session.close();
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      if (c.ws.readyState === c.ws.OPEN) c.ws.ping();
    }
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
