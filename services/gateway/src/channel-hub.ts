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
 */
import { randomInt } from 'node:crypto';
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import {
  subjectFor,
  type Channel,
  type NotRecoveredReason,
  type ResumePosition,
  type SyncStatus,
  type TopOfBook,
  type WireMessage,
} from '@tickmesh/contracts';
import { createLogger, RateLimitedLog } from '@tickmesh/observability';
import { dataFrame, notRecoveredFrame, resumedFrame, serializeData, type Frame } from './frame';
import { gatewayMetrics } from './metrics';
import type { RedisTob, SnapshotStore } from './snapshot-store';

/** The receiving end of a channel: a connection's session. */
export interface Subscriber {
  deliver(frame: Frame): void;
}

/** The part of the bus the hub needs (decoded subscriptions). */
export interface BusSubscriber {
  subscribe(subject: string, handler: WireHandler): BusSubscription;
}

interface ChannelEntry {
  readonly name: string;
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
  readonly sub: BusSubscription;
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
}

const DEFAULT_HUB_OPTIONS: HubOptions = { lingerMs: 0, historySize: 1000, historyTtlMs: 0 };

export class ChannelHub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly log = createLogger('hub');
  private readonly warn = new RateLimitedLog(this.log);

  private readonly opts: HubOptions;

  constructor(
    private readonly bus: BusSubscriber,
    private readonly store: SnapshotStore,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
  }

  /**
   * Adds `sub` to channel `name` (already validated as `channel`). Without `resume` its snapshot
   * follows; with it, `resumed` + the missed updates, or `not_recovered` + the snapshot.
   */
  join(name: string, channel: Channel, sub: Subscriber, resume?: ResumePosition): void {
    let e = this.channels.get(name);
    if (e === undefined) e = this.open(name, channel);
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

  leave(name: string, sub: Subscriber): void {
    const e = this.channels.get(name);
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
        if (this.channels.get(name) === e && e.live.size === 0 && e.pending.size === 0) this.drop(e);
      }, this.opts.lingerMs);
      e.lingerTimer.unref();
    }
  }

  private drop(e: ChannelEntry): void {
    e.sub.unsubscribe();
    this.channels.delete(e.name);
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
    return [...this.channels.values()].map((e) => e.sub.subject);
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
  }

  private open(name: string, channel: Channel): ChannelEntry {
    const subject = subjectFor(channel.kind, channel.venue, channel.symbol);
    // The entry is needed by the handler, and the subscription by the entry: bind late.
    const holder: { e?: ChannelEntry } = {};
    const sub = this.bus.subscribe(subject, (msg) => {
      if (holder.e !== undefined) this.onMessage(holder.e, msg);
    });
    const e: ChannelEntry = {
      name,
      channel,
      epoch: randomInt(1, 2 ** 32),
      seq: 0,
      dataJson: undefined,
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
    this.channels.set(name, e);
    gatewayMetrics.channelsChanged(1);
    return e;
  }

  private onMessage(e: ChannelEntry, msg: WireMessage): void {
    if (this.channels.get(e.name) !== e) return;
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
    e.seq++;
    e.dataJson = serializeData(data);
    e.snapshot = undefined;
    if (e.live.size > 0 || this.opts.historySize > 0) {
      const venueTs = data.type === 'tob' ? data.venueTs : 0;
      const frame = dataFrame('update', e.name, e.seq, e.epoch, e.dataJson, venueTs);
      if (this.opts.historySize > 0) {
        e.history.push(frame);
        e.historyAt.push(Date.now());
        // Trim in batches: one splice per historySize/8 messages instead of a shift per message.
        if (e.history.length > this.opts.historySize + Math.ceil(this.opts.historySize / 8))
          this.expireHistory(e, Date.now());
      }
      for (const s of e.live) s.deliver(frame);
    }
    if (e.pending.size > 0) this.promotePending(e, 'first_update');
  }

  private async loadFromRedis(e: ChannelEntry): Promise<void> {
    e.loading = true;
    let tob: RedisTob | undefined;
    try {
      tob = await this.store.tob(e.channel);
    } catch (err) {
      this.warn.warn('redis-load', { err: (err as Error).message }, 'snapshot read failed');
    } finally {
      e.loading = false;
    }
    // The entry may have been dropped, or NATS may have delivered a value while we waited.
    if (this.channels.get(e.name) !== e || e.dataJson !== undefined || tob === undefined) return;
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
