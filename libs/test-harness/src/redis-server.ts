import { chooseBackend } from './backend';
import { REDIS_SERVER_BINARY } from './binaries';
import { ContainerServer, type ModuleImporter } from './containers';
import { externalRedis } from './external';
import { LocalServer } from './local-server';
import { LOOPBACK } from './ports';
import { redisPing } from './resp';
import { buildHandle, type RedisServerHandle } from './server-handle';

export interface StartRedisOptions {
  /** Label for logs and the temp dir. Default `redis`. */
  readonly name?: string;
  /** Extra `redis-server` arguments, appended after the harness's own (e.g. `['--maxmemory', '64mb']`). */
  readonly args?: readonly string[];
  /** How long a start or restart may take before failing with the log tail. Default 15 000 ms. */
  readonly readyTimeoutMs?: number;
  /** Only for tests of the harness: how `testcontainers` is imported. */
  readonly importer?: ModuleImporter;
}

export const REDIS_IMAGE = 'redis:7-alpine';
const DEFAULT_READY_TIMEOUT_MS = 15_000;

/**
 * Persistence off: no RDB snapshots, no AOF. A restarted server starts empty, which is what the
 * platform assumes of its cache (top-of-book is rebuilt from the bus), so tests see the same.
 */
const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no'];

/**
 * A Redis server for one test file: a `redis-server` child process on a free 127.0.0.1 port, an
 * external server when REDIS_URL is set, or a container when TICKMESH_TESTCONTAINERS=1 and Docker
 * answers. Resolves once a raw RESP `PING` gets `+PONG`.
 *
 * @throws HarnessError `BINARY_NOT_FOUND` (install hint), `TIMEOUT` / `EXITED` (with the log tail),
 *   `UNREACHABLE` (external), `TESTCONTAINERS_MISSING`.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const name = options.name ?? 'redis';
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const extraArgs = options.args ?? [];
  const choice = await chooseBackend('redis');

  if (choice.backend === 'external') {
    return externalRedis({ url: choice.url, envVar: choice.envVar, name, timeoutMs: readyTimeoutMs });
  }

  if (choice.backend === 'container') {
    const server = await ContainerServer.start(
      {
        kind: 'redis',
        name,
        image: REDIS_IMAGE,
        command: ['redis-server', ...NO_PERSISTENCE, ...extraArgs],
        containerPorts: [6379],
        probe: (host, [port]) => redisPing(host, port!, 1000),
        readyTimeoutMs,
      },
      options.importer,
    );
    const port = server.hostPorts[0]!;
    const host = server.clientHost;
    return buildHandle({ kind: 'redis', name, url: `redis://${host}:${port}`, host, port }, server, {});
  }

  const server = await LocalServer.start({
    kind: 'redis',
    name,
    binary: REDIS_SERVER_BINARY,
    portCount: 1,
    args: ([port], dir) => [
      '--port',
      String(port),
      '--bind',
      LOOPBACK,
      ...NO_PERSISTENCE,
      '--dir',
      dir,
      '--daemonize',
      'no',
      // Log to stdout, which the harness writes to the log file.
      '--logfile',
      '',
      ...extraArgs,
    ],
    probe: ([port]) => redisPing(LOOPBACK, port!, 1000),
    readyTimeoutMs,
  });
  const port = server.ports[0]!;
  return buildHandle(
    { kind: 'redis', name, url: `redis://${LOOPBACK}:${port}`, host: LOOPBACK, port },
    server,
    {},
  );
}
