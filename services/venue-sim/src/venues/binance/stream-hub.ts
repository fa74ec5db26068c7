/**
 * The WebSocket side of the Binance venue: connections, their stream subscriptions, fan-out,
 * keep-alive and backpressure.
 *
 * Fan-out contract (serialize once): an event is rendered at most once per variant — raw or
 * combined (per stream name) × ms or µs — and the same Buffer is handed to every connection of
 * that variant. `E` is read with `nowMicros()` right before the send loop of the event, so it is
 * the actual send time on the shared process clock (frame → client latency is measurable).
 *
 * Keep-alive: a ping frame every `pingIntervalMs`; a connection without any pong for
 * `pongTimeoutMs` is terminated. Client pings are answered by `ws` itself (autoPong).
 * Backpressure: a connection whose unsent bytes exceed `maxBufferedBytes` is closed with 1008.
 */
import { nowMicros } from '@tickmesh/contracts';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../log';
import { MAX_STREAMS_PER_CONNECTION, type ConnectTarget } from './streams';
import { serverShutdownEvent, timeIn, wrap } from './wire';

export interface Connection {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  /** `timeUnit=MICROSECOND` */
  readonly micros: boolean;
  /** wrap events as `{"stream":..,"data":..}`; SET_PROPERTY can change it */
  combined: boolean;
  /** subscribed stream names, in subscription order (LIST_SUBSCRIPTIONS) */
  readonly streams: Set<string>;
  lastPongAt: number;
  lastPingAt: number;
  closing: boolean;
}

export interface HubOptions {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxBufferedBytes: number;
}

/** Renders an event's payload (unwrapped) for a send time in µs and a time unit. */
export type Render = (sendMicros: number, inMicros: boolean) => string;

export class StreamHub {
  private readonly conns = new Set<Connection>();
  private readonly subscribers = new Map<string, Set<Connection>>();
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private readonly emptyWaiters: (() => void)[] = [];

  constructor(
    private readonly opts: HubOptions,
    private readonly log: Logger,
    private readonly onMessage: (conn: Connection, text: string) => void,
  ) {}

  get size(): number {
    return this.conns.size;
  }

  /** the open connections' sockets (stall fault) */
  *sockets(): Iterable<WebSocket> {
    for (const c of this.conns) if (!c.closing) yield c.ws;
  }

  add(ws: WebSocket, target: ConnectTarget, remote: string): Connection {
    const now = performance.now();
    const conn: Connection = {
      id: this.nextId++,
      ws,
      remote,
      micros: target.micros,
      combined: target.combined,
      streams: new Set(),
      lastPongAt: now,
      lastPingAt: now,
      closing: false,
    };
    this.conns.add(conn);
    this.subscribe(conn, target.streams);
    ws.on('pong', () => (conn.lastPongAt = performance.now()));
    ws.on('message', (data: RawData) => this.onMessage(conn, toText(data)));
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'ws error'));
    ws.on('close', (code) => {
      this.remove(conn);
      this.log.debug({ conn: conn.id, code }, 'ws closed');
    });
    if (this.keepalive === undefined) {
      const period = Math.max(10, Math.min(this.opts.pingIntervalMs, this.opts.pongTimeoutMs, 1000));
      this.keepalive = setInterval(() => this.keepAlive(), period);
    }
    return conn;
  }

  /** Adds subscriptions; false (and nothing added) if the connection would exceed the stream limit. */
  subscribe(conn: Connection, names: readonly string[]): boolean {
    const fresh = names.filter((n) => !conn.streams.has(n));
    if (conn.streams.size + fresh.length > MAX_STREAMS_PER_CONNECTION) return false;
    for (const name of fresh) {
      conn.streams.add(name);
      let set = this.subscribers.get(name);
      if (set === undefined) this.subscribers.set(name, (set = new Set()));
      set.add(conn);
    }
    return true;
  }

  unsubscribe(conn: Connection, names: readonly string[]): void {
    for (const name of names) {
      if (!conn.streams.delete(name)) continue;
      const set = this.subscribers.get(name);
      set?.delete(conn);
      if (set?.size === 0) this.subscribers.delete(name);
    }
  }

  hasSubscribers(names: readonly string[]): boolean {
    return names.some((n) => this.subscribers.has(n));
  }

  /** Sends one event to every subscriber of any of `names`. Returns the number of frames sent. */
  publish(names: readonly string[], render: Render): number {
    const sendMicros = nowMicros();
    let rawMs: Buffer | undefined;
    let rawUs: Buffer | undefined;
    let textMs: string | undefined;
    let textUs: string | undefined;
    let frames = 0;
    for (const name of names) {
      const set = this.subscribers.get(name);
      if (set === undefined) continue;
      let combinedMs: Buffer | undefined;
      let combinedUs: Buffer | undefined;
      for (const conn of set) {
        let frame: Buffer;
        if (conn.micros) {
          textUs ??= render(sendMicros, true);
          frame = conn.combined
            ? (combinedUs ??= Buffer.from(wrap(name, textUs)))
            : (rawUs ??= Buffer.from(textUs));
        } else {
          textMs ??= render(sendMicros, false);
          frame = conn.combined
            ? (combinedMs ??= Buffer.from(wrap(name, textMs)))
            : (rawMs ??= Buffer.from(textMs));
        }
        if (this.send(conn, frame)) frames++;
      }
    }
    return frames;
  }

  /** Sends a control reply (not subject to fan-out). */
  reply(conn: Connection, text: string): void {
    this.send(conn, Buffer.from(text));
  }

  /** Closes every connection with `code`; returns how many were open. */
  closeAll(code: number, reason: string): number {
    let n = 0;
    for (const conn of this.conns) {
      if (conn.closing) continue;
      conn.closing = true;
      conn.ws.close(code, reason);
      n++;
    }
    return n;
  }

  /** Venue shutdown: a `serverShutdown` event (like Binance before maintenance), then close 1001. */
  shutdown(): void {
    const us = nowMicros();
    for (const conn of this.conns) {
      const event = serverShutdownEvent(timeIn(us, conn.micros));
      this.send(conn, Buffer.from(conn.combined ? wrap('!serverShutdown', event) : event));
    }
    this.closeAll(1001, 'server shutdown');
    this.stopKeepalive();
  }

  /** Resolves when no connection is left, or after `timeoutMs`, whichever comes first. */
  drained(timeoutMs: number): Promise<void> {
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.emptyWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** Force-closes whatever is left (after the close handshake had its chance). */
  terminateAll(): void {
    for (const conn of this.conns) conn.ws.terminate();
    this.stopKeepalive();
  }

  private send(conn: Connection, frame: Buffer): boolean {
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

  private keepAlive(): void {
    const now = performance.now();
    for (const conn of this.conns) {
      if (now - conn.lastPongAt > this.opts.pongTimeoutMs) {
        this.log.info({ conn: conn.id, remote: conn.remote }, 'no pong within timeout: closing');
        conn.closing = true;
        conn.ws.terminate();
      } else if (now - conn.lastPingAt >= this.opts.pingIntervalMs && conn.ws.readyState === conn.ws.OPEN) {
        conn.lastPingAt = now;
        conn.ws.ping(String(Date.now()));
      }
    }
  }

  private remove(conn: Connection): void {
    this.unsubscribe(conn, [...conn.streams]);
    this.conns.delete(conn);
    if (this.conns.size === 0) {
      this.stopKeepalive();
      for (const done of [...this.emptyWaiters]) done();
    }
  }

  private stopKeepalive(): void {
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
