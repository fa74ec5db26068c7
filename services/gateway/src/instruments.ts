/**
 * The instrument universe the gateway knows: every (venue, symbol) an ingestor has reported a
 * status for on `md.v1.status.>` (ingestors republish every status every few seconds, so the list
 * fills within one STATUS_INTERVAL_MS of start). It answers the `list` op and expands wildcard
 * channels. Low rate: one small map update per status message.
 */
import type { BusSubscription, WireHandler } from '@tickmesh/bus';
import {
  formatChannel,
  matchesPattern,
  subjectWildcard,
  type Channel,
  type ChannelPattern,
  type InstrumentInfo,
  type SyncState,
} from '@tickmesh/contracts';

export type StatusListener = (venue: string, symbol: string, state: SyncState, epoch: number) => void;

export class InstrumentRegistry {
  private readonly known = new Map<string, InstrumentInfo>();
  private readonly listeners = new Set<StatusListener>();
  private sub: BusSubscription | undefined;

  /** Subscribes to every status subject (call once; tests may feed `update` directly instead). */
  start(bus: { subscribe(subject: string, handler: WireHandler): BusSubscription }): void {
    this.sub ??= bus.subscribe(subjectWildcard('status'), (m) => {
      if (m.type === 'status') this.update(m.venue, m.symbol, m.state, m.epoch);
    });
  }

  update(venue: string, symbol: string, state: SyncState, epoch = 0): void {
    const key = `${venue}.${symbol}`;
    const cur = this.known.get(key);
    if (cur === undefined) this.known.set(key, { venue, symbol, state });
    else cur.state = state;
    for (const fn of this.listeners) fn(venue, symbol, state, epoch);
  }

  onStatus(fn: StatusListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.known.size;
  }

  /** Every known instrument, sorted by venue then symbol. */
  list(): InstrumentInfo[] {
    return [...this.known.values()]
      .map((i) => ({ ...i }))
      .sort((a, b) => (a.venue === b.venue ? cmp(a.symbol, b.symbol) : cmp(a.venue, b.venue)));
  }

  /** The concrete channels of a wildcard among the known instruments, sorted by name. */
  expand(p: ChannelPattern): { name: string; channel: Channel }[] {
    const out = new Map<string, Channel>();
    for (const i of this.known.values()) {
      const c: Channel =
        p.kind === 'consolidated'
          ? { kind: 'consolidated', venue: '', symbol: i.symbol }
          : { kind: p.kind, venue: i.venue, symbol: i.symbol };
      if (matchesPattern(p, c)) out.set(formatChannel(c), c);
    }
    return [...out].sort((a, b) => cmp(a[0], b[0])).map(([name, channel]) => ({ name, channel }));
  }

  close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.listeners.clear();
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
