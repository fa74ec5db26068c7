/**
 * The client's channel registry: local handlers per channel, the server-side subscription state on
 * the current connection, and the subscribe/unsubscribe ops that keep the two in line.
 *
 * One server subscription per channel, whatever the number of local handlers. A channel is
 * `acked` once the gateway acknowledged it on the current connection; every connection loss
 * clears that and the sequence baseline, and the client resubscribes everything on reopen.
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
      if (!entry.requested && this.deps.isOpen()) this.request([name]);
    });
  }

  /** Sends the subscribe ops for `names` (all registered here): one per conflation/depth setting. */
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
      this.requestOp(group, e.conflateMs, e.depth);
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
      if (this.deps.isOpen()) this.unsubscribeOp([name]).catch(() => undefined);
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
    return this.unsubscribeOp([name]);
  }

  private unsubscribeOp(names: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.deps.requests.register({
        onAck: () => resolve(),
        onError: (m) => {
          if (m.channel === undefined) reject(new TickmeshError(m.code, m.message));
        },
        onFail: (reason) =>
          reason === 'timeout' ? reject(new TickmeshError('timeout', 'no ack')) : resolve(),
      });
      this.deps.send({ op: 'unsubscribe', id, channels: names });
    });
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
