import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Book-builder configuration (environment variables in SCREAMING_SNAKE_CASE of each property; see
 * README). main.ts reads the environment with the runtime's `loadConfig(BookBuilderConfigSchema)`;
 * this module does not import @tickmesh/runtime, so `startBookBuilder` (tests, embedding) loads
 * without Nest.
 */
const ASSET = '[A-Z0-9]{1,20}';
const PAIR = `${ASSET}=${ASSET}`;

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
  /**
   * under load, publish changed tops of book and consolidated books at most once per this interval
   * (0 = every turn)
   */
  publishIntervalMs: Type.Integer({ default: 0, minimum: 0, maximum: 100 }),
  /** minimum interval between Redis pipelines (latest value per book wins in between) */
  redisFlushMs: Type.Integer({ default: 10, minimum: 0, maximum: 1000 }),
  /** NATS request timeout for snapshots from the ingestor */
  snapshotTimeoutMs: Type.Integer({ default: 2000, minimum: 100 }),
  /**
   * CONSOLIDATED_INTERVAL_MS: under load, recompute and publish each changed consolidated book at
   * most once per this interval (the first change after a quiet period still goes out on the next
   * event-loop turn); 0 = every turn. A recompute costs ~25 µs at 5 venues × 10 levels, so at
   * tens of thousands of updates/s this is what keeps consolidation cheap (see tools/bench).
   */
  consolidatedIntervalMs: Type.Integer({ default: 10, minimum: 0, maximum: 1000 }),
  /** CONSOLIDATED_DEPTH: aggregated price levels per side in a consolidated book */
  consolidatedDepth: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  /**
   * CONSOLIDATE_EQUIVALENT: quote currencies counted as another one in consolidated books
   * (`USDT=USD,USDC=USD`); empty = quotes are never merged
   */
  consolidateEquivalent: Type.String({ default: '', pattern: `^(${PAIR}(,${PAIR})*)?$` }),
  /** STATS_INTERVAL_MS: publish per-symbol stats on md.v1.stats.<venue>.<symbol> this often */
  statsIntervalMs: Type.Integer({ default: 5000, minimum: 100 }),
  /** DEPTH_REQUEST_MAX: largest depth a ctl.v1.book request may ask for */
  depthRequestMax: Type.Integer({ default: 1000, minimum: 1, maximum: 1000 }),
  /**
   * PARTITIONS: N partitioned replicas share the books of this venue set; each owns the books whose
   * consolidated symbol hashes (FNV-1a) to its index (partition.ts). 1 = unpartitioned.
   */
  partitions: Type.Integer({ default: 1, minimum: 1, maximum: 1024 }),
  /**
   * PARTITION_INDEX: this replica's partition, 0..PARTITIONS-1; unset = the StatefulSet ordinal at
   * the end of HOSTNAME (`book-builder-2` → 2)
   */
  partitionIndex: Type.Optional(Type.Integer({ minimum: 0, maximum: 1023 })),
});
export type BookBuilderConfig = Static<typeof BookBuilderConfigSchema>;

/** Defaults for every field, overridden by `overrides` (tests and embedding). */
export function withDefaults(overrides: Partial<BookBuilderConfig> = {}): BookBuilderConfig {
  const defaults = Value.Default(BookBuilderConfigSchema, {}) as BookBuilderConfig;
  return { ...defaults, ...overrides };
}

/** The venues to build, or `undefined` for every venue on the bus. */
export function venueList(cfg: BookBuilderConfig): string[] | undefined {
  if (cfg.venues.trim() === '*') return undefined;
  return cfg.venues
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * Queue group for the request handlers: replicas that build the same venue set (and partition) own
 * the same books, so they share requests (one reply each); replicas of other sets are separate groups.
 */
export function replicaGroup(cfg: BookBuilderConfig, partition?: { index: number; count: number }): string {
  const venues = venueList(cfg);
  const base = `book-builder.${venues === undefined ? 'all' : [...venues].sort().join('-')}`;
  return partition === undefined || partition.count <= 1
    ? base
    : `${base}.p${partition.index}of${partition.count}`;
}

export const BOOK_BUILDER_CONFIG = Symbol('BOOK_BUILDER_CONFIG');
