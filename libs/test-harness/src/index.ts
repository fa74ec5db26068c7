// Public API of @tickmesh/test-harness: real NATS and Redis servers, real service processes, and the
// waitFor helper for integration, end-to-end tests and benchmarks. Internals (probes, the RESP
// client, backends) are imported by path only from this package's own tests.

export { startNats, NATS_IMAGE, type StartNatsOptions } from './nats-server';
export { startRedis, REDIS_IMAGE, type StartRedisOptions } from './redis-server';
export type {
  NatsServerHandle,
  RedisServerHandle,
  ServerBackend,
  ServerHandle,
  ServerKind,
  StopOptions,
} from './server-handle';

export {
  harness,
  type Closable,
  type CloseOptions,
  type Harness,
  type HarnessCore,
  type HarnessOptions,
} from './harness';
export {
  harnessTest,
  registerCleanup,
  useHarness,
  type HarnessTestFn,
  type HarnessTestOptions,
} from './harness-test';

export { spawnService, type ServiceHandle, type SpawnServiceOptions } from './service';
export type { ExitInfo, LineListener, OutputStream } from './child';
export { pidStats, type PidStats } from './proc-stats';

export { waitFor, type WaitForOptions } from './wait-for';
export { freePort } from './ports';
export { HarnessError, isHarnessError, type HarnessErrorCode } from './errors';
export { KEEP_LOGS_ENV } from './logs';
export { TESTCONTAINERS_ENV } from './backend';
