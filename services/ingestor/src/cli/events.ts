/**
 * What `replay` prints, besides the engine's normalized messages. Sync events are derived from the
 * engine's status transitions and malformed reports; the cause of a resync comes from watching the
 * adapter's sync steps (a `gap` step is a continuity gap, or a checksum mismatch when its reason
 * says so — the adapter contract models a checksum mismatch as a gap):
 *
 *   {"event":"gap"|"checksum","symbol","native","line","ts","lastSeq","reason"}
 *   {"event":"resync","phase":"start","symbol","native","line","ts","epoch","resyncs","reason"}
 *   {"event":"resync","phase":"done","symbol","native","line","ts","epoch","seq"}
 *   {"event":"malformed","source":"venue","line","ts","reason","frame"?}     a frame the adapter rejected
 *   {"event":"malformed","source":"recording","line","reason"}               a line that is not a record
 *   {"event":"connection","state":"open"|"closed","name","line","ts","reason"?}
 *   {"event":"venue-shutdown"|"unknown-symbols"|"snapshot-missing", ...}
 *
 * `line` is the 1-based line of the recording being replayed, `ts` the engine time in µs.
 */
import type {
  BookDelta,
  BookSnapshot,
  Instrument,
  Level,
  SyncState,
  SyncStatus,
  Trade,
} from '@tickmesh/contracts';
import type { BookSync, SyncStep, VenueAdapter, VenueEngine, VenueParseError } from '@tickmesh/venues';

/** The reason of the last `gap` step per native (cleared once reported). */
export type StepLog = Map<string, string>;

/** The same adapter, whose syncs report their `gap` steps into `log`. Nothing else changes. */
export function observeSteps(adapter: VenueAdapter, log: StepLog): VenueAdapter {
  const observed = Object.create(adapter) as VenueAdapter;
  observed.createSync = (instrument: Instrument) => {
    const inner = adapter.createSync(instrument);
    const seen = (s: SyncStep): SyncStep => {
      if (s.kind === 'gap') log.set(instrument.native, s.reason);
      return s;
    };
    const sync: BookSync<unknown, unknown> = {
      get book() {
        return inner.book;
      },
      get seq() {
        return inner.seq;
      },
      onUpdate: (u) => seen(inner.onUpdate(u)),
      onSnapshot: (s) => seen(inner.onSnapshot(s)),
      reset: () => inner.reset(),
    };
    return sync;
  };
  return observed;
}

export interface FinalBook {
  bids: Level[];
  asks: Level[];
  seq: number;
  epoch: number;
  state: SyncState;
  native: string;
}

interface Tracked {
  instrument: Instrument;
  state: SyncState | undefined;
  resyncs: number;
  lastSeq: number;
}

export class ReplayEvents {
  private readonly bySymbol = new Map<string, Tracked>();

  constructor(
    private readonly emit: (line: string) => void,
    private readonly steps: StepLog,
  ) {}

  track(instrument: Instrument): void {
    this.bySymbol.set(instrument.symbol, { instrument, state: undefined, resyncs: 0, lastSeq: 0 });
  }

  emitEvent(e: { event: string } & Record<string, unknown>): void {
    this.emit(JSON.stringify(e));
  }

  emitMessage(m: BookSnapshot | BookDelta | Trade): void {
    if (m.type !== 'trade') {
      const t = this.bySymbol.get(m.symbol);
      if (t !== undefined) t.lastSeq = m.seq;
    }
    this.emit(JSON.stringify(m));
  }

  onMalformed(err: VenueParseError, line: number, ts: number): void {
    this.emitEvent({
      event: 'malformed',
      source: 'venue',
      line,
      ts,
      reason: err.message,
      ...(err.frame !== undefined ? { frame: err.frame.slice(0, 200) } : {}),
    });
  }

  /** Prints the status, then the sync events its transition means. */
  onStatus(m: SyncStatus, line: number): void {
    this.emit(JSON.stringify(m));
    const t = this.bySymbol.get(m.symbol);
    if (t === undefined) return;
    const native = t.instrument.native;
    const base = { symbol: m.symbol, native, line, ts: m.ts };
    const prev = t.state;
    if (m.state === 'resyncing') {
      const gap = this.steps.get(native);
      if (gap !== undefined && gap === m.reason) {
        this.steps.delete(native);
        const kind = /checksum/i.test(gap) ? 'checksum' : 'gap';
        this.emitEvent({ event: kind, ...base, lastSeq: t.lastSeq, reason: gap });
      }
      if (prev !== 'resyncing' || m.resyncs > t.resyncs)
        this.emitEvent({
          event: 'resync',
          phase: 'start',
          ...base,
          epoch: m.epoch,
          resyncs: m.resyncs,
          reason: m.reason,
        });
    } else if (m.state === 'live' && prev === 'resyncing') {
      this.emitEvent({ event: 'resync', phase: 'done', ...base, epoch: m.epoch, seq: m.seq });
    }
    t.state = m.state;
    t.resyncs = m.resyncs;
  }

  /** The last line: `{"books":{"<symbol>":{bids,asks,seq,epoch,state,native}}}`, top `depth` levels. */
  emitBooks(engine: VenueEngine<unknown, unknown>, depth: number): void {
    const books: Record<string, FinalBook> = {};
    for (const [symbol, t] of this.bySymbol) {
      const native = t.instrument.native;
      const snap = engine.snapshotOf(native);
      const st = engine.statusOf(native);
      books[symbol] = {
        bids: snap?.bids.slice(0, depth) ?? [],
        asks: snap?.asks.slice(0, depth) ?? [],
        seq: snap?.seq ?? 0,
        epoch: st?.epoch ?? 0,
        state: st?.state ?? 'connecting',
        native,
      };
    }
    this.emit(JSON.stringify({ books }));
  }
}
