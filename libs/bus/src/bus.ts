/**
 * The bus: one NATS connection per process, used directly on every per-message path (NestJS's
 * transport is kept for low-rate control RPC only). Messages are encoded once with the compact
 * codec (libs/contracts) and published without awaiting; nats.js batches writes per event-loop
 * turn.
 *
 * Availability contract: `Bus.start` never blocks the caller on NATS being reachable. It connects
 * in the background and retries forever; while disconnected, publishes are dropped and counted
 * (a book consumer detects the loss through `prevSeq` and resyncs), subscriptions are registered
 * on (re)connect, and `state` / `onState` report the connection for readiness.
 */
import {
  connect,
  headers as natsHeaders,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { codecByName, decode, CodecError, type Codec, type WireMessage } from '@tickmesh/contracts';
import {
  createLogger,
  extractTraceContext,
  injectTraceHeaders,
  injectSampledTrace,
  metrics,
  RateLimitedLog,
  tracingAvailable,
  withSpan,
  type Logger,
  type TraceContext,
} from '@tickmesh/observability';
import { Coalescer } from './coalescer';

export type BusState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface BusOptions {
  /** comma-separated NATS URLs */
  url: string;
  /** connection name shown by the NATS server (service + instance) */
  name: string;
  /** encoding for published messages; consumers decode both */
  codec?: 'binary' | 'json';
  /**
   * Publishes are queued and handed to NATS together once per event-loop turn, and under load at
   * most once per this interval (ms; 0 = every turn). See Coalescer.
   */
  publishIntervalMs?: number;
  /**
   * Carry W3C trace context on 1 in N published messages (headers are created only for those);
   * 0 = off. Default: env TRACE_SAMPLE_EVERY, else 0.
   */
  traceSampleEvery?: number;
  logger?: Logger;
}

/**
 * The trace context a sampled message carries (`traceparent` header), for a handler to continue
 * the trace (`withSpan(name, attrs, fn, ctx)`); undefined for unsampled messages (no headers).
 */
export function traceContextOf(headers: MsgHdrs | undefined): TraceContext | undefined {
  return headers === undefined ? undefined : extractTraceContext(headers);
}

function traceSampleEveryFromEnv(): number {
  const n = Number(process.env['TRACE_SAMPLE_EVERY'] ?? '0');
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** `headers`: set only for messages that carry headers (e.g. a sampled trace context). */
export type RawHandler = (
  data: Uint8Array,
  subject: string,
  reply: string | undefined,
  headers: MsgHdrs | undefined,
) => void;

export type WireHandler = (msg: WireMessage, subject: string, headers: MsgHdrs | undefined) => void;

export interface BusSubscription {
  readonly subject: string;
  unsubscribe(): void;
}

const published = metrics.counter('tickmesh_bus_published_total', 'messages published on NATS');
const publishedBytes = metrics.counter(
  'tickmesh_bus_published_bytes_total',
  'payload bytes published on NATS',
);
const dropped = metrics.counter(
  'tickmesh_bus_publish_dropped_total',
  'messages dropped while NATS was unavailable',
);
const received = metrics.counter('tickmesh_bus_received_total', 'messages received from NATS');
const decodeErrors = metrics.counter(
  'tickmesh_bus_decode_errors_total',
  'NATS payloads that failed to decode',
);
const connGauge = metrics.gauge('tickmesh_nats_connected', '1 when the NATS connection is up');

interface SubEntry {
  subject: string;
  queue: string | undefined;
  handler: WireHandler;
  raw: boolean;
  rawHandler?: RawHandler;
  sub?: Subscription;
  closed: boolean;
}

export class Bus {
  private nc: NatsConnection | undefined;
  private readonly codec: Codec;
  private readonly log: Logger;
  private readonly warn: RateLimitedLog;
  private readonly subs = new Set<SubEntry>();
  private readonly listeners = new Set<(s: BusState) => void>();
  private _state: BusState = 'connecting';
  private stopping = false;
  private readonly outSubjects: string[] = [];
  private readonly outData: Uint8Array[] = [];
  private readonly outHeaders: (MsgHdrs | undefined)[] = [];
  private readonly outbox: Coalescer;
  /** 1-in-N trace sampling of published messages; 0 = off (the hot path then checks one field) */
  private readonly traceEvery: number;
  private traceCountdown: number;

  private constructor(private readonly opts: BusOptions) {
    this.codec = codecByName(opts.codec ?? 'binary');
    this.log = opts.logger ?? createLogger('bus');
    this.warn = new RateLimitedLog(this.log);
    this.outbox = new Coalescer(() => this.flushOutbox(), opts.publishIntervalMs ?? 0);
    // without the OTel SDK loaded (see @tickmesh/observability/tracing) there is nothing to carry
    this.traceEvery = tracingAvailable() ? (opts.traceSampleEvery ?? traceSampleEveryFromEnv()) : 0;
    this.traceCountdown = this.traceEvery;
    connGauge.set(0);
  }

  /** Starts connecting in the background and returns at once. */
  static start(opts: BusOptions): Bus {
    const bus = new Bus(opts);
    void bus.connectLoop();
    return bus;
  }

  /** Starts and waits until the first connection (or the timeout). */
  static async connect(opts: BusOptions, timeoutMs = 10_000): Promise<Bus> {
    const bus = Bus.start(opts);
    await bus.ready(timeoutMs);
    return bus;
  }

  get state(): BusState {
    return this._state;
  }

  get codecName(): string {
    return this.codec.name;
  }

  onState(fn: (s: BusState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  ready(timeoutMs = 10_000): Promise<void> {
    if (this._state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`NATS at ${this.opts.url} not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onState((s) => {
        if (s === 'connected') {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
  }

  /** Encodes once and publishes. Never throws for connectivity; returns false when dropped. */
  publish(subject: string, msg: WireMessage, headers?: MsgHdrs): boolean {
    return this.publishRaw(subject, this.codec.encode(msg), headers);
  }

  /**
   * Queues a payload for the next outbox flush (see `publishIntervalMs`); order is kept. Returns
   * false, and counts a drop, when NATS is unavailable.
   */
  publishRaw(subject: string, data: Uint8Array, headers?: MsgHdrs): boolean {
    if (this.nc === undefined || this._state !== 'connected') {
      dropped.inc();
      return false;
    }
    if (this.traceEvery !== 0 && --this.traceCountdown <= 0 && headers === undefined)
      headers = this.sampledHeaders(subject);
    this.outSubjects.push(subject);
    this.outData.push(data);
    this.outHeaders.push(headers);
    this.outbox.request();
    return true;
  }

  /** Off the common path: the 1-in-N sampled message gets trace headers. */
  private sampledHeaders(subject: string): MsgHdrs {
    this.traceCountdown = this.traceEvery;
    const h = natsHeaders();
    injectSampledTrace(h, 'bus.publish', {
      'messaging.system': 'nats',
      'messaging.destination.name': subject,
    });
    return h;
  }

  private flushOutbox(): void {
    const nc = this.nc;
    const n = this.outSubjects.length;
    if (nc === undefined || this._state !== 'connected') {
      dropped.inc(n);
    } else {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const data = this.outData[i]!;
        const headers = this.outHeaders[i];
        try {
          if (headers === undefined) nc.publish(this.outSubjects[i]!, data);
          else nc.publish(this.outSubjects[i]!, data, { headers });
          bytes += data.length;
        } catch (err) {
          dropped.inc();
          this.warn.warn(
            'publish',
            { err: (err as Error).message, subject: this.outSubjects[i] },
            'publish failed',
          );
        }
      }
      published.inc(n);
      publishedBytes.inc(bytes);
    }
    this.outSubjects.length = 0;
    this.outData.length = 0;
    this.outHeaders.length = 0;
  }

  /** Subscribes with decoding; malformed payloads are counted and logged, never thrown. */
  subscribe(subject: string, handler: WireHandler, opts: { queue?: string } = {}): BusSubscription {
    return this.addSub({ subject, queue: opts.queue, handler, raw: false, closed: false });
  }

  /** Subscribes to raw payloads (request handlers, pass-through). */
  subscribeRaw(subject: string, handler: RawHandler, opts: { queue?: string } = {}): BusSubscription {
    return this.addSub({
      subject,
      queue: opts.queue,
      handler: () => undefined,
      raw: true,
      rawHandler: handler,
      closed: false,
    });
  }

  /**
   * Request/reply for low-rate control paths (snapshots). Rejects when NATS is unavailable.
   * `headers`: e.g. `traceHeaders()` inside a span, so the responder continues the trace.
   */
  async request(subject: string, data: Uint8Array, timeoutMs = 2000, headers?: MsgHdrs): Promise<Uint8Array> {
    const nc = this.nc;
    if (nc === undefined || this._state !== 'connected') throw new Error('NATS unavailable');
    const m = await nc.request(
      subject,
      data,
      headers === undefined ? { timeout: timeoutMs } : { timeout: timeoutMs, headers },
    );
    return m.data;
  }

  /** Replies to a request (reply subject from subscribeRaw). */
  respond(reply: string, data: Uint8Array): boolean {
    return this.publishRaw(reply, data);
  }

  newHeaders(): MsgHdrs {
    return natsHeaders();
  }

  /**
   * Headers carrying the active span's trace context, or undefined when no sampled span is active.
   * For low-rate publishes made inside `withSpan` (snapshot replies, status changes).
   */
  traceHeaders(): MsgHdrs | undefined {
    const h = natsHeaders();
    return injectTraceHeaders(h) ? h : undefined;
  }

  /** Flushes pending publishes and closes (drain). Idempotent. */
  async close(): Promise<void> {
    if (this.stopping) return;
    if (this.outSubjects.length > 0) this.flushOutbox();
    this.stopping = true;
    const nc = this.nc;
    if (nc !== undefined && !nc.isClosed()) {
      try {
        await nc.drain();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'drain failed');
        await nc.close().catch(() => undefined);
      }
    }
    this.setState('closed');
  }

  private addSub(entry: SubEntry): BusSubscription {
    this.subs.add(entry);
    const nc = this.nc;
    if (nc !== undefined && !nc.isClosed())
      withSpan(
        'bus.subscribe',
        { 'messaging.system': 'nats', 'messaging.destination.name': entry.subject },
        () => this.attach(nc, entry),
      );
    return {
      subject: entry.subject,
      unsubscribe: () => {
        entry.closed = true;
        this.subs.delete(entry);
        entry.sub?.unsubscribe();
      },
    };
  }

  private attach(nc: NatsConnection, e: SubEntry): void {
    const opts = e.queue === undefined ? {} : { queue: e.queue };
    e.sub = nc.subscribe(e.subject, {
      ...opts,
      callback: (err, m) => {
        if (err !== null) {
          this.warn.warn(`sub:${e.subject}`, { err: err.message, subject: e.subject }, 'subscription error');
          return;
        }
        received.inc();
        if (e.raw) {
          e.rawHandler!(m.data, m.subject, m.reply, m.headers);
          return;
        }
        let msg: WireMessage;
        try {
          msg = decode(m.data);
        } catch (err2) {
          decodeErrors.inc();
          const reason = err2 instanceof CodecError ? err2.message : String(err2);
          this.warn.warn(
            `decode:${m.subject}`,
            { subject: m.subject, reason },
            'dropping undecodable message',
          );
          return;
        }
        try {
          e.handler(msg, m.subject, m.headers);
        } catch (err3) {
          this.warn.warn(
            `handler:${e.subject}`,
            { err: (err3 as Error).stack, subject: m.subject },
            'handler threw',
          );
        }
      },
    });
  }

  private setState(s: BusState): void {
    if (this._state === s) return;
    this._state = s;
    connGauge.set(s === 'connected' ? 1 : 0);
    for (const fn of this.listeners) fn(s);
  }

  private async connectLoop(): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await withSpan(
        'bus.connect',
        { 'messaging.system': 'nats', 'server.address': this.opts.url },
        () =>
          connect({
            servers: this.opts.url.split(',').map((s) => s.trim()),
            name: this.opts.name,
            waitOnFirstConnect: true,
            maxReconnectAttempts: -1,
            reconnectTimeWait: 500,
            reconnectJitter: 250,
            pingInterval: 10_000,
            maxPingOut: 3,
          }),
      );
    } catch (err) {
      if (this.stopping) return;
      this.log.error({ err: (err as Error).message }, 'NATS connect failed; retrying');
      setTimeout(() => void this.connectLoop(), 1000).unref();
      return;
    }
    if (this.stopping) {
      await nc.close();
      return;
    }
    this.nc = nc;
    for (const e of this.subs) this.attach(nc, e);
    this.log.info({ server: nc.getServer() }, 'NATS connected');
    this.setState('connected');
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.log.warn({ server: s.server }, 'NATS disconnected');
          this.setState('reconnecting');
          break;
        case 'reconnect':
          this.log.info({ server: s.server }, 'NATS reconnected');
          this.setState('connected');
          break;
        case 'slowConsumer':
          this.warn.warn('slow', { subject: s.sub.getSubject(), pending: s.pending }, 'NATS slow consumer');
          break;
        case 'error':
          this.warn.warn('nats-error', { err: s.error.message }, 'NATS error');
          break;
        default:
          break;
      }
    }
    if (!this.stopping) {
      this.log.error('NATS connection closed unexpectedly; reconnecting');
      this.setState('connecting');
      this.nc = undefined;
      for (const e of this.subs) delete e.sub;
      setTimeout(() => void this.connectLoop(), 500).unref();
    }
  }
}
