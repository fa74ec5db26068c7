/**
 * One venue WebSocket connection's lifecycle: connect, send subscriptions, keep-alive (answer
 * server pings — ws does it — or send the venue's text ping), stale-socket watchdog, reconnect with
 * capped full-jitter backoff. Frames go to `onFrame` untouched; this class knows nothing of books.
 */
import WebSocket from 'ws';
import { nowMicros } from '@tickmesh/contracts';
import { createLogger, metrics, type Logger } from '@tickmesh/observability';
import { Backoff } from './backoff';

export interface ConnectionOptions {
  venue: string;
  name: string;
  url: string;
  subscribeFrames: string[];
  staleSocketMs: number;
  clientPing?: { intervalMs: number; payload: string };
  maxPayloadBytes?: number;
}

export interface ConnectionEvents {
  onOpen(): void;
  onFrame(text: string, recvTs: number): void;
  onClose(reason: string): void;
}

const reconnects = metrics.counter('tickmesh_feed_reconnects_total', 'venue WebSocket reconnects');
const frames = metrics.counter('tickmesh_feed_frames_total', 'frames received from venues');
const frameBytes = metrics.counter('tickmesh_feed_frame_bytes_total', 'bytes received from venues');

export class VenueConnection {
  private ws: WebSocket | undefined;
  private readonly backoff = new Backoff(250, 30_000);
  private watchdog: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastFrameAt = 0;
  private stopped = false;
  private readonly log: Logger;
  private readonly frameCounter;
  private readonly byteCounter;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.log = createLogger('venue-connection', { venue: opts.venue, conn: opts.name });
    this.frameCounter = frames.labels({ venue: opts.venue });
    this.byteCounter = frameBytes.labels({ venue: opts.venue });
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes now; `reconnect` = open again after a backoff (venue shutdown notice, rollover). */
  restart(reason: string): void {
    this.log.info({ reason }, 'restarting connection');
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.clearTimers();
    this.ws?.close(1000, 'shutdown');
    this.ws = undefined;
  }

  /** Sends a text frame now; false when the socket is not open (a reconnect resubscribes everything). */
  send(text: string): boolean {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(text);
    return true;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private open(): void {
    const ws = new WebSocket(this.opts.url, {
      perMessageDeflate: false,
      maxPayload: this.opts.maxPayloadBytes ?? 16 * 1024 * 1024,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let closed = false;
    const onGone = (reason: string): void => {
      if (closed) return;
      closed = true;
      this.clearTimers();
      if (this.ws === ws) this.ws = undefined;
      this.events.onClose(reason);
      if (!this.stopped) this.scheduleReconnect(reason);
    };
    ws.on('open', () => {
      this.log.info({ url: this.opts.url.slice(0, 200) }, 'venue connected');
      this.lastFrameAt = Date.now();
      this.armTimers(ws);
      this.events.onOpen();
      for (const f of this.opts.subscribeFrames) ws.send(f);
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const recvTs = nowMicros();
      this.lastFrameAt = Date.now();
      this.backoff.reset();
      // binaryType is 'nodebuffer' (the ws default): `data` is already a Buffer, never copy it
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      this.frameCounter.inc();
      this.byteCounter.inc(buf.length);
      if (isBinary) return;
      this.events.onFrame(buf.toString(), recvTs);
    });
    ws.on('ping', () => {
      this.lastFrameAt = Date.now();
    });
    ws.on('error', (err) => {
      this.log.warn({ err: err.message }, 'venue socket error');
    });
    ws.on('unexpected-response', (_req, res) => {
      this.log.warn({ status: res.statusCode }, 'venue refused the WebSocket upgrade');
      ws.terminate();
      onGone(`upgrade refused: HTTP ${res.statusCode}`);
    });
    ws.on('close', (code, reason) => onGone(`closed ${code} ${reason.toString()}`.trim()));
  }

  private armTimers(ws: WebSocket): void {
    const stale = this.opts.staleSocketMs;
    this.watchdog = setInterval(
      () => {
        if (Date.now() - this.lastFrameAt > stale) {
          this.log.warn({ staleSocketMs: stale }, 'no frame within the stale window; reconnecting');
          ws.terminate();
        }
      },
      Math.max(100, Math.floor(stale / 4)),
    );
    const ping = this.opts.clientPing;
    if (ping !== undefined) {
      this.pinger = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(ping.payload);
      }, ping.intervalMs);
    }
  }

  private clearTimers(): void {
    clearInterval(this.watchdog);
    clearInterval(this.pinger);
    this.watchdog = undefined;
    this.pinger = undefined;
  }

  private scheduleReconnect(reason: string): void {
    const delay = this.backoff.next();
    reconnects.labels({ venue: this.opts.venue }).inc();
    this.log.warn(
      { reason, delayMs: delay, attempt: this.backoff.attempts },
      'venue connection lost; reconnecting',
    );
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, delay);
  }
}
