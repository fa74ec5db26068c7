/**
 * Fault requests of the control API (`POST /sim/faults`), validated into a typed union.
 *
 *   {"venue":"binance","symbol":"BTCUSDT","kind":"gap","count":1}
 *       the next `count` book events of the symbol are applied to the model but not sent;
 *   {"venue":"kraken","symbol":"BTC/USDT","kind":"corrupt-checksum","count":1}
 *       the next `count` book messages of the symbol carry a wrong checksum (venues with checksums);
 *   {"venue":"binance","kind":"disconnect"[,"code":1001]}
 *       every WebSocket connection of the venue is closed (default code 1001 "going away");
 *   {"venue":"binance","kind":"pause"|"resume"[,"symbol":"BTCUSDT"]}
 *       stops/restarts the generator for one symbol or all of them;
 *   {"venue":"okx","symbol":"BTC-USDT","kind":"duplicate","count":2}
 *       the next `count` book messages of the symbol are each sent twice;
 *   {"venue":"okx","symbol":"BTC-USDT","kind":"reorder"}
 *       the next two book messages of the symbol are sent in swapped order;
 *   {"venue":"bybit","kind":"stall","ms":3000}
 *       nothing leaves the venue's open connections for `ms` (sockets stay open, data is held);
 *   {"venue":"binance","kind":"rest-429","count":1[,"retryAfterSec":1]}
 *       the next `count` REST requests of the venue answer 429 with `Retry-After`;
 *   {"venue":"binance","kind":"shutdown"}
 *       the venue's shutdown notice where it has one (Binance `serverShutdown`), then close 1001.
 *
 * Unknown fields are rejected, so a typo ("cout") fails loudly instead of doing the default.
 */
export type Fault =
  | { kind: 'gap' | 'corrupt-checksum'; venue: string; symbol: string; count: number }
  | { kind: 'disconnect'; venue: string; code: number }
  | { kind: 'pause' | 'resume'; venue: string; symbol?: string }
  | { kind: 'duplicate'; venue: string; symbol: string; count: number }
  | { kind: 'reorder'; venue: string; symbol: string }
  | { kind: 'stall'; venue: string; ms: number }
  | { kind: 'rest-429'; venue: string; count: number; retryAfterSec: number }
  | { kind: 'shutdown'; venue: string };

export type FaultParse = { ok: true; fault: Fault } | { ok: false; error: string };

const KINDS = [
  'gap',
  'corrupt-checksum',
  'disconnect',
  'pause',
  'resume',
  'duplicate',
  'reorder',
  'stall',
  'rest-429',
  'shutdown',
] as const;
const MAX_GAP_COUNT = 1_000_000;
const MAX_STALL_MS = 600_000;
const MAX_RETRY_AFTER_SEC = 3600;

const FIELDS: Record<(typeof KINDS)[number], readonly string[]> = {
  gap: ['venue', 'kind', 'symbol', 'count'],
  'corrupt-checksum': ['venue', 'kind', 'symbol', 'count'],
  disconnect: ['venue', 'kind', 'code'],
  pause: ['venue', 'kind', 'symbol'],
  resume: ['venue', 'kind', 'symbol'],
  duplicate: ['venue', 'kind', 'symbol', 'count'],
  reorder: ['venue', 'kind', 'symbol'],
  stall: ['venue', 'kind', 'ms'],
  'rest-429': ['venue', 'kind', 'count', 'retryAfterSec'],
  shutdown: ['venue', 'kind'],
};

/**
 * @param symbolsOf the symbols of a venue, or undefined when there is no such venue
 */
export function parseFault(
  body: unknown,
  symbolsOf: (venue: string) => readonly string[] | undefined,
): FaultParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('body must be a JSON object');
  const o = body as Record<string, unknown>;
  const kind = o['kind'];
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    return fail(`"kind" must be one of ${KINDS.join(', ')}`);
  }
  const k = kind as (typeof KINDS)[number];
  const extra = Object.keys(o).filter((f) => !FIELDS[k].includes(f));
  if (extra.length > 0)
    return fail(`unknown field(s) for kind "${k}": ${extra.join(', ')} (allowed: ${FIELDS[k].join(', ')})`);
  const venue = o['venue'];
  if (typeof venue !== 'string') return fail('"venue" must be a string, e.g. "binance"');
  const symbols = symbolsOf(venue);
  if (symbols === undefined) return fail(`unknown venue "${venue}"`);
  const symbol = o['symbol'];
  if (symbol !== undefined && (typeof symbol !== 'string' || !symbols.includes(symbol))) {
    return fail(`unknown symbol ${JSON.stringify(symbol)} for venue ${venue} (known: ${symbols.join(', ')})`);
  }
  switch (k) {
    case 'gap':
    case 'corrupt-checksum':
    case 'duplicate': {
      if (typeof symbol !== 'string') return fail(`"symbol" is required for ${k === 'gap' ? 'a gap' : k}`);
      const count = o['count'] ?? 1;
      if (!isIntIn(count, 1, MAX_GAP_COUNT)) return fail(`"count" must be an integer in 1..${MAX_GAP_COUNT}`);
      return { ok: true, fault: { kind: k, venue, symbol, count } };
    }
    case 'reorder':
      if (typeof symbol !== 'string') return fail('"symbol" is required for reorder');
      return { ok: true, fault: { kind: k, venue, symbol } };
    case 'stall': {
      const ms = o['ms'];
      if (!isIntIn(ms, 1, MAX_STALL_MS)) return fail(`"ms" is required: an integer in 1..${MAX_STALL_MS}`);
      return { ok: true, fault: { kind: k, venue, ms } };
    }
    case 'rest-429': {
      const count = o['count'] ?? 1;
      if (!isIntIn(count, 1, MAX_GAP_COUNT)) return fail(`"count" must be an integer in 1..${MAX_GAP_COUNT}`);
      const retryAfterSec = o['retryAfterSec'] ?? 1;
      if (!isIntIn(retryAfterSec, 0, MAX_RETRY_AFTER_SEC)) {
        return fail(`"retryAfterSec" must be an integer in 0..${MAX_RETRY_AFTER_SEC}`);
      }
      return { ok: true, fault: { kind: k, venue, count, retryAfterSec } };
    }
    case 'shutdown':
      return { ok: true, fault: { kind: k, venue } };
    case 'disconnect': {
      const code = o['code'] ?? 1001;
      if (typeof code !== 'number' || !isSendableCloseCode(code)) {
        return fail(
          '"code" must be a WebSocket close code a server may send (1000-1003, 1007-1014, 3000-4999)',
        );
      }
      return { ok: true, fault: { kind: 'disconnect', venue, code } };
    }
    case 'pause':
    case 'resume':
      return {
        ok: true,
        fault: typeof symbol === 'string' ? { kind: k, venue, symbol } : { kind: k, venue },
      };
  }
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isSendableCloseCode(c: number): boolean {
  return (
    Number.isInteger(c) && ((c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999))
  );
}

function fail(error: string): FaultParse {
  return { ok: false, error };
}
