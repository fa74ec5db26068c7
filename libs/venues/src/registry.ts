/**
 * The venues tickmesh speaks. Adding a venue = a new folder + one line here; nothing else in the
 * platform changes (the ingestor selects an adapter by id).
 */
import type { VenueAdapter } from './core/adapter';
import { binanceAdapter } from './binance';
import { bybitAdapter } from './bybit';
import { coinbaseAdapter } from './coinbase';
import { krakenAdapter } from './kraken';
import { okxAdapter } from './okx';

export type AdapterFactory = () => VenueAdapter;

const registry: Record<string, AdapterFactory> = {
  binance: () => binanceAdapter() as VenueAdapter,
  bybit: () => bybitAdapter({ category: 'spot', depth: 50 }) as VenueAdapter,
  bybitlinear: () => bybitAdapter({ category: 'linear', depth: 50 }) as VenueAdapter,
  coinbase: () => coinbaseAdapter() as VenueAdapter,
  kraken: () => krakenAdapter({ depth: 10 }) as VenueAdapter,
  // `books` snapshots over the WebSocket; after OKX delists them (planned Aug 2026) switch both to
  // `snapshotMode: 'rest'` (libs/venues/src/okx/README.md)
  okx: () => okxAdapter({ instType: 'SPOT', snapshotMode: 'stream' }) as VenueAdapter,
  okxswap: () => okxAdapter({ instType: 'SWAP', snapshotMode: 'stream' }) as VenueAdapter,
};

export function venueIds(): string[] {
  return Object.keys(registry).sort();
}

export function createAdapter(id: string): VenueAdapter {
  const f = registry[id];
  if (f === undefined)
    throw new Error(`unknown venue ${JSON.stringify(id)} (known: ${venueIds().join(', ')})`);
  return f();
}
