/**
 * Starts the real pipeline for end-to-end tests: nats-server and redis-server from the harness, and
 * the built services (services/<name>/dist/main.mjs, built by `npm test` before the e2e phase) as
 * separate processes on free ports.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, harness, waitFor, type Harness, type ServiceHandle } from '@tickmesh/test-harness';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface E2eStack {
  h: Harness<{ nats: true; redis: true }>;
  simUrl: string;
  gatewayUrl: string;
  gatewayWs: string;
  http: { ingestor: string; bookBuilder: string; gateway: string };
  services: Record<string, ServiceHandle>;
  close(failed?: boolean): Promise<void>;
}

export interface StackOptions {
  /** simulator symbols, `NATIVE:BASE:QUOTE` */
  symbols?: string[];
  /** the ingestor's SYMBOLS (default: every simulator symbol) */
  ingestorSymbols?: string[];
  simRate?: number;
  extraEnv?: Record<string, string>;
  /** runs after the servers start and before the services do (e.g. stop NATS) */
  beforeServices?: (h: Harness<{ nats: true; redis: true }>) => Promise<void>;
  /** wait for every service's /readyz (default true) */
  waitReady?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<E2eStack> {
  const h = await harness({ nats: true, redis: true });
  const services: Record<string, ServiceHandle> = {};
  try {
    const [sim, gw, ing, bb, gwHttp] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const symbols = opts.symbols ?? ['BTCUSDT:BTC:USDT', 'ETHUSDT:ETH:USDT', 'SOLUSDT:SOL:USDT'];
    const node = process.execPath;
    // e.g. TICKMESH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile every service
    const nodeArgs = (process.env['TICKMESH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const svc = (name: string): string => join(repoRoot, 'services', name, 'dist', 'main.mjs');
    const common = {
      NATS_URL: h.nats.url,
      REDIS_URL: h.redis.url,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...opts.extraEnv,
    };
    services['venue-sim'] = await h.spawn({
      name: 'venue-sim',
      command: node,
      args: [...nodeArgs, svc('venue-sim')],
      env: {
        SIM_HOST: '127.0.0.1',
        SIM_PORT: String(sim),
        SIM_VENUES: 'binance', // the only venue these stacks subscribe to
        SIM_SYMBOLS: symbols.join(','),
        SIM_RATE: String(opts.simRate ?? 20),
      },
      readyUrl: `http://127.0.0.1:${sim}/sim/health`,
    });
    const natives = (opts.ingestorSymbols ?? symbols.map((s) => s.split(':')[0])).join(',');
    await opts.beforeServices?.(h);
    const started = await Promise.all([
      h.spawn({
        name: 'ingestor',
        command: node,
        args: [...nodeArgs, svc('ingestor')],
        env: {
          ...common,
          VENUE: 'binance',
          SYMBOLS: natives,
          VENUE_WS_URL: `ws://127.0.0.1:${sim}`,
          VENUE_REST_URL: `http://127.0.0.1:${sim}`,
          HTTP_PORT: String(ing),
        },
        readyUrl: `http://127.0.0.1:${ing}/healthz`,
      }),
      h.spawn({
        name: 'book-builder',
        command: node,
        args: [...nodeArgs, svc('book-builder')],
        env: { ...common, HTTP_PORT: String(bb) },
        readyUrl: `http://127.0.0.1:${bb}/healthz`,
      }),
      h.spawn({
        name: 'gateway',
        command: node,
        args: [...nodeArgs, svc('gateway')],
        env: { ...common, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(gw), HTTP_PORT: String(gwHttp) },
        readyUrl: `http://127.0.0.1:${gwHttp}/healthz`,
      }),
    ]);
    [services['ingestor'], services['book-builder'], services['gateway']] = started;
    const http = {
      ingestor: `http://127.0.0.1:${ing}`,
      bookBuilder: `http://127.0.0.1:${bb}`,
      gateway: `http://127.0.0.1:${gwHttp}`,
    };
    for (const [name, url] of opts.waitReady === false ? [] : Object.entries(http)) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, {
        timeoutMs: 20_000,
        message: () => `${name} ready (${url}/readyz)`,
      });
    }
    return {
      h,
      simUrl: `http://127.0.0.1:${sim}`,
      gatewayUrl: `http://127.0.0.1:${gw}`,
      gatewayWs: `ws://127.0.0.1:${gw}/ws`,
      http,
      services,
      close: (failed = false) => h.close({ failed }),
    };
  } catch (err) {
    await h.close({ failed: true });
    throw err;
  }
}

export async function simPost(simUrl: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${simUrl}/sim/faults`, { method: 'POST', body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`sim fault ${JSON.stringify(body)}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

export interface GroundTruth {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

export async function groundTruth(simUrl: string, native: string): Promise<GroundTruth> {
  const r = await fetch(`${simUrl}/sim/binance/book?symbol=${native}`);
  if (!r.ok) throw new Error(`ground truth: HTTP ${r.status}`);
  return (await r.json()) as GroundTruth;
}
