/**
 * Connection rollover at the venue's maximum connection age (Binance: 24 h limit), by overlap.
 *
 * At `maxAgeMs` after a shard's connection opened, `ConnectionRollover` opens a replacement for the
 * same shard while the old connection still feeds the engine. The replacement's frames are held
 * until it has delivered a book update for every symbol of the shard (or at most `overlapMs`, when
 * it is open), then the old connection is stopped WITHOUT a connection-lost (the symbols stay live)
 * and the held frames are delivered in arrival order, on the shard's connection name. The venue's
 * sync ignores updates the old connection already applied (Binance: `u <= local id`); trades the
 * old connection published during the overlap are remembered (`symbol|id`) and dropped when the
 * replacement delivers them again, for an overlap period after the hand-over.
 *
 * Overlap needs duplicates to be harmless, so it is used only for REST-snapshot venues without a
 * per-connection sequence (`overlapSupported`); any other venue simply restarts the connection at
 * its maximum age and resyncs. If the old connection drops first, or the replacement fails or does
 * not open within `overlapMs`, the rollover is abandoned and the usual reconnect applies.
 *
 * The feed owns the connections and the engine; this module owns the timers and the hand-over.
 */
import type { VenueAdapter } from '@tickmesh/venues';
import type { Logger } from '@tickmesh/observability';
import type { VenueConnection } from './connection';

/** One shard of symbols and its connection, as the feed keeps it. */
export interface RolloverShard {
  conn: VenueConnection;
  readonly natives: string[];
  readonly name: string;
  /** fires the rollover at the maximum age */
  ageTimer?: NodeJS.Timeout | undefined;
  /** the rollover in progress, if any */
  rollover?: RolloverState | undefined;
}

/** A rollover in progress: the replacement connection and what it delivered so far. */
export interface RolloverState {
  conn: VenueConnection;
  opened: boolean;
  /** the replacement's frames, held until it takes over */
  buffer: { text: string; recvTs: number }[];
  /** symbols the replacement has delivered a book update for */
  seen: Set<string>;
  /** trades published meanwhile from the old connection (`symbol|id`), not published twice */
  trades: Set<string>;
  deadline?: NodeJS.Timeout | undefined;
}

export interface RolloverOptions {
  adapter: VenueAdapter;
  /** replace a connection once it is this old (0 = never) */
  maxAgeMs: number;
  /** longest the old and the new connection overlap */
  overlapMs: number;
  log: Logger;
  /** a new (not yet started) connection for the shard, whose events the feed routes back here */
  open(shard: RolloverShard): VenueConnection;
  /** a held frame of the replacement, now the shard's connection: to the tap and the engine */
  deliver(shard: RolloverShard, text: string, recvTs: number): void;
  /** a timer the feed cancels on stop() */
  later(ms: number, fn: () => void): void;
  stopped(): boolean;
}

/** Whether this venue can roll over by overlap (duplicates harmless), else it reconnects. */
export function overlapSupported(adapter: VenueAdapter): boolean {
  return adapter.snapshotSource !== 'stream' && adapter.createConnectionTracker === undefined;
}

export class ConnectionRollover {
  private readonly active = new Set<RolloverState>();
  /**
   * trades published from an old connection around a rollover (`symbol|id`): the replacement
   * delivers them again (held frames, or live frames behind the old socket), they are dropped
   */
  private readonly tradeFilters = new Set<Set<string>>();
  /** completed rollovers (tests, metrics) */
  count = 0;

  constructor(private readonly opts: RolloverOptions) {}

  /** The shard's current connection opened: (re)arm its age timer. */
  opened(shard: RolloverShard): void {
    this.arm(shard, this.opts.maxAgeMs);
  }

  /** The shard's current connection was lost, or the feed stops: no rollover for it any more. */
  cancel(shard: RolloverShard, reason: string): void {
    clearTimeout(shard.ageTimer);
    shard.ageTimer = undefined;
    this.abort(shard, reason);
  }

  /** Whether `conn` is the shard's replacement in progress. */
  isReplacement(shard: RolloverShard, conn: VenueConnection | undefined): boolean {
    return conn !== undefined && shard.rollover?.conn === conn;
  }

  replacementOpened(shard: RolloverShard): void {
    if (shard.rollover !== undefined) shard.rollover.opened = true;
  }

  replacementClosed(shard: RolloverShard, reason: string): void {
    this.abort(shard, `replacement lost: ${reason}`);
  }

  /** A frame of the replacement: held; the hand-over happens once every symbol had a book update. */
  replacementFrame(shard: RolloverShard, text: string, recvTs: number): void {
    const r = shard.rollover;
    if (r === undefined) return;
    r.buffer.push({ text, recvTs });
    try {
      for (const ev of this.opts.adapter.parseFrame(text, recvTs))
        if (ev.kind === 'book' && shard.natives.includes(ev.native)) r.seen.add(ev.native);
    } catch {
      // the engine reports it when the frame is handed over
    }
    if (r.seen.size === shard.natives.length) this.complete(shard);
  }

  /**
   * A trade about to be published (`symbol|id`): false when it was already published from the old
   * connection; otherwise true, and remembered while a rollover is in progress.
   */
  admitTrade(key: string): boolean {
    if (this.tradeFilters.size === 0) return true;
    for (const f of this.tradeFilters) if (f.has(key)) return false;
    for (const r of this.active) r.trades.add(key);
    return true;
  }

  private arm(shard: RolloverShard, ms: number): void {
    clearTimeout(shard.ageTimer);
    shard.ageTimer = undefined;
    if (ms <= 0 || this.opts.stopped()) return;
    shard.ageTimer = setTimeout(() => {
      shard.ageTimer = undefined;
      this.start(shard);
    }, ms);
  }

  private start(shard: RolloverShard): void {
    if (this.opts.stopped() || shard.rollover !== undefined) return;
    if (!overlapSupported(this.opts.adapter)) {
      shard.conn.restart('maximum connection age');
      return;
    }
    this.opts.log.info({ conn: shard.name }, 'connection reaches its maximum age: opening its replacement');
    const r: RolloverState = {
      conn: undefined as unknown as VenueConnection,
      opened: false,
      buffer: [],
      seen: new Set(),
      trades: new Set(),
    };
    shard.rollover = r;
    this.active.add(r);
    this.tradeFilters.add(r.trades);
    r.conn = this.opts.open(shard);
    const overlap = this.opts.overlapMs;
    r.deadline = setTimeout(() => {
      r.deadline = undefined;
      if (shard.rollover !== r) return;
      // bounded overlap: hand over if the replacement is open (a quiet symbol continues on it)
      if (r.opened) this.complete(shard);
      else {
        this.abort(shard, 'replacement did not open in time');
        this.arm(shard, overlap);
      }
    }, overlap);
    r.conn.start();
  }

  /**
   * The replacement takes over: the old connection is stopped without connectionLost (its symbols
   * stay live), then the replacement's held frames are delivered in arrival order.
   */
  private complete(shard: RolloverShard): void {
    const r = shard.rollover;
    if (r === undefined) return;
    clearTimeout(r.deadline);
    shard.rollover = undefined;
    const old = shard.conn;
    shard.conn = r.conn;
    old.stop();
    this.active.delete(r);
    for (const f of r.buffer) this.opts.deliver(shard, f.text, f.recvTs);
    this.opts.later(this.opts.overlapMs, () => this.tradeFilters.delete(r.trades));
    this.count++;
    this.opts.log.info({ conn: shard.name, held: r.buffer.length }, 'connection replaced');
    this.arm(shard, this.opts.maxAgeMs);
  }

  private abort(shard: RolloverShard, reason: string): void {
    const r = shard.rollover;
    if (r === undefined) return;
    clearTimeout(r.deadline);
    shard.rollover = undefined;
    this.active.delete(r);
    this.tradeFilters.delete(r.trades);
    r.conn.stop();
    this.opts.log.warn({ conn: shard.name, reason }, 'connection rollover abandoned');
  }
}
