/**
 * `record`: follows a venue exactly as the ingestor's VenueFeed does — instruments over REST, one
 * VenueConnection per shard of symbols, the pure VenueEngine deciding when a REST snapshot is needed
 * (weight budget, backoff and retry as in the feed) — and writes what it received to a JSONL file
 * (see recording.ts): every inbound text frame, every REST response and connection open/close, in
 * arrival order. Normalized messages are only counted: `replay` recomputes them from the file.
 *
 * The wiring mirrors libs/feed/src/feed.ts (VenueFeed has no tap for raw frames and REST bodies).
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { nowMicros, type Instrument, type SyncStatus } from '@tickmesh/contracts';
import { Backoff, RestClient, RestError, VenueConnection } from '@tickmesh/feed';
import { createAdapter, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { encodeLine, RECORDING_VERSION, recvOf, type RecordedLine } from './recording';

export interface RecorderOptions {
  /** adapter id (`createAdapter`) */
  venue: string;
  /** the venue's native symbols */
  symbols: string[];
  /** JSONL file to write (truncated) */
  output: string;
  wsUrl?: string;
  restUrl?: string;
  weightPerMinute?: number;
  staleSocketMs?: number;
  /** stop by itself once this many frames are written */
  maxFrames?: number;
  /** every status change of a symbol (progress reporting) */
  onStatus?: (m: SyncStatus) => void;
}

export interface RecorderStats {
  frames: number;
  rest: number;
  restErrors: number;
  books: number;
  trades: number;
  malformed: number;
}

export class Recorder {
  engine: VenueEngine<unknown, unknown> | undefined;
  readonly stats: RecorderStats = { frames: 0, rest: 0, restErrors: 0, books: 0, trades: 0, malformed: 0 };
  readonly unknownSymbols: string[] = [];
  /** set when writing the file failed (the recording stopped) */
  failure: Error | undefined;
  private readonly adapter: VenueAdapter;
  private readonly rest: RestClient;
  private readonly out: WriteStream;
  private readonly connections: { conn: VenueConnection; natives: string[] }[] = [];
  private readonly snapshotBackoff = new Map<string, Backoff>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private resolveDone!: () => void;
  /** resolves once the recording is stopped and flushed (stop(), maxFrames or a write error) */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  /** Opens the file (throws at once when it cannot be created), loads instruments, connects. */
  static async start(opts: RecorderOptions): Promise<Recorder> {
    const r = new Recorder(opts);
    await r.begin();
    return r;
  }

  private constructor(private readonly opts: RecorderOptions) {
    this.adapter = createAdapter(opts.venue);
    const fd = openSync(opts.output, 'w');
    try {
      this.out = createWriteStream('', { fd, encoding: 'utf8' });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.out.on('error', (err) => {
      this.failure ??= err;
      void this.stop();
    });
    this.rest = new RestClient({
      baseUrl: opts.restUrl ?? this.adapter.defaults.restUrl,
      weightPerMinute: opts.weightPerMinute ?? 6000,
    });
  }

  get output(): string {
    return this.opts.output;
  }

  /** Stops every connection and timer, then flushes and closes the file. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      for (const c of this.connections) c.conn.stop();
      if (!this.out.destroyed) await new Promise<void>((r) => this.out.end(r));
      this.resolveDone();
    })();
    return this.stopping;
  }

  private write(line: RecordedLine): void {
    if (!this.stopped) this.out.write(encodeLine(line) + '\n');
  }

  private async begin(): Promise<void> {
    const { adapter, opts } = this;
    this.write({
      kind: 'header',
      recv: recvOf(nowMicros()),
      header: {
        version: RECORDING_VERSION,
        venue: adapter.id,
        symbols: opts.symbols,
        wsUrl: opts.wsUrl ?? adapter.defaults.wsUrl,
        restUrl: opts.restUrl ?? adapter.defaults.restUrl,
      },
    });
    const req = adapter.instrumentsRequest(opts.symbols);
    let instruments: Instrument[];
    try {
      const body = await this.rest.get(req.path, req.weight);
      this.write({ kind: 'rest', recv: recvOf(nowMicros()), path: req.path, body });
      this.stats.rest++;
      instruments = adapter.parseInstruments(body);
    } catch (err) {
      const message = (err as Error).message;
      this.write({ kind: 'rest-error', recv: recvOf(nowMicros()), path: req.path, error: message });
      await this.stop();
      throw new Error(`cannot load ${adapter.id} instruments (${req.path}): ${message}`);
    }
    const known = new Map(instruments.map((i) => [i.native, i]));
    const selected: Instrument[] = [];
    for (const s of opts.symbols) {
      const inst = known.get(s);
      if (inst === undefined) this.unknownSymbols.push(s);
      else selected.push(inst);
    }
    const engine = new VenueEngine(adapter, selected, {
      book: () => void this.stats.books++,
      trade: () => void this.stats.trades++,
      status: (m) => opts.onStatus?.(m),
      needSnapshot: (native) => void this.fetchSnapshot(native),
      resubscribe: (native) => {
        const c = this.connections.find((x) => x.natives.includes(native));
        for (const f of adapter.resubscribeFrames?.(native) ?? []) c?.conn.send(f);
      },
      malformed: () => void this.stats.malformed++,
      venueShutdown: (message) => {
        for (const c of this.connections) c.conn.restart(message);
      },
      now: nowMicros,
    });
    this.engine = engine;
    const perConn = Math.max(
      1,
      Math.floor(adapter.defaults.maxStreamsPerConnection / adapter.defaults.streamsPerSymbol),
    );
    const natives = selected.map((i) => i.native);
    for (let i = 0; i < natives.length && !this.stopped; i += perConn) {
      const shard = natives.slice(i, i + perConn);
      const name = `${adapter.id}-${i / perConn}`;
      const conn = new VenueConnection(
        {
          venue: adapter.id,
          name,
          url: adapter.connectionUrl(opts.wsUrl ?? adapter.defaults.wsUrl, shard),
          subscribeFrames: adapter.subscribeFrames(shard),
          staleSocketMs: opts.staleSocketMs ?? adapter.defaults.staleSocketMs,
          ...(adapter.defaults.clientPing ? { clientPing: adapter.defaults.clientPing } : {}),
        },
        {
          onOpen: () => {
            if (this.stopped) return;
            this.write({ kind: 'open', recv: recvOf(nowMicros()), name, symbols: shard });
            engine.connectionOpened(shard);
          },
          onFrame: (text, recvTs) => this.onFrame(text, recvTs),
          onClose: (reason) => {
            if (this.stopped) return;
            this.write({ kind: 'close', recv: recvOf(nowMicros()), name, symbols: shard, reason });
            engine.connectionLost(shard, reason);
          },
        },
      );
      this.connections.push({ conn, natives: shard });
      conn.start();
    }
  }

  private onFrame(text: string, recvTs: number): void {
    if (this.stopped) return;
    this.write({ kind: 'frame', recv: recvOf(recvTs), text });
    this.stats.frames++;
    this.engine!.onFrame(text, recvTs);
    if (this.opts.maxFrames !== undefined && this.stats.frames >= this.opts.maxFrames) void this.stop();
  }

  /** As VenueFeed.fetchSnapshot, plus: the response (or the failure) is recorded before it is used. */
  private async fetchSnapshot(native: string): Promise<void> {
    const engine = this.engine!;
    const req = this.adapter.snapshotRequest(native);
    let backoff = this.snapshotBackoff.get(native);
    if (backoff === undefined) this.snapshotBackoff.set(native, (backoff = new Backoff(100, 10_000)));
    try {
      const wait = this.rest.waitFor(req.weight);
      if (wait > 0) await this.delay(wait);
      if (this.stopped) return;
      const body = await this.rest.get(req.path, req.weight);
      if (this.stopped) return;
      const recvTs = nowMicros();
      this.write({ kind: 'rest', recv: recvOf(recvTs), path: req.path, body });
      this.stats.rest++;
      backoff.reset();
      engine.onSnapshot(native, body, recvTs);
    } catch (err) {
      if (this.stopped) return;
      const message = (err as Error).message;
      this.write({ kind: 'rest-error', recv: recvOf(nowMicros()), path: req.path, error: message });
      this.stats.restErrors++;
      engine.onSnapshotFailed(native, message);
      const floor = err instanceof RestError ? (err.retryAfterMs ?? 0) : 0;
      await this.delay(backoff.next(floor));
      const st = engine.statusOf(native);
      if (!this.stopped && (st?.state === 'snapshotting' || st?.state === 'resyncing'))
        await this.fetchSnapshot(native);
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}
