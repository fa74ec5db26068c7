/**
 * Per-symbol state shared by the views: for every venue listing the symbol, its top of book,
 * ingestor sync state, book statistics and client-side latency samples. Feed handlers mutate plain
 * objects; the rows are published to Vue once per frame (frame.ts).
 */
import { add, compareDecimal, spreadBps } from './decimal';
import type { ConsolidatedData, Feed, Handle, StatsData, StatusData, TobData } from './feed';
import { frameValue, type FrameValue } from './frame';
import { LatencySampler } from './latency';

export interface VenueRow {
  venue: string;
  tob?: TobData;
  status?: StatusData;
  stats?: StatsData;
  /** why the stats channel gave nothing (e.g. not served by this gateway) */
  statsError?: string;
  error?: string;
  /** messages received for this venue (tob + status + stats), for the header's rate */
  received: number;
}

export interface SymbolWatch {
  readonly symbol: string;
  readonly rows: FrameValue<VenueRow[]>;
  readonly latency: LatencySampler;
  close(): void;
}

export function watchSymbol(feed: Feed, symbol: string, venues: readonly string[]): SymbolWatch {
  const latency = new LatencySampler();
  const list: VenueRow[] = venues.map((venue) => ({ venue, received: 0 }));
  const rows = frameValue<VenueRow[]>(list);
  const handles: Handle[] = [];
  // a new array each frame: views compare by reference
  const changed = (): void => rows.set(list.slice());
  for (const row of list) {
    const v = row.venue;
    handles.push(
      feed.tob(
        v,
        symbol,
        (t) => {
          row.tob = t;
          row.received++;
          latency.add(v, t.venueTs);
          changed();
        },
        (err) => ((row.error = err.message), changed()),
      ),
      feed.status(
        v,
        symbol,
        (s) => {
          row.status = s;
          row.received++;
          changed();
        },
        (err) => ((row.error = err.message), changed()),
      ),
      feed.stats(
        v,
        symbol,
        (s) => {
          row.stats = s;
          row.statsError = undefined;
          row.received++;
          changed();
        },
        (err) => ((row.statsError = errorText(err)), changed()),
      ),
    );
  }
  return {
    symbol,
    rows,
    latency,
    close: () => handles.forEach((h) => h.close()),
  };
}

/** "invalid_channel: …" → a short reason for a panel */
export function errorText(err: Error): string {
  const code = (err as Error & { code?: string }).code;
  if (code === 'invalid_channel' || code === 'unknown_channel') return 'not served by this gateway';
  return code !== undefined ? `${code}: ${err.message}` : err.message;
}

/** Spread in bps: the book-builder's when its stats are there, otherwise from the top of book. */
export function rowSpreadBps(row: VenueRow): number | undefined {
  if (row.stats !== undefined && row.stats.spreadBps !== null) return row.stats.spreadBps;
  return row.tob === undefined ? undefined : spreadBps(row.tob.bidPx, row.tob.askPx);
}

/**
 * An NBBO from the venues' tops of book, for a gateway without consolidated channels: best bid
 * (highest) and best ask (lowest) among live venues with the total size there (exact), attributed
 * to the venue quoting the largest size at that price (ties: name order), crossed/locked flags, other venues excluded with their
 * state. Levels hold the top only.
 */
export function nbboFromTobs(symbol: string, rows: readonly VenueRow[]): ConsolidatedData {
  const live = rows.filter((r) => r.tob !== undefined && r.tob.state === 'live');
  const excluded = rows
    .filter((r) => r.tob !== undefined && r.tob.state !== 'live')
    .map((r) => ({ venue: r.venue, state: r.tob!.state }));
  const best = (
    side: 'bid' | 'ask',
  ): { px: string; sz: string; venue: string; sources: [string, string][] } => {
    const px = side === 'bid' ? 'bidPx' : 'askPx';
    const sz = side === 'bid' ? 'bidSz' : 'askSz';
    let top = '';
    for (const r of live) {
      const p = r.tob![px];
      if (p === '') continue;
      if (top === '' || (side === 'bid' ? compareDecimal(p, top) > 0 : compareDecimal(p, top) < 0)) top = p;
    }
    if (top === '') return { px: '', sz: '', venue: '', sources: [] };
    const at = live
      .filter((r) => r.tob![px] !== '' && compareDecimal(r.tob![px], top) === 0)
      .map((r): [string, string] => [r.venue, r.tob![sz]])
      .sort((a, b) => compareDecimal(b[1], a[1]) || a[0].localeCompare(b[0]));
    return { px: top, sz: sumSizes(at), venue: at[0]![0], sources: at };
  };
  const bid = best('bid');
  const ask = best('ask');
  const cmp = bid.px !== '' && ask.px !== '' ? compareDecimal(bid.px, ask.px) : -1;
  const level = (b: typeof bid): ConsolidatedData['bids'] => (b.px === '' ? [] : [[b.px, b.sz, b.sources]]);
  return {
    symbol,
    depth: 1,
    bids: level(bid),
    asks: level(ask),
    nbbo: {
      bidPx: bid.px,
      bidSz: bid.sz,
      bidVenue: bid.venue,
      askPx: ask.px,
      askSz: ask.sz,
      askVenue: ask.venue,
    },
    crossed: cmp > 0,
    locked: cmp === 0,
    venues: live.map((r) => r.venue).sort(),
    excluded,
    venueTs: Math.max(0, ...live.map((r) => r.tob!.venueTs)),
    bookTs: Math.max(0, ...live.map((r) => r.tob!.bookTs)),
    ts: Date.now() * 1000,
  };
}

function sumSizes(sources: [string, string][]): string {
  let total = '0';
  for (const [, size] of sources) total = add(total, size) ?? total;
  return total;
}
