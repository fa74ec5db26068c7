/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): delay = random(0, min(cap, base × 2^attempt)). A server-imposed wait (Retry-After,
 * 418/429) is a floor on top of it.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 250,
    private readonly capMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(floorMs = 0): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return Math.max(floorMs, Math.floor(this.random() * ceiling));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Retry-After header: seconds or an HTTP date → ms (undefined when absent or unparsable). */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
