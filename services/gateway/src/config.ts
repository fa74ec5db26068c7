import { hostname } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Gateway configuration (environment variables in SCREAMING_SNAKE_CASE of each property; see
 * README). Two ports on purpose: GATEWAY_PORT is the client-facing WS/SSE server (exposed through
 * the ingress), HTTP_PORT is the Nest server for /healthz, /readyz and /metrics (cluster-internal).
 *
 * main.ts reads the environment with the runtime's `loadConfig(GatewayConfigSchema)`. This module
 * does not import @tickmesh/runtime, so `startGateway` (tests, embedding) loads without Nest.
 *
 * The protection layer's variables (AUTH_MODE, JWT_SECRET, JWT_PUBLIC_KEY, JWKS_URL, JWT_ISSUER,
 * JWT_AUDIENCE, JWT_CLOCK_TOLERANCE_S, AUTH_TIMEOUT_MS, JWKS_TIMEOUT_MS, JWKS_COOLDOWN_MS,
 * RATE_CONNECT_PER_IP, RATE_CONNECT_PER_KEY, RATE_OPS_PER_CONN, RATE_REDIS_PREFIX,
 * RATE_REDIS_TIMEOUT_MS, TRUST_PROXY, MUST_SUBSCRIBE_MS, SNAPSHOT_CONCURRENCY(_MIN/_MAX/_INITIAL),
 * BREAKER_FAILURES, BREAKER_HALF_OPEN_MS, BREAKER_TIMEOUT_MS) are read by protection-config.ts
 * (`protectionConfig(env)`, defaults in `PROTECTION_ENV_DEFAULTS`), next to this schema in main.ts;
 * the README table lists both.
 */
export const GatewayConfigSchema = Type.Object({
  natsUrl: Type.String({
    default: 'nats://127.0.0.1:4222',
    description: 'NATS_URL: comma-separated NATS URLs',
  }),
  redisUrl: Type.String({
    default: 'redis://127.0.0.1:6379',
    description: 'REDIS_URL: top-of-book snapshots',
  }),
  gatewayHost: Type.String({ default: '0.0.0.0', description: 'GATEWAY_HOST: client server bind address' }),
  gatewayPort: Type.Integer({
    default: 8080,
    minimum: 0,
    maximum: 65535,
    description: 'GATEWAY_PORT: /ws and /sse',
  }),
  httpHost: Type.String({ default: '0.0.0.0', description: 'HTTP_HOST: health/metrics bind address' }),
  httpPort: Type.Integer({
    default: 8083,
    minimum: 0,
    maximum: 65535,
    description: 'HTTP_PORT: health/metrics',
  }),
  maxSubscriptions: Type.Integer({
    default: 100,
    minimum: 1,
    description: 'MAX_SUBSCRIPTIONS per connection',
  }),
  maxInboundBytes: Type.Integer({
    default: 65_536,
    minimum: 256,
    description: 'MAX_INBOUND_BYTES: largest client frame; larger closes the socket with 1009',
  }),
  maxOutboundBytes: Type.Integer({
    default: 1_048_576,
    minimum: 1024,
    description:
      'MAX_OUTBOUND_BYTES: queued + socket-buffered bytes per connection before a slow-consumer close',
  }),
  slowConsumerGraceMs: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 60_000,
    description:
      'SLOW_CONSUMER_GRACE_MS: over MAX_OUTBOUND_BYTES, conflate updates (latest wins) for up to this long before the slow-consumer close (0 = close at once)',
  }),
  flushIntervalMs: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 100,
    description:
      'FLUSH_INTERVAL_MS: under load, write to each socket at most once per interval (0 = every event-loop turn); the first frame after a quiet period goes out on the next turn',
  }),
  heartbeatMs: Type.Integer({
    default: 15_000,
    minimum: 100,
    description: 'HEARTBEAT_MS: SSE comment interval',
  }),
  wsPingMs: Type.Integer({
    default: 20_000,
    minimum: 100,
    description:
      'WS_PING_MS: ping interval; a connection without a pong since the previous ping is terminated',
  }),
  snapshotTimeoutMs: Type.Integer({
    default: 500,
    minimum: 10,
    description: 'SNAPSHOT_TIMEOUT_MS: Redis HGETALL deadline before falling back to waiting for NATS',
  }),
  shutdownGraceMs: Type.Integer({
    default: 5000,
    minimum: 0,
    description: 'SHUTDOWN_GRACE_MS: wait for clients to close after 1012 before terminating them',
  }),
  channelLingerMs: Type.Integer({
    default: 60_000,
    minimum: 0,
    description:
      'CHANNEL_LINGER_MS: keep a channel (epoch, seq, history, NATS subscription) this long after its last subscriber, so reconnecting clients can resume',
  }),
  historySize: Type.Integer({
    default: 1000,
    minimum: 0,
    description: 'HISTORY_SIZE: update messages kept per channel for resume (0 disables resume)',
  }),
  historyTtlMs: Type.Integer({
    default: 0,
    minimum: 0,
    description: 'HISTORY_TTL_MS: drop resume history older than this (0 = bounded by HISTORY_SIZE only)',
  }),
  maxWildcardChannels: Type.Integer({
    default: 200,
    minimum: 1,
    description:
      'MAX_WILDCARD_CHANNELS: most channels one wildcard (tob.*.BTC-USDT, status.*.*) may expand to; more is refused with too_many_matches',
  }),
  tradesSnapshotSize: Type.Integer({
    default: 50,
    minimum: 0,
    maximum: 1000,
    description: 'TRADES_SNAPSHOT_SIZE: last trades kept per trades channel and sent as its snapshot',
  }),
  bookSnapshotDepth: Type.Integer({
    default: 200,
    minimum: 100,
    maximum: 1000,
    description:
      'BOOK_SNAPSHOT_DEPTH: levels per side the gateway asks of the book-builder (ctl.v1.book) to mirror a book; at least the largest tier (100)',
  }),
  bookRequestTimeoutMs: Type.Integer({
    default: 2000,
    minimum: 50,
    description: 'BOOK_REQUEST_TIMEOUT_MS: deadline of a depth snapshot request before a retry',
  }),
  instanceName: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'INSTANCE_NAME: `server` in the welcome message (default: hostname)',
    }),
  ),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

/** Defaults for every field, overridden by `overrides` (tests and embedding). */
export function withDefaults(overrides: Partial<GatewayConfig>): GatewayConfig {
  const defaults = Value.Default(GatewayConfigSchema, {}) as GatewayConfig;
  return { ...defaults, ...overrides };
}

export function serverName(cfg: GatewayConfig): string {
  return `tickmesh-gateway/${cfg.instanceName ?? hostname()}`;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
/** Nest token of the `ProtectionConfig` (protection-config.ts: AUTH_*, JWT_*, RATE_*, BREAKER_*, …). */
export const GATEWAY_PROTECTION = Symbol('GATEWAY_PROTECTION');
