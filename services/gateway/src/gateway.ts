/**
 * `startGateway`: wires the bus, the Redis snapshot store, the channel hub and the client-facing
 * server, without Nest, so tests and embedders run a real gateway in-process. `main.ts` runs the
 * same function inside the Nest shell (health, metrics, lifecycle).
 *
 * Readiness components: `nats` (connection state), `redis` (see snapshot-store.ts) and `gateway`
 * (listening, false from the start of `close()`).
 *
 * Protection (docs/gateway-security.md): `protection` (main.ts passes `protectionConfig(env)`)
 * wires the authenticator, the connect/ops rate limits, the connection guards, the adaptive
 * snapshot limit and the Redis circuit breaker. The default, `protectionDisabled()`, is public and
 * unlimited (tests open many connections from 127.0.0.1); the breaker is always on.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Bus } from '@tickmesh/bus';
import { GATEWAY_PROTOCOL_VERSION } from '@tickmesh/contracts';
import { createLogger, health } from '@tickmesh/observability';
import { AdaptiveLimiter, Gradient2Limit, VegasLimit } from './adaptive-concurrency';
import { Authenticator } from './auth';
import { SnapshotBreaker } from './breaker';
import { ChannelHub } from './channel-hub';
import { serverName, withDefaults, type GatewayConfig } from './config';
import { welcomeFrame } from './frame';
import { createClientServer } from './http-server';
import { InstrumentRegistry } from './instruments';
import { FlushScheduler } from './outbound';
import { protectionDisabled, type ProtectionConfig } from './protection-config';
import { RateLimits } from './rate-limits';
import { RedisSnapshotStore, type RedisTob, type SnapshotStore } from './snapshot-store';
import { visibleInstruments } from './session';
import { SseServer } from './sse-server';
import { WsServer } from './ws-server';

export interface GatewayStats {
  wsConnections: number;
  sseConnections: number;
  /** channels with subscribers, one NATS subscription each */
  channels: number;
  natsSubjects: string[];
  /** the rate limiter's Redis connection (`ready`, `connecting`, …; `off` without connect limits) */
  rateLimiter: string;
}

export interface RunningGateway {
  /** the bound client port (useful with `gatewayPort: 0`) */
  readonly port: number;
  stats(): GatewayStats;
  /** Graceful stop: 503 for new clients, 1012 / end for open ones, bounded by SHUTDOWN_GRACE_MS. */
  close(): Promise<void>;
}

export async function startGateway(
  overrides: Partial<GatewayConfig> = {},
  protection: ProtectionConfig = protectionDisabled(),
): Promise<RunningGateway> {
  const cfg = withDefaults(overrides);
  const log = createLogger('gateway');
  const name = serverName(cfg);
  // Before any connection is opened: a bad key fails the start with nothing to clean up.
  const authn = await Authenticator.create(protection.auth);

  health.set('nats', false, 'connecting');
  health.set('gateway', false, 'starting');
  const bus = Bus.start({ url: cfg.natsUrl, name: `gateway-${cfg.instanceName ?? process.pid}` });
  const offBus = bus.onState((s) =>
    health.set('nats', s === 'connected', s === 'connected' ? '' : `NATS ${s}`),
  );
  const breaker = new SnapshotBreaker<RedisTob>({ name: 'redis_snapshot', ...protection.breaker });
  const store: SnapshotStore = new RedisSnapshotStore(cfg.redisUrl, cfg.snapshotTimeoutMs, breaker);
  const rl = protection.rate;
  const rate =
    rl.connectPerIp > 0 || rl.connectPerKey > 0 ? new RateLimits(rl, { redis: cfg.redisUrl }) : undefined;
  const cc = protection.concurrency;
  const snapshotLimiter = cc.enabled
    ? new AdaptiveLimiter({
        name: 'snapshot',
        algorithm:
          cc.algorithm === 'vegas'
            ? new VegasLimit({ initialLimit: cc.initial, minLimit: cc.min, maxLimit: cc.max })
            : new Gradient2Limit({ initialLimit: cc.initial, minLimit: cc.min, maxLimit: cc.max }),
      })
    : undefined;
  const instruments = new InstrumentRegistry();
  instruments.start(bus);
  const hub = new ChannelHub(
    bus,
    store,
    {
      lingerMs: cfg.channelLingerMs,
      historySize: cfg.historySize,
      historyTtlMs: cfg.historyTtlMs,
      tradesSnapshotSize: cfg.tradesSnapshotSize,
      maxWildcardChannels: cfg.maxWildcardChannels,
      mirror: { snapshotDepth: cfg.bookSnapshotDepth, requestTimeoutMs: cfg.bookRequestTimeoutMs },
      ...(snapshotLimiter === undefined ? {} : { snapshotLimiter }),
    },
    instruments,
  );
  const scheduler = new FlushScheduler(cfg.flushIntervalMs);
  const welcome = welcomeFrame(name);
  const closeTimeoutMs = Math.max(1000, cfg.shutdownGraceMs);
  const limits = {
    maxOutboundBytes: cfg.maxOutboundBytes,
    slowConsumerGraceMs: cfg.slowConsumerGraceMs,
    maxSubscriptions: cfg.maxSubscriptions,
    closeTimeoutMs,
  };
  const ws = new WsServer(hub, scheduler, welcome, {
    ...limits,
    maxInboundBytes: cfg.maxInboundBytes,
    wsPingMs: cfg.wsPingMs,
    authn,
    rate,
    opsPerConn: rl.opsPerConn,
    opsBurst: rl.opsBurst,
    mustSubscribeMs: protection.guards.mustSubscribeMs,
    authTimeoutMs: protection.auth.authTimeoutMs,
  });
  const sse = new SseServer(hub, scheduler, welcome, { ...limits, heartbeatMs: cfg.heartbeatMs });
  log.info(
    {
      auth: protection.auth.mode,
      connectPerIp: rl.connectPerIp,
      connectPerKey: rl.connectPerKey,
      opsPerConn: rl.opsPerConn,
      mustSubscribeMs: protection.guards.mustSubscribeMs,
      snapshotConcurrency: cc.enabled ? cc.algorithm : 'off',
    },
    'protection',
  );

  let accepting = true;
  const stats = (): GatewayStats => ({
    wsConnections: ws.size,
    sseConnections: sse.size,
    channels: hub.size,
    natsSubjects: hub.subjects(),
    rateLimiter: rate?.redisStatus ?? 'off',
  });
  const server = createClientServer({
    ws,
    sse,
    accepting: () => accepting,
    protect: { authn, rate },
    index: () => ({
      service: 'tickmesh-gateway',
      server: name,
      protocol: GATEWAY_PROTOCOL_VERSION,
      auth: protection.auth.mode,
      endpoints: {
        websocket: '/ws',
        sse: '/sse?channels=tob.<venue>.<SYMBOL>,status.<venue>.<SYMBOL>',
        instruments: '/api/instruments',
      },
      ...stats(),
    }),
    instruments: (principal) => ({ instruments: visibleInstruments(hub.list(), principal.grant) }),
  });

  server.listen(cfg.gatewayPort, cfg.gatewayHost);
  try {
    await once(server, 'listening');
  } catch (err) {
    ws.stop();
    sse.stop();
    offBus();
    rate?.close();
    breaker.dispose();
    await Promise.all([bus.close(), store.close()]);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  health.set('gateway', true);
  log.info({ host: cfg.gatewayHost, port, server: name }, 'gateway listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      accepting = false;
      health.set('gateway', false, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      ws.closeAll();
      sse.endAll();
      await drained(() => ws.size + sse.size === 0, cfg.shutdownGraceMs);
      ws.terminateAll();
      sse.terminateAll();
      server.closeAllConnections();
      await closed;
      ws.stop();
      sse.stop();
      hub.close();
      instruments.close();
      offBus();
      rate?.close();
      breaker.dispose();
      await Promise.all([bus.close(), store.close()]);
      log.info({ port }, 'gateway closed');
    })();
    return closing;
  };
  return { port, stats, close };
}

/** Resolves when `done()` holds or after `timeoutMs`, checking every 20 ms. */
async function drained(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}
