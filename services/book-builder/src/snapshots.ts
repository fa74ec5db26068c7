/**
 * Snapshot requests to the ingestor (`ctl.v1.snapshot.<venue>.<symbol>`, request/reply), at most
 * one in flight per book, and the reaction to crossed books, which is also a snapshot request.
 *
 * Crossed books: the first time a rebuilt book crosses it is counted, published as not live, and
 * verified with a fresh snapshot. If that snapshot is crossed too, the venue's book is crossed:
 * that is logged as an error and the book stays not live until a delta uncrosses it (see
 * BookState.checkCrossed). A stronger reaction — asking the ingestor to resync from the venue —
 * needs its control RPC (`ctl.v1.ingestor.<venue>`, `{"cmd":"resync","symbol":"<native>"}`), which
 * takes the venue's native symbol; the book-builder only knows the normalized one. A
 * native-symbol mapping for that RPC is future work.
 */
import type { Bus } from '@tickmesh/bus';
import { decode, snapshotRequestSubject, type WireMessage } from '@tickmesh/contracts';
import { withSpan, type Logger, type RateLimitedLog } from '@tickmesh/observability';
import { bookMetrics, type BookEntry } from './book-entry';
import type { CrossCheck } from './book-state';

/** Pause before asking again for a book that is still not continuous. */
const RETRY_MS = 500;

export class SnapshotRequester {
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    private readonly warn: RateLimitedLog,
    private readonly log: Logger,
    /** receives the snapshot reply (the same path as a snapshot from the bus) */
    private readonly onSnapshot: (m: WireMessage) => void,
  ) {}

  request(e: BookEntry): void {
    const b = e.state;
    if (b.snapshotInFlight || this.closed) return;
    b.snapshotInFlight = true;
    const subject = snapshotRequestSubject(b.venue, b.symbol);
    // one span per request (low rate); sampled ones continue in the ingestor's snapshot.serve
    void withSpan('snapshot.request', { venue: b.venue, symbol: b.symbol }, () =>
      this.bus
        .request(subject, new Uint8Array(0), this.timeoutMs, this.bus.traceHeaders())
        .then((data) => {
          b.snapshotInFlight = false;
          let msg: WireMessage | undefined;
          try {
            msg = decode(data);
          } catch {
            this.warn.warn(
              `snap:${b.venue}:${b.symbol}`,
              { reply: Buffer.from(data).toString().slice(0, 200) },
              'no snapshot',
            );
          }
          if (msg?.type === 'book.snapshot') this.onSnapshot(msg);
          else this.retry(e);
        })
        .catch((err: unknown) => {
          b.snapshotInFlight = false;
          this.warn.warn(`snapreq:${b.venue}`, { err: String(err), subject }, 'snapshot request failed');
          this.retry(e);
        }),
    );
  }

  /** Reacts to a crossing check other than 'ok' (see the module comment). */
  onCrossing(e: BookEntry, cross: CrossCheck): void {
    const b = e.state;
    const where = {
      venue: b.venue,
      symbol: b.symbol,
      bid: b.book.bestBid()?.[0],
      ask: b.book.bestAsk()?.[0],
    };
    switch (cross) {
      case 'crossed':
        bookMetrics.crossed.labels({ venue: b.venue, symbol: b.symbol }).inc();
        e.stats.crossed++;
        this.log.warn(where, 'crossed book; not live until a fresh snapshot confirms it');
        this.request(e);
        return;
      case 'snapshot-crossed':
        bookMetrics.crossedSnapshots.labels({ venue: b.venue }).inc();
        this.log.error(where, 'the ingestor snapshot is crossed too; book stays not live until it uncrosses');
        return;
      case 'uncrossed':
        this.log.info(where, 'book uncrossed');
        return;
      case 'still-crossed':
      case 'ok':
        return;
    }
  }

  close(): void {
    this.closed = true;
  }

  /**
   * A book that is still not continuous asks again after a pause: a quiet symbol produces no delta
   * that would trigger the next request, and the ingestor may come back later than NATS.
   */
  private retry(e: BookEntry): void {
    setTimeout(() => {
      if (!e.state.continuous && !e.state.snapshotInFlight) this.request(e);
    }, RETRY_MS).unref();
  }
}
