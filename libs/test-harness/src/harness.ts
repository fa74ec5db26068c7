import { formatLogTail, HarnessError } from './errors';
import { keepLogsFromEnv } from './logs';
import { startNats, type StartNatsOptions } from './nats-server';
import { startRedis, type StartRedisOptions } from './redis-server';
import type { NatsServerHandle, RedisServerHandle, ServerHandle } from './server-handle';
import { spawnService, type ServiceHandle, type SpawnServiceOptions } from './service';

export interface HarnessOptions {
  /** `true` or start options: start a NATS server. */
  readonly nats?: boolean | StartNatsOptions;
  /** `true` or start options: start a Redis server. */
  readonly redis?: boolean | StartRedisOptions;
}

/** Anything the harness can clean up and report on. */
export type Closable = ServerHandle | ServiceHandle;

export interface CloseOptions {
  /** The test failed: keep all temp dirs and print each log path and tail to stderr. */
  readonly failed?: boolean;
}

/** `H` when the option was given as `true` / options, `undefined` when absent or `false`. */
type Requested<V, H> = [V] extends [true | object]
  ? H
  : [V] extends [false | undefined]
    ? undefined
    : H | undefined;
type ServerFor<O, K extends keyof HarnessOptions, H> = K extends keyof O ? Requested<O[K], H> : undefined;

/** A harness seen without its options: what cleanup helpers accept. */
export interface HarnessCore {
  readonly nats: NatsServerHandle | undefined;
  readonly redis: RedisServerHandle | undefined;
  /** Every server and service this harness owns, in start order. */
  readonly resources: readonly Closable[];
  /** `spawnService`, owned by the harness: stopped first on close and included in failure reports. */
  spawn(options: SpawnServiceOptions): Promise<ServiceHandle>;
  /**
   * Stops services, then servers (external ones are left alone). With `failed: true`, or
   * TICKMESH_KEEP_LOGS=1, temp dirs are kept; with `failed: true` their logs are reported. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** A harness whose `nats` / `redis` are typed non-optional when they were requested with a literal. */
export interface Harness<O extends HarnessOptions = HarnessOptions> extends HarnessCore {
  readonly nats: ServerFor<O, 'nats', NatsServerHandle>;
  readonly redis: ServerFor<O, 'redis', RedisServerHandle>;
}

/**
 * Starts the requested servers concurrently. If one fails, the others are stopped before the error
 * propagates, so a failed start leaks nothing.
 *
 * ```ts
 * const h = await harness({ nats: true, redis: true });
 * // h.nats.url, h.redis.url
 * await h.close({ failed });
 * ```
 */
export async function harness<const O extends HarnessOptions>(options: O): Promise<Harness<O>> {
  const natsOptions = requested(options.nats);
  const redisOptions = requested(options.redis);
  const [nats, redis] = await Promise.allSettled([
    natsOptions === undefined ? undefined : startNats(natsOptions),
    redisOptions === undefined ? undefined : startRedis(redisOptions),
  ]);
  const resources: Closable[] = [];
  for (const result of [nats, redis]) {
    if (result.status === 'fulfilled' && result.value !== undefined) resources.push(result.value);
  }
  const failures = [nats, redis].filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    await closeResources(resources, {}).catch(() => undefined);
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, 'harness: servers failed to start');
  }

  let closing: Promise<void> | undefined;
  const h: HarnessCore = {
    nats: nats.status === 'fulfilled' ? nats.value : undefined,
    redis: redis.status === 'fulfilled' ? redis.value : undefined,
    resources,
    async spawn(spawnOptions) {
      if (closing !== undefined)
        throw new HarnessError('INVALID', `harness closed; cannot spawn ${spawnOptions.name}`);
      const service = await spawnService(spawnOptions);
      resources.push(service);
      return service;
    },
    close(closeOptions = {}) {
      closing ??= closeResources(resources, closeOptions);
      return closing;
    },
  };
  return h as Harness<O>;
}

function requested<T extends object>(value: boolean | T | undefined): T | Record<string, never> | undefined {
  if (value === true) return {};
  if (value === false || value === undefined) return undefined;
  return value;
}

/**
 * Cleans up in dependency order: services (clients) first, then servers, each phase concurrently.
 * Every resource is attempted; failures are rethrown together at the end.
 */
export async function closeResources(resources: readonly Closable[], options: CloseOptions): Promise<void> {
  const failed = options.failed === true;
  const keepLogs = failed || keepLogsFromEnv();
  const services = resources.filter(isService);
  const servers = resources.filter((r): r is ServerHandle => !isService(r) && !r.external);
  const results = [
    ...(await Promise.allSettled(services.map((s) => s.dispose({ keepLogs })))),
    ...(await Promise.allSettled(servers.map((s) => s.stop({ keepLogs })))),
  ];
  // Reported after stopping, so the tails include what the processes said while shutting down.
  if (failed) reportFailure(resources);
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `harness: ${errors.length} resources failed to close`);
}

export function isService(resource: Closable): resource is ServiceHandle {
  return 'dispose' in resource;
}

const REPORT_TAIL_LINES = 30;

/** Prints where each log is kept and its tail, so a CI failure explains itself without a rerun. */
export function reportFailure(
  resources: readonly Closable[],
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  if (resources.length === 0) return;
  const sections = resources.map((r) => {
    const label = isService(r) ? `service ${r.name} (pid ${r.pid})` : `${r.kind} ${r.name} ${r.url}`;
    if (r.logFile === undefined) return `  ${label}: external server, no log`;
    return `  ${label}\n  log kept at ${r.logFile}\n  ${formatLogTail(`last ${REPORT_TAIL_LINES} lines`, r.logTail(REPORT_TAIL_LINES))}`;
  });
  write(`\n[test-harness] test failed; server and service logs are kept:\n${sections.join('\n\n')}\n\n`);
}
