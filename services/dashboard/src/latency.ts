/**
 * Client-side latency: for each message that carries the venue's event time (`venueTs`, µs), the
 * age at arrival in this browser, Date.now() − venueTs. It includes the venue-to-browser path and
 * the clock offset between the venue (or simulator) and this machine, so it is labelled as such;
 * p50/p99 over the last WINDOW samples per venue.
 */
export const WINDOW = 1024;

export interface Percentiles {
  p50: number;
  p99: number;
  /** samples in the window */
  n: number;
}

export class LatencySampler {
  private readonly samples = new Map<string, { buf: Float64Array; next: number; count: number }>();

  /** Records one message of `venue` with venue time `venueTs` (µs), received at `nowMs`. */
  add(venue: string, venueTs: number, nowMs: number = Date.now()): void {
    if (!(venueTs > 0)) return;
    let s = this.samples.get(venue);
    if (s === undefined) {
      s = { buf: new Float64Array(WINDOW), next: 0, count: 0 };
      this.samples.set(venue, s);
    }
    s.buf[s.next] = nowMs - venueTs / 1000;
    s.next = (s.next + 1) % WINDOW;
    if (s.count < WINDOW) s.count++;
  }

  percentiles(venue: string): Percentiles | undefined {
    const s = this.samples.get(venue);
    if (s === undefined || s.count === 0) return undefined;
    const sorted = s.buf.slice(0, s.count).sort();
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: s.count };
  }

  clear(): void {
    this.samples.clear();
  }
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: Float64Array | readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** "12.3 ms", "1.24 s" */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
