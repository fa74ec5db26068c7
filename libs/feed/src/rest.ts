/**
 * REST calls to a venue with a request-weight budget and the venue's back-pressure honoured:
 * 429 (rate limited) and 418 (IP banned) stop every request of this client until Retry-After
 * passes. The budget is a token bucket in request weight per minute.
 */
import { retryAfterMs } from './backoff';

export class RestError extends Error {
  override readonly name = 'RestError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

export interface RestClientOptions {
  baseUrl: string;
  /** request weight allowed per minute (Binance spot: 6000) */
  weightPerMinute: number;
  timeoutMs?: number;
}

export class RestClient {
  private tokens: number;
  private refilledAt = Date.now();
  private blockedUntil = 0;

  constructor(private readonly opts: RestClientOptions) {
    this.tokens = opts.weightPerMinute;
  }

  /** ms to wait before a request of this weight may be sent (0 = now). */
  waitFor(weight: number): number {
    const now = Date.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    this.refill(now);
    if (this.tokens >= weight) return 0;
    return Math.ceil(((weight - this.tokens) / this.opts.weightPerMinute) * 60_000);
  }

  async get(path: string, weight: number): Promise<string> {
    const wait = this.waitFor(weight);
    if (wait > 0) throw new RestError(`request budget exhausted; retry in ${wait} ms`, 0, wait);
    this.tokens -= weight;
    const url = this.opts.baseUrl.replace(/\/$/, '') + path;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new RestError(`GET ${path} failed: ${(err as Error).message}`, 0, undefined);
    }
    const body = await res.text();
    if (res.status === 429 || res.status === 418) {
      const after = retryAfterMs(res.headers.get('retry-after')) ?? (res.status === 418 ? 120_000 : 60_000);
      this.blockedUntil = Date.now() + after;
      throw new RestError(`GET ${path}: HTTP ${res.status}; backing off ${after} ms`, res.status, after);
    }
    if (!res.ok)
      throw new RestError(`GET ${path}: HTTP ${res.status} ${body.slice(0, 200)}`, res.status, undefined);
    return body;
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    this.tokens = Math.min(
      this.opts.weightPerMinute,
      this.tokens + (elapsed / 60_000) * this.opts.weightPerMinute,
    );
  }
}
