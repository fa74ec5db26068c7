/**
 * The ingestor's hot path: venue feed → normalized messages → bus (raw NATS, compact codec).
 * Nest only constructs and tears this down.
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Bus, traceContextOf } from '@tickmesh/bus';
import {
  encodeBinary,
  nowMicros,
  snapshotRequestSubject,
  subjectFor,
  type BookDelta,
  type BookSnapshot,
  type SyncStatus,
  type Trade,
} from '@tickmesh/contracts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsKvWeightBudget, VenueFeed, type WeightBudget } from '@tickmesh/feed';
import { createLogger, health, LATENCY_BUCKETS, metrics, withSpan } from '@tickmesh/observability';
import { createAdapter } from '@tickmesh/venues';
import { INGESTOR_CONFIG, type IngestorConfig } from './config';

const bookMsgs = metrics.counter(
  'tickmesh_ingestor_book_messages_total',
  'normalized book messages published',
);
const tradeMsgs = metrics.counter('tickmesh_ingestor_trades_total', 'normalized trades published');
const resyncs = metrics.counter(
  'tickmesh_ingestor_resyncs_total',
  'symbol resyncs (gap, crossed book, checksum)',
);
const symbolState = metrics.gauge('tickmesh_ingestor_symbol_live', '1 when the symbol book is live');
const ingestLatency = metrics.histogram(
  'tickmesh_ingestor_venue_to_publish_seconds',
  'venue event time to NATS publish (includes the venue clock offset)',
  LATENCY_BUCKETS,
);
const venueToReceive = metrics.histogram(
  'tickmesh_ingestor_venue_to_receive_seconds',
  'venue event time to frame receipt (network + venue clock offset)',
  LATENCY_BUCKETS,
);
const receiveToPublish = metrics.histogram(
  'tickmesh_ingestor_receive_to_publish_seconds',
  'frame receipt to NATS publish (parse, sync rules, normalize, encode)',
  LATENCY_BUCKETS,
);

@Injectable()
export class IngestorService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = createLogger('ingestor');
  private bus!: Bus;
  /** REST_BUDGET=nats: a small separate connection for the shared budget's KV (Bus does not expose its own) */
  private budgetNc: Promise<NatsConnection> | undefined;
  private budgetStopped = false;
  private budgetConn: NatsConnection | undefined;
  feed!: VenueFeed;
  /** subject cache: building and validating a subject per message would be waste */
  private readonly subjects = new Map<string, { book: string; trade: string; status: string }>();

  constructor(@Inject(INGESTOR_CONFIG) private readonly cfg: IngestorConfig) {}

  onModuleInit(): void {
    const cfg = this.cfg;
    const venue = cfg.venue;
    const adapter = createAdapter(venue);
    health.set('nats', false, 'connecting');
    health.set('venue', false, 'connecting');
    this.bus = Bus.start({
      url: cfg.natsUrl,
      name: `ingestor-${venue}`,
      codec: cfg.busCodec,
      publishIntervalMs: cfg.publishIntervalMs,
    });
    let wasDown = false;
    this.bus.onState((s) => {
      health.set('nats', s === 'connected', s === 'connected' ? '' : `NATS ${s}`);
      if (s !== 'connected') wasDown = true;
      else if (wasDown) {
        wasDown = false;
        this.republishBooks();
      }
    });
    const budget = this.restBudget();
    const latency = ingestLatency.labels({ venue });
    const hopNet = venueToReceive.labels({ venue });
    const hopLocal = receiveToPublish.labels({ venue });
    const books = bookMsgs.labels({ venue });
    const trades = tradeMsgs.labels({ venue });
    this.feed = new VenueFeed(
      {
        adapter,
        symbols: cfg.symbols
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
        ...(cfg.venueWsUrl ? { wsUrl: cfg.venueWsUrl } : {}),
        ...(cfg.venueRestUrl ? { restUrl: cfg.venueRestUrl } : {}),
        weightPerMinute: cfg.restWeightPerMinute,
        ...(budget !== undefined ? { budget } : {}),
        ...(cfg.staleSocketMs ? { staleSocketMs: cfg.staleSocketMs } : {}),
      },
      {
        book: (m: BookSnapshot | BookDelta) => {
          this.bus.publish(this.subjectsOf(m.symbol).book, m);
          books.inc();
          const now = nowMicros();
          latency.observe(Math.max(0, now - m.venueTs) / 1e6);
          hopNet.observe(Math.max(0, m.recvTs - m.venueTs) / 1e6);
          hopLocal.observe(Math.max(0, now - m.recvTs) / 1e6);
        },
        trade: (m: Trade) => {
          this.bus.publish(this.subjectsOf(m.symbol).trade, m);
          trades.inc();
        },
        status: (m: SyncStatus) => this.onStatus(m),
      },
    );
    void this.feed.start().then(() => {
      const unknown = this.feed.unknownSymbols;
      // reported, not fatal: the other symbols continue
      health.set(
        'symbols',
        true,
        unknown.length > 0 ? `unknown to ${venue}, not subscribed: ${unknown.join(',')}` : '',
      );
      this.serveSnapshots();
    });
    const timer = setInterval(() => this.republishStatuses(), cfg.statusIntervalMs);
    timer.unref();
    this.statusTimer = timer;
  }

  private statusTimer: NodeJS.Timeout | undefined;

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.statusTimer);
    this.feed.stop();
    await this.bus.close();
    this.budgetStopped = true;
    await this.budgetNc?.then((c) => c.close()).catch(() => undefined);
  }

  /**
   * REST_BUDGET=nats: one request-weight budget for every replica of this venue in NATS KV. The
   * budget connects on first use and again after a failure; meanwhile it uses the local budget.
   */
  private restBudget(): WeightBudget | undefined {
    const cfg = this.cfg;
    if (cfg.restBudget !== 'nats') return undefined;
    const connectKv = (): Promise<NatsConnection> => {
      if (this.budgetStopped) return Promise.reject(new Error('ingestor stopped'));
      // connected, and KV failed for another reason (JetStream off): keep the connection
      if (this.budgetConn !== undefined && !this.budgetConn.isClosed())
        return Promise.resolve(this.budgetConn);
      const pending = connect({
        servers: cfg.natsUrl,
        name: `ingestor-${cfg.venue}-rest-budget`,
        timeout: 2000,
        maxReconnectAttempts: -1,
      });
      this.budgetNc = pending;
      void pending
        .then((c) => {
          this.budgetConn = c;
          // connected after shutdown: close it
          return this.budgetStopped ? c.close() : undefined;
        })
        .catch(() => undefined);
      return pending;
    };
    return new NatsKvWeightBudget(connectKv, {
      venue: cfg.venue,
      weightPerMinute: cfg.restWeightPerMinute,
    });
  }

  /** Control RPC: force a resync of one native symbol. */
  resync(native: string, reason: string): boolean {
    if (this.feed.engine?.instrument(native) === undefined) return false;
    this.feed.engine.resync(native, reason);
    return true;
  }

  statuses(): SyncStatus[] {
    return this.feed.engine?.allStatuses() ?? [];
  }

  private onStatus(m: SyncStatus): void {
    const subject = this.subjectsOf(m.symbol).status;
    if (m.state === 'resyncing')
      // a resync span; sampled ones carry their context to the consumers of the status
      withSpan('resync', { venue: m.venue, symbol: m.symbol, reason: m.reason ?? '' }, () =>
        this.bus.publish(subject, m, this.bus.traceHeaders()),
      );
    else this.bus.publish(subject, m);
    symbolState.set(m.state === 'live' ? 1 : 0, { venue: m.venue, symbol: m.symbol });
    if (m.state === 'resyncing') resyncs.labels({ venue: m.venue, symbol: m.symbol }).inc();
    const log = m.state === 'live' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ symbol: m.symbol, state: m.state, epoch: m.epoch, seq: m.seq, reason: m.reason }, 'symbol state');
    this.updateVenueHealth();
  }

  private updateVenueHealth(): void {
    const feed = this.feed;
    const open = feed.connectedCount;
    health.set('venue', open > 0, open > 0 ? '' : 'no venue connection open');
  }

  /**
   * After a NATS outage the deltas published meanwhile are gone, and a quiet symbol would not show
   * the gap until its next delta: publish every live book again (same epoch, current seq), so
   * consumers replace what they hold.
   */
  private republishBooks(): void {
    const engine = this.feed.engine;
    if (engine === undefined) return;
    let n = 0;
    for (const native of engine.natives) {
      const snap = engine.snapshotOf(native);
      if (snap !== undefined && this.bus.publish(this.subjectsOf(snap.symbol).book, snap)) n++;
    }
    this.republishStatuses();
    this.log.info({ books: n }, 'NATS reconnected: republished live books');
  }

  private republishStatuses(): void {
    for (const s of this.statuses()) this.bus.publish(this.subjectsOf(s.symbol).status, s);
    this.updateVenueHealth();
  }

  /** Book snapshots on request, for consumers that start or lost continuity. */
  private serveSnapshots(): void {
    const engine = this.feed.engine;
    if (engine === undefined) return;
    const venue = this.cfg.venue;
    for (const native of engine.natives) {
      const inst = engine.instrument(native)!;
      this.bus.subscribeRaw(
        snapshotRequestSubject(venue, inst.symbol),
        (_data, _subject, reply, headers) => {
          if (reply === undefined) return;
          // low rate (a consumer starting or resyncing); continues the requester's trace if any
          withSpan(
            'snapshot.serve',
            { venue, symbol: inst.symbol },
            () => {
              const snap = engine.snapshotOf(native);
              this.bus.respond(
                reply,
                snap !== undefined
                  ? encodeBinary(snap)
                  : Buffer.from(
                      JSON.stringify({
                        error: `${inst.symbol} is ${engine.statusOf(native)?.state ?? 'unknown'}`,
                      }),
                    ),
              );
            },
            traceContextOf(headers),
          );
        },
        { queue: `snapshot-${venue}` },
      );
    }
  }

  private subjectsOf(symbol: string): { book: string; trade: string; status: string } {
    let s = this.subjects.get(symbol);
    if (s === undefined) {
      const venue = this.cfg.venue;
      s = {
        book: subjectFor('book', venue, symbol),
        trade: subjectFor('trade', venue, symbol),
        status: subjectFor('status', venue, symbol),
      };
      this.subjects.set(symbol, s);
    }
    return s;
  }
}
