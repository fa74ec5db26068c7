import { existsSync } from 'node:fs';
import { httpGet, type HttpTarget } from './probes';
import type { ServerKind } from './server-handle';

/** Opt-in switch for running servers in containers (needs Docker and `testcontainers`). */
export const TESTCONTAINERS_ENV = 'TICKMESH_TESTCONTAINERS';

/** The env variable that points the harness at an already running server. */
export const EXTERNAL_URL_ENV: Record<ServerKind, string> = { nats: 'NATS_URL', redis: 'REDIS_URL' };

export type BackendChoice =
  | { readonly backend: 'external'; readonly url: string; readonly envVar: string }
  | { readonly backend: 'container' }
  | { readonly backend: 'process' };

let warnedNoDocker = false;

/**
 * Which way a server is provided, decided per call from the environment:
 * 1. `NATS_URL` / `REDIS_URL` set → that external server;
 * 2. `TICKMESH_TESTCONTAINERS=1` and a Docker engine answers → a container;
 * 3. otherwise → a child process (the default; needs the Debian binaries).
 * With TICKMESH_TESTCONTAINERS=1 but no Docker, it falls back to processes with one warning, so a
 * developer's shell setting does not break runs on a machine without Docker.
 */
export async function chooseBackend(
  kind: ServerKind,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BackendChoice> {
  const envVar = EXTERNAL_URL_ENV[kind];
  const url = env[envVar];
  if (url !== undefined && url.trim() !== '') return { backend: 'external', url: url.trim(), envVar };
  if (env[TESTCONTAINERS_ENV] === '1') {
    if (await dockerAvailable(env)) return { backend: 'container' };
    if (!warnedNoDocker) {
      warnedNoDocker = true;
      process.emitWarning(
        `${TESTCONTAINERS_ENV}=1 but no Docker engine answered (DOCKER_HOST or /var/run/docker.sock); ` +
          'starting nats-server/redis-server as child processes instead',
        { code: 'TICKMESH_NO_DOCKER' },
      );
    }
  }
  return { backend: 'process' };
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Where the Docker engine API answers, following the docker CLI: `DOCKER_HOST`
 * (`unix:///path/docker.sock` or `tcp://host:2375`), else the default socket if it exists.
 * `undefined` when there is nothing to try. TLS endpoints (DOCKER_TLS_VERIFY) are not probed.
 */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): HttpTarget | undefined {
  const host = env['DOCKER_HOST'];
  if (host !== undefined && host !== '') {
    if (host.startsWith('unix://')) {
      return { url: 'http://localhost/_ping', socketPath: host.slice('unix://'.length) };
    }
    if (host.startsWith('tcp://')) {
      return { url: `http://${host.slice('tcp://'.length).replace(/\/+$/, '')}/_ping` };
    }
    return undefined;
  }
  return existsSync(DEFAULT_SOCKET)
    ? { url: 'http://localhost/_ping', socketPath: DEFAULT_SOCKET }
    : undefined;
}

/** Whether a Docker engine answers `GET /_ping` with 200 within `timeoutMs`. */
export async function dockerAvailable(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 1500,
): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (endpoint === undefined) return false;
  try {
    const { status, body } = await httpGet(endpoint, timeoutMs);
    return status === 200 && body.trim() === 'OK';
  } catch {
    return false;
  }
}
