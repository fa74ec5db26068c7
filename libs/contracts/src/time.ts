/**
 * Every timestamp in the contracts is microseconds since the Unix epoch, as a JS number (exact up to
 * 2^53 µs ≈ year 2255). `nowMicros` reads the process wall clock with sub-millisecond resolution, so
 * timestamps taken by different processes on one machine are comparable (frame → client latency).
 */
const origin = performance.timeOrigin;

export function nowMicros(): number {
  return Math.round((origin + performance.now()) * 1000);
}

export function msToMicros(ms: number): number {
  return ms * 1000;
}
