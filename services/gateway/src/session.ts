/**
 * One client connection's protocol state, independent of the transport: its subscriptions, its
 * outbound queue, and the answers to its operations. WebSocket connections feed it text frames;
 * SSE connections subscribe once from the query string.
 *
 * This is where per-connection policy lives (subscription limit, resume, conflation, channel
 * grants, snapshot overload), so transports stay byte movers. Authentication itself and the
 * operation rate happen in the transports (they own the connection's lifecycle).
 *
 * Grants: `principal.grant` decides every channel: explicitly named channels it refuses get
 * `forbidden`, wildcard expansions are filtered silently, `list` shows only instruments with at
 * least one granted channel, and `setPrincipal` (a token refresh) ends subscriptions the new token
 * no longer grants. Nothing of a refused channel is ever joined, so nothing of it is delivered.
 *
 * Overload: before the ack, channels whose join would start a snapshot read (`hub.needsRead`)
 * beyond the reads the adaptive limiter allows now (`hub.snapshotAvailable`) are refused
 * `overloaded` with `retryAfterMs`.
 */
import {
  bookDepthTier,
  nowMicros,
  parseChannelPattern,
  parseChannel,
  matchesPattern,
  type ErrorCode,
  type GatewayClientOp,
  type InstrumentInfo,
  type RequestId,
  type ResumePosition,
} from '@tickmesh/contracts';
import { authMetrics, CONSOLIDATED, GRANTABLE_KINDS, type Grant, type Principal } from './auth';
import type { ChannelHub, Subscriber } from './channel-hub';
import { ackFrame, errorFrame, listFrame, mergeBookFrames, pongFrame, type Frame } from './frame';
import { admitChannels, parseClientOp, type Admission, type Rejected } from './inbound';
import { gatewayMetrics, type Transport } from './metrics';
import type { Outbound } from './outbound';

let nextSessionId = 1;

/**
 * The instruments of which `grant` allows at least one channel (the `list` op and
 * GET /api/instruments); undefined or `*` = all.
 */
export function visibleInstruments(all: InstrumentInfo[], grant: Grant | undefined): InstrumentInfo[] {
  if (grant === undefined || grant.all) return all;
  return all.filter(
    (i) =>
      GRANTABLE_KINDS.some((k) => grant.allows(`${k}.${i.venue}.${i.symbol}`)) ||
      grant.allows(`${CONSOLIDATED}.${i.symbol}`),
  );
}

export interface SessionLimits {
  maxSubscriptions: number;
  /** who is on the connection (absent: public, every channel) */
  principal?: Principal;
}

/** Per-channel latest-wins state of a subscription made with `conflate_ms`. */
interface Conflation {
  readonly ms: number;
  /** when the last update went out (ms) */
  lastSent: number;
  /**
   * updates not yet sent: the latest one for state channels; for book diffs every one since the
   * last send, merged once when they go out (not once per arriving diff)
   */
  pending: Frame[];
  timer: NodeJS.Timeout | undefined;
}

export class Session implements Subscriber {
  readonly id = nextSessionId++;
  /** subscribed channel → its book depth tier (0 for other kinds) */
  private readonly subs = new Map<string, number>();
  private readonly conflation = new Map<string, Conflation>();
  private closed = false;
  /** the principal's grant; undefined = every channel (public mode, `*`) */
  private grant: Grant | undefined;
  private readonly authorize = (ch: string): boolean => this.grant === undefined || this.grant.allows(ch);

  constructor(
    readonly transport: Transport,
    private readonly hub: ChannelHub,
    private readonly out: Outbound,
    private readonly limits: SessionLimits,
  ) {
    const g = limits.principal?.grant;
    this.grant = g === undefined || g.all ? undefined : g;
  }

  /**
   * A new principal (WebSocket `auth`, first or refresh). Subscriptions the new grant refuses end,
   * each with a `forbidden` error naming the channel (no ack: nothing was asked).
   */
  setPrincipal(p: Principal): void {
    this.grant = p.grant.all ? undefined : p.grant;
    if (this.grant === undefined) return;
    let removed = 0;
    for (const [name, tier] of [...this.subs]) {
      if (this.grant.allows(name)) continue;
      this.subs.delete(name);
      this.hub.leave(name, this, tier);
      this.stopConflation(name);
      removed++;
      authMetrics.forbidden();
      this.reject('forbidden', `the new token does not grant channel ${name}`, undefined, name);
    }
    gatewayMetrics.subscriptionsChanged(-removed);
  }

  /** Channel frames from the hub, and any other frame for this connection. */
  deliver(frame: Frame): void {
    if (frame.ch !== undefined) {
      const c = this.conflation.get(frame.ch);
      if (c !== undefined) {
        if (frame.kind === 'update') {
          this.deliverConflated(c, frame);
          return;
        }
        // A snapshot (a rebuilt book) replaces the client's state: a held diff is moot.
        c.pending = [];
      }
    }
    this.out.push(frame);
  }

  /** At most one update per `c.ms`, always the latest, each marked `"conflated":true`. */
  private deliverConflated(c: Conflation, frame: Frame): void {
    const now = Date.now();
    if (c.timer === undefined && now - c.lastSent >= c.ms) {
      c.lastSent = now;
      this.out.push(frame.asConflated());
      return;
    }
    if (c.pending.length > 0) gatewayMetrics.conflated(this.transport, 'conflate_ms');
    // Book diffs merge (latest size per price); state channels keep the latest value.
    if (frame.policy === 'merge') c.pending.push(frame);
    else c.pending = [frame];
    c.timer ??= setTimeout(
      () => {
        c.timer = undefined;
        const held = c.pending;
        c.pending = [];
        if (held.length === 0 || this.closed) return;
        const f = held.length === 1 ? held[0]! : mergeBookFrames(...held);
        c.lastSent = Date.now();
        this.out.push(f.asConflated());
      },
      Math.max(0, c.lastSent + c.ms - now),
    );
  }

  private stopConflation(name: string): void {
    const c = this.conflation.get(name);
    if (c === undefined) return;
    clearTimeout(c.timer);
    this.conflation.delete(name);
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Handles one inbound text frame. Never throws: bad input becomes an `error` frame. */
  handleText(text: string): void {
    const parsed = parseClientOp(text);
    if (!parsed.ok) {
      this.reject('bad_request', parsed.message, parsed.id);
      return;
    }
    this.handleOp(parsed.op);
  }

  /** Answers input the transport refused before parsing (binary frames). */
  reject(code: ErrorCode, message: string, id?: RequestId, channel?: string, retryAfterMs?: number): void {
    gatewayMetrics.inboundError(this.transport, code);
    this.out.push(errorFrame(code, message, id, channel, retryAfterMs));
  }

  handleOp(op: GatewayClientOp): void {
    switch (op.op) {
      case 'subscribe':
        this.subscribe(op.channels, op.id, true, op.resume, op.conflate_ms, op.depth);
        return;
      case 'unsubscribe':
        this.unsubscribe(op.channels, op.id);
        return;
      case 'ping':
        this.out.push(pongFrame(op.id, nowMicros()));
        return;
      case 'list':
        this.out.push(listFrame(op.id, this.visibleInstruments()));
        return;
      case 'auth':
        // The transport handles `auth` (ws-server.ts); SSE has no ops.
        this.reject('bad_request', 'auth is handled by the WebSocket transport', op.id);
        return;
    }
  }

  /** The instruments of which the principal may use at least one channel. */
  visibleInstruments(): InstrumentInfo[] {
    return visibleInstruments(this.hub.list(), this.grant);
  }

  /**
   * Checks channels against this connection's state, limits and grant without subscribing. With
   * `depth` (book tier), also the snapshot limit: joins beyond the reads available now move to
   * `rejected` as `overloaded` (see `overloaded`).
   */
  admit(channels: readonly string[], depth?: number): Admission {
    const a = admitChannels(
      channels,
      this.subs,
      this.limits.maxSubscriptions,
      this.hub.wildcards,
      this.grant === undefined ? undefined : this.authorize,
    );
    this.shedOverload(a, bookDepthTier(depth));
    return a;
  }

  /** Moves joins that need a snapshot read beyond `hub.snapshotAvailable` to `overloaded`. */
  private shedOverload(a: Admission, tier: number): void {
    let available = this.hub.snapshotAvailable;
    if (available === Infinity) return;
    const shed = new Set<string>();
    for (const j of a.join) {
      if (!this.hub.needsRead(j.name, j.channel, j.channel.kind === 'book' ? tier : 0)) continue;
      if (available > 0) available--;
      else shed.add(j.name);
    }
    if (shed.size === 0) return;
    const retryAfterMs = this.hub.overloadRetryAfterMs;
    a.join = a.join.filter((j) => !shed.has(j.name));
    a.accepted = a.accepted.filter((n) => !shed.has(n));
    for (const k of Object.keys(a.expanded)) a.expanded[k] = a.expanded[k]!.filter((n) => !shed.has(n));
    for (const name of shed)
      a.rejected.push({
        name,
        code: 'overloaded',
        message: 'the gateway is busy loading snapshots; retry later',
        retryAfterMs,
      });
  }

  /**
   * Subscribes: per-channel errors first, then one `ack` with the accepted channels, then each new
   * channel's snapshot (now when the gateway has a value, later otherwise). A channel with a
   * `resume` position gets `resumed` + its missed updates, or `not_recovered` + the snapshot.
   */
  subscribe(
    channels: readonly string[],
    id?: RequestId,
    ack = true,
    resume?: Readonly<Record<string, ResumePosition>>,
    conflateMs?: number,
    depth?: number,
  ): void {
    const a = this.admit(channels, depth);
    for (const r of a.rejected) this.rejectChannel(r, id);
    if (ack) this.out.push(ackFrame('subscribe', a.accepted, id, a.expanded));
    const tier = bookDepthTier(depth);
    for (const j of a.join) {
      this.subs.set(j.name, j.channel.kind === 'book' ? tier : 0);
      // State channels: latest wins; book: diffs merged; trades are never conflated.
      if (conflateMs !== undefined && conflateMs > 0 && j.channel.kind !== 'trades')
        this.conflation.set(j.name, { ms: conflateMs, lastSent: 0, pending: [], timer: undefined });
    }
    gatewayMetrics.subscriptionsChanged(a.join.length);
    for (const j of a.join) {
      if (this.closed) return;
      this.hub.join(
        j.name,
        j.channel,
        this,
        resume !== undefined && Object.hasOwn(resume, j.name) ? resume[j.name] : undefined,
        this.subs.get(j.name) ?? 0,
      );
    }
  }

  private rejectChannel(r: Rejected, id: RequestId | undefined): void {
    if (r.code === 'forbidden') authMetrics.forbidden();
    this.reject(r.code, r.message, id, r.name, r.retryAfterMs);
  }

  unsubscribe(channels: readonly string[], id?: RequestId): void {
    const removed: string[] = [];
    const names: string[] = [];
    for (const name of new Set(channels)) {
      const p = name.includes('*') ? parseChannelPattern(name) : undefined;
      if (p === undefined) {
        names.push(name);
        continue;
      }
      // A wildcard unsubscribes every subscribed channel it matches.
      for (const s of this.subs.keys()) {
        const c = parseChannel(s);
        if (c !== undefined && matchesPattern(p, c) && !names.includes(s)) names.push(s);
      }
    }
    for (const name of names) {
      const tier = this.subs.get(name);
      if (tier === undefined || !this.subs.delete(name)) {
        this.reject('not_subscribed', `not subscribed to ${JSON.stringify(name.slice(0, 128))}`, id, name);
        continue;
      }
      this.hub.leave(name, this, tier);
      this.stopConflation(name);
      removed.push(name);
    }
    gatewayMetrics.subscriptionsChanged(-removed.length);
    this.out.push(ackFrame('unsubscribe', removed, id));
  }

  /** Leaves every channel and drops queued frames. Idempotent; the transport closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.stop();
    for (const [name, tier] of this.subs) this.hub.leave(name, this, tier);
    for (const name of [...this.conflation.keys()]) this.stopConflation(name);
    gatewayMetrics.subscriptionsChanged(-this.subs.size);
    this.subs.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
