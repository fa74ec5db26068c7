/**
 * VenueEngine: the venue-independent half of ingestion, still pure. It routes parsed frames to each
 * symbol's BookSync, owns the explicit per-symbol sync state machine and book epochs, and turns
 * sync steps into normalized contract messages. It performs no I/O: the feed (sockets, REST) or
 * the replay tool calls it and carries out what it asks through the sink.
 *
 * States:  connecting ─open→ snapshotting ─snapshot ok→ live ─gap/crossed/checksum→ resyncing
 *          resyncing ─snapshot ok→ live;   any ─socket lost→ connecting;   unknown symbol → error
 * The epoch increments every time a symbol goes live from a fresh snapshot.
 *
 * Connections: callers name each socket (`conn`, default ''). Venues whose continuity spans a
 * connection (`adapter.createConnectionTracker`, Coinbase `sequence_num`) get one tracker per open
 * socket; a `connection-gap` resyncs every symbol of that connection and asks the caller to restart
 * it (`restartConnection`), or re-subscribes each symbol when the caller cannot.
 */
import type { BookDelta, BookSnapshot, Instrument, SyncState, SyncStatus, Trade } from '@tickmesh/contracts';
import {
  type BookSync,
  type ConnectionTracker,
  type FrameEvent,
  type SyncStep,
  type VenueAdapter,
  VenueParseError,
} from './adapter';

export interface EngineSink {
  book(msg: BookSnapshot | BookDelta): void;
  trade(msg: Trade): void;
  status(msg: SyncStatus): void;
  /** fetch a snapshot for this symbol and hand it to `onSnapshot` (or `onSnapshotFailed`) */
  needSnapshot(native: string): void;
  /** a frame could not be parsed: counted and logged by the caller, never fatal */
  malformed(err: VenueParseError): void;
  /** a 'stream'-snapshot venue must re-subscribe this symbol to get a fresh snapshot */
  resubscribe?(native: string): void;
  /** the venue announced a shutdown/maintenance: reconnect */
  venueShutdown(message: string): void;
  /**
   * a connection lost a message (connection-wide gap): close and reopen it, which re-snapshots its
   * symbols. Without it, a 'stream' venue's symbols are re-subscribed one by one.
   */
  restartConnection?(conn: string, reason: string): void;
  /** current time in µs (injected so replay is deterministic) */
  now(): number;
}

interface SymbolEntry<U, S> {
  instrument: Instrument;
  sync: BookSync<U, S>;
  state: SyncState;
  epoch: number;
  resyncs: number;
  reason: string;
  snapshotInFlight: boolean;
  lastEventTs: number;
}

interface ConnectionEntry<U> {
  natives: readonly string[];
  tracker: ConnectionTracker<U> | undefined;
}

export class VenueEngine<U, S> {
  private readonly symbols = new Map<string, SymbolEntry<U, S>>();
  private readonly connections = new Map<string, ConnectionEntry<U>>();

  constructor(
    readonly adapter: VenueAdapter<U, S>,
    instruments: readonly Instrument[],
    private readonly sink: EngineSink,
  ) {
    for (const instrument of instruments) {
      this.symbols.set(instrument.native, {
        instrument,
        sync: adapter.createSync(instrument),
        state: 'connecting',
        epoch: 0,
        resyncs: 0,
        reason: 'not connected',
        snapshotInFlight: false,
        lastEventTs: 0,
      });
    }
  }

  get natives(): string[] {
    return [...this.symbols.keys()];
  }

  instrument(native: string): Instrument | undefined {
    return this.symbols.get(native)?.instrument;
  }

  /** A connection carrying these symbols opened: they wait for a snapshot. */
  connectionOpened(natives: readonly string[], conn = ''): void {
    this.connections.set(conn, { natives: [...natives], tracker: this.adapter.createConnectionTracker?.() });
    for (const n of natives) {
      const e = this.symbols.get(n);
      if (e === undefined) continue;
      e.sync.reset();
      e.snapshotInFlight = false;
      this.setState(
        e,
        e.state === 'live' || e.state === 'resyncing' ? 'resyncing' : 'snapshotting',
        'awaiting snapshot',
      );
    }
  }

  /** A connection was lost: its symbols' books are no longer trustworthy. */
  connectionLost(natives: readonly string[], reason: string, conn = ''): void {
    this.connections.delete(conn);
    for (const n of natives) {
      const e = this.symbols.get(n);
      if (e === undefined) continue;
      e.sync.reset();
      e.snapshotInFlight = false;
      this.setState(e, 'connecting', reason);
    }
  }

  /** Marks a symbol as failed (unknown to the venue, subscription refused). Others continue. */
  symbolError(native: string, reason: string): void {
    const e = this.symbols.get(native);
    if (e !== undefined) this.setState(e, 'error', reason);
  }

  /** Marks a symbol stale (no updates within the watchdog window) without discarding its book. */
  markStale(native: string, reason: string): void {
    const e = this.symbols.get(native);
    if (e !== undefined && e.state === 'live') this.setState(e, 'stale', reason);
  }

  onFrame(text: string, recvTs: number, conn = ''): void {
    let events: FrameEvent<U>[];
    try {
      events = this.adapter.parseFrame(text, recvTs);
    } catch (err) {
      this.sink.malformed(
        err instanceof VenueParseError
          ? err
          : new VenueParseError(String((err as Error).message ?? err), text),
      );
      return;
    }
    const tracker = this.connection(conn).tracker;
    if (tracker !== undefined) events = tracker.onFrame(events);
    for (const ev of events) this.onEvent(ev, recvTs, conn);
  }

  /** The connection's entry; one never opened (a replay without connection lines) carries every symbol. */
  private connection(conn: string): ConnectionEntry<U> {
    let c = this.connections.get(conn);
    if (c === undefined) {
      c = { natives: this.natives, tracker: this.adapter.createConnectionTracker?.() };
      this.connections.set(conn, c);
    }
    return c;
  }

  /** A connection-wide gap: every symbol of the connection resyncs, then the connection restarts. */
  private connectionGap(conn: string, reason: string): void {
    const natives = this.connection(conn).natives;
    const stream = this.adapter.snapshotSource === 'stream';
    const restart = this.sink.restartConnection !== undefined;
    for (const n of natives) {
      const e = this.symbols.get(n);
      if (e === undefined || e.state === 'error' || e.state === 'connecting') continue;
      e.resyncs++;
      e.sync.reset();
      e.snapshotInFlight = false;
      this.setState(e, 'resyncing', reason);
      if (!restart && stream) this.sink.resubscribe?.(n);
    }
    this.sink.restartConnection?.(conn, reason);
  }

  private onEvent(ev: FrameEvent<U>, recvTs: number, conn: string): void {
    switch (ev.kind) {
      case 'book': {
        const e = this.symbols.get(ev.native);
        if (e === undefined || e.state === 'error' || e.state === 'connecting') return;
        e.lastEventTs = recvTs;
        this.step(e, () => e.sync.onUpdate(ev.update), recvTs);
        return;
      }
      case 'trade': {
        const e = this.symbols.get(ev.native);
        if (e === undefined) return;
        const { instrument } = e;
        this.sink.trade({
          type: 'trade',
          venue: instrument.venue,
          symbol: instrument.symbol,
          ...ev.trade,
          recvTs,
        });
        return;
      }
      case 'error':
        if (ev.native !== undefined) this.symbolError(ev.native, ev.message);
        else this.sink.malformed(new VenueParseError(`venue error: ${ev.message}`));
        return;
      case 'shutdown':
        this.sink.venueShutdown(ev.message);
        return;
      case 'connection-gap':
        this.connectionGap(conn, ev.reason);
        return;
      default:
        return;
    }
  }

  /** A REST snapshot arrived for a symbol. */
  onSnapshot(native: string, body: string, recvTs: number): void {
    const e = this.symbols.get(native);
    if (e === undefined) return;
    e.snapshotInFlight = false;
    if (e.state !== 'snapshotting' && e.state !== 'resyncing') return;
    let snapshot: S;
    try {
      snapshot = this.adapter.parseSnapshot(body);
    } catch (err) {
      this.sink.malformed(
        err instanceof VenueParseError ? err : new VenueParseError(String(err), body.slice(0, 200)),
      );
      this.requestSnapshot(e);
      return;
    }
    this.step(e, () => e.sync.onSnapshot(snapshot), recvTs);
  }

  /** Runs one sync step; a book that rejects its input (invalid level) resyncs, never throws. */
  private step(e: SymbolEntry<U, S>, fn: () => SyncStep, recvTs: number): void {
    let s: SyncStep;
    try {
      s = fn();
    } catch (err) {
      this.sink.malformed(new VenueParseError(`book rejected update: ${(err as Error).message}`));
      this.startResync(e, `invalid update: ${(err as Error).message}`);
      return;
    }
    this.onStep(e, s, recvTs);
  }

  onSnapshotFailed(native: string, reason: string): void {
    const e = this.symbols.get(native);
    if (e === undefined) return;
    e.snapshotInFlight = false;
    this.setState(e, e.state === 'live' ? 'resyncing' : e.state, `snapshot failed: ${reason}`);
  }

  /** Forces a resync of one symbol (control RPC, crossed book seen downstream). */
  resync(native: string, reason: string): void {
    const e = this.symbols.get(native);
    if (e === undefined || e.state === 'connecting' || e.state === 'error') return;
    this.startResync(e, reason);
  }

  /** The current book of a live symbol as a snapshot message (for consumers that (re)start). */
  snapshotOf(native: string): BookSnapshot | undefined {
    const e = this.symbols.get(native);
    if (e === undefined || (e.state !== 'live' && e.state !== 'stale')) return undefined;
    return this.snapshotMessage(e, e.lastEventTs, e.lastEventTs);
  }

  statusOf(native: string): SyncStatus | undefined {
    const e = this.symbols.get(native);
    return e === undefined ? undefined : this.statusMessage(e);
  }

  allStatuses(): SyncStatus[] {
    return [...this.symbols.values()].map((e) => this.statusMessage(e));
  }

  private onStep(e: SymbolEntry<U, S>, step: SyncStep, recvTs: number): void {
    const { venue, symbol } = e.instrument;
    switch (step.kind) {
      case 'buffered':
        if (step.needSnapshot) this.requestSnapshot(e);
        return;
      case 'ignored':
        return;
      case 'retry-snapshot':
        this.requestSnapshot(e);
        return;
      case 'gap':
        this.startResync(e, step.reason);
        return;
      case 'live':
        if (e.sync.book.isCrossed()) return this.startResync(e, 'crossed book after snapshot');
        e.epoch++;
        this.sink.book(this.snapshotMessage(e, step.venueTs, recvTs));
        this.setState(e, 'live', '');
        return;
      case 'applied':
        if (e.sync.book.isCrossed()) return this.startResync(e, `crossed book at seq ${step.seq}`);
        if (e.state === 'stale') this.setState(e, 'live', '');
        this.sink.book({
          type: 'book.delta',
          venue,
          symbol,
          epoch: e.epoch,
          seq: step.seq,
          prevSeq: step.prevSeq,
          venueTs: step.venueTs,
          recvTs,
          bids: step.bids,
          asks: step.asks,
        });
        return;
    }
  }

  private startResync(e: SymbolEntry<U, S>, reason: string): void {
    e.resyncs++;
    e.sync.reset();
    this.setState(e, 'resyncing', reason);
    // REST venues: the next buffered update asks for a snapshot; stream venues: re-subscribe now
    if (this.adapter.snapshotSource === 'stream') this.sink.resubscribe?.(e.instrument.native);
  }

  private requestSnapshot(e: SymbolEntry<U, S>): void {
    if (e.snapshotInFlight) return;
    e.snapshotInFlight = true;
    this.sink.needSnapshot(e.instrument.native);
  }

  private snapshotMessage(e: SymbolEntry<U, S>, venueTs: number, recvTs: number): BookSnapshot {
    const top = e.sync.book.top(Number.MAX_SAFE_INTEGER);
    return {
      type: 'book.snapshot',
      venue: e.instrument.venue,
      symbol: e.instrument.symbol,
      epoch: e.epoch,
      seq: e.sync.seq,
      venueTs,
      recvTs,
      bids: top.bids,
      asks: top.asks,
    };
  }

  private statusMessage(e: SymbolEntry<U, S>): SyncStatus {
    return {
      type: 'status',
      venue: e.instrument.venue,
      symbol: e.instrument.symbol,
      state: e.state,
      epoch: e.epoch,
      seq: e.state === 'live' || e.state === 'stale' ? e.sync.seq : 0,
      reason: e.reason,
      resyncs: e.resyncs,
      ts: this.sink.now(),
    };
  }

  private setState(e: SymbolEntry<U, S>, state: SyncState, reason: string): void {
    if (e.state === state && e.reason === reason) return;
    e.state = state;
    e.reason = reason;
    this.sink.status(this.statusMessage(e));
  }
}
