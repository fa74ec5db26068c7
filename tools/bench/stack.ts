/**
 * The whole pipeline for a benchmark, each part its own process on free ports: nats-server and
 * redis-server from the test harness, then the built services (services/<name>/dist/main.mjs), as
 * test/e2e/stack.ts does, with LOG_LEVEL=warn and N generated symbols at a given rate.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  harness,
  waitFor,
  type Harness,
  type HarnessCore,
  type ServiceHandle,
} from '@tickmesh/test-harness';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const PROCESS_NAMES = [
  'nats-server',
  'redis-server',
  'venue-sim',
  'ingestor',
  'book-builder',
  'gateway',
] as const;
export type ProcessName = (typeof PROCESS_NAMES)[number];

export interface BenchSymbol {
  /** simulator spec `NATIVE:BASE:QUOTE:START_PRICE` */
  spec: string;
  /** Binance native, e.g. SYM0USDT */
  native: string;
  /** normalized, e.g. SYM0-USDT */
  symbol: string;
}

/** `n` Binance-style symbols with distinct start prices (100, 150, 200, …). */
export function benchSymbols(n: number): BenchSymbol[] {
  return Array.from({ length: n }, (_, i) => {
    const base = `SYM${i}`;
    return {
      spec: `${base}USDT:${base}:USDT:${100 + 50 * i}`,
      native: `${base}USDT`,
      symbol: `${base}-USDT`,
    };
  });
}

export interface StackParams {
  symbols: readonly BenchSymbol[];
  /** depth updates/s per symbol (SIM_RATE) */
  ratePerSymbol: number;
  levelsPerUpdate: number;
  tradeRatePerSymbol: number;
}

export interface BenchStack {
  simUrl: string;
  gatewayWs: string;
  /** base URLs of the services' HTTP ports (/metrics, /readyz) */
  http: { ingestor: string; bookBuilder: string; gateway: string };
  /** current pid of each process; undefined for an external server (NATS_URL / REDIS_URL) */
  pids(): Record<ProcessName, number | undefined>;
  /** names of the processes that are not running any more (a crash invalidates a window) */
  dead(): string[];
  /** stops services, then servers; idempotent */
  close(): Promise<void>;
}

/** Every harness not yet closed, so a signal handler can stop them all. */
const open = new Set<HarnessCore>();

/** Stops every stack still open (SIGINT/SIGTERM, fatal errors). */
export async function closeAllStacks(): Promise<void> {
  await Promise.allSettled([...open].map((h) => h.close()));
  open.clear();
}

export async function startBenchStack(p: StackParams): Promise<BenchStack> {
  const h: Harness<{ nats: true; redis: true }> = await harness({ nats: true, redis: true });
  open.add(h);
  const close = async (failed = false): Promise<void> => {
    try {
      await h.close({ failed });
    } finally {
      open.delete(h);
    }
  };
  const services: Partial<Record<ProcessName, ServiceHandle>> = {};
  try {
    const [sim, gw, ing, bb, gwHttp] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const node = process.execPath;
    const svc = (name: string): string => join(repoRoot, 'services', name, 'dist', 'main.mjs');
    const common = {
      NATS_URL: h.nats.url,
      REDIS_URL: h.redis.url,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    services['venue-sim'] = await h.spawn({
      name: 'venue-sim',
      command: node,
      args: [svc('venue-sim')],
      env: {
        LOG_LEVEL: 'warn',
        SIM_HOST: '127.0.0.1',
        SIM_PORT: String(sim),
        SIM_SYMBOLS: p.symbols.map((s) => s.spec).join(','),
        SIM_RATE: String(p.ratePerSymbol),
        SIM_LEVELS_PER_UPDATE: String(p.levelsPerUpdate),
        SIM_TRADE_RATE: String(p.tradeRatePerSymbol),
      },
      readyUrl: `http://127.0.0.1:${sim}/sim/health`,
    });
    const [ingestor, bookBuilder, gateway] = await Promise.all([
      h.spawn({
        name: 'ingestor',
        command: node,
        args: [svc('ingestor')],
        env: {
          ...common,
          VENUE: 'binance',
          SYMBOLS: p.symbols.map((s) => s.native).join(','),
          VENUE_WS_URL: `ws://127.0.0.1:${sim}`,
          VENUE_REST_URL: `http://127.0.0.1:${sim}`,
          HTTP_PORT: String(ing),
        },
        readyUrl: `http://127.0.0.1:${ing}/healthz`,
      }),
      h.spawn({
        name: 'book-builder',
        command: node,
        args: [svc('book-builder')],
        env: { ...common, HTTP_PORT: String(bb) },
        readyUrl: `http://127.0.0.1:${bb}/healthz`,
      }),
      h.spawn({
        name: 'gateway',
        command: node,
        args: [svc('gateway')],
        env: {
          ...common,
          GATEWAY_HOST: '127.0.0.1',
          GATEWAY_PORT: String(gw),
          HTTP_PORT: String(gwHttp),
          MAX_SUBSCRIPTIONS: String(Math.max(100, p.symbols.length)),
        },
        readyUrl: `http://127.0.0.1:${gwHttp}/healthz`,
      }),
    ]);
    Object.assign(services, { ingestor, 'book-builder': bookBuilder, gateway });
    const http = {
      ingestor: `http://127.0.0.1:${ing}`,
      bookBuilder: `http://127.0.0.1:${bb}`,
      gateway: `http://127.0.0.1:${gwHttp}`,
    };
    for (const [name, url] of Object.entries(http)) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, {
        timeoutMs: 30_000,
        message: () => `${name} ready (${url}/readyz)`,
      });
    }
    return {
      simUrl: `http://127.0.0.1:${sim}`,
      gatewayWs: `ws://127.0.0.1:${gw}/ws`,
      http,
      pids: () => ({
        'nats-server': h.nats.pid,
        'redis-server': h.redis.pid,
        'venue-sim': services['venue-sim']?.pid,
        ingestor: services.ingestor?.pid,
        'book-builder': services['book-builder']?.pid,
        gateway: services.gateway?.pid,
      }),
      dead: () => [
        ...[h.nats, h.redis].filter((s) => !s.running).map((s) => `${s.kind}-server`),
        ...Object.entries(services)
          .filter(([, s]) => !s.running)
          .map(([name]) => name),
      ],
      close: () => close(),
    };
  } catch (err) {
    await close(true).catch(() => undefined);
    throw err;
  }
}
