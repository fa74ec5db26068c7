import { Type, type Static } from '@sinclair/typebox';
import { loadConfig } from '@tickmesh/runtime';

/** Book-builder configuration (environment variables in SCREAMING_SNAKE_CASE; see README). */
export const BookBuilderConfigSchema = Type.Object({
  natsUrl: Type.String({ default: 'nats://127.0.0.1:4222' }),
  redisUrl: Type.String({ default: 'redis://127.0.0.1:6379' }),
  busCodec: Type.Union([Type.Literal('binary'), Type.Literal('json')], { default: 'binary' }),
  httpHost: Type.String({ default: '0.0.0.0' }),
  httpPort: Type.Integer({ default: 8082, minimum: 0, maximum: 65535 }),
  /** VENUES: comma-separated venue ids to build, or `*` for every venue on the bus */
  venues: Type.String({ default: '*' }),
  /** levels kept per side (books are exact within this depth) */
  maxDepth: Type.Integer({ default: 5000, minimum: 1 }),
  /** a live book with no update for this long is published as stale */
  staleAfterMs: Type.Integer({ default: 60_000, minimum: 100 }),
  /** under load, publish changed tops of book at most once per this interval (0 = every turn) */
  publishIntervalMs: Type.Integer({ default: 0, minimum: 0, maximum: 100 }),
  /** minimum interval between Redis pipelines (latest value per book wins in between) */
  redisFlushMs: Type.Integer({ default: 10, minimum: 0, maximum: 1000 }),
  /** NATS request timeout for snapshots from the ingestor */
  snapshotTimeoutMs: Type.Integer({ default: 2000, minimum: 100 }),
});
export type BookBuilderConfig = Static<typeof BookBuilderConfigSchema>;

export function bookBuilderConfig(env: NodeJS.ProcessEnv = process.env): BookBuilderConfig {
  return loadConfig(BookBuilderConfigSchema, env);
}

export const BOOK_BUILDER_CONFIG = Symbol('BOOK_BUILDER_CONFIG');
