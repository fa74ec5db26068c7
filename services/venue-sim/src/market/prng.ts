/**
 * Seeded pseudo-random numbers. The simulator's only source of randomness, so that the sequence of
 * book changes is a pure function of (seed, symbol, stream) and never of wall-clock timing.
 *
 * mulberry32: 32-bit state, period 2^32, fast and good enough for a market simulation (not for
 * cryptography). Seeds are derived by hashing a string key with xmur3, so `("1", "BTCUSDT")` and
 * `("1", "ETHUSDT")` give unrelated streams.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream keyed by its parts, e.g. `Prng.from(seed, 'BTCUSDT', 'depth')`. */
  static from(...parts: (string | number)[]): Prng {
    return new Prng(xmur3(parts.join('\u0000')));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). `n` must be a positive integer. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * An index in [0, n) skewed towards 0 (the top of the book): real books change most near the
   * touch. `skew` 1 is uniform; larger values concentrate on the first levels.
   */
  skewedIndex(n: number, skew: number): number {
    return Math.min(n - 1, Math.floor(Math.pow(this.next(), skew) * n));
  }
}

/** xmur3 string hash (Bryc); returns a 32-bit unsigned seed. */
function xmur3(s: string): number {
  let h = 1779033703 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return (h ^= h >>> 16) >>> 0;
}
