/**
 * Binance spot adapter: combined streams `<sym>@depth@100ms` + `<sym>@trade` per connection (≤ 1024
 * streams, so ≤ 512 symbols), microsecond timestamps, REST depth snapshots, 24 h connection limit.
 * The server pings every 20 s and the ws library answers with pongs, so no client keep-alive.
 */
import type { Instrument } from '@tickmesh/contracts';
import type { VenueAdapter } from '../core/adapter';
import { parseFrame, parseInstruments, parseSnapshot } from './parse';
import type { DepthSnapshot, DepthUpdate } from './raw';
import { BinanceBookSync } from './sync';

export interface BinanceOptions {
  /** REST snapshot depth (weight: ≤100 → 5, ≤500 → 25, ≤1000 → 50, ≤5000 → 250) */
  snapshotLimit?: number;
}

export function snapshotWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

export function streamsFor(native: string): string[] {
  const s = native.toLowerCase();
  return [`${s}@depth@100ms`, `${s}@trade`];
}

export function binanceAdapter(opts: BinanceOptions = {}): VenueAdapter<DepthUpdate, DepthSnapshot> {
  const limit = opts.snapshotLimit ?? 1000;
  return {
    id: 'binance',
    defaults: {
      wsUrl: 'wss://stream.binance.com:9443',
      restUrl: 'https://api.binance.com',
      maxStreamsPerConnection: 1024,
      streamsPerSymbol: 2,
      staleSocketMs: 30_000,
      maxConnectionAgeMs: 23 * 3600_000,
    },
    // The whole list: with `symbols=[...]` one unknown symbol fails the request (-1121), and an
    // unknown symbol must be reported while the others continue.
    instrumentsRequest: () => ({ path: '/api/v3/exchangeInfo', weight: 20 }),
    parseInstruments,
    connectionUrl: (wsBase, natives) =>
      `${wsBase.replace(/\/$/, '')}/stream?streams=${natives.flatMap(streamsFor).join('/')}&timeUnit=MICROSECOND`,
    subscribeFrames: () => [],
    parseFrame: (text) => parseFrame(text),
    snapshotRequest: (native) => ({
      path: `/api/v3/depth?symbol=${encodeURIComponent(native)}&limit=${limit}`,
      weight: snapshotWeight(limit),
    }),
    parseSnapshot,
    createSync: (_instrument: Instrument) => new BinanceBookSync(),
  };
}
