/**
 * Shared by normalize.bench.ts and resync.bench.ts: the simulated venues, their native symbols, a
 * VenueFeed against an in-process simulator (with an optional tap), and small helpers.
 */
import type { Instrument, SyncStatus } from '@tickmesh/contracts';
import { VenueFeed, type FeedSink, type FeedTap } from '@tickmesh/feed';
import { createAdapter } from '@tickmesh/venues';
import type { Simulator } from '@tickmesh/venue-sim';

export const VENUES = ['binance', 'bybit', 'okx', 'coinbase', 'kraken'] as const;
export type VenueId = (typeof VENUES)[number];

/** Native symbols of the simulator's BTC/ETH/SOL–USDT per venue. */
export const NATIVES: Record<VenueId, readonly string[]> = {
  binance: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
  bybit: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
  okx: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'],
  coinbase: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'],
  kraken: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

/** A started feed of one venue on the simulator. */
export async function startFeed(
  sim: Simulator,
  venue: VenueId,
  natives: readonly string[],
  sink: Partial<FeedSink>,
  tap?: FeedTap,
): Promise<VenueFeed> {
  const feed = new VenueFeed(
    {
      adapter: createAdapter(venue),
      symbols: [...natives],
      wsUrl: sim.wsUrl,
      restUrl: sim.url,
      failFastInstruments: true,
      // the resync bench gaps one symbol every fraction of a second on purpose: measure the
      // resync itself, not the per-symbol backoff that protects a real venue from a flapping symbol
      resyncBackoff: { resetAfterMs: 0 },
      ...(tap !== undefined ? { tap } : {}),
    },
    {
      book: sink.book ?? (() => {}),
      trade: sink.trade ?? (() => {}),
      status: sink.status ?? ((_: SyncStatus) => {}),
    },
  );
  await feed.start();
  return feed;
}

export function instrumentsOf(feed: VenueFeed, natives: readonly string[]): Instrument[] {
  const engine = feed.engine;
  if (engine === undefined) throw new Error(`${feed.venue}: the feed has no engine`);
  return natives.map((n) => {
    const i = engine.instrument(n);
    if (i === undefined) throw new Error(`${feed.venue}: unknown symbol ${n}`);
    return i;
  });
}

export async function postFault(sim: Simulator, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.url}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST /sim/faults ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
}
