import { Type, type Static } from '@sinclair/typebox';
import { loadConfig } from '@tickmesh/runtime';

/** Ingestor configuration (environment variables in SCREAMING_SNAKE_CASE; see README). */
export const IngestorConfigSchema = Type.Object({
  venue: Type.String({ default: 'binance', description: 'VENUE: adapter id' }),
  symbols: Type.String({
    default: 'BTCUSDT,ETHUSDT,SOLUSDT',
    description: "SYMBOLS: the venue's native symbols, comma-separated",
  }),
  venueWsUrl: Type.Optional(
    Type.String({ description: "VENUE_WS_URL: override the venue's WebSocket base URL" }),
  ),
  venueRestUrl: Type.Optional(
    Type.String({ description: "VENUE_REST_URL: override the venue's REST base URL" }),
  ),
  natsUrl: Type.String({ default: 'nats://127.0.0.1:4222' }),
  busCodec: Type.Union([Type.Literal('binary'), Type.Literal('json')], { default: 'binary' }),
  /** under load, hand publishes to NATS at most once per this interval (0 = every event-loop turn) */
  publishIntervalMs: Type.Integer({ default: 0, minimum: 0, maximum: 100 }),
  httpHost: Type.String({ default: '0.0.0.0' }),
  httpPort: Type.Integer({ default: 8081, minimum: 0, maximum: 65535 }),
  restWeightPerMinute: Type.Integer({ default: 6000, minimum: 1 }),
  restBudget: Type.Union([Type.Literal('local'), Type.Literal('nats')], {
    default: 'local',
    description:
      'REST_BUDGET: `local` = REST_WEIGHT_PER_MINUTE per replica; `nats` = shared by every replica of the venue through NATS KV (falls back to local while KV is unavailable)',
  }),
  staleSocketMs: Type.Optional(Type.Integer({ minimum: 100 })),
  statusIntervalMs: Type.Integer({
    default: 5000,
    minimum: 100,
    description: 'republish every status this often',
  }),
});
export type IngestorConfig = Static<typeof IngestorConfigSchema>;

export function ingestorConfig(env: NodeJS.ProcessEnv = process.env): IngestorConfig {
  return loadConfig(IngestorConfigSchema, env);
}

export const INGESTOR_CONFIG = Symbol('INGESTOR_CONFIG');
