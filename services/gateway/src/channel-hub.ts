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
 * - `epoch` is a random 32-bit value drawn when the entry is created. The entry (and its value) is
 *   dropped with the last subscriber, so a later subscription starts a new sequence space.
 */
import { randomInt } from 'node:crypto';
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import {
  subjectFor,
  type Channel,
  type SyncStatus,
  type TopOfBook,
  type WireMessage,
} from '@tickmesh/contracts';
import { createLogger, RateLimitedLog } from '@tickmesh/observability';
import { dataFrame, serializeData, type Frame } from './frame';
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
}

export class ChannelHub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly log = createLogger('hub');
  private readonly warn = new RateLimitedLog(this.log);

  constructor(
    private readonly bus: BusSubscriber,
    private readonly store: SnapshotStore,
  ) {}

  /** Adds `sub` to channel `name` (already validated as `channel`); its snapshot follows. */
  join(name: string, channel: Channel, sub: Subscriber): void {
    let e = this.channels.get(name);
    if (e === undefined) e = this.open(name, channel);
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
    if (e.live.size === 0 && e.pending.size === 0) {
      e.sub.unsubscribe();
      this.channels.delete(name);
      gatewayMetrics.channelsChanged(-1);
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
    for (const e of this.channels.values()) e.sub.unsubscribe();
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
    if (e.live.size > 0) {
      const venueTs = data.type === 'tob' ? data.venueTs : 0;
      const frame = dataFrame('update', e.name, e.seq, e.epoch, e.dataJson, venueTs);
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
