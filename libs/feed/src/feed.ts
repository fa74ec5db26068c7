/**
 * VenueFeed: everything an ingestor does for one venue. It loads instrument metadata (unknown
 * symbols get an error status, the rest continue), shards symbols over connections by the venue's
 * stream limit, feeds frames into the pure VenueEngine, fetches REST snapshots when the engine asks
 * (weight budget, Retry-After), and hands normalized messages to the sink. An optional tap sees
 * what it receives (raw frames, REST bodies, connection events) before it is used.
 *
 * Connection age (Binance: 24 h limit): at `maxConnectionAgeMs` a shard's connection is replaced,
 * by overlap where duplicates are harmless (rollover.ts, `ConnectionRollover`).
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
import { Backoff, ResyncBackoff, type ResyncBackoffOptions } from './backoff';
import { VenueConnection, type ConnectionEvents } from './connection';
import type { WeightBudget } from './budget';
import { RestClient, RestError } from './rest';
import { ConnectionRollover, type RolloverShard } from './rollover';

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
  /**
   * Per-symbol resync backoff (`ResyncBackoff`): a symbol's first resync after it was healthy is
   * immediate, repeated ones wait a capped exponential delay with full jitter (default base 250 ms,
   * cap 30 s, healthy again after 60 s live).
   */
  resyncBackoff?: ResyncBackoffOptions;
}

/** One shard of symbols and its connection; during a rollover also the replacement. */
type Shard = RolloverShard;

const malformedFrames = metrics.counter(
  'tickmesh_feed_malformed_frames_total',
  'venue frames that failed to parse',
);
const snapshotsFetched = metrics.counter('tickmesh_feed_snapshots_total', 'REST snapshots fetched');
const snapshotErrors = metrics.counter('tickmesh_feed_snapshot_errors_total', 'REST snapshot failures');

export class VenueFeed {
  engine: VenueEngine<unknown, unknown> | undefined;
  private readonly connections: Shard[] = [];
  private readonly rollover: ConnectionRollover;
  private readonly log;
  private readonly warn;
  private readonly rest: RestClient;
  private readonly snapshotBackoff = new Map<string, Backoff>();
  private readonly resyncBackoff: ResyncBackoff;
  /** symbols whose resync waits for its backoff (one pending timer per symbol) */
  private readonly resyncPending = new Set<string>();
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
    this.resyncBackoff = new ResyncBackoff(opts.resyncBackoff);
    this.rollover = new ConnectionRollover({
      adapter: opts.adapter,
      maxAgeMs: opts.maxConnectionAgeMs ?? opts.adapter.defaults.maxConnectionAgeMs ?? 0,
      overlapMs: opts.rolloverOverlapMs ?? 10_000,
      log: this.log,
      open: (shard) => this.newConnection(shard),
      deliver: (shard, text, recvTs) => {
        this.opts.tap?.frame?.(text, recvTs, shard.name);
        this.engine!.onFrame(text, recvTs, shard.name);
      },
      later: (ms, fn) => this.later(ms, fn),
      stopped: () => this.stopped,
    });
  }

  /** completed connection rollovers (tests, metrics) */
  get rolloverCount(): number {
    return this.rollover.count;
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
    const nativeOf = new Map(selected.map((i) => [i.symbol, i.native]));
    this.engine = new VenueEngine(adapter, selected, {
      book: (m) => this.sink.book(m),
      trade: (m) => {
        if (this.rollover.admitTrade(`${m.symbol}|${m.id}`)) this.sink.trade(m);
      },
      status: (m) => {
        const native = nativeOf.get(m.symbol);
        if (native !== undefined) {
          if (m.state === 'live') this.resyncBackoff.live(native);
          else if (m.state !== 'stale') this.resyncBackoff.notLive(native);
        }
        this.sink.status(m);
      },
      // a first snapshot (after a (re)connect: `snapshotting`) is fetched at once; a resync's
      // (`resyncing`) goes through the symbol's backoff
      needSnapshot: (native) =>
        this.engine?.statusOf(native)?.state !== 'resyncing'
          ? void this.fetchSnapshot(native)
          : this.afterResyncBackoff(native, 'snapshot', (waited) =>
              waited ? void this.retrySnapshot(native) : void this.fetchSnapshot(native),
            ),
      resubscribe: (native) =>
        this.afterResyncBackoff(native, 'resubscribe', (waited) => {
          // after a wait: only if still waiting for its snapshot (not reconnected meanwhile)
          if (waited && this.engine?.statusOf(native)?.state !== 'resyncing') return;
          const c = this.connections.find((x) => x.natives.includes(native));
          if (c === undefined) return;
          for (const f of adapter.resubscribeFrames?.(native) ?? []) c.conn.send(f);
        }),
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
      this.rollover.cancel(c, 'feed stopped');
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
          this.rollover.opened(shard);
        } else if (this.rollover.isReplacement(shard, c)) this.rollover.replacementOpened(shard);
      },
      onFrame: (text, recvTs) => {
        const c = self();
        if (c === shard.conn) {
          tap?.frame?.(text, recvTs, shard.name);
          this.engine!.onFrame(text, recvTs, shard.name);
        } else if (this.rollover.isReplacement(shard, c)) this.rollover.replacementFrame(shard, text, recvTs);
      },
      onClose: (reason) => {
        const c = self();
        if (c === shard.conn) {
          this.rollover.cancel(shard, `old connection lost: ${reason}`);
          tap?.close?.(shard.name, shard.natives, reason, nowMicros());
          this.engine!.connectionLost(shard.natives, reason, shard.name);
        } else if (this.rollover.isReplacement(shard, c)) this.rollover.replacementClosed(shard, reason);
      },
    };
  }

  /**
   * Runs a symbol's resync action (REST snapshot, re-subscription) now or after its per-symbol
   * backoff: immediate when the symbol was healthy, capped exponential with full jitter while it
   * keeps failing. One pending action per symbol; a later request while it waits joins it.
   */
  private afterResyncBackoff(native: string, what: string, run: (waited: boolean) => void): void {
    if (this.resyncPending.has(native)) return;
    const delay = this.resyncBackoff.next(native);
    if (delay === 0) return run(false);
    this.resyncPending.add(native);
    this.warn.warn(
      `resync:${native}`,
      { native, delayMs: delay, failures: this.resyncBackoff.failures(native) },
      `symbol keeps failing: ${what} after backoff`,
    );
    this.later(delay, () => {
      this.resyncPending.delete(native);
      run(true);
    });
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
