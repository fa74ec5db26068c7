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

export interface ResyncBackoffOptions {
  /** the first backoff ceiling (full jitter: the first repeated resync waits in [0, base)) */
  baseMs?: number;
  /** the largest ceiling */
  capMs?: number;
  /** a symbol live at least this long is healthy again: its next resync is immediate */
  resetAfterMs?: number;
  /** ms clock (injected in tests) */
  now?: () => number;
  /** uniform in [0, 1) (injected in tests) */
  random?: () => number;
}

/**
 * Per-symbol resync backoff: a symbol that keeps failing (gaps, checksum mismatches, crossed books,
 * subscription errors right after a resync) must not hammer the venue with re-subscriptions or
 * snapshot requests. The first resync after the symbol was healthy is immediate (the ≤ 1 s resync
 * target); every further one while it has not stayed live for `resetAfterMs` waits a capped
 * exponential delay with full jitter, per symbol: random(0, min(cap, base × 2^n)) for the n-th
 * repeated resync (n = 1, 2, …). Pure: the caller reports live periods (`live`/`notLive`) and asks
 * `next` when it is about to resync.
 */
export class ResyncBackoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly resetAfterMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly symbols = new Map<string, { backoff: Backoff; liveSince: number | undefined }>();

  constructor(opts: ResyncBackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 250;
    this.capMs = opts.capMs ?? 30_000;
    this.resetAfterMs = opts.resetAfterMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  private entry(native: string): { backoff: Backoff; liveSince: number | undefined } {
    let e = this.symbols.get(native);
    if (e === undefined) {
      e = { backoff: new Backoff(this.baseMs, this.capMs, this.random), liveSince: undefined };
      this.symbols.set(native, e);
    }
    return e;
  }

  /** the symbol went live (idempotent while it stays live) */
  live(native: string): void {
    const e = this.entry(native);
    e.liveSince ??= this.now();
  }

  /** the symbol left `live` (resyncing, connecting, error): a long enough live period resets it */
  notLive(native: string): void {
    const e = this.entry(native);
    if (e.liveSince !== undefined && this.now() - e.liveSince >= this.resetAfterMs) e.backoff.reset();
    e.liveSince = undefined;
  }

  /** ms to wait before resyncing the symbol now: 0 for the first failure after a healthy period */
  next(native: string): number {
    const e = this.entry(native);
    if (e.liveSince !== undefined) this.notLive(native);
    const failures = e.backoff.attempts;
    if (failures === 0) {
      e.backoff.next(); // count it; the wait is 0
      return 0;
    }
    return e.backoff.next();
  }

  /** repeated resyncs since the symbol was last healthy (tests, logs) */
  failures(native: string): number {
    return this.symbols.get(native)?.backoff.attempts ?? 0;
  }
}
