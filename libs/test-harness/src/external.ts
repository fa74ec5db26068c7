import { HarnessError } from './errors';
import { natsInfo } from './probes';
import { respCommand } from './resp';
import {
  buildHandle,
  type NatsServerHandle,
  type RedisServerHandle,
  type ServerControl,
  type ServerKind,
} from './server-handle';
import { waitFor } from './wait-for';

/** How long an external server gets to answer by default (CI service containers may still boot). */
export const EXTERNAL_READY_TIMEOUT_MS = 10_000;
const DEFAULT_PORT: Record<ServerKind, number> = { nats: 4222, redis: 6379 };

export interface ExternalServerRequest {
  /** The env value, e.g. `nats://127.0.0.1:4222`. */
  readonly url: string;
  /** Which variable it came from, named in errors. */
  readonly envVar: string;
  readonly name: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ExternalTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * Host and port of the first server in a NATS_URL / REDIS_URL value. NATS accepts a comma-separated
 * list and bare `host:port`; both are handled.
 *
 * @throws HarnessError code `INVALID` for a value that is not a URL.
 */
export function parseServerUrl(kind: ServerKind, value: string): ExternalTarget {
  const first = value.split(',')[0]!.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(first) ? first : `${kind}://${first}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch (err) {
    throw new HarnessError('INVALID', `cannot parse ${kind} server URL ${JSON.stringify(value)}`, {
      cause: err,
    });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '')
    throw new HarnessError('INVALID', `${kind} server URL ${JSON.stringify(value)} has no host`);
  return { host, port: parsed.port === '' ? DEFAULT_PORT[kind] : Number(parsed.port) };
}

/** A server the harness does not own: lifecycle calls fail loudly instead of silently doing nothing. */
function externalControl(kind: ServerKind, url: string, envVar: string): ServerControl {
  const refuse = (action: string): Promise<never> =>
    Promise.reject(
      new HarnessError(
        'EXTERNAL_SERVER',
        `cannot ${action} ${kind} at ${url}: it is an external server (from ${envVar}), not started by the ` +
          `harness, so it cannot be stopped, restarted or killed. Tests that need this should skip ` +
          `when handle.external is true, or run without ${envVar}.`,
      ),
    );
  return {
    backend: 'external',
    pid: undefined,
    running: true,
    dir: undefined,
    logFile: undefined,
    logTail: () => '',
    stop: () => refuse('stop'),
    restart: () => refuse('restart'),
    kill: () => refuse('kill'),
  };
}

function unreachable(
  kind: ServerKind,
  req: ExternalServerRequest,
  timeoutMs: number,
  err: unknown,
): HarnessError {
  return new HarnessError(
    'UNREACHABLE',
    `${req.envVar}=${req.url} is set but the ${kind} server there did not answer within ` +
      `${timeoutMs} ms; start it or unset ${req.envVar} to let the harness start one`,
    { cause: err },
  );
}

export async function externalNats(req: ExternalServerRequest): Promise<NatsServerHandle> {
  const { url, envVar, name, timeoutMs = EXTERNAL_READY_TIMEOUT_MS, env = process.env } = req;
  const target = parseServerUrl('nats', url);
  let jetstream = false;
  try {
    await waitFor(
      async () => {
        jetstream = (await natsInfo(target.host, target.port)).jetstream === true;
        return true;
      },
      { timeoutMs, intervalMs: 100, message: `INFO from ${url}` },
    );
  } catch (err) {
    throw unreachable('nats', req, timeoutMs, err);
  }
  const monitorUrl = env['NATS_MONITOR_URL']?.trim() || undefined;
  return buildHandle({ kind: 'nats', name, url, ...target }, externalControl('nats', url, envVar), {
    monitorUrl,
    jetstream,
  });
}

export async function externalRedis(req: ExternalServerRequest): Promise<RedisServerHandle> {
  const { url, envVar, name, timeoutMs = EXTERNAL_READY_TIMEOUT_MS } = req;
  const target = parseServerUrl('redis', url);
  try {
    // Any RESP reply proves a Redis is there; with a password it is `-NOAUTH`, which is fine.
    await waitFor(
      async () => {
        await respCommand(target.host, target.port, ['PING']);
        return true;
      },
      { timeoutMs, intervalMs: 100, message: `PING reply from ${url}` },
    );
  } catch (err) {
    throw unreachable('redis', req, timeoutMs, err);
  }
  return buildHandle({ kind: 'redis', name, url, ...target }, externalControl('redis', url, envVar), {});
}
