/**
 * Binance stream names and connection URLs.
 *
 * A subscription is keyed by its exact stream name. Data is published only under the lower-case
 * names of simulated streams (`btcusdt@depth`, `btcusdt@depth@100ms`, `btcusdt@trade`), so a
 * well-formed name for an unknown symbol, an upper-case symbol or a stream type the simulator
 * does not produce (`@aggTrade`, `@bookTicker`, ...) is accepted and simply never receives data,
 * which is what the real venue does for unknown symbols (OBSERVED, see PROTOCOLS.md §1.2).
 */

/** Well-formed Binance stream names: `<symbol>@<type>[@<speed>]` or a global `!<name>[@arr]`. */
const STREAM_RE = /^(?:[A-Za-z0-9]{1,30}@[A-Za-z0-9_]{1,40}(?:@[0-9]{1,5}ms)?|![A-Za-z0-9_]{1,40}(?:@arr)?)$/;

/** At most this many streams per connection (documented venue limit). */
export const MAX_STREAMS_PER_CONNECTION = 1024;

export function isStreamName(name: string): boolean {
  return STREAM_RE.test(name);
}

/** Names under which a symbol's depth events are published (each subscriber gets its own name). */
export function depthStreams(nativeSymbol: string): readonly string[] {
  const s = nativeSymbol.toLowerCase();
  return [`${s}@depth`, `${s}@depth@100ms`];
}

export function tradeStreams(nativeSymbol: string): readonly string[] {
  return [`${nativeSymbol.toLowerCase()}@trade`];
}

export interface ConnectTarget {
  /** `/stream` connections wrap events as `{"stream":..,"data":..}`; `/ws` ones do not */
  combined: boolean;
  /** streams named in the URL, subscribed at connect */
  streams: string[];
  /** `timeUnit=MICROSECOND`: `E`/`T` in µs instead of ms */
  micros: boolean;
}

export type ConnectResult =
  { ok: true; target: ConnectTarget } | { ok: false; status: number; reason: string };

/**
 * Interprets a WebSocket upgrade URL. Returns undefined when the path is not a Binance stream path
 * (`/ws`, `/ws/<s1>[/<s2>...]`, `/stream[?streams=<s1>/<s2>...]`).
 */
export function parseConnectUrl(url: URL): ConnectResult | undefined {
  const path = url.pathname;
  let combined: boolean;
  let names: string[];
  if (path === '/ws' || path === '/ws/') {
    combined = false;
    names = [];
  } else if (path.startsWith('/ws/')) {
    combined = false;
    names = path
      .slice(4)
      .split('/')
      .filter((s) => s !== '');
  } else if (path === '/stream' || path === '/stream/') {
    combined = true;
    names = (url.searchParams.get('streams') ?? '').split('/').filter((s) => s !== '');
  } else {
    return undefined;
  }
  let decoded: string[];
  try {
    decoded = names.map((n) => decodeURIComponent(n));
  } catch {
    return { ok: false, status: 400, reason: 'malformed stream name' };
  }
  const bad = decoded.find((n) => !isStreamName(n));
  if (bad !== undefined)
    return { ok: false, status: 400, reason: `invalid stream name: ${bad.slice(0, 80)}` };
  if (decoded.length > MAX_STREAMS_PER_CONNECTION)
    return { ok: false, status: 400, reason: 'too many streams' };
  const unit = url.searchParams.get('timeUnit');
  let micros = false;
  if (unit !== null) {
    const u = unit.toUpperCase();
    if (u === 'MICROSECOND') micros = true;
    else if (u !== 'MILLISECOND')
      return { ok: false, status: 400, reason: `invalid timeUnit: ${unit.slice(0, 40)}` };
  }
  return { ok: true, target: { combined, streams: [...new Set(decoded)], micros } };
}
