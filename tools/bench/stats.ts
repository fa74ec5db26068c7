/** Small numeric helpers: percentiles, medians, Prometheus text and /proc sampling. */
import { pidStats, type PidStats } from '@tickmesh/test-harness';

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * Field-wise median of structurally identical results: numbers are replaced by their median,
 * nested objects are walked, anything else is taken from the first item.
 */
export function medianOf<T>(items: readonly T[]): T {
  const first = items[0];
  if (first === undefined) throw new Error('medianOf: no items');
  if (typeof first === 'number') return median(items as readonly number[]) as T;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return first;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    out[key] = medianOf(items.map((it) => (it as Record<string, unknown>)[key]));
  }
  return out as T;
}

/** Sum of every sample of `name` (all label sets) in Prometheus text; 0 when absent. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.charAt(name.length);
    if (rest !== '{' && rest !== ' ') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export async function fetchText(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.text();
}

/** pidStats, or undefined when the pid is unknown (external server) or gone. */
export async function procStats(pid: number | undefined): Promise<PidStats | undefined> {
  if (pid === undefined) return undefined;
  return pidStats(pid).catch(() => undefined);
}

export const round = (v: number, digits = 2): number => {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
