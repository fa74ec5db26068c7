/**
 * The client's channel registry: local handlers per channel, the server-side subscription state on
 * the current connection, and the subscribe/unsubscribe ops that keep the two in line.
 *
 * One server subscription per channel, whatever the number of local handlers. A channel is
 * `acked` once the gateway acknowledged it on the current connection; every connection loss
 * clears that and the sequence baseline, and the client resubscribes everything on reopen.
 *
 * Batching: subscribes and unsubscribes made in the same tick are queued and sent together from a
 * microtask, one op per kind and option set (`conflate_ms`, `depth`) with at most 100 channels, so
 * a burst of calls (a dashboard switching symbol) costs a few ops of the gateway's per-connection
 * op rate, not one per call. Per channel, ops go out in call order (an unsubscribe never passes an
 * earlier subscribe of the same channel, nor a subscribe an earlier unsubscribe); across channels
 * unsubscribes go first, so they free subscription slots before the subscribes take them. Answers
 * are per channel anyway (an op's per-channel `error`s, then its one `ack`), so each call settles as
 * if it had its own op; an error without a channel (a refused op) settles every call in it.
 *
 * Wildcards (`tob.*.BTC-USDT`): the gateway expands them over the instruments it knows when the
 * subscribe arrives and names the expansion in the ack (`expanded`). Each expanded channel becomes
 * an ordinary entry carrying the wildcard's handlers (so it resumes like any channel); the wildcard
 * entry itself only holds the handlers and is re-sent on reconnect, which picks up instruments that
 * appeared since.
 */
import type { AckMessage, DataMessage, ErrorMessage, ResumePosition } from '@tickmesh/contracts';
import { BookViewState } from './book';
import { ChannelTracker } from './channel-tracker';
import type { Requests } from './requests';
import { TickmeshError, type ClientEvents, type SubscribeOptions, type Subscription } from './types';

export type AnyHandler = (m: DataMessage) => void;

interface Waiter {
  handler: AnyHandler;
  resolve(): void;
  reject(err: TickmeshError): void;
}

interface Entry {
  readonly name: string;
  readonly handlers: Set<AnyHandler>;
  readonly tracker: ChannelTracker;
  acked: boolean;
  /** a subscribe op for this channel is in flight on the current connection */
  requested: boolean;
  /** `conflate_ms` requested for this channel (0 = every update) */
  conflateMs: number;
  /** `depth` requested for a book channel (0 = the gateway's default) */
  depth: number;
  /** a wildcard: the channels it expanded to on this client */
  children: Set<string> | undefined;
  /** a book channel's whole view, so a late handler starts from a snapshot of it, not a diff */
  book?: BookViewState;
  /** the in-flight subscribe carries a resume position: no snapshot will come on its ack */
  resuming: boolean;
  waiters: Waiter[];
}

/** Most channels the gateway accepts in one op. */
export const MAX_CHANNELS_PER_OP = 100;

interface Settle {
  resolve(): void;
  reject(err: TickmeshError): void;
}

/** Ops queued in this tick, merged per kind and options; sent by `flush()`. */
interface Batch {
  readonly kind: 'subscribe' | 'unsubscribe';
  /** `conflateMs:depth` of a subscribe batch, '' for unsubscribes */
  readonly key: string;
  readonly conflateMs: number;
  readonly depth: number;
  readonly names: Set<string>;
  /** the unsubscribe calls waiting for this op (subscribe calls wait on their channel's entry) */
  readonly settles: Settle[];
}

export interface RegistryDeps {
  requests: Requests;
  /** send resume positions on resubscribe */
  resume: boolean;
  send(op: object): void;
  isOpen(): boolean;
  emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void;
}

export class ChannelRegistry {
  private readonly entries = new Map<string, Entry>();
  /** ops of this tick, in send order */
  private queue: Batch[] = [];
  private flushScheduled = false;

  constructor(private readonly deps: RegistryDeps) {}

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The epoch of a channel's current stream, if any. */
  epochOf(name: string): number | undefined {
    return this.entries.get(name)?.tracker.position?.epoch;
  }

  /** Adds a handler; resolves when the gateway has acknowledged the channel. */
  add(name: string, handler: AnyHandler, opts: SubscribeOptions = {}): Promise<Subscription> {
    let e = this.entries.get(name);
    if (e === undefined) {
      e = {
        name,
        handlers: new Set(),
        tracker: new ChannelTracker(name),
        acked: false,
        requested: false,
        resuming: false,
        conflateMs: opts.conflateMs ?? 0,
        depth: opts.depth ?? 0,
        children: name.includes('*') ? new Set() : undefined,
        waiters: [],
      };
      this.entries.set(name, e);
    }
    for (const c of e.children ?? []) this.addChildHandler(c, handler);
    e.handlers.add(handler);
    const sub: Subscription = { channel: name, unsubscribe: () => this.remove(name, handler) };
    if (e.acked) {
      // Live already: this handler starts from the latest message, as a snapshot.
      const snap = lateSnapshot(e);
      if (snap !== undefined) call(handler, snap);
      return Promise.resolve(sub);
    }
    const entry = e;
    return new Promise((resolve, reject) => {
      entry.waiters.push({ handler, resolve: () => resolve(sub), reject });
      if (!entry.requested && this.deps.isOpen()) {
        entry.requested = true; // queued: later calls of this tick join it
        this.enqueue('subscribe', name, entry.conflateMs, entry.depth);
      }
    });
  }

  /**
   * Sends the subscribe ops for `names` (all registered here) now: one per conflation/depth
   * setting, each of at most MAX_CHANNELS_PER_OP channels (the resubscription after a reconnect).
   */
  request(names: string[]): void {
    const groups = new Map<string, string[]>();
    for (const n of names) {
      const e = this.entries.get(n)!;
      const key = `${e.conflateMs}:${e.depth}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [n]);
      else g.push(n);
    }
    for (const group of groups.values()) {
      const e = this.entries.get(group[0]!)!;
      for (let i = 0; i < group.length; i += MAX_CHANNELS_PER_OP)
        this.requestOp(group.slice(i, i + MAX_CHANNELS_PER_OP), e.conflateMs, e.depth);
    }
  }

  /**
   * Queues a channel for this tick's ops. Per channel, call order is kept: the channel joins a
   * batch of its kind and options placed after every queued batch that names it. Unsubscribes
   * may otherwise go before queued subscribes (freeing slots early); subscribes never pass a
   * queued unsubscribe.
   */
  private enqueue(kind: Batch['kind'], name: string, conflateMs = 0, depth = 0, settle?: Settle): void {
    const key = kind === 'subscribe' ? `${conflateMs}:${depth}` : '';
    const q = this.queue;
    let after = 0; // the first index the channel may go to
    for (let i = q.length - 1; i >= 0; i--) {
      const b = q[i]!;
      if (!b.names.has(name)) continue;
      if (b.kind === kind && b.key === key) {
        // already queued (an unsubscribe asked twice): one op answers both
        if (settle !== undefined) b.settles.push(settle);
        return;
      }
      after = i + 1;
      break;
    }
    if (kind === 'subscribe') {
      // after every queued unsubscribe: the slots they free may be needed
      for (let i = q.length - 1; i >= after; i--)
        if (q[i]!.kind === 'unsubscribe') {
          after = i + 1;
          break;
        }
    }
    let target = q.findIndex(
      (b, i) => i >= after && b.kind === kind && b.key === key && b.names.size < MAX_CHANNELS_PER_OP,
    );
    if (target < 0) {
      const b: Batch = { kind, key, conflateMs, depth, names: new Set(), settles: [] };
      // a new unsubscribe batch goes as early as the channel allows, a subscribe batch last
      target = kind === 'unsubscribe' ? after : q.length;
      q.splice(target, 0, b);
    }
    const b = q[target]!;
    b.names.add(name);
    if (settle !== undefined) b.settles.push(settle);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Sends the queued ops now. Runs from a microtask after the calls of a tick; the client also
   * calls it before sending another op (ping, list, auth), so ops leave in call order.
   */
  flush(): void {
    this.flushScheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const b of q) {
      if (b.kind === 'unsubscribe') {
        this.unsubscribeOp([...b.names], b.settles);
        continue;
      }
      // Still wanted: an entry that is gone or was answered meanwhile needs no op.
      const names = [...b.names].filter((n) => {
        const e = this.entries.get(n);
        return e !== undefined && e.requested && !e.acked;
      });
      if (names.length > 0) this.requestOp(names, b.conflateMs, b.depth);
    }
  }

  private requestOp(names: string[], conflateMs: number, depth: number): void {
    for (const n of names) this.entries.get(n)!.requested = true;
    const id = this.deps.requests.register({
      onAck: (m: AckMessage) => {
        // Expanded channels first: they must exist before their ack is processed.
        for (const [pattern, chans] of Object.entries(m.expanded ?? {}))
          this.expandedTo(pattern, chans, conflateMs, depth);
        for (const ch of m.channels) this.acked(ch);
        for (const n of names) if (n.includes('*') && this.entries.get(n)?.requested === true) this.acked(n);
        // The gateway names every channel of an op in its ack or in an error: never left waiting.
        for (const n of names)
          if (this.entries.get(n)?.requested === true)
            this.refused(n, new TickmeshError('internal', 'the ack did not name the channel', n));
      },
      onError: (m: ErrorMessage) => {
        const err = (ch: string): TickmeshError => new TickmeshError(m.code, m.message, ch, m.retryAfterMs);
        if (m.channel !== undefined) this.refused(m.channel, err(m.channel));
        else for (const n of names) this.refused(n, err(n));
      },
      onFail: (reason) => {
        // Lost connections resubscribe on reopen; close() rejects the waiters itself.
        if (reason === 'timeout')
          for (const n of names) this.refused(n, new TickmeshError('timeout', 'no ack', n));
      },
    });
    const resume = this.deps.resume ? this.resumePositions(names) : undefined;
    const op: Record<string, unknown> = { op: 'subscribe', id, channels: names };
    if (conflateMs > 0) op['conflate_ms'] = conflateMs;
    if (depth > 0) op['depth'] = depth;
    if (resume !== undefined) op['resume'] = resume;
    this.deps.send(op);
  }

  /**
   * Positions of channels whose every handler has seen the stream: a handler still waiting for its
   * first message needs a snapshot, which a resume would not send.
   */
  private resumePositions(names: string[]): Record<string, ResumePosition> | undefined {
    let out: Record<string, ResumePosition> | undefined;
    for (const n of names) {
      const e = this.entries.get(n)!;
      const pos = e.tracker.position;
      e.resuming = pos !== undefined && e.waiters.length === 0;
      if (pos === undefined || !e.resuming) continue;
      (out ??= {})[n] = pos;
    }
    return out;
  }

  /** A wildcard's expansion: each channel gets (or joins) an entry with the wildcard's handlers. */
  private expandedTo(pattern: string, chans: string[], conflateMs: number, depth: number): void {
    const p = this.entries.get(pattern);
    if (p === undefined || p.children === undefined) return;
    for (const ch of chans) {
      p.children.add(ch);
      let c = this.entries.get(ch);
      if (c === undefined) {
        c = {
          name: ch,
          handlers: new Set(),
          tracker: new ChannelTracker(ch),
          acked: false,
          requested: true,
          resuming: false,
          conflateMs,
          depth,
          children: undefined,
          waiters: [],
        };
        this.entries.set(ch, c);
      }
      for (const h of p.handlers) this.addChildHandler(ch, h);
    }
  }

  private addChildHandler(ch: string, h: AnyHandler): void {
    const c = this.entries.get(ch);
    if (c === undefined || c.handlers.has(h)) return;
    c.handlers.add(h);
    const snap = c.acked ? lateSnapshot(c) : undefined;
    if (snap !== undefined) call(h, snap);
  }

  /** The gateway could not resume `name`: a snapshot follows and sets the new baseline. */
  notRecovered(name: string): void {
    this.entries.get(name)?.tracker.reset();
  }

  /** Routes a data message to its channel's handlers, checking its sequence first. */
  deliver(m: DataMessage): void {
    const e = this.entries.get(m.ch);
    if (e === undefined) return;
    const v = e.tracker.accept(m);
    if (v.gap !== undefined) this.deps.emit('gap', v.gap);
    if (!v.deliver) return;
    if (m.ch.startsWith('book.')) {
      const d = m.data as { venue: string; symbol: string };
      (e.book ??= new BookViewState(d.venue, d.symbol, 1000)).apply(m);
    }
    for (const h of [...e.handlers]) call(h, m);
  }

  /**
   * The connection ended: server state is gone. With `err` (client closed), subscribe calls still
   * waiting are rejected and their handlers removed; otherwise they wait for the resubscription.
   */
  connectionLost(err: TickmeshError | undefined): void {
    // Queued ops die with the connection: subscribes are resent on reopen, unsubscribes are moot.
    const queued = this.queue;
    this.queue = [];
    for (const b of queued) for (const s of b.settles) s.resolve();
    for (const e of [...this.entries.values()]) {
      e.acked = false;
      e.requested = false;
      // The baseline stays while resuming: it is the position to resume from, and a resumed stream
      // continues it. The gateway answers a refused resume with a snapshot, which resets it anyway.
      if (!this.deps.resume || err !== undefined) e.tracker.reset();
      if (err !== undefined) this.refused(e.name, err, false);
    }
  }

  private acked(name: string): void {
    const e = this.entries.get(name);
    if (e === undefined) {
      // Every handler left while the subscribe was in flight.
      if (this.deps.isOpen()) this.enqueue('unsubscribe', name);
      return;
    }
    e.acked = true;
    e.requested = false;
    const waiters = e.waiters;
    e.waiters = [];
    // A handler added while a resume was in flight gets no snapshot from the gateway: it starts
    // from the resume point, which the replayed updates continue.
    const snap = e.resuming ? lateSnapshot(e) : undefined;
    e.resuming = false;
    if (snap !== undefined) for (const w of waiters) call(w.handler, snap);
    for (const w of waiters) w.resolve();
  }

  /** Rejects waiting subscribe calls (dropping their handlers), or reports the error. */
  private refused(name: string, err: TickmeshError, report = true): void {
    const e = this.entries.get(name);
    if (e === undefined) return;
    e.requested = false;
    const waiters = e.waiters;
    e.waiters = [];
    for (const w of waiters) {
      e.handlers.delete(w.handler);
      w.reject(err);
    }
    if (e.handlers.size === 0) this.entries.delete(name);
    else if (waiters.length === 0 && report) this.deps.emit('error', err);
  }

  private remove(name: string, handler: AnyHandler): Promise<void> {
    const e = this.entries.get(name);
    if (e === undefined || !e.handlers.delete(handler)) return Promise.resolve();
    if (e.children !== undefined) {
      // A wildcard's handler leaves each expanded channel; the wildcard itself has no server state.
      const done = [...e.children].map((c) => this.remove(c, handler));
      if (e.handlers.size === 0) this.entries.delete(name);
      return Promise.all(done).then(() => undefined);
    }
    if (e.handlers.size > 0) return Promise.resolve();
    this.entries.delete(name);
    // Not acked yet: acked() sends the unsubscribe when the ack arrives. Not open: nothing to undo.
    if (!e.acked || !this.deps.isOpen()) return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue('unsubscribe', name, 0, 0, { resolve, reject }));
  }

  /**
   * One unsubscribe op for its callers: resolved on the ack (per-channel errors such as
   * `not_subscribed` leave nothing to undo), rejected on an op-level error or the deadline.
   */
  private unsubscribeOp(names: string[], settles: Settle[]): void {
    const id = this.deps.requests.register({
      onAck: () => settles.forEach((s) => s.resolve()),
      onError: (m) => {
        if (m.channel === undefined)
          for (const s of settles) s.reject(new TickmeshError(m.code, m.message, undefined, m.retryAfterMs));
      },
      onFail: (reason) =>
        settles.forEach((s) =>
          reason === 'timeout' ? s.reject(new TickmeshError('timeout', 'no ack')) : s.resolve(),
        ),
    });
    this.deps.send({ op: 'unsubscribe', id, channels: names });
  }
}

/**
 * The latest state of a channel as a snapshot message, for a handler that joins a live channel:
 * the last message for state channels, the whole view for a book (never a diff).
 */
function lateSnapshot(e: Entry): DataMessage | undefined {
  const last = e.tracker.last;
  if (last === undefined) return undefined;
  if (e.book !== undefined)
    return e.book.ready ? { ...last, type: 'snapshot', data: e.book.data() } : undefined;
  return last.type === 'snapshot' ? last : { ...last, type: 'snapshot' };
}

/** Calls an application handler; its exception surfaces as uncaught without breaking delivery. */
function call(handler: AnyHandler, m: DataMessage): void {
  try {
    handler(m);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}
