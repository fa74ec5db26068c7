/**
 * The shared fair-value path: one seeded reference price per base/quote that every venue's book of
 * that pair follows, so that the venues stay within a few ticks of each other (as arbitrage keeps
 * real venues) instead of drifting apart on independent random walks.
 *
 * The path is a pure function of (path seed, pair key, step index): every venue's `SymbolModel`
 * walks its own `FairValuePath` cursor, one step per book update, and cursors with the same key and
 * seed produce the same sequence. Nothing is shared at run time, so a venue's book sequence stays a
 * pure function of its seed and the simulator's seed, whatever the timing. Venues that emit the same
 * number of updates (same `SIM_RATE`, started together) are at the same point of the path; a venue
 * whose lane was paused resumes where it stopped and follows the path that much behind.
 *
 * The value is in integer ticks, never floating point. Read it as "the fair price lies between
 * `ticks` and `ticks + 1`": a venue quotes bids at or below it and asks above it.
 */
import { formatUnits } from './fixed';
import type { SymbolSpec } from './instrument';
import { Prng } from './prng';

/** Probability of a one-tick step up (and, separately, down) per book update. */
const P_STEP = 0.1;

/**
 * The pair a spec follows: `BASE-QUOTE` plus its start price and tick, so that two symbols share a
 * path only when they start at the same price on the same tick grid (the OKX SWAP and Bybit linear
 * books of BTC/USDT follow the spot path; a BTC/USD configured at another start price gets its own).
 */
export function fairValueKey(spec: SymbolSpec): string {
  const start = trimZeros(formatUnits(spec.startTicks * spec.tickUnits, spec.priceDecimals));
  const tick = trimZeros(spec.tickSize);
  return `${spec.base}-${spec.quote}@${start}/${tick}`;
}

export class FairValuePath {
  private readonly rng: Prng;
  private value: number;
  private steps = 0;
  /** reflecting floor: the walk never goes below half its start (centuries at this volatility) */
  private readonly floor: number;

  constructor(seed: number, spec: SymbolSpec) {
    this.rng = Prng.from(seed, 'fair-value', fairValueKey(spec));
    this.value = spec.startTicks;
    this.floor = Math.ceil(spec.startTicks / 2);
  }

  /** The current fair value in ticks. */
  get ticks(): number {
    return this.value;
  }

  /** Steps taken so far (one per book update). */
  get index(): number {
    return this.steps;
  }

  /** Takes the next step of the path; returns the new value in ticks. */
  next(): number {
    const r = this.rng.next();
    let step = r < P_STEP ? 1 : r < 2 * P_STEP ? -1 : 0;
    if (this.value + step < this.floor) step = -step;
    this.value += step;
    this.steps++;
    return this.value;
  }
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
