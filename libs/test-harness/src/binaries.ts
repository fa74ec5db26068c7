import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { HarnessError } from './errors';

/** Where Debian puts daemons even when a minimal PATH (cron, some CI shells) leaves them out. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

export interface BinarySpec {
  /** Executable name looked up in PATH, e.g. `nats-server`. */
  readonly name: string;
  /** Environment variable that may hold an explicit path, e.g. `NATS_SERVER_BIN`. */
  readonly envVar: string;
  /** Debian package that provides it, named in the error. */
  readonly debianPackage: string;
}

export const NATS_SERVER_BINARY: BinarySpec = {
  name: 'nats-server',
  envVar: 'NATS_SERVER_BIN',
  debianPackage: 'nats-server',
};

export const REDIS_SERVER_BINARY: BinarySpec = {
  name: 'redis-server',
  envVar: 'REDIS_SERVER_BIN',
  debianPackage: 'redis-server',
};

const cache = new Map<string, string>();

/**
 * Absolute path of an executable: the `envVar` override if set, else the first match in PATH and
 * the usual system directories.
 *
 * @throws HarnessError code `BINARY_NOT_FOUND` naming the Debian package to install.
 */
export function findBinary(spec: BinarySpec, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[spec.envVar];
  if (override !== undefined && override !== '') {
    if (isExecutableFile(override)) return override;
    throw new HarnessError(
      'BINARY_NOT_FOUND',
      `${spec.envVar}=${override} is not an executable file (unset it to search PATH for ${spec.name})`,
    );
  }
  const key = `${spec.name}\0${env['PATH'] ?? ''}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => isAbsolute(d)), ...EXTRA_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, spec.name);
    if (isExecutableFile(candidate)) {
      cache.set(key, candidate);
      return candidate;
    }
  }
  throw new HarnessError(
    'BINARY_NOT_FOUND',
    `${spec.name} not found in PATH or ${EXTRA_DIRS.join(', ')}. Integration tests run against a real ` +
      `server: install it with \`apt-get install -y nats-server redis-server\` (Debian package ` +
      `"${spec.debianPackage}"), point ${spec.envVar} at the binary, or set ` +
      `${spec.name === 'nats-server' ? 'NATS_URL' : 'REDIS_URL'} to use a running server.`,
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
