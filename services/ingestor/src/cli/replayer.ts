/**
 * `replay`: drives the venue's adapter, its BookSync and the VenueEngine — the ingestor's code —
 * from a recording, with no I/O, clock, timer or randomness of its own: the engine's `now()` is the
 * `recv` of the line being replayed, so the same file always gives the same output.
 *
 * REST: the instruments response builds the engine. A snapshot the engine asks for is answered by
 * the recorded response to that symbol's snapshot path: the first one recorded after the request
 * (delivered at its position in the file, as it was live), or else an earlier unconsumed one
 * (delivered at once). A request still unanswered at the end is reported (`snapshot-missing`).
 *
 * Connections: `open`/`close` lines open and lose them by name and a frame goes to its `conn` (or the
 * only open connection), so a venue whose continuity spans a connection (Coinbase `sequence_num`)
 * keeps one counter per socket, as live.
 *
 * Output (one JSON object per `emit`): the normalized messages (`book.snapshot`, `book.delta`,
 * `trade`, `status`), sync events `{"event":..}` (see events.ts), then `finish()` emits the books.
 */
import type { Instrument, SyncStatus } from '@tickmesh/contracts';
import { createAdapter, VenueEngine, type VenueAdapter } from '@tickmesh/venues';
import { ReplayEvents, observeSteps, type StepLog } from './events';
import { decodeLine, microsOf, type RecordedLine, type RecordingHeader } from './recording';

export interface ReplayOptions {
  venue: string;
  /** levels per side in the final books (default 10) */
  depth?: number;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

interface QueuedResponse {
  line: number;
  body?: string;
  error?: string;
}

export class Replayer {
  private readonly adapter: VenueAdapter;
  private readonly events: ReplayEvents;
  private readonly steps: StepLog = new Map();
  private header: RecordingHeader | undefined;
  private engine: VenueEngine<unknown, unknown> | undefined;
  private instrumentsPath: string | undefined;
  private readonly nativeBySnapshotPath = new Map<string, string>();
  /** snapshot requests not yet answered, per native */
  private readonly outstanding = new Map<string, number>();
  /** recorded snapshot responses no request has consumed yet, per path */
  private readonly unconsumed = new Map<string, QueuedResponse[]>();
  /** natives that asked for a snapshot while the current line was replayed */
  private asked: string[] = [];
  private opened = false;
  /** connections opened by `open` lines and not closed since */
  private readonly openConns = new Set<string>();
  private lineNo = 0;
  private nowTs = 0;

  constructor(
    private readonly opts: ReplayOptions,
    emit: (line: string) => void,
  ) {
    this.adapter = createAdapter(opts.venue);
    this.events = new ReplayEvents(emit, this.steps);
  }

  /** Replays one line of the recording (without its newline). Blank lines are skipped. */
  line(text: string): void {
    this.lineNo++;
    if (text.trim() === '') return;
    const d = decodeLine(text);
    if (!d.ok) {
      this.events.emitEvent({ event: 'malformed', source: 'recording', line: this.lineNo, reason: d.reason });
      return;
    }
    this.nowTs = microsOf(d.line.recv);
    this.apply(d.line);
    this.answerQueued();
  }

  /** Reports unanswered snapshot requests and emits the final books line. */
  finish(): void {
    const engine = this.engine;
    if (engine === undefined)
      throw new ReplayError(
        `no instruments response in the recording (a "rest" line for ${this.instrumentsPath ?? this.adapter.instrumentsRequest([]).path}): not a ${this.adapter.id} recording?`,
      );
    for (const [native, n] of this.outstanding) {
      const state = engine.statusOf(native)?.state;
      if (n > 0 && (state === 'snapshotting' || state === 'resyncing'))
        this.events.emitEvent({
          event: 'snapshot-missing',
          symbol: engine.instrument(native)!.symbol,
          native,
          path: this.adapter.snapshotRequest(native).path,
          reason: 'the recording has no response to this snapshot request',
        });
    }
    this.events.emitBooks(engine, this.opts.depth ?? 10);
  }

  private apply(l: RecordedLine): void {
    switch (l.kind) {
      case 'header':
        if (l.header.venue !== this.adapter.id)
          throw new ReplayError(
            `the recording is of venue ${JSON.stringify(l.header.venue)}, not ${JSON.stringify(this.adapter.id)} (--venue)`,
          );
        this.header ??= l.header;
        return;
      case 'rest':
      case 'rest-error':
        return this.onRest(
          l.path,
          l.kind === 'rest' ? { line: this.lineNo, body: l.body } : { line: this.lineNo, error: l.error },
        );
      case 'open':
      case 'close': {
        const engine = this.requireEngine(l.kind);
        if (engine === undefined) return;
        const natives = l.symbols.filter((n) => engine.instrument(n) !== undefined);
        this.opened = true;
        this.events.emitEvent({
          event: 'connection',
          state: l.kind === 'open' ? 'open' : 'closed',
          name: l.name,
          line: this.lineNo,
          ts: this.nowTs,
          ...(l.kind === 'close' ? { reason: l.reason } : {}),
        });
        if (l.kind === 'open') {
          this.openConns.add(l.name);
          engine.connectionOpened(natives, l.name);
        } else {
          this.openConns.delete(l.name);
          engine.connectionLost(natives, l.reason, l.name);
        }
        return;
      }
      case 'frame': {
        const engine = this.requireEngine('frame');
        if (engine === undefined) return;
        if (!this.opened) {
          this.opened = true; // a recording without connection lines: everything opened at once
          engine.connectionOpened(engine.natives);
        }
        // no `conn`: a single-connection recording (or one without connection lines: '')
        const conn = l.conn ?? (this.openConns.size === 1 ? this.openConns.values().next().value! : '');
        engine.onFrame(l.text, this.nowTs, conn);
        return;
      }
    }
  }

  private requireEngine(what: string): VenueEngine<unknown, unknown> | undefined {
    if (this.engine === undefined)
      this.events.emitEvent({
        event: 'malformed',
        source: 'recording',
        line: this.lineNo,
        reason: `${what} line before the instruments response: skipped`,
      });
    return this.engine;
  }

  private onRest(path: string, res: QueuedResponse): void {
    const symbols = this.header?.symbols ?? [];
    this.instrumentsPath ??= this.adapter.instrumentsRequest(symbols).path;
    if (this.engine === undefined && path === this.instrumentsPath) {
      if (res.body === undefined) return; // a failed attempt; the recorder stops after one
      let all: Instrument[];
      try {
        all = this.adapter.parseInstruments(res.body);
      } catch (err) {
        throw new ReplayError(`line ${res.line}: unusable instruments response: ${(err as Error).message}`);
      }
      this.createEngine(all);
      return;
    }
    const native = this.nativeBySnapshotPath.get(path);
    if (native !== undefined && (this.outstanding.get(native) ?? 0) > 0) return this.deliver(native, res);
    const q = this.unconsumed.get(path);
    if (q === undefined) this.unconsumed.set(path, [res]);
    else q.push(res);
  }

  private createEngine(all: Instrument[]): void {
    const known = new Map(all.map((i) => [i.native, i]));
    const wanted = this.header?.symbols ?? all.map((i) => i.native);
    const selected = wanted.flatMap((n) => known.get(n) ?? []);
    const unknown = wanted.filter((n) => !known.has(n));
    if (unknown.length > 0)
      this.events.emitEvent({ event: 'unknown-symbols', line: this.lineNo, symbols: unknown });
    const adapter = observeSteps(this.adapter, this.steps);
    const events = this.events;
    this.engine = new VenueEngine(adapter, selected, {
      book: (m) => events.emitMessage(m),
      trade: (m) => events.emitMessage(m),
      status: (m: SyncStatus) => events.onStatus(m, this.lineNo),
      needSnapshot: (native) => {
        this.outstanding.set(native, (this.outstanding.get(native) ?? 0) + 1);
        this.asked.push(native);
      },
      malformed: (err) => events.onMalformed(err, this.lineNo, this.nowTs),
      resubscribe: () => undefined, // the recorded frames hold what the venue sent back
      // as live: the engine leaves a gapped connection to be restarted, whose close/open lines follow
      restartConnection: () => undefined,
      venueShutdown: (message) =>
        events.emitEvent({ event: 'venue-shutdown', line: this.lineNo, ts: this.nowTs, message }),
      now: () => this.nowTs,
    });
    for (const i of selected) {
      this.nativeBySnapshotPath.set(this.adapter.snapshotRequest(i.native).path, i.native);
      events.track(i);
    }
    for (const s of this.engine.allStatuses()) events.onStatus(s, this.lineNo);
  }

  /** Requests made while replaying this line that an earlier unconsumed response can answer. */
  private answerQueued(): void {
    // answering may make the engine ask again (a snapshot older than the buffered stream)
    while (this.asked.length > 0) {
      const native = this.asked.shift()!;
      const q = this.unconsumed.get(this.adapter.snapshotRequest(native).path);
      // a recorded failure was followed by a retry: keep answering until a body is delivered
      for (let res = q?.shift(); res !== undefined; res = q?.shift()) {
        if ((this.outstanding.get(native) ?? 0) <= 0) {
          q!.unshift(res);
          break;
        }
        this.deliver(native, res);
        if (res.body !== undefined) break;
      }
    }
  }

  private deliver(native: string, res: QueuedResponse): void {
    const engine = this.engine!;
    if (res.body !== undefined) {
      this.outstanding.set(native, (this.outstanding.get(native) ?? 1) - 1);
      engine.onSnapshot(native, res.body, this.nowTs);
    } else {
      // the recorder retries a failed request while the symbol still waits: it stays outstanding
      engine.onSnapshotFailed(native, res.error ?? 'failed');
    }
  }
}
