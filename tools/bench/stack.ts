/**
 * The whole pipeline for a benchmark, each part its own process on free ports: nats-server and
 * redis-server from the test harness, the built venue simulator, then either the built tickmesh
 * services (services/<name>/dist/main.mjs, as test/e2e/stack.ts does) or the naive baseline
 * (naive/ingestor.ts + naive/gateway.ts under `node --import tsx`), with LOG_LEVEL=warn and N
 * generated symbols at a given rate.
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

export const PIPELINES = ['tickmesh', 'naive'] as const;
export type Pipeline = (typeof PIPELINES)[number];

/** Measured processes of each pipeline, in report order (the bench client is added by measure.ts). */
export const PROCESS_NAMES: Record<Pipeline, readonly string[]> = {
  tickmesh: ['nats-server', 'redis-server', 'venue-sim', 'ingestor', 'book-builder', 'gateway'],
  naive: ['nats-server', 'redis-server', 'venue-sim', 'naive-ingestor', 'naive-gateway'],
};

/** A Prometheus counter: where to read it and its name. */
export interface MetricSource {
  url: string;
  metric: string;
}

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
  pipeline: Pipeline;
  symbols: readonly BenchSymbol[];
  /** depth updates/s per symbol (SIM_RATE) */
  ratePerSymbol: number;
  levelsPerUpdate: number;
  tradeRatePerSymbol: number;
}

export interface BenchStack {
  pipeline: Pipeline;
  simUrl: string;
  gatewayWs: string;
  /** PROCESS_NAMES[pipeline] */
  processes: readonly string[];
  /** the pipeline's counters read by a measurement window */
  metrics: {
    /** frames the ingestor received from the venue (depth + trades) */
    ingestFrames: MetricSource;
    /** top-of-book messages published towards the gateway */
    tobPublished: MetricSource;
    /** data messages the gateway wrote to its sockets */
    gatewaySent: MetricSource;
    /** naive only: published tops that differ from the previous one (tickmesh publishes changes only) */
    tobChanged?: MetricSource;
  };
  /** current pid of each process; undefined for an external server (NATS_URL / REDIS_URL) */
  pids(): Record<string, number | undefined>;
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
  const services: Record<string, ServiceHandle> = {};
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
        SIM_VENUES: 'binance', // the only venue these stacks subscribe to
        SIM_SYMBOLS: p.symbols.map((s) => s.spec).join(','),
        SIM_RATE: String(p.ratePerSymbol),
        SIM_LEVELS_PER_UPDATE: String(p.levelsPerUpdate),
        SIM_TRADE_RATE: String(p.tradeRatePerSymbol),
      },
      readyUrl: `http://127.0.0.1:${sim}/sim/health`,
    });
    const venueEnv = { VENUE_WS_URL: `ws://127.0.0.1:${sim}`, VENUE_REST_URL: `http://127.0.0.1:${sim}` };
    let http: Record<string, string>;
    let metrics: BenchStack['metrics'];
    if (p.pipeline === 'naive') {
      // tsx compiles each file once at startup; the per-message code is plain JS afterwards.
      const naive = (file: string): string[] => [
        '--import',
        'tsx',
        join(repoRoot, 'tools', 'bench', 'naive', file),
      ];
      const [ingestor, gateway] = await Promise.all([
        h.spawn({
          name: 'naive-ingestor',
          command: node,
          args: naive('ingestor.ts'),
          cwd: repoRoot,
          env: {
            ...common,
            ...venueEnv,
            SYMBOLS: p.symbols.map((s) => `${s.native}=${s.symbol}`).join(','),
            HTTP_PORT: String(ing),
          },
          readyUrl: `http://127.0.0.1:${ing}/healthz`,
        }),
        h.spawn({
          name: 'naive-gateway',
          command: node,
          args: naive('gateway.ts'),
          cwd: repoRoot,
          env: { ...common, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(gw), HTTP_PORT: String(gwHttp) },
          readyUrl: `http://127.0.0.1:${gwHttp}/healthz`,
        }),
      ]);
      Object.assign(services, { 'naive-ingestor': ingestor, 'naive-gateway': gateway });
      http = { 'naive-ingestor': `http://127.0.0.1:${ing}`, 'naive-gateway': `http://127.0.0.1:${gwHttp}` };
      const m = (url: string, metric: string): MetricSource => ({ url: `${url}/metrics`, metric });
      metrics = {
        ingestFrames: m(http['naive-ingestor']!, 'naive_ingestor_frames_total'),
        tobPublished: m(http['naive-ingestor']!, 'naive_ingestor_tob_published_total'),
        tobChanged: m(http['naive-ingestor']!, 'naive_ingestor_tob_changed_total'),
        gatewaySent: m(http['naive-gateway']!, 'naive_gateway_messages_sent_total'),
      };
    } else {
      const [ingestor, bookBuilder, gateway] = await Promise.all([
        h.spawn({
          name: 'ingestor',
          command: node,
          args: [svc('ingestor')],
          env: {
            ...common,
            ...venueEnv,
            VENUE: 'binance',
            SYMBOLS: p.symbols.map((s) => s.native).join(','),
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
      http = {
        ingestor: `http://127.0.0.1:${ing}`,
        'book-builder': `http://127.0.0.1:${bb}`,
        gateway: `http://127.0.0.1:${gwHttp}`,
      };
      metrics = {
        ingestFrames: { url: `${http['ingestor']}/metrics`, metric: 'tickmesh_feed_frames_total' },
        tobPublished: {
          url: `${http['book-builder']}/metrics`,
          metric: 'tickmesh_bookbuilder_tob_published_total',
        },
        gatewaySent: { url: `${http['gateway']}/metrics`, metric: 'tickmesh_gateway_messages_sent_total' },
      };
    }
    for (const [name, url] of Object.entries(http)) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, {
        timeoutMs: 30_000,
        message: () => `${name} ready (${url}/readyz)`,
      });
    }
    const processes = PROCESS_NAMES[p.pipeline];
    return {
      pipeline: p.pipeline,
      simUrl: `http://127.0.0.1:${sim}`,
      gatewayWs: `ws://127.0.0.1:${gw}/ws`,
      processes,
      metrics,
      pids: () =>
        Object.fromEntries(
          processes.map((name) => [
            name,
            name === 'nats-server' ? h.nats.pid : name === 'redis-server' ? h.redis.pid : services[name]?.pid,
          ]),
        ),
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
