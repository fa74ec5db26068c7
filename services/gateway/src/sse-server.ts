/**
 * The Server-Sent Events transport: `GET /sse?channels=a,b` subscribes once for the life of the
 * response. Each data message is `event: snapshot|update`, `id: <ch>:<epoch>:<seq>`, `data: <the
 * same JSON as over WebSocket>`; a comment `: hb <µs>` every HEARTBEAT_MS keeps proxies from
 * timing the stream out. A bad channel list is answered before the stream starts, with HTTP 400
 * and an `error` message body using the WebSocket error codes.
 *
 * Resume: an EventSource reconnects with `Last-Event-ID: <ch>:<epoch>:<seq>` (the id of the last
 * event it got). That channel is resumed (`resumed` + the missed updates, or `not_recovered` + a
 * snapshot); the connection's other channels get fresh snapshots, since an event id names only its
 * own channel. Clients that track every channel may pass all positions in the `lastEventId` query
 * parameter (used when the header is absent): `ch1:e:s,ch2:e:s`.
 *
 * Protection (docs/gateway-security.md): the request was admitted by http-server.ts (connect rate,
 * token) and carries its `Principal`. A channel the token does not grant answers HTTP 403, a
 * subscription the snapshot limit cannot take now HTTP 503 with `Retry-After` (both before the
 * stream starts, with an `error` body); the stream ends when the token's `exp` passes.
 *
 * The same outbound cap as WebSocket applies: a client that falls MAX_OUTBOUND_BYTES behind has
 * its response ended (and its socket destroyed if it does not drain within the close timeout);
 * EventSource reconnects on its own and gets fresh snapshots.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nowMicros, type ErrorCode, type ResumePosition } from '@tickmesh/contracts';
import { authMetrics, type Principal } from './auth';
import type { ChannelHub } from './channel-hub';
import { TokenExpiryGuard } from './connection-guards';
import { errorFrame, type Frame } from './frame';
import { gatewayMetrics, type CloseReason } from './metrics';
import { Outbound, type FlushScheduler, type FrameSink } from './outbound';
import { retryAfterSeconds } from './rate-limits';
import { Session } from './session';

export interface SseServerOptions {
  maxOutboundBytes: number;
  /** slow consumers are conflated this long before the close (0 = close at once) */
  slowConsumerGraceMs: number;
  maxSubscriptions: number;
  heartbeatMs: number;
  closeTimeoutMs: number;
}

interface SseConn {
  readonly res: ServerResponse;
  readonly session: Session;
  readonly out: Outbound;
  expiry?: TokenExpiryGuard;
}

export class SseServer {
  private readonly conns = new Set<SseConn>();
  private readonly heartbeatTimer: NodeJS.Timeout;

  constructor(
    private readonly hub: ChannelHub,
    private readonly scheduler: FlushScheduler,
    private readonly welcome: Frame,
    private readonly opts: SseServerOptions,
  ) {
    this.heartbeatTimer = setInterval(() => this.heartbeat(), opts.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  get size(): number {
    return this.conns.size;
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL, principal?: Principal): void {
    const channels = (url.searchParams.get('channels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const holder: { c?: SseConn } = {};
    const sink: FrameSink = {
      transport: 'sse',
      bufferedAmount: () => res.writableLength,
      writeBatch: (frames) => {
        if (res.writableEnded || res.destroyed) return;
        res.cork();
        for (const f of frames) res.write(f.forSse());
        res.uncork();
      },
    };
    const out = new Outbound(
      sink,
      this.scheduler,
      this.opts.maxOutboundBytes,
      () => {
        if (holder.c !== undefined) this.end(holder.c, 'slow_consumer');
      },
      this.opts.slowConsumerGraceMs,
    );
    const session = new Session('sse', this.hub, out, {
      maxSubscriptions: this.opts.maxSubscriptions,
      ...(principal === undefined ? {} : { principal }),
    });
    // `depth` (1..100) for book channels; anything else means the default tier
    const depthParam = Number(url.searchParams.get('depth') ?? 'x');
    const depth =
      Number.isInteger(depthParam) && depthParam >= 1 && depthParam <= 100 ? depthParam : undefined;

    const problem = channels.length === 0 ? badRequest() : firstRejection(session, channels, depth);
    if (problem !== undefined) {
      gatewayMetrics.inboundError('sse', problem.code);
      if (problem.code === 'forbidden') authMetrics.forbidden();
      const status = problem.code === 'forbidden' ? 403 : problem.code === 'overloaded' ? 503 : 400;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-cache',
      };
      if (problem.retryAfterMs !== undefined)
        headers['Retry-After'] = retryAfterSeconds(problem.retryAfterMs);
      res.writeHead(status, headers);
      res.end(
        errorFrame(problem.code, problem.message, undefined, problem.channel, problem.retryAfterMs).json,
      );
      return;
    }

    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    const c: SseConn = { res, session, out };
    holder.c = c;
    this.conns.add(c);
    gatewayMetrics.connectionOpened('sse');
    res.on('close', () => {
      c.expiry?.stop();
      if (!this.conns.delete(c)) return;
      session.close();
      gatewayMetrics.connectionClosed('sse');
    });
    if (principal?.expiresAt !== undefined)
      c.expiry = new TokenExpiryGuard(principal.expiresAt, () => {
        if (this.conns.has(c) && !session.isClosed) this.end(c, 'token_expired');
      });
    out.push(this.welcome);
    const header = req.headers['last-event-id'];
    const lastId = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('lastEventId');
    session.subscribe(
      channels,
      undefined,
      false,
      lastId ? parseLastEventId(lastId) : undefined,
      undefined,
      depth,
    );
  }

  /** Shutdown: writes what is queued, then ends every stream. */
  endAll(): void {
    for (const c of this.conns) {
      c.out.flush();
      c.expiry?.stop();
      this.end(c, 'shutdown');
    }
  }

  terminateAll(): void {
    for (const c of this.conns) c.res.destroy();
  }

  stop(): void {
    clearInterval(this.heartbeatTimer);
  }

  private end(c: SseConn, why: CloseReason): void {
    gatewayMetrics.closed('sse', why);
    c.session.close();
    c.res.end();
    // A client that does not read never lets end() finish; do not hold its buffers forever.
    const timer = setTimeout(() => c.res.destroy(), this.opts.closeTimeoutMs);
    timer.unref();
    c.res.once('close', () => clearTimeout(timer));
  }

  private heartbeat(): void {
    const line = `: hb ${nowMicros()}\n\n`;
    for (const c of this.conns) {
      if (!c.session.isClosed && !c.res.writableEnded) c.res.write(line);
    }
  }
}

interface Problem {
  code: ErrorCode;
  message: string;
  channel?: string;
  retryAfterMs?: number;
}

function badRequest(): Problem {
  return {
    code: 'bad_request',
    message: 'query parameter "channels" is required: /sse?channels=tob.binance.BTC-USDT',
  };
}

/** SSE subscribes all-or-nothing: the first rejected channel fails the request. */
function firstRejection(
  session: Session,
  channels: string[],
  depth: number | undefined,
): Problem | undefined {
  const r = session.admit(channels, depth).rejected[0];
  if (r === undefined) return undefined;
  const p: Problem = { code: r.code, message: r.message, channel: r.name };
  if (r.retryAfterMs !== undefined) p.retryAfterMs = r.retryAfterMs;
  return p;
}

/**
 * `ch:epoch:seq[,ch:epoch:seq...]` → resume positions. Malformed parts are ignored (that channel
 * gets a plain snapshot); channel names never contain `:`.
 */
export function parseLastEventId(text: string): Record<string, ResumePosition> {
  const out = Object.create(null) as Record<string, ResumePosition>;
  for (const part of text.slice(0, 16_384).split(',', 100)) {
    const m = /^([^:,\s]{1,128}):(\d{1,10}):(\d{1,15})$/.exec(part.trim());
    if (m === null) continue;
    out[m[1]!] = { epoch: Number(m[2]), seq: Number(m[3]) };
  }
  return out;
}
