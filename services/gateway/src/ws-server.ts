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
 * - Protection (docs/gateway-security.md), in this order per text frame:
 *   1. the connection's operation bucket (RATE_OPS_PER_CONN): over it → `rate_limited` with
 *      `retryAfterMs`, and close 4029 once the bucket says the client ignores the refusals;
 *   2. `{"op":"auth"}` (the op schema's `auth`) → verify the token (async; up to 16 later ops are queued meanwhile and
 *      replayed in order), then `ack` op `auth`, or `unauthorized` + close 4001 (1013 when the
 *      key set is unavailable). A refresh on an authenticated connection replaces its principal;
 *   3. with auth enabled and no principal yet: `unauthorized` + close 4001;
 *   4. the session; then the must-subscribe guard learns the subscription count.
 *   Guards: no `auth` within AUTH_TIMEOUT_MS (4001 `auth timeout`), token `exp` (4001 `token
 *   expired`), no subscription within MUST_SUBSCRIBE_MS (4010 `subscribe timeout`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import type { RequestId } from '@tickmesh/contracts';
import { createLogger, RateLimitedLog } from '@tickmesh/observability';
import { AuthError, type Authenticator, type Principal } from './auth';
import type { ChannelHub } from './channel-hub';
import {
  Deadline,
  MustSubscribeGuard,
  realTimers,
  TokenExpiryGuard,
  type GuardReason,
  type Timers,
} from './connection-guards';
import { authAckFrame, CLOSE_CODES, type Frame } from './frame';
import { parseClientOp, refusedOpId } from './inbound';
import { gatewayMetrics, type CloseReason } from './metrics';
import { Outbound, type FlushScheduler, type FrameSink } from './outbound';
import { OpsBucket, type RateLimits } from './rate-limits';
import { Session } from './session';

/** Ops queued while an `auth` is being verified; more are refused `rate_limited`. */
const MAX_QUEUED_OPS = 16;

export interface WsServerOptions {
  maxInboundBytes: number;
  maxOutboundBytes: number;
  /** slow consumers are conflated this long before the close (0 = close at once) */
  slowConsumerGraceMs: number;
  maxSubscriptions: number;
  wsPingMs: number;
  /** how long a closing handshake may take before the socket is destroyed */
  closeTimeoutMs: number;
  /** token verification; absent or `enabled` false = public */
  authn?: Authenticator;
  /** connect limits (per-key check after a first-message `auth`) */
  rate?: RateLimits;
  /** operations per connection per second (0 / absent = unlimited) */
  opsPerConn?: number;
  /** operations allowed at once after a quiet period (default: the rate) */
  opsBurst?: number;
  /** close a connection without a subscription this long after connecting (0 / absent = off) */
  mustSubscribeMs?: number;
  /** a connection without a token at the upgrade must send `auth` within this (auth enabled) */
  authTimeoutMs?: number;
  /** injected timers for the guards (tests) */
  timers?: Timers;
}

interface WsConn {
  readonly ws: WebSocket;
  readonly session: Session;
  readonly out: Outbound;
  alive: boolean;
  /** undefined while an auth-enabled connection has not authenticated */
  principal: Principal | undefined;
  /** an `auth` is being verified: ops wait in `queue` */
  authPending: boolean;
  readonly queue: string[];
  readonly bucket: OpsBucket | undefined;
  readonly mustSubscribe: MustSubscribeGuard | undefined;
  readonly authDeadline: Deadline | undefined;
  expiry: TokenExpiryGuard | undefined;
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

  private get authEnabled(): boolean {
    return this.opts.authn?.enabled === true;
  }

  /**
   * `principal`: who the upgrade authenticated as (http-server.ts); undefined with auth enabled
   * means the client must send `{"op":"auth"}` within AUTH_TIMEOUT_MS.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, principal?: Principal): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, principal));
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

  private accept(ws: WebSocket, socket: Duplex, principal: Principal | undefined): void {
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
    const session = new Session('ws', this.hub, out, {
      maxSubscriptions: this.opts.maxSubscriptions,
      ...(principal === undefined ? {} : { principal }),
    });
    const timers = this.opts.timers ?? realTimers;
    const guard = (reason: GuardReason): void => {
      if (holder.c === undefined) return;
      if (reason === 'subscribe_timeout')
        this.close(holder.c, CLOSE_CODES.subscribeTimeout, 'subscribe timeout', 'subscribe_timeout');
      else if (reason === 'auth_timeout')
        this.close(holder.c, CLOSE_CODES.unauthorized, 'auth timeout', 'auth_timeout');
      else this.close(holder.c, CLOSE_CODES.unauthorized, 'token expired', 'token_expired');
    };
    const needsAuth = this.authEnabled && principal === undefined;
    const c: WsConn = {
      ws,
      session,
      out,
      alive: true,
      principal,
      authPending: false,
      queue: [],
      bucket:
        (this.opts.opsPerConn ?? 0) > 0
          ? new OpsBucket(this.opts.opsPerConn!, undefined, undefined, this.opts.opsBurst)
          : undefined,
      mustSubscribe:
        (this.opts.mustSubscribeMs ?? 0) > 0
          ? new MustSubscribeGuard(this.opts.mustSubscribeMs!, guard, true, timers)
          : undefined,
      authDeadline: needsAuth ? new Deadline('auth_timeout', guard, timers) : undefined,
      expiry: undefined,
    };
    c.authDeadline?.arm(this.opts.authTimeoutMs ?? 5000);
    if (principal?.expiresAt !== undefined)
      c.expiry = new TokenExpiryGuard(principal.expiresAt, guard, Date.now, timers);
    holder.c = c;
    this.conns.add(c);
    gatewayMetrics.connectionOpened('ws');

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (session.isClosed) return;
      try {
        this.onFrame(c, data, isBinary);
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
      this.stopGuards(c);
      if (!this.conns.delete(c)) return;
      session.close();
      gatewayMetrics.connectionClosed('ws');
    });
    out.push(this.welcome);
  }

  private stopGuards(c: WsConn): void {
    c.mustSubscribe?.stop();
    c.authDeadline?.clear();
    c.expiry?.stop();
  }

  /** One inbound frame: rate, then auth, then the session (see the module comment). */
  private onFrame(c: WsConn, data: RawData, isBinary: boolean): void {
    const refused = c.bucket?.take();
    if (refused !== undefined) {
      c.session.reject(
        'rate_limited',
        `over ${c.bucket!.perSecond} operations per second; retry after ${refused.retryAfterMs} ms`,
        isBinary ? undefined : refusedOpId(rawToString(data)),
        undefined,
        refused.retryAfterMs,
      );
      if (refused.close) this.close(c, CLOSE_CODES.rateLimited, 'rate limited', 'rate_limited');
      return;
    }
    if (isBinary) {
      c.session.reject('bad_request', 'binary frames are not supported: send JSON text frames');
      return;
    }
    this.onText(c, rawToString(data));
  }

  private onText(c: WsConn, text: string): void {
    if (c.authPending) {
      if (c.queue.length >= MAX_QUEUED_OPS) {
        c.session.reject(
          'rate_limited',
          `at most ${MAX_QUEUED_OPS} operations may wait for auth; retry after its ack`,
          refusedOpId(text),
          undefined,
          100,
        );
        return;
      }
      c.queue.push(text);
      return;
    }
    // One parse: `auth` is recognized by the op schema (JSON escapes included), not by a prefilter.
    const parsed = parseClientOp(text);
    if (parsed.ok && parsed.op.op === 'auth') {
      void this.authenticate(c, parsed.op.token, parsed.op.id);
      return;
    }
    if (this.authEnabled && c.principal === undefined) {
      c.session.reject(
        'unauthorized',
        'authenticate first: {"op":"auth","token":"<jwt>"}',
        parsed.ok ? parsed.op.id : parsed.id,
      );
      this.close(c, CLOSE_CODES.unauthorized, 'unauthorized', 'unauthorized');
      return;
    }
    if (parsed.ok) c.session.handleOp(parsed.op);
    else c.session.reject('bad_request', parsed.message, parsed.id);
    c.mustSubscribe?.subscriptionsChanged(c.session.subscriptionCount);
  }

  /** `{"op":"auth"}`: verify, then ack and replay the queued ops, or refuse and close. */
  private async authenticate(c: WsConn, token: string, id: RequestId | undefined): Promise<void> {
    const authn = this.opts.authn;
    if (authn === undefined || !authn.enabled) {
      // Public mode: nothing to check, the token is ignored (clients may always send one).
      c.out.push(authAckFrame(id));
      return;
    }
    c.authPending = true;
    let refusal: { code: number; reason: string; why: CloseReason } | undefined;
    try {
      const r = await authn.authenticate(token);
      if (r instanceof AuthError) {
        c.session.reject(r.code === 'unavailable' ? 'unavailable' : 'unauthorized', r.message, id);
        refusal =
          r.code === 'unavailable'
            ? { code: CLOSE_CODES.tryAgainLater, reason: 'try again later', why: 'unauthorized' }
            : { code: CLOSE_CODES.unauthorized, reason: 'unauthorized', why: 'unauthorized' };
      } else {
        const first = c.principal === undefined;
        if (first && r.sub !== undefined && this.opts.rate !== undefined) {
          const d = await this.opts.rate.checkKey(r.sub);
          if (!d.ok) {
            c.session.reject(
              'rate_limited',
              `too many connections for this key; retry after ${d.retryAfterMs} ms`,
              id,
              undefined,
              d.retryAfterMs,
            );
            refusal = { code: CLOSE_CODES.rateLimited, reason: 'rate limited', why: 'rate_limited' };
          }
        }
        if (refusal === undefined && !c.session.isClosed) {
          c.principal = r;
          c.authDeadline?.clear();
          c.expiry?.stop();
          c.expiry =
            r.expiresAt === undefined
              ? undefined
              : new TokenExpiryGuard(
                  r.expiresAt,
                  () => this.close(c, CLOSE_CODES.unauthorized, 'token expired', 'token_expired'),
                  Date.now,
                  this.opts.timers ?? realTimers,
                );
          c.session.setPrincipal(r);
          c.mustSubscribe?.subscriptionsChanged(c.session.subscriptionCount);
          c.out.push(authAckFrame(id));
        }
      }
    } finally {
      c.authPending = false;
    }
    if (c.session.isClosed) return;
    if (refusal !== undefined) {
      c.queue.length = 0;
      this.close(c, refusal.code, refusal.reason, refusal.why);
      return;
    }
    // Replay in order; a replayed `auth` makes the rest wait again (they stay queued).
    while (c.queue.length > 0 && !c.authPending && !c.session.isClosed) {
      this.onText(c, c.queue.shift()!);
    }
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
    this.stopGuards(c);
    gatewayMetrics.closed('ws', why);
    // The error that explains a protection close goes out before the close frame (a slow consumer
    // gets nothing more).
    if (why !== 'slow_consumer' && why !== 'shutdown') c.out.flush();
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
