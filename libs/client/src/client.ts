/**
 * TickmeshClient: one WebSocket to a gateway, kept open, with channel subscriptions that survive
 * reconnects.
 *
 * Contracts
 * - `connect()` resolves once the socket is open and keeps it open: after any close (gateway
 *   restart 1012, slow consumer 4008, network loss) it reconnects with capped exponential backoff
 *   and full jitter, then resubscribes every channel. `close()` stops all of that.
 * - Each subscribed channel delivers a snapshot first, then updates. After a reconnect the gateway
 *   resumes each channel from its last (epoch, seq) when it can (`resumed` event: only the missed
 *   updates follow, no snapshot) and otherwise sends a fresh snapshot (`notRecovered` event, usually
 *   a new epoch): handlers must replace their state on every `type: 'snapshot'`. A seq
 *   discontinuity inside an epoch is reported as a `gap` event.
 * - With `token`, the first message on every connection is `{"op":"auth"}`; channels are
 *   (re)subscribed after its ack. Close 4001 (token refused or expired): reconnect at once with a
 *   fresh token (a token function is called again), then back off if it keeps failing. Close 4029
 *   (too many ops) and 1013 (try again later): back off at least the last `retryAfterMs` heard.
 * - `subscribe()` resolves on the gateway's `ack` for the channel and rejects on its `error`.
 *   Several handlers may share a channel: one server subscription, and a late handler gets the
 *   latest message as its snapshot.
 * - Subscribes and unsubscribes of one tick are batched (channels.ts): sent from a microtask as
 *   one op per kind and options, at most 100 channels each, so bursts stay within the gateway's
 *   per-connection op rate. `ping()`, `instruments()` and `refreshToken()` send the queued ops
 *   first, so ops leave in call order.
 */
import type {
  DataMessage,
  ErrorMessage,
  InstrumentInfo,
  NotRecoveredMessage,
  ResumedMessage,
  ServerMessage,
} from '@tickmesh/contracts';
import { BookViewState, type BookOptions, type BookView } from './book';
import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from './backoff';
import { ChannelRegistry, type AnyHandler } from './channels';
import { Emitter } from './emitter';
import { Requests } from './requests';
import { channelStream } from './stream';
import {
  TickmeshError,
  type ClientEvents,
  type ClientState,
  type MessageFor,
  type SubscribeOptions,
  type Subscription,
  type TickmeshClientOptions,
} from './types';
import { OPEN, resolveWebSocket, type WebSocketConstructor, type WebSocketLike } from './websocket';

/** Gateway close codes the client reacts to (docs/gateway-protocol.md). */
const CLOSE_UNAUTHORIZED = 4001;
const CLOSE_RATE_LIMITED = 4029;
const CLOSE_TRY_AGAIN_LATER = 1013;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

export class TickmeshClient {
  private readonly WS: WebSocketConstructor;
  private readonly backoff: Backoff;
  private readonly requests: Requests;
  private readonly events = new Emitter<ClientEvents>();
  private readonly channels: ChannelRegistry;
  private ws: WebSocketLike | undefined;
  private current: ClientState = 'closed';
  /** connect() was called and close() was not */
  private wanted = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private opened: Deferred | undefined;
  /** the last `retryAfterMs` the gateway sent (rate_limited / overloaded), for the next backoff */
  private retryAfterMs = 0;
  /** consecutive 4001 closes: the first reconnects at once with a fresh token, later ones back off */
  private unauthorizedCloses = 0;
  /** `server` of the last welcome message */
  server: string | undefined;

  constructor(private readonly opts: TickmeshClientOptions) {
    this.WS = resolveWebSocket(opts.WebSocket);
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.reconnect };
    this.requests = new Requests(opts.requestTimeoutMs ?? 10_000);
    this.channels = new ChannelRegistry({
      requests: this.requests,
      resume: opts.resume ?? true,
      send: (op) => this.send(op),
      isOpen: () => this.isOpen(),
      emit: (event, value) => this.events.emit(event, value),
    });
  }

  get state(): ClientState {
    return this.current;
  }

  on<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void {
    return this.events.on(event, fn);
  }

  /** Opens the connection (and keeps reopening it). Rejects only if `close()` comes first. */
  connect(): Promise<void> {
    if (this.current === 'open') return Promise.resolve();
    this.wanted = true;
    if (this.opened === undefined) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined); // a caller that does not await must not see an unhandled rejection
      this.opened = { promise, resolve, reject };
    }
    const opened = this.opened;
    if (this.ws === undefined && this.retryTimer === undefined) this.open('connecting');
    return opened.promise;
  }

  /** Closes the socket and stops reconnecting. Subscriptions stay registered for a later connect(). */
  close(): void {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000, 'client closed');
    this.requests.failAll('closed');
    this.channels.connectionLost(new TickmeshError('closed', 'client closed'));
    this.opened?.reject(new TickmeshError('closed', 'client closed before the connection opened'));
    this.opened = undefined;
    this.setState('closed');
  }

  subscribe<C extends string>(
    channel: C,
    onMessage: (m: MessageFor<C>) => void,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.channels.add(channel, onMessage as AnyHandler, opts);
  }

  /** The channel's messages as an async iterator; `break` / `return()` unsubscribes. */
  stream<C extends string>(channel: C): AsyncIterableIterator<MessageFor<C>> {
    return channelStream(this, channel);
  }

  /**
   * A depth book view of `book.<venue>.<symbol>`, kept up to date across snapshots, diffs,
   * gateway-side resyncs, resumes and refused resumes: `onChange` gets the whole view (best first,
   * at most `depth` levels per side) after every change. Subscription errors are reported on the
   * `error` event.
   */
  book(venue: string, symbol: string, opts: BookOptions, onChange: (view: BookView) => void): Subscription {
    const channel = `book.${venue}.${symbol}`;
    const depth = Math.min(100, Math.max(1, opts.depth ?? 25));
    const state = new BookViewState(venue, symbol, depth);
    const sub = this.subscribe(
      channel,
      (m) => {
        if (state.apply(m)) onChange(state.view());
      },
      { depth, conflateMs: opts.conflateMs },
    );
    let live: Subscription | undefined;
    sub.then(
      (s) => (live = s),
      (err: unknown) =>
        this.events.emit(
          'error',
          err instanceof TickmeshError ? err : new TickmeshError('internal', String(err), channel),
        ),
    );
    return {
      channel,
      // Once subscribed, synchronously: it joins the unsubscribes of the caller's tick in one op.
      unsubscribe: () =>
        live !== undefined
          ? live.unsubscribe()
          : sub.then(
              (s) => s.unsubscribe(),
              () => undefined,
            ),
    };
  }

  /** The instruments the gateway knows (venue, symbol, sync state), sorted by venue and symbol. */
  async instruments(): Promise<InstrumentInfo[]> {
    if (!this.isOpen()) {
      if (!this.wanted) throw new TickmeshError('disconnected', 'not connected');
      await new Promise<void>((resolve, reject) => {
        const off = this.on('state', (s) => {
          if (s === 'open') {
            off();
            resolve();
          } else if (s === 'closed') {
            off();
            reject(new TickmeshError('closed', 'client closed'));
          }
        });
      });
    }
    return new Promise((resolve, reject) => {
      const id = this.requests.register({
        onList: (m) => resolve(m.instruments),
        onError: (m: ErrorMessage) => reject(new TickmeshError(m.code, m.message)),
        onFail: (reason) => reject(new TickmeshError(reason, `list: ${reason}`)),
      });
      this.channels.flush(); // ops leave in call order
      this.send({ op: 'list', id });
    });
  }

  /** Round-trip time of a `ping` op, in ms. */
  ping(): Promise<number> {
    if (!this.isOpen()) return Promise.reject(new TickmeshError('disconnected', 'not connected'));
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const id = this.requests.register({
        onPong: () => resolve(performance.now() - start),
        onError: (m: ErrorMessage) => reject(new TickmeshError(m.code, m.message)),
        onFail: (reason) => reject(new TickmeshError(reason, `ping: ${reason}`)),
      });
      this.channels.flush(); // ops leave in call order
      this.send({ op: 'ping', id });
    });
  }

  private isOpen(): boolean {
    return this.current === 'open' && this.ws !== undefined && this.ws.readyState === OPEN;
  }

  private send(op: object): void {
    if (this.ws !== undefined && this.ws.readyState === OPEN) this.ws.send(JSON.stringify(op));
  }

  private open(state: 'connecting' | 'reconnecting'): void {
    this.setState(state);
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.opts.url);
    } catch (err) {
      // A malformed URL will not get better by retrying.
      this.wanted = false;
      this.opened?.reject(err instanceof Error ? err : new Error(String(err)));
      this.opened = undefined;
      this.setState('closed');
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (this.opts.token === undefined) {
        this.ready();
        return;
      }
      this.authenticate(ws).then(
        () => {
          if (this.ws === ws) this.ready();
        },
        (err: unknown) => {
          // refused: the gateway closes with 4001 (or the token function threw: close ourselves)
          if (err instanceof TickmeshError && (err.code === 'disconnected' || err.code === 'closed')) return;
          this.events.emit(
            'error',
            err instanceof TickmeshError ? err : new TickmeshError('unauthorized', `token: ${String(err)}`),
          );
          if (this.ws === ws && !(err instanceof TickmeshError)) ws.close(4000, 'no token');
        },
      );
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws && typeof ev.data === 'string') this.onText(ev.data);
    };
    ws.onerror = () => undefined; // a close event follows; it drives the reconnect
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.disconnected(ev?.code ?? 1006);
    };
  }

  /** The socket is usable: resubscribe everything, resolve connect(). */
  private ready(): void {
    this.attempt = 0;
    this.unauthorizedCloses = 0;
    this.setState('open');
    this.channels.request(this.channels.names());
    this.opened?.resolve();
    this.opened = undefined;
  }

  /** Sends `{"op":"auth"}` with the current token on `ws`; resolves on its ack. */
  private async authenticate(ws: WebSocketLike): Promise<void> {
    const t = this.opts.token;
    const token = typeof t === 'function' ? await t() : t;
    if (this.ws !== ws || ws.readyState !== OPEN) throw new TickmeshError('disconnected', 'socket closed');
    if (typeof token !== 'string' || token === '') throw new Error('the token option gave no token');
    await new Promise<void>((resolve, reject) => {
      const id = this.requests.register({
        onAck: () => resolve(),
        onError: (m: ErrorMessage) => reject(new TickmeshError(m.code, m.message)),
        onFail: (reason) => reject(new TickmeshError(reason, `auth: ${reason}`)),
      });
      this.channels.flush(); // ops leave in call order
      ws.send(JSON.stringify({ op: 'auth', id, token }));
    });
  }

  /**
   * Sends a fresh token on the open connection (e.g. before the current one's `exp`); subscriptions
   * the new token does not grant end with a `forbidden` error event. Needs the `token` option.
   */
  async refreshToken(): Promise<void> {
    const ws = this.ws;
    if (ws === undefined || !this.isOpen()) throw new TickmeshError('disconnected', 'not connected');
    if (this.opts.token === undefined) throw new TickmeshError('unauthorized', 'no token option');
    await this.authenticate(ws);
  }

  private disconnected(code: number): void {
    this.requests.failAll('disconnected');
    this.channels.connectionLost(undefined);
    if (!this.wanted) {
      this.setState('closed');
      return;
    }
    this.setState('reconnecting');
    let delay = backoffDelay(this.attempt++, this.backoff);
    if (code === CLOSE_UNAUTHORIZED && this.opts.token !== undefined && this.unauthorizedCloses++ === 0) {
      delay = 0; // expired or refused: a fresh token right away (then back off if it keeps failing)
    } else if (code === CLOSE_RATE_LIMITED || code === CLOSE_TRY_AGAIN_LATER) {
      delay = Math.max(delay, this.retryAfterMs, this.backoff.baseMs);
    }
    this.retryAfterMs = 0;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted) this.open('reconnecting');
    }, delay);
  }

  private onText(text: string): void {
    let m: ServerMessage | ResumedMessage | NotRecoveredMessage;
    try {
      m = JSON.parse(text) as ServerMessage | ResumedMessage | NotRecoveredMessage;
    } catch {
      return;
    }
    switch (m.type) {
      case 'snapshot':
      case 'update':
        this.channels.deliver(m as DataMessage);
        return;
      case 'ack':
      case 'pong':
      case 'list':
        this.requests.dispatch(m);
        return;
      case 'gap':
        // trades dropped for a slow connection: the next update skips them (marked conflated)
        this.events.emit('gap', {
          channel: m.ch,
          epoch: this.channels.epochOf(m.ch) ?? 0,
          expected: m.from,
          received: m.to + 1,
        });
        return;
      case 'error':
        if (m.retryAfterMs !== undefined) this.retryAfterMs = Math.max(this.retryAfterMs, m.retryAfterMs);
        if (!this.requests.dispatch(m))
          this.events.emit('error', new TickmeshError(m.code, m.message, m.channel, m.retryAfterMs));
        return;
      case 'welcome':
        this.server = m.server;
        return;
      case 'resumed':
        this.events.emit('resumed', m);
        return;
      case 'not_recovered':
        this.channels.notRecovered(m.ch);
        this.events.emit('notRecovered', m);
        return;
    }
  }

  private setState(s: ClientState): void {
    if (this.current === s) return;
    this.current = s;
    this.events.emit('state', s);
  }
}
