/**
 * Reconnect delays: capped exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"): delay = random(0, min(cap, base · 2^attempt)). Full jitter
 * spreads a crowd of clients that lost the same gateway, so its restart is not a thundering herd.
 */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, capMs: 10_000 };

/** Delay before retry number `attempt` (0 = the first retry). `random` returns [0, 1). */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const bound = Math.min(b.capMs, b.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * bound);
}
