/**
 * The recording format of `record` / `replay`: JSON Lines, one object per line, in arrival order.
 * Every line has `recv`: the receive time in **epoch milliseconds with a microsecond fraction**
 * (`1767225600123.456`; at most three decimals — the µs clock divided by 1000). Integer
 * milliseconds are accepted on input.
 *
 *   {"recv":..,"recording":{"version":1,"venue":"binance","symbols":["BTCUSDT"],"wsUrl":..,"restUrl":..}}
 *   {"recv":..,"rest":"/api/v3/exchangeInfo","raw":"<response body>"}        REST response
 *   {"recv":..,"rest":"/api/v3/depth?symbol=BTCUSDT&limit=1000","error":".."} REST failure
 *   {"recv":..,"open":"binance-0","symbols":["BTCUSDT"]}                      connection opened
 *   {"recv":..,"raw":"<exact frame text>"}                                      inbound text frame
 *   {"recv":..,"conn":"coinbase-1","raw":".."}       the same, when the recording has several connections
 *   {"recv":..,"close":"binance-0","symbols":["BTCUSDT"],"reason":".."}       connection lost
 *
 * Only `raw` and `rest` lines are required by `replay`: without a header it follows every instrument
 * of the instruments response, and without `open` lines it opens all symbols at the first frame.
 * A `raw` line without `conn` came on the only connection open at that point.
 */

export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  version: number;
  venue: string;
  symbols: string[];
  wsUrl?: string;
  restUrl?: string;
}

export type RecordedLine =
  | { kind: 'header'; recv: number; header: RecordingHeader }
  | { kind: 'rest'; recv: number; path: string; body: string }
  | { kind: 'rest-error'; recv: number; path: string; error: string }
  | { kind: 'open'; recv: number; name: string; symbols: string[] }
  | { kind: 'frame'; recv: number; text: string; conn?: string }
  | { kind: 'close'; recv: number; name: string; symbols: string[]; reason: string };

/** µs receive timestamp (the engine's unit) → the `recv` field. */
export function recvOf(micros: number): number {
  return micros / 1000;
}

/** `recv` → µs, exact for values written by `recvOf` (≤ 3 decimals). */
export function microsOf(recv: number): number {
  return Math.round(recv * 1000);
}

/** One line of text for a recorded item (no trailing newline). Key order is part of the format. */
export function encodeLine(line: RecordedLine): string {
  switch (line.kind) {
    case 'header':
      return JSON.stringify({ recv: line.recv, recording: line.header });
    case 'rest':
      return JSON.stringify({ recv: line.recv, rest: line.path, raw: line.body });
    case 'rest-error':
      return JSON.stringify({ recv: line.recv, rest: line.path, error: line.error });
    case 'open':
      return JSON.stringify({ recv: line.recv, open: line.name, symbols: line.symbols });
    case 'frame':
      return line.conn === undefined
        ? JSON.stringify({ recv: line.recv, raw: line.text })
        : JSON.stringify({ recv: line.recv, conn: line.conn, raw: line.text });
    case 'close':
      return JSON.stringify({
        recv: line.recv,
        close: line.name,
        symbols: line.symbols,
        reason: line.reason,
      });
  }
}

export type DecodeResult = { ok: true; line: RecordedLine } | { ok: false; reason: string };

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Parses one line of a recording; never throws. */
export function decodeLine(text: string): DecodeResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, reason: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  const recv = o['recv'];
  if (typeof recv !== 'number' || !Number.isFinite(recv) || recv < 0)
    return { ok: false, reason: '"recv" must be a non-negative number (epoch ms)' };
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  if ('recording' in o) {
    const h = o['recording'];
    if (typeof h !== 'object' || h === null) return { ok: false, reason: '"recording" must be an object' };
    const r = h as Record<string, unknown>;
    if (typeof r['venue'] !== 'string' || !isStringArray(r['symbols']))
      return { ok: false, reason: 'a "recording" header needs "venue" and "symbols"' };
    const header: RecordingHeader = {
      version: typeof r['version'] === 'number' ? r['version'] : RECORDING_VERSION,
      venue: r['venue'],
      symbols: r['symbols'],
      ...(typeof r['wsUrl'] === 'string' ? { wsUrl: r['wsUrl'] } : {}),
      ...(typeof r['restUrl'] === 'string' ? { restUrl: r['restUrl'] } : {}),
    };
    return { ok: true, line: { kind: 'header', recv, header } };
  }
  const rest = str('rest');
  if (rest !== undefined) {
    const raw = str('raw');
    if (raw !== undefined) return { ok: true, line: { kind: 'rest', recv, path: rest, body: raw } };
    const error = str('error');
    if (error !== undefined) return { ok: true, line: { kind: 'rest-error', recv, path: rest, error } };
    return { ok: false, reason: 'a "rest" line needs "raw" (the body) or "error" (a string)' };
  }
  const raw = str('raw');
  if (raw !== undefined) {
    const conn = str('conn');
    return { ok: true, line: { kind: 'frame', recv, text: raw, ...(conn !== undefined ? { conn } : {}) } };
  }
  const open = str('open');
  const symbols = o['symbols'];
  if (open !== undefined) {
    if (!isStringArray(symbols)) return { ok: false, reason: 'an "open" line needs "symbols"' };
    return { ok: true, line: { kind: 'open', recv, name: open, symbols } };
  }
  const close = str('close');
  if (close !== undefined) {
    if (!isStringArray(symbols)) return { ok: false, reason: 'a "close" line needs "symbols"' };
    return { ok: true, line: { kind: 'close', recv, name: close, symbols, reason: str('reason') ?? '' } };
  }
  return { ok: false, reason: 'unknown line: expected "raw", "rest", "open", "close" or "recording"' };
}
