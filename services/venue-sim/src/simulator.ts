/**
 * Wiring: config → market model → venue protocol → HTTP server. `startSimulator` is the whole
 * programmatic API; main.ts is a thin process wrapper around it.
 */
import type { AddressInfo } from 'node:net';
import type { Instrument } from '@tickmesh/contracts';
import { resolveConfig, type ResolvedConfig, type SimulatorConfig } from './config';
import { ControlApi } from './control/control-api';
import { createLogger, type Logger } from './log';
import { toInstrument } from './market/instrument';
import { Market } from './market/market';
import { createSimServer } from './server/http-server';
import { BinanceVenue } from './venues/binance/binance-venue';
import { createBybitVenues } from './venues/bybit';
import { createCoinbaseVenue } from './venues/coinbase';
import { createKrakenVenue } from './venues/kraken';
import { createOkxVenue } from './venues/okx';
import type { VenueProtocol } from './venues/venue';

export interface SimulatorOptions extends Partial<SimulatorConfig> {
  /** defaults to JSON lines on stderr at `logLevel` */
  logger?: Logger;
  /** millisecond clock of the rate driver (tests); default `performance.now` */
  clock?: () => number;
}

export interface Simulator {
  /** the bound port (the ephemeral one when configured with 0) */
  readonly port: number;
  readonly host: string;
  /** `http://host:port`: REST (`/api/v3/...`) and control (`/sim/...`) */
  readonly url: string;
  /** `ws://host:port`: append `/ws/<stream>` or `/stream?streams=...` */
  readonly wsUrl: string;
  readonly config: ResolvedConfig;
  /** tickmesh instrument records of the simulated Binance symbols */
  readonly instruments: readonly Instrument[];
  /** the Binance market model (ground truth, manual generation) */
  readonly market: Market;
  /** starts/stops the rate-driven generator (all symbols) */
  start(): void;
  stop(): void;
  /** generates updates/trades right now, outside the rate schedule (sent like any other) */
  generateUpdates(symbol: string, count: number): void;
  generateTrades(symbol: string, count: number): void;
  /** the model's full book as `/sim/binance/book` returns it */
  groundTruth(symbol: string): string | undefined;
  /** stops the generator, sends `serverShutdown`, closes every connection and the server */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { logger, clock, ...rest } = options;
  const config = resolveConfig(rest);
  const log = logger ?? createLogger(config.logLevel);
  const market = new Market(config.specs, config, log.child({ component: 'market' }), clock);
  const binance = new BinanceVenue(market, config, log.child({ component: 'binance' }));
  const want = new Set(config.venues);
  const venues: VenueProtocol[] = [
    // routed in order: OKX's /ws/v5/public and Coinbase's /api/v3/brokerage/ sit inside prefixes
    // that Binance claims (/ws/<stream>, /api/v3/), so they come first
    ...(want.has('okx') ? [createOkxVenue(config, log, { clock })] : []),
    ...(want.has('coinbase') ? [createCoinbaseVenue(config, log, { clock })] : []),
    binance,
    ...(want.has('bybit') ? createBybitVenues(config, log, { clock }) : []),
    ...(want.has('kraken') ? [createKrakenVenue(config, log, { clock })] : []),
  ];
  const control = new ControlApi(
    new Map(venues.map((v) => [v.name, v])),
    log.child({ component: 'control' }),
  );
  const server = createSimServer(control, venues, log.child({ component: 'http' }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  const wsUrl = `ws://${hostForUrl}:${port}`;
  log.info(
    {
      port,
      host: config.host,
      url,
      wsUrl,
      venue: 'binance',
      symbols: market.symbols,
      seed: config.seed,
      rate: config.rate,
    },
    'listening',
  );
  if (config.autoStart) for (const v of venues) v.market.start();

  let closing: Promise<void> | undefined;
  return {
    port,
    host: config.host,
    url,
    wsUrl,
    config,
    instruments: config.specs.map((s) => toInstrument('binance', s)),
    market,
    start: () => venues.forEach((v) => v.market.start()),
    stop: () => venues.forEach((v) => v.market.stop()),
    generateUpdates: (symbol, count) => market.generateUpdates(symbol, count),
    generateTrades: (symbol, count) => market.generateTrades(symbol, count),
    groundTruth: (symbol) => binance.groundTruth(symbol),
    close: () =>
      (closing ??= (async () => {
        for (const v of venues) v.market.stop();
        await Promise.all(venues.map((v) => v.close()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        log.info({ port }, 'closed');
      })()),
  };
}
