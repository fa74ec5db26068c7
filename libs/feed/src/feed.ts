/**
 * VenueFeed: everything an ingestor does for one venue. It loads instrument metadata (unknown
 * symbols get an error status, the rest continue), shards symbols over connections by the venue's
 * stream limit, feeds frames into the pure VenueEngine, fetches REST snapshots when the engine asks
 * (weight budget, Retry-After), and hands normalized messages to the sink. An optional tap sees
 * what it receives (raw frames, REST bodies, connection events) before it is used.
 *
 * Connection age (Binance: 24 h limit): at `maxConnectionAgeMs` a shard's connection is replaced by
 * overlap where duplicates are harmless (REST-snapshot venues without a per-connection sequence):
 * the replacement opens while the old one still feeds the engine, its frames are held until it has
 * delivered a book update for every symbol of the shard (or `rolloverOverlapMs`), then the old one
 * is closed without connectionLost (symbols stay live) and the held frames go to the engine (and
 * the tap, on the same connection name), where the sync ignores updates already applied and
 * trades already published are dropped by id. Stream-snapshot venues simply reconnect.
 */
import {
  nowMicros,
  type BookDelta,
  type BookSnapshot,
  type Instrument,
  type SyncStatus,
  type Trade,
} from '@tickmesh/contracts';
import { VenueEngine, type VenueAdapter, type VenueParseError } from '@tickmesh/venues';
import { createLogger, metrics, RateLimitedLog } from '@tickmesh/observability';
import { Backoff } from './backoff';
import { VenueConnection, type ConnectionEvents } from './connection';
import type { WeightBudget } from './budget';
import { RestClient, RestError } from './rest';

export interface FeedSink {
  book(msg: BookSnapshot | BookDelta): void;
  trade(msg: Trade): void;
  status(msg: SyncStatus): void;
}

/**
 * Observes what the feed receives, in arrival order and before it is used (the ingestor's `record`
 * CLI writes it to a file). Times are µs from the clock of the engine's `recvTs`. Every member is
 * optional; without a tap the feed does no extra work per frame.
 */
export interface FeedTap {
  /** a REST response (instruments, snapshots) by request path and query */
  rest?(path: string, body: string, recvTs: number): void;
  /** a REST request that failed (network, HTTP status, request budget) */
  restError?(path: string, error: string, ts: number): void;
  /** a connection opened, carrying these symbols */
  open?(conn: string, natives: readonly string[], ts: number): void;
  /** an inbound text frame, exactly as received, and the connection it came on */
  frame?(text: string, recvTs: number, conn: string): void;
  /** a connection was lost (it reconnects by itself unless the feed is stopped) */
  close?(conn: string, natives: readonly string[], reason: string, ts: number): void;
  /** a frame, snapshot or update the engine rejected (also counted and logged) */
  malformed?(err: VenueParseError): void;
}

export interface FeedOptions {
  adapter: VenueAdapter;
  /** native symbols to follow (the configured universe) */
  symbols: string[];
  wsUrl?: string;
  restUrl?: string;
  weightPerMinute?: number;
  /**
   * REST request-weight budget; default a local token bucket of `weightPerMinute`. A shared one
   * (`NatsKvWeightBudget`) keeps every replica of the venue's ingestor within one budget.
   */
  budget?: WeightBudget;
  staleSocketMs?: number;
  tap?: FeedTap;
  /** instrument metadata failing makes start() reject, instead of retrying until it succeeds */
  failFastInstruments?: boolean;
  /**
   * Replace a connection once it is this old (default `adapter.defaults.maxConnectionAgeMs`,
   * Binance 23 h; 0 = never). See `VenueFeed` for how.
   */
  maxConnectionAgeMs?: number;
  /** longest a rollover's old and new connections overlap (default 10 000 ms) */
  rolloverOverlapMs?: number;
}

/** One shard of symbols and its connection; during a rollover also the replacement. */
interface Shard {
  conn: VenueConnection;
  readonly natives: string[];
  readonly name: string;
  ageTimer?: NodeJS.Timeout | undefined;
  rollover?: Rollover | undefined;
}

interface Rollover {
  conn: VenueConnection;
  opened: boolean;
  /** the replacement's frames, held until it takes over */
  buffer: { text: string; recvTs: number }[];
  /** symbols the replacement has delivered a book update for */
  seen: Set<string>;
  /** trades published meanwhile from the old connection (`symbol|id`), not published twice; kept an overlap period after the hand-over */
  trades: Set<string>;
  deadline?: NodeJS.Timeout | undefined;
}

const malformedFrames = metrics.counter(
  'tickmesh_feed_malformed_frames_total',
  'venue frames that failed to parse',
);
const snapshotsFetched = metrics.counter('tickmesh_feed_snapshots_total', 'REST snapshots fetched');
const snapshotErrors = metrics.counter('tickmesh_feed_snapshot_errors_total', 'REST snapshot failures');

export class VenueFeed {
  engine: VenueEngine<unknown, unknown> | undefined;
  private readonly connections: Shard[] = [];
  private readonly rollovers = new Set<Rollover>();
  /**
   * trades published from an old connection around a rollover (`symbol|id`): the replacement
   * delivers them again (held frames, or live frames behind the old socket), they are dropped
   */
  private readonly tradeFilters = new Set<Set<string>>();
  /** completed rollovers (tests, metrics) */
  rolloverCount = 0;
  private readonly log;
  private readonly warn;
  private readonly rest: RestClient;
  private readonly snapshotBackoff = new Map<string, Backoff>();
  /** snapshot waits and retries pending; stop() clears them */
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  readonly unknownSymbols: string[] = [];

  constructor(
    private readonly opts: FeedOptions,
    private readonly sink: FeedSink,
  ) {
    this.log = createLogger('feed', { venue: opts.adapter.id });
    this.warn = new RateLimitedLog(this.log);
    this.rest = new RestClient({
      baseUrl: opts.restUrl ?? opts.adapter.defaults.restUrl,
      weightPerMinute: opts.weightPerMinute ?? 6000,
      ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
    });
  }

  get venue(): string {
    return this.opts.adapter.id;
  }

  /**
   * Loads metadata (retrying with backoff until it succeeds or stop(); with `failFastInstruments`,
   * rejecting at the first failure), then connects.
   */
  async start(): Promise<void> {
    const instruments = await this.loadInstruments();
    if (this.stopped) return;
    const known = new Map(instruments.map((i) => [i.native, i]));
    const selected: Instrument[] = [];
    for (const s of this.opts.symbols) {
      const inst = known.get(s);
      if (inst === undefined) this.unknownSymbols.push(s);
      else selected.push(inst);
    }
    if (this.unknownSymbols.length > 0) {
      this.log.error(
        { symbols: this.unknownSymbols },
        'unknown symbols: not subscribed (check the symbol universe)',
      );
    }
    const adapter = this.opts.adapter;
    this.engine = new VenueEngine(adapter, selected, {
      book: (m) => this.sink.book(m),
      trade: (m) => {
        if (this.tradeFilters.size > 0) {
          const key = `${m.symbol}|${m.id}`;
          for (const f of this.tradeFilters) if (f.has(key)) return;
          for (const r of this.rollovers) r.trades.add(key);
        }
        this.sink.trade(m);
      },
      status: (m) => this.sink.status(m),
      needSnapshot: (native) => void this.fetchSnapshot(native),
      resubscribe: (native) => {
        const c = this.connections.find((x) => x.natives.includes(native));
        if (c === undefined) return;
        for (const f of adapter.resubscribeFrames?.(native) ?? []) c.conn.send(f);
      },
      malformed: (err: VenueParseError) => {
        malformedFrames.labels({ venue: adapter.id }).inc();
        this.opts.tap?.malformed?.(err);
        this.warn.warn(
          'malformed',
          { reason: err.message, frame: err.frame?.slice(0, 200) },
          'malformed venue frame',
        );
      },
      venueShutdown: (message) => {
        this.log.warn({ message }, 'venue announced shutdown; reconnecting');
        for (const c of this.connections) c.conn.restart(message);
      },
      restartConnection: (name, reason) => {
        this.warn.warn(`gap:${name}`, { conn: name, reason }, 'connection lost a message; reconnecting');
        this.connections.find((c) => c.name === name)?.conn.restart(reason);
      },
      now: nowMicros,
    });
    for (const s of this.engine.allStatuses()) this.sink.status(s);

    const perConn = Math.max(
      1,
      Math.floor(adapter.defaults.maxStreamsPerConnection / adapter.defaults.streamsPerSymbol),
    );
    const natives = selected.map((i) => i.native);
    for (let i = 0; i < natives.length; i += perConn) {
      const shard: Shard = {
        natives: natives.slice(i, i + perConn),
        name: `${adapter.id}-${i / perConn}`,
        conn: undefined as unknown as VenueConnection,
      };
      shard.conn = this.newConnection(shard);
      this.connections.push(shard);
      shard.conn.start();
    }
  }

  private newConnection(shard: Shard): VenueConnection {
    const adapter = this.opts.adapter;
    const self: { conn?: VenueConnection } = {};
    const conn = new VenueConnection(
      {
        venue: adapter.id,
        name: shard.name,
        url: adapter.connectionUrl(this.opts.wsUrl ?? adapter.defaults.wsUrl, shard.natives),
        subscribeFrames: adapter.subscribeFrames(shard.natives),
        staleSocketMs: this.opts.staleSocketMs ?? adapter.defaults.staleSocketMs,
        ...(adapter.defaults.clientPing ? { clientPing: adapter.defaults.clientPing } : {}),
      },
      this.connectionEvents(shard, () => self.conn),
    );
    self.conn = conn;
    return conn;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.connections) {
      clearTimeout(c.ageTimer);
      this.abortRollover(c, 'feed stopped');
      c.conn.stop();
    }
  }

  get connectedCount(): number {
    return this.connections.filter((c) => c.conn.isOpen).length;
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  /**
   * One connection's events into the engine (with a tap, each is shown to it first). The shard's
   * current connection feeds the engine; a rollover replacement's frames are held; a retired
   * connection's close is ignored (its symbols stay live on the replacement).
   */
  private connectionEvents(shard: Shard, self: () => VenueConnection | undefined): ConnectionEvents {
    const tap = this.opts.tap;
    return {
      onOpen: () => {
        const c = self();
        if (c === shard.conn) {
          tap?.open?.(shard.name, shard.natives, nowMicros());
          this.engine!.connectionOpened(shard.natives, shard.name);
          this.armAge(shard, this.maxAgeMs());
        } else if (c !== undefined && shard.rollover?.conn === c) shard.rollover.opened = true;
      },
      onFrame: (text, recvTs) => {
        const c = self();
        if (c === shard.conn) {
          tap?.frame?.(text, recvTs, shard.name);
          this.engine!.onFrame(text, recvTs, shard.name);
        } else if (c !== undefined && shard.rollover?.conn === c) this.overlapFrame(shard, text, recvTs);
      },
      onClose: (reason) => {
        const c = self();
        if (c === shard.conn) {
          clearTimeout(shard.ageTimer);
          this.abortRollover(shard, `old connection lost: ${reason}`);
          tap?.close?.(shard.name, shard.natives, reason, nowMicros());
          this.engine!.connectionLost(shard.natives, reason, shard.name);
        } else if (c !== undefined && shard.rollover?.conn === c)
          this.abortRollover(shard, `replacement lost: ${reason}`);
      },
    };
  }

  private maxAgeMs(): number {
    return this.opts.maxConnectionAgeMs ?? this.opts.adapter.defaults.maxConnectionAgeMs ?? 0;
  }

  /**
   * Rollover by overlap needs duplicates to be harmless: REST-snapshot venues whose sync ignores
   * updates it already applied (Binance: `u <= local id`) and without a per-connection sequence.
   * A stream-snapshot venue would get a fresh snapshot on the new socket: it simply reconnects.
   */
  private get overlapRollover(): boolean {
    const a = this.opts.adapter;
    return a.snapshotSource !== 'stream' && a.createConnectionTracker === undefined;
  }

  private armAge(shard: Shard, ms: number): void {
    clearTimeout(shard.ageTimer);
    shard.ageTimer = undefined;
    if (ms <= 0 || this.stopped) return;
    shard.ageTimer = setTimeout(() => {
      shard.ageTimer = undefined;
      this.startRollover(shard);
    }, ms);
  }

  private startRollover(shard: Shard): void {
    if (this.stopped || shard.rollover !== undefined) return;
    if (!this.overlapRollover) {
      shard.conn.restart('maximum connection age');
      return;
    }
    this.log.info({ conn: shard.name }, 'connection reaches its maximum age: opening its replacement');
    const r: Rollover = {
      conn: undefined as unknown as VenueConnection,
      opened: false,
      buffer: [],
      seen: new Set(),
      trades: new Set(),
    };
    shard.rollover = r;
    this.rollovers.add(r);
    this.tradeFilters.add(r.trades);
    r.conn = this.newConnection(shard);
    const overlap = this.opts.rolloverOverlapMs ?? 10_000;
    r.deadline = setTimeout(() => {
      r.deadline = undefined;
      if (shard.rollover !== r) return;
      // bounded overlap: hand over if the replacement is open (a quiet symbol continues on it)
      if (r.opened) this.completeRollover(shard);
      else {
        this.abortRollover(shard, 'replacement did not open in time');
        this.armAge(shard, overlap);
      }
    }, overlap);
    r.conn.start();
  }

  private overlapFrame(shard: Shard, text: string, recvTs: number): void {
    const r = shard.rollover!;
    r.buffer.push({ text, recvTs });
    try {
      for (const ev of this.opts.adapter.parseFrame(text, recvTs))
        if (ev.kind === 'book' && shard.natives.includes(ev.native)) r.seen.add(ev.native);
    } catch {
      // the engine reports it when the frame is handed over
    }
    if (r.seen.size === shard.natives.length) this.completeRollover(shard);
  }

  /**
   * The replacement takes over: the old connection is closed without connectionLost (its symbols
   * stay live), then the replacement's held frames go to the engine in arrival order; updates the
   * old connection already delivered are ignored by the sync, trades it already published are
   * skipped.
   */
  private completeRollover(shard: Shard): void {
    const r = shard.rollover;
    if (r === undefined) return;
    clearTimeout(r.deadline);
    shard.rollover = undefined;
    const old = shard.conn;
    shard.conn = r.conn;
    old.stop();
    this.rollovers.delete(r);
    const tap = this.opts.tap;
    for (const f of r.buffer) {
      tap?.frame?.(f.text, f.recvTs, shard.name);
      this.engine!.onFrame(f.text, f.recvTs, shard.name);
    }
    this.later(this.opts.rolloverOverlapMs ?? 10_000, () => this.tradeFilters.delete(r.trades));
    this.rolloverCount++;
    this.log.info({ conn: shard.name, held: r.buffer.length }, 'connection replaced');
    this.armAge(shard, this.maxAgeMs());
  }

  private abortRollover(shard: Shard, reason: string): void {
    const r = shard.rollover;
    if (r === undefined) return;
    clearTimeout(r.deadline);
    shard.rollover = undefined;
    this.rollovers.delete(r);
    this.tradeFilters.delete(r.trades);
    r.conn.stop();
    this.log.warn({ conn: shard.name, reason }, 'connection rollover abandoned');
  }

  /** setTimeout that stop() cancels (none after stop()) */
  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async loadInstruments(): Promise<Instrument[]> {
    const backoff = new Backoff(500, 30_000);
    const req = this.opts.adapter.instrumentsRequest(this.opts.symbols);
    while (!this.stopped) {
      let body: string | undefined;
      try {
        body = await this.rest.get(req.path, req.weight);
        this.opts.tap?.rest?.(req.path, body, nowMicros());
        return this.opts.adapter.parseInstruments(body);
      } catch (err) {
        if (body === undefined) this.opts.tap?.restError?.(req.path, (err as Error).message, nowMicros());
        if (this.opts.failFastInstruments === true) throw err;
        const floor = err instanceof RestError ? (err.retryAfterMs ?? 0) : 0;
        const delay = backoff.next(floor);
        this.log.error(
          { err: (err as Error).message, delayMs: delay },
          'instrument metadata failed; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    return [];
  }

  private async fetchSnapshot(native: string): Promise<void> {
    const engine = this.engine!;
    const req = this.opts.adapter.snapshotRequest(native);
    let backoff = this.snapshotBackoff.get(native);
    if (backoff === undefined) this.snapshotBackoff.set(native, (backoff = new Backoff(100, 10_000)));
    let body: string | undefined;
    try {
      const wait = this.rest.waitFor(req.weight);
      // cancelled by stop(): the fetch is abandoned
      if (wait > 0) await new Promise<void>((r) => this.later(wait, r));
      if (this.stopped) return;
      body = await this.rest.get(req.path, req.weight);
      const recvTs = nowMicros();
      this.opts.tap?.rest?.(req.path, body, recvTs);
      snapshotsFetched.labels({ venue: this.venue }).inc();
      backoff.reset();
      engine.onSnapshot(native, body, recvTs);
    } catch (err) {
      snapshotErrors.labels({ venue: this.venue }).inc();
      const floor = err instanceof RestError ? (err.retryAfterMs ?? 0) : 0;
      const delay = backoff.next(floor);
      this.warn.warn(
        `snap:${native}`,
        { native, err: (err as Error).message, delayMs: delay },
        'snapshot failed; retrying',
      );
      if (body === undefined) this.opts.tap?.restError?.(req.path, (err as Error).message, nowMicros());
      engine.onSnapshotFailed(native, (err as Error).message);
      this.later(delay, () => {
        if (!this.stopped) void this.retrySnapshot(native);
      });
    }
  }

  private async retrySnapshot(native: string): Promise<void> {
    const st = this.engine?.statusOf(native);
    if (st === undefined || (st.state !== 'snapshotting' && st.state !== 'resyncing')) return;
    await this.fetchSnapshot(native);
  }
}
