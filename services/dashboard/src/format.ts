/** Small display helpers shared by the views (numbers that are not money). */

/** Hue of a venue's color: fixed for the known venues, hashed for others. */
const HUES: Record<string, number> = { binance: 45, bybit: 25, okx: 210, coinbase: 225, kraken: 265 };

export function venueHue(venue: string): number {
  const known = HUES[venue.replace(/:.*$/, '')];
  if (known !== undefined) return known;
  let h = 0;
  for (let i = 0; i < venue.length; i++) h = (h * 31 + venue.charCodeAt(i)) % 360;
  return h;
}

/** A rate per second: "1,234", "12.5", "0.20", "—". */
export function formatRate(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 2);
}

/** Basis points: two decimals, two significant digits below 1 bp (tight books: 0.0017). */
export function formatBps(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 1 || n === 0 ? n.toFixed(2) : n.toPrecision(2);
}

/** µs since the epoch → local "HH:MM:SS.mmm" */
export function formatTime(micros: number): string {
  if (!(micros > 0)) return '—';
  const d = new Date(Math.floor(micros / 1000));
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
