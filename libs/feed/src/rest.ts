/**
 * REST calls to a venue with a request-weight budget and the venue's back-pressure honoured:
 * 429 (rate limited) and 418 (IP banned) stop every request of this client until Retry-After
 * passes, and are handed to the budget (a shared budget blocks the other replicas too). The budget
 * is a `WeightBudget`: by default the in-process token bucket in request weight per minute.
 */
import { retryAfterMs } from './backoff';
import { LocalWeightBudget, type WeightBudget } from './budget';

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
  /** where request weight is taken from; default a local token bucket of `weightPerMinute` */
  budget?: WeightBudget;
}

export class RestClient {
  private blockedUntil = 0;
  readonly budget: WeightBudget;

  constructor(private readonly opts: RestClientOptions) {
    this.budget = opts.budget ?? new LocalWeightBudget(opts.weightPerMinute);
  }

  /** best estimate of the ms to wait before a request of this weight may be sent (0 = now). */
  waitFor(weight: number): number {
    const now = Date.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    return this.budget.peek(weight);
  }

  async get(path: string, weight: number): Promise<string> {
    const now = Date.now();
    const wait = now < this.blockedUntil ? this.blockedUntil - now : await this.budget.take(weight);
    if (wait > 0) throw new RestError(`request budget exhausted; retry in ${wait} ms`, 0, wait);
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
      // never fails: a shared budget falls back to local by itself
      await this.budget.block(this.blockedUntil);
      throw new RestError(`GET ${path}: HTTP ${res.status}; backing off ${after} ms`, res.status, after);
    }
    if (!res.ok)
      throw new RestError(`GET ${path}: HTTP ${res.status} ${body.slice(0, 200)}`, res.status, undefined);
    return body;
  }
}
