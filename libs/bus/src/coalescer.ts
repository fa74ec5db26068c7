/**
 * Coalescer: runs a flush at most once per event-loop turn and, when `minIntervalMs` > 0, at most
 * once per interval. The first request after a quiet period flushes on the next turn (no added
 * latency at low rates); requests that come faster than the interval share one flush. Every hop
 * that writes to a socket uses it: on this class of machine a socket write costs several µs of CPU
 * whatever its size, so at high rates the number of writes, not bytes, is what saturates a core.
 */
export class Coalescer {
  private scheduled = false;
  private lastRunAt = -Infinity;

  constructor(
    private readonly flush: () => void,
    private readonly minIntervalMs = 0,
  ) {}

  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastRunAt + this.minIntervalMs - performance.now();
    if (wait <= 0) setImmediate(this.run);
    else setTimeout(this.run, wait);
  }

  get pending(): boolean {
    return this.scheduled;
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.lastRunAt = performance.now();
    this.flush();
  };
}
