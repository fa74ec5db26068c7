/**
 * `record`: follows a venue with the ingestor's own VenueFeed (instruments over REST, one connection
 * per shard of symbols, REST snapshots or re-subscriptions when the engine asks, a connection
 * restarted when it loses a message) and writes what the feed's tap sees to a JSONL file (see
 * recording.ts): every inbound text frame (with its connection when there are several), every REST
 * response or failure and connection open/close, in arrival order. Normalized messages are only
 * counted: `replay` recomputes them from the file. Unlike the ingestor, instrument metadata that
 * cannot be loaded ends the recording instead of being retried.
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { nowMicros, type SyncStatus } from '@tickmesh/contracts';
import { VenueFeed, type FeedTap } from '@tickmesh/feed';
import { createAdapter, type VenueAdapter, type VenueEngine } from '@tickmesh/venues';
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
  readonly stats: RecorderStats = { frames: 0, rest: 0, restErrors: 0, books: 0, trades: 0, malformed: 0 };
  /** set when writing the file failed (the recording stopped) */
  failure: Error | undefined;
  private readonly adapter: VenueAdapter;
  private readonly feed: VenueFeed;
  private readonly out: WriteStream;
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
    this.feed = new VenueFeed(
      {
        adapter: this.adapter,
        symbols: opts.symbols,
        ...(opts.wsUrl !== undefined ? { wsUrl: opts.wsUrl } : {}),
        ...(opts.restUrl !== undefined ? { restUrl: opts.restUrl } : {}),
        ...(opts.weightPerMinute !== undefined ? { weightPerMinute: opts.weightPerMinute } : {}),
        ...(opts.staleSocketMs !== undefined ? { staleSocketMs: opts.staleSocketMs } : {}),
        tap: this.tap(),
        failFastInstruments: true,
      },
      {
        book: () => void this.stats.books++,
        trade: () => void this.stats.trades++,
        status: (m) => opts.onStatus?.(m),
      },
    );
  }

  get output(): string {
    return this.opts.output;
  }

  /** the feed's engine, once the instruments are loaded */
  get engine(): VenueEngine<unknown, unknown> | undefined {
    return this.feed.engine;
  }

  get unknownSymbols(): string[] {
    return this.feed.unknownSymbols;
  }

  /** Stops the feed (connections, timers), then flushes and closes the file. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.feed.stop();
      if (!this.out.destroyed) await new Promise<void>((r) => this.out.end(r));
      this.resolveDone();
    })();
    return this.stopping;
  }

  /** false once stopped: nothing more is written (frames of a closing socket may still arrive) */
  private write(line: RecordedLine): boolean {
    if (this.stopped) return false;
    this.out.write(encodeLine(line) + '\n');
    return true;
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
    try {
      await this.feed.start();
    } catch (err) {
      await this.stop();
      const path = adapter.instrumentsRequest(opts.symbols).path;
      throw new Error(`cannot load ${adapter.id} instruments (${path}): ${(err as Error).message}`);
    }
  }

  private tap(): FeedTap {
    const s = this.stats;
    return {
      rest: (path, body, recvTs) => {
        if (this.write({ kind: 'rest', recv: recvOf(recvTs), path, body })) s.rest++;
      },
      restError: (path, error, ts) => {
        if (this.write({ kind: 'rest-error', recv: recvOf(ts), path, error })) s.restErrors++;
      },
      open: (name, natives, ts) =>
        void this.write({ kind: 'open', recv: recvOf(ts), name, symbols: [...natives] }),
      frame: (text, recvTs, conn) => {
        // every connection exists before the first frame: name it only when there are several
        const line: RecordedLine = { kind: 'frame', recv: recvOf(recvTs), text };
        if (this.feed.connectionCount > 1) line.conn = conn;
        if (!this.write(line)) return;
        s.frames++;
        if (this.opts.maxFrames !== undefined && s.frames >= this.opts.maxFrames) void this.stop();
      },
      close: (name, natives, reason, ts) =>
        void this.write({ kind: 'close', recv: recvOf(ts), name, symbols: [...natives], reason }),
      malformed: () => void s.malformed++,
    };
  }
}
