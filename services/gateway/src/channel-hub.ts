/**
 * The channel hub: one entry per channel that at least one connection subscribes to, holding the
 * NATS subscription (interest-based: subscribed on the first join, unsubscribed after the last
 * leave), the channel's sequence space (`epoch`, `seq`), and its current value.
 *
 * Contracts
 * - Each NATS message is serialized once per channel; every subscriber gets the same `Frame`.
 * - Per subscriber and channel: exactly one snapshot, then updates with seq +1 each, never a
 *   duplicate or a step back. A subscriber joins `pending` and moves to `live` with its snapshot:
 *   at once from the cached value, else from Redis (tob only), else from the first NATS update.
 * - `epoch` is a random 32-bit value drawn when the entry is created. The entry (its value, seq
 *   and history) outlives its last subscriber by `lingerMs`, keeping the NATS subscription, so a
 *   reconnecting client can resume; after that it is dropped and a later subscription starts a new
 *   sequence space (a new epoch).
 * - Resume: the entry keeps its last `historySize` update frames (and none older than
 *   `historyTtlMs` when set). A join with a position (epoch, seq) of the current epoch whose
 *   successors are all in history gets `resumed` and exactly seq+1..current (the same Frames), then
 *   live updates; any other position gets `not_recovered` and the normal snapshot. Never a partial
 *   replay.
 * - Kinds. `tob`, `status`, `stats`, `consolidated` are state channels: each message replaces the
 *   value (`stats`/`consolidated` are JSON-only subjects, read raw and validated). `trades` batches
 *   the trades of one event-loop turn into one update and keeps the last `tradesSnapshotSize` as
 *   its snapshot (empty at first, so a subscriber gets it at once). `book` is served per depth
 *   tier: one entry per (channel, tier), keyed `<name>@<tier>`, fed by the instrument's shared
 *   `BookMirror`; its updates are diffs of the top-`tier` view, and a rebuilt mirror (resync, new
 *   epoch) is sent in sequence as a `snapshot`-type message.
 */
import { randomInt } from 'node:crypto';
import type { BusSubscription, RawHandler, WireHandler } from '@tickmesh/bus';
import {
  consolidatedSubject,
  decodeBookStats,
  decodeConsolidated,
  statsSubject,
  subjectFor,
  type BookViewData,
  type Channel,
  type InstrumentInfo,
  type NotRecoveredReason,
  type ResumePosition,
  type SyncState,
  type SyncStatus,
  type TopOfBook,
  type Trade,
  type TradeData,
  type WireMessage,
} from '@tickmesh/contracts';
import { createLogger, RateLimitedLog } from '@tickmesh/observability';
import type { AdaptiveLimiter } from './adaptive-concurrency';
import { BookMirror, type MirrorEvent, type MirrorListener, type MirrorOptions } from './book-mirror';
import { diffView, isEmptyDiff, type View } from './book-view';
import {
  dataFrame,
  notRecoveredFrame,
  resumedFrame,
  serializeData,
  type ConflationPolicy,
  type Frame,
} from './frame';
import type { WildcardOptions } from './inbound';
import { InstrumentRegistry } from './instruments';
import { gatewayMetrics } from './metrics';
import type { RedisTob, SnapshotStore } from './snapshot-store';

/** The receiving end of a channel: a connection's session. */
export interface Subscriber {
  deliver(frame: Frame): void;
}

/** The part of the bus the hub needs. */
export interface BusSubscriber {
  subscribe(subject: string, handler: WireHandler): BusSubscription;
  subscribeRaw(subject: string, handler: RawHandler): BusSubscription;
  request(subject: string, data: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
}

interface TradesState {
  readonly ring: TradeData[];
  batch: TradeData[];
  batchVenueTs: number;
}

interface BookTierState {
  readonly mirror: BookMirror;
  readonly listener: MirrorListener;
  /** the view last sent (undefined until the mirror has a book) */
  view: View | undefined;
  state: SyncState;
}

interface ChannelEntry {
  /** map key: the channel name, `<name>@<tier>` for book channels */
  readonly key: string;
  readonly name: string;
  readonly tier: number;
  readonly channel: Channel;
  readonly epoch: number;
  seq: number;
  /** the current value as `data` JSON; undefined until Redis or NATS provides one */
  dataJson: string | undefined;
  /** cached snapshot frame of (dataJson, seq), built on the first join that needs it */
  snapshot: Frame | undefined;
  /** set while the value came from Redis: NATS messages at or before this book position are stale */
  redisMark: { epoch: number; seq: number } | undefined;
  loading: boolean;
  readonly live: Set<Subscriber>;
  readonly pending: Set<Subscriber>;
  readonly sub: { readonly subject: string; unsubscribe(): void };
  readonly trades: TradesState | undefined;
  book: BookTierState | undefined;
  /** recent update frames, consecutive seqs, oldest first */
  readonly history: Frame[];
  /** receive time (ms) of each history frame, for historyTtlMs */
  readonly historyAt: number[];
  /** set while the entry has no subscribers and waits out its linger */
  lingerTimer: NodeJS.Timeout | undefined;
}

export interface HubOptions {
  /** keep a channel (epoch, seq, history, NATS subscription) this long after its last subscriber */
  lingerMs: number;
  /** update frames kept per channel for resume (0 = no resume) */
  historySize: number;
  /** drop history frames older than this (0 = no age limit) */
  historyTtlMs: number;
  /** trades kept per trades channel for its snapshot */
  tradesSnapshotSize: number;
  /** most channels one wildcard subscription may expand to */
  maxWildcardChannels: number;
  mirror: Partial<MirrorOptions>;
  /**
   * The snapshot path's adaptive concurrency limit: a permit per Redis read of a cold `tob` channel
   * and per depth request of a new book mirror (released on the answer or the timeout). Sessions
   * refuse subscriptions that would need more reads than `snapshotAvailable` (`overloaded`).
   */
  snapshotLimiter?: AdaptiveLimiter;
}

const DEFAULT_HUB_OPTIONS: HubOptions = {
  lingerMs: 0,
  historySize: 1000,
  historyTtlMs: 0,
  tradesSnapshotSize: 50,
  maxWildcardChannels: 200,
  mirror: {},
};

export class ChannelHub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly log = createLogger('hub');
  private readonly warn = new RateLimitedLog(this.log);

  private readonly opts: HubOptions;
  private readonly mirrors = new Map<string, BookMirror>();
  private readonly offStatus: () => void;

  constructor(
    private readonly bus: BusSubscriber,
    private readonly store: SnapshotStore,
    opts: Partial<HubOptions> = {},
    /** the known instruments (wildcards, `list`); book mirrors follow its statuses */
    readonly instruments: InstrumentRegistry = new InstrumentRegistry(),
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    this.offStatus = instruments.onStatus((venue, symbol, state, epoch) =>
      this.mirrors.get(`${venue}.${symbol}`)?.onStatus(state, epoch),
    );
  }

  /** Wildcard expansion over the known instruments, with its limit (see inbound.ts). */
  get wildcards(): WildcardOptions {
    return { expand: (p) => this.instruments.expand(p), maxChannels: this.opts.maxWildcardChannels };
  }

  /**
   * Whether joining `name` now would start a snapshot read: a `tob` channel with no value that is
   * not already loading, or a `book` channel of an instrument without a mirror (a depth request to
   * the book-builder). Other kinds never read. Always false without a limiter.
   */
  needsRead(name: string, channel: Channel, tier = 0): boolean {
    if (this.opts.snapshotLimiter === undefined) return false;
    if (channel.kind === 'tob') {
      const e = this.channels.get(name);
      return e === undefined || (e.dataJson === undefined && !e.loading);
    }
    if (channel.kind === 'book') {
      const e = this.channels.get(keyOf(name, channel, tier));
      return e === undefined && !this.mirrors.has(`${channel.venue}.${channel.symbol}`);
    }
    return false;
  }

  /** Snapshot reads that may start now (Infinity without a limiter). */
  get snapshotAvailable(): number {
    return this.opts.snapshotLimiter?.available ?? Infinity;
  }

  /** Retry hint for an `overloaded` refusal. */
  get overloadRetryAfterMs(): number {
    return this.opts.snapshotLimiter?.retryAfterMs ?? 1000;
  }

  /** The instrument list (the `list` op). */
  list(): InstrumentInfo[] {
    return this.instruments.list();
  }

  /**
   * Adds `sub` to channel `name` (already validated as `channel`). Without `resume` its snapshot
   * follows; with it, `resumed` + the missed updates, or `not_recovered` + the snapshot. `tier`:
   * the depth tier of a `book` channel (ignored by other kinds).
   */
  join(name: string, channel: Channel, sub: Subscriber, resume?: ResumePosition, tier = 0): void {
    const key = keyOf(name, channel, tier);
    let e = this.channels.get(key);
    if (e === undefined) e = this.open(key, name, channel, tier);
    if (e.lingerTimer !== undefined) {
      clearTimeout(e.lingerTimer);
      e.lingerTimer = undefined;
    }
    if (resume !== undefined) {
      const reason = this.tryResume(e, sub, resume);
      if (reason === undefined) return;
      gatewayMetrics.resume(reason);
      sub.deliver(notRecoveredFrame(name, reason));
    }
    if (e.dataJson !== undefined) {
      e.live.add(sub);
      sub.deliver(this.snapshotOf(e));
      gatewayMetrics.snapshot('cache');
      return;
    }
    e.pending.add(sub);
    if (channel.kind === 'tob' && !e.loading) void this.loadFromRedis(e);
  }

  leave(name: string, sub: Subscriber, tier = 0): void {
    const e = this.channels.get(name.startsWith('book.') ? `${name}@${tier}` : name);
    if (e === undefined) return;
    e.live.delete(sub);
    e.pending.delete(sub);
    if (e.live.size === 0 && e.pending.size === 0 && e.lingerTimer === undefined) {
      if (this.opts.lingerMs <= 0) {
        this.drop(e);
        return;
      }
      e.lingerTimer = setTimeout(() => {
        e.lingerTimer = undefined;
        if (this.channels.get(e.key) === e && e.live.size === 0 && e.pending.size === 0) this.drop(e);
      }, this.opts.lingerMs);
      e.lingerTimer.unref();
    }
  }

  private drop(e: ChannelEntry): void {
    // Keep the last value as the fallback snapshot while Redis is down (breaker.ts).
    if (e.channel.kind === 'tob' && e.dataJson !== undefined && this.store.remember !== undefined) {
      try {
        const data = JSON.parse(e.dataJson) as Omit<TopOfBook, 'type'>;
        this.store.remember(e.channel, { ...data, type: 'tob', updatedAt: 0 });
      } catch {
        // never: dataJson is our own serialization
      }
    }
    e.sub.unsubscribe();
    this.channels.delete(e.key);
    gatewayMetrics.channelsChanged(-1);
  }

  /**
   * Replays seq+1..current to `sub` and makes it live, or returns why it cannot (nothing sent).
   * Synchronous, so no NATS message can fall between the replay and the live stream.
   */
  private tryResume(e: ChannelEntry, sub: Subscriber, pos: ResumePosition): NotRecoveredReason | undefined {
    if (e.epoch !== pos.epoch || e.dataJson === undefined) return 'epoch changed';
    if (pos.seq > e.seq) return 'unknown position';
    this.expireHistory(e, Date.now());
    const from = pos.seq + 1;
    let start = e.history.length; // from === e.seq + 1: nothing missed
    if (from <= e.seq) {
      const oldest = e.history[0];
      if (oldest === undefined) return 'too old';
      const oldestSeq = e.seq - e.history.length + 1;
      if (from < oldestSeq) return 'too old';
      start = from - oldestSeq;
    }
    e.live.add(sub);
    gatewayMetrics.resume('resumed');
    sub.deliver(resumedFrame(e.name, e.epoch, from, e.seq));
    for (let i = start; i < e.history.length; i++) sub.deliver(e.history[i]!);
    return undefined;
  }

  private expireHistory(e: ChannelEntry, now: number): void {
    let drop = Math.max(0, e.history.length - this.opts.historySize);
    if (this.opts.historyTtlMs > 0) {
      const cutoff = now - this.opts.historyTtlMs;
      while (drop < e.historyAt.length && e.historyAt[drop]! < cutoff) drop++;
    }
    if (drop > 0) {
      e.history.splice(0, drop);
      e.historyAt.splice(0, drop);
    }
  }

  /** NATS subjects the hub is subscribed to (introspection for tests and the index page). */
  subjects(): string[] {
    return [...new Set([...this.channels.values()].map((e) => e.sub.subject))];
  }

  get size(): number {
    return this.channels.size;
  }

  close(): void {
    for (const e of this.channels.values()) {
      e.sub.unsubscribe();
      if (e.lingerTimer !== undefined) clearTimeout(e.lingerTimer);
    }
    gatewayMetrics.channelsChanged(-this.channels.size);
    this.channels.clear();
    for (const m of this.mirrors.values()) m.close();
    this.mirrors.clear();
    this.offStatus();
  }

  private open(key: string, name: string, channel: Channel, tier: number): ChannelEntry {
    // The entry is needed by the handler, and the subscription by the entry: bind late.
    const holder: { e?: ChannelEntry } = {};
    const raw = (subject: string, decode: (d: Uint8Array) => object & { type: string }): BusSubscription =>
      this.bus.subscribeRaw(subject, (data) => {
        const e = holder.e;
        if (e === undefined || this.channels.get(e.key) !== e) return;
        let msg;
        try {
          msg = decode(data);
        } catch (err) {
          this.warn.warn(`decode:${subject}`, { subject, err: (err as Error).message }, 'bad message');
          return;
        }
        this.publishValue(e, serializeData(msg as never), 0);
      });
    let sub: ChannelEntry['sub'];
    let trades: TradesState | undefined;
    let dataJson: string | undefined;
    const { venue, symbol } = channel;
    switch (channel.kind) {
      case 'stats':
        sub = raw(statsSubject(venue, symbol), decodeBookStats);
        break;
      case 'consolidated':
        sub = raw(consolidatedSubject(symbol), decodeConsolidated);
        break;
      case 'trades':
        trades = { ring: [], batch: [], batchVenueTs: 0 };
        dataJson = JSON.stringify({ venue, symbol, trades: [] });
        sub = this.bus.subscribe(subjectFor('trade', venue, symbol), (msg) => {
          if (holder.e !== undefined && msg.type === 'trade') this.onTrade(holder.e, msg);
        });
        break;
      case 'book': {
        const mirror = this.mirrorFor(venue, symbol);
        sub = {
          subject: mirror.subject,
          unsubscribe: () => {
            const b = holder.e?.book;
            if (b !== undefined) mirror.unlisten(b.listener);
            if (mirror.listenerCount === 0) {
              mirror.close();
              this.mirrors.delete(`${venue}.${symbol}`);
            }
          },
        };
        break;
      }
      default:
        sub = this.bus.subscribe(subjectFor(channel.kind, venue, symbol), (msg) => {
          if (holder.e !== undefined) this.onMessage(holder.e, msg);
        });
    }
    const e: ChannelEntry = {
      key,
      name,
      tier,
      trades,
      book: undefined,
      channel,
      epoch: randomInt(1, 2 ** 32),
      seq: 0,
      dataJson,
      snapshot: undefined,
      redisMark: undefined,
      loading: false,
      live: new Set(),
      pending: new Set(),
      sub,
      history: [],
      historyAt: [],
      lingerTimer: undefined,
    };
    holder.e = e;
    // registered first: onMirror only serves an entry the hub holds
    this.channels.set(key, e);
    gatewayMetrics.channelsChanged(1);
    if (channel.kind === 'book') {
      const mirror = this.mirrors.get(`${venue}.${symbol}`)!;
      const listener = (ev: MirrorEvent): void => this.onMirror(e, ev);
      e.book = { mirror, listener, view: undefined, state: mirror.state };
      mirror.listen(listener, tier);
      // a new tier of a book already mirrored starts from the current view at once
      if (mirror.hasBook) this.onMirror(e, 'reset');
    }
    return e;
  }

  private mirrorFor(venue: string, symbol: string): BookMirror {
    const k = `${venue}.${symbol}`;
    let m = this.mirrors.get(k);
    if (m === undefined) {
      m = new BookMirror(venue, symbol, this.bus, this.opts.mirror, this.opts.snapshotLimiter);
      this.mirrors.set(k, m);
    }
    return m;
  }

  /** A book tier's mirror changed: send the view's diff, or a snapshot after a rebuild. */
  private onMirror(e: ChannelEntry, ev: MirrorEvent): void {
    const b = e.book;
    if (b === undefined || this.channels.get(e.key) !== e || !b.mirror.hasBook) return;
    const m = b.mirror;
    const view = m.view(e.tier);
    const state = m.state;
    const full = (v: View): BookViewData => ({
      venue: e.channel.venue,
      symbol: e.channel.symbol,
      depth: e.tier,
      bookEpoch: m.epoch,
      bookSeq: m.seq,
      state,
      bids: v.bids,
      asks: v.asks,
    });
    const first = b.view === undefined;
    if (first || ev === 'reset') {
      b.view = view;
      b.state = state;
      e.dataJson = JSON.stringify(full(view));
      e.snapshot = undefined;
      if (first) {
        if (e.pending.size > 0) this.promotePending(e, 'first_update');
        return;
      }
      // In sequence: a snapshot-type message replaces the client's view (never conflated).
      this.publish(e, 'snapshot', e.dataJson, 0, 'replace');
      return;
    }
    const diff = diffView(b.view!, view);
    if (isEmptyDiff(diff) && state === b.state) return;
    b.view = view;
    b.state = state;
    e.dataJson = JSON.stringify(full(view));
    e.snapshot = undefined;
    const data = full(diff);
    this.publish(e, 'update', JSON.stringify(data), 0, 'merge', data);
  }

  private onTrade(e: ChannelEntry, t: Trade): void {
    const tr = e.trades;
    if (tr === undefined || this.channels.get(e.key) !== e) return;
    const d: TradeData = {
      id: t.id,
      price: t.price,
      size: t.size,
      side: t.side,
      venueTs: t.venueTs,
      recvTs: t.recvTs,
    };
    tr.ring.push(d);
    if (tr.ring.length > this.opts.tradesSnapshotSize)
      tr.ring.splice(0, tr.ring.length - this.opts.tradesSnapshotSize);
    if (tr.batch.length === 0) {
      tr.batchVenueTs = t.venueTs;
      setImmediate(() => this.flushTrades(e));
    }
    tr.batch.push(d);
  }

  private flushTrades(e: ChannelEntry): void {
    const tr = e.trades!;
    const batch = tr.batch;
    tr.batch = [];
    if (this.channels.get(e.key) !== e || batch.length === 0) return;
    const { venue, symbol } = e.channel;
    e.dataJson = JSON.stringify({ venue, symbol, trades: tr.ring });
    e.snapshot = undefined;
    this.publish(e, 'update', JSON.stringify({ venue, symbol, trades: batch }), tr.batchVenueTs, 'drop');
  }

  /** A state channel's new value (tob, status, stats, consolidated). */
  private publishValue(e: ChannelEntry, dataJson: string, venueTs: number): void {
    e.dataJson = dataJson;
    e.snapshot = undefined;
    this.publish(e, 'update', dataJson, venueTs, 'replace');
    if (e.pending.size > 0) this.promotePending(e, 'first_update');
  }

  /** Next seq of the channel: one frame, into history and to every live subscriber. */
  private publish(
    e: ChannelEntry,
    type: 'snapshot' | 'update',
    json: string,
    venueTs: number,
    policy: ConflationPolicy,
    book?: BookViewData,
  ): void {
    e.seq++;
    if (e.live.size === 0 && this.opts.historySize === 0) return;
    const frame = dataFrame(type, e.name, e.seq, e.epoch, json, venueTs, { policy, book });
    if (this.opts.historySize > 0) {
      e.history.push(frame);
      e.historyAt.push(Date.now());
      if (e.history.length > this.opts.historySize + Math.ceil(this.opts.historySize / 8))
        this.expireHistory(e, Date.now());
    }
    for (const s of e.live) s.deliver(frame);
  }

  private onMessage(e: ChannelEntry, msg: WireMessage): void {
    if (this.channels.get(e.key) !== e) return;
    if (msg.type !== e.channel.kind) {
      this.warn.warn(
        `type:${e.name}`,
        { channel: e.name, type: msg.type },
        'unexpected message type on subject',
      );
      return;
    }
    const data = msg as TopOfBook | SyncStatus;
    if (e.redisMark !== undefined) {
      // Until NATS overtakes the Redis value, drop messages at or before its book position.
      const m = e.redisMark;
      if (data.epoch === m.epoch && data.seq <= m.seq) return;
      e.redisMark = undefined;
    }
    this.publishValue(e, serializeData(data), data.type === 'tob' ? data.venueTs : 0);
  }

  private async loadFromRedis(e: ChannelEntry): Promise<void> {
    // The permit is taken synchronously with the session's admission check (no await between).
    const limiter = this.opts.snapshotLimiter;
    const permit = limiter?.tryAcquire();
    if (limiter !== undefined && permit === undefined) return; // no read: the first NATS update serves
    e.loading = true;
    let tob: RedisTob | undefined;
    try {
      tob = await this.store.tob(e.channel, permit);
    } catch (err) {
      permit?.dropped(); // idempotent: a store that completed it already is not counted twice
      this.warn.warn('redis-load', { err: (err as Error).message }, 'snapshot read failed');
    } finally {
      e.loading = false;
    }
    // The entry may have been dropped, or NATS may have delivered a value while we waited.
    if (this.channels.get(e.key) !== e || e.dataJson !== undefined || tob === undefined) return;
    e.dataJson = serializeData(tob);
    e.redisMark = { epoch: tob.epoch, seq: tob.seq };
    this.promotePending(e, 'redis');
  }

  /** Sends the current value as snapshot to every pending subscriber and makes them live. */
  private promotePending(e: ChannelEntry, source: 'redis' | 'first_update'): void {
    const frame = this.snapshotOf(e);
    const waiting = [...e.pending];
    e.pending.clear();
    // All live before any delivery: a delivery may close its subscriber (slow consumer), and its
    // leave() must neither miss it nor see an empty channel while others are still to be served.
    for (const s of waiting) e.live.add(s);
    for (const s of waiting) {
      s.deliver(frame);
      gatewayMetrics.snapshot(source);
    }
  }

  private snapshotOf(e: ChannelEntry): Frame {
    // venueTs 0: a snapshot's age is staleness, not pipeline latency; the histogram takes updates only.
    return (e.snapshot ??= dataFrame('snapshot', e.name, e.seq, e.epoch, e.dataJson!, 0));
  }
}

function keyOf(name: string, channel: Channel, tier: number): string {
  return channel.kind === 'book' ? `${name}@${tier}` : name;
}
