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
 *       stops/restarts the generator for one symbol or all of them.
 *
 * Unknown fields are rejected, so a typo ("cout") fails loudly instead of doing the default.
 */
export type Fault =
  | { kind: 'gap' | 'corrupt-checksum'; venue: string; symbol: string; count: number }
  | { kind: 'disconnect'; venue: string; code: number }
  | { kind: 'pause' | 'resume'; venue: string; symbol?: string };

export type FaultParse = { ok: true; fault: Fault } | { ok: false; error: string };

const KINDS = ['gap', 'corrupt-checksum', 'disconnect', 'pause', 'resume'] as const;
const MAX_GAP_COUNT = 1_000_000;

const FIELDS: Record<(typeof KINDS)[number], readonly string[]> = {
  gap: ['venue', 'kind', 'symbol', 'count'],
  'corrupt-checksum': ['venue', 'kind', 'symbol', 'count'],
  disconnect: ['venue', 'kind', 'code'],
  pause: ['venue', 'kind', 'symbol'],
  resume: ['venue', 'kind', 'symbol'],
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
    case 'corrupt-checksum': {
      if (typeof symbol !== 'string') return fail(`"symbol" is required for ${k === 'gap' ? 'a gap' : k}`);
      const count = o['count'] ?? 1;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_GAP_COUNT) {
        return fail(`"count" must be an integer in 1..${MAX_GAP_COUNT}`);
      }
      return { ok: true, fault: { kind: k, venue, symbol, count } };
    }
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

function isSendableCloseCode(c: number): boolean {
  return (
    Number.isInteger(c) && ((c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999))
  );
}

function fail(error: string): FaultParse {
  return { ok: false, error };
}
