/**
 * The client's channel registry: local handlers per channel, the server-side subscription state on
 * the current connection, and the subscribe/unsubscribe ops that keep the two in line.
 *
 * One server subscription per channel, whatever the number of local handlers. A channel is
 * `acked` once the gateway acknowledged it on the current connection; every connection loss
 * clears that and the sequence baseline, and the client resubscribes everything on reopen.
 */
import type { AckMessage, DataMessage, ErrorMessage } from '@tickmesh/contracts';
import { ChannelTracker } from './channel-tracker';
import type { Requests } from './requests';
import { TickmeshError, type ClientEvents, type Subscription } from './types';

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
  waiters: Waiter[];
}

export interface RegistryDeps {
  requests: Requests;
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

  /** Adds a handler; resolves when the gateway has acknowledged the channel. */
  add(name: string, handler: AnyHandler): Promise<Subscription> {
    let e = this.entries.get(name);
    if (e === undefined) {
      e = {
        name,
        handlers: new Set(),
        tracker: new ChannelTracker(name),
        acked: false,
        requested: false,
        waiters: [],
      };
      this.entries.set(name, e);
    }
    e.handlers.add(handler);
    const sub: Subscription = { channel: name, unsubscribe: () => this.remove(name, handler) };
    if (e.acked) {
      // Live already: this handler starts from the latest message, as a snapshot.
      const last = e.tracker.last;
      if (last !== undefined) call(handler, last.type === 'snapshot' ? last : { ...last, type: 'snapshot' });
      return Promise.resolve(sub);
    }
    const entry = e;
    return new Promise((resolve, reject) => {
      entry.waiters.push({ handler, resolve: () => resolve(sub), reject });
      if (!entry.requested && this.deps.isOpen()) this.request([name]);
    });
  }

  /** Sends one subscribe op for `names` (all registered here). */
  request(names: string[]): void {
    for (const n of names) this.entries.get(n)!.requested = true;
    const id = this.deps.requests.register({
      onAck: (m: AckMessage) => {
        for (const ch of m.channels) this.acked(ch);
      },
      onError: (m: ErrorMessage) => {
        const err = (ch: string): TickmeshError => new TickmeshError(m.code, m.message, ch);
        if (m.channel !== undefined) this.refused(m.channel, err(m.channel));
        else for (const n of names) this.refused(n, err(n));
      },
      onFail: (reason) => {
        // Lost connections resubscribe on reopen; close() rejects the waiters itself.
        if (reason === 'timeout')
          for (const n of names) this.refused(n, new TickmeshError('timeout', 'no ack', n));
      },
    });
    this.deps.send({ op: 'subscribe', id, channels: names });
  }

  /** Routes a data message to its channel's handlers, checking its sequence first. */
  deliver(m: DataMessage): void {
    const e = this.entries.get(m.ch);
    if (e === undefined) return;
    const v = e.tracker.accept(m);
    if (v.gap !== undefined) this.deps.emit('gap', v.gap);
    if (!v.deliver) return;
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
      e.tracker.reset();
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
