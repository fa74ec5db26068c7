/**
 * The handle a test holds for a NATS or Redis server, whichever way it was provided: a child
 * process (default), a testcontainers container, or an external server from NATS_URL / REDIS_URL.
 */

export type ServerKind = 'nats' | 'redis';

/** How the server is provided. Only `process` and `container` servers can be stopped or killed. */
export type ServerBackend = 'process' | 'container' | 'external';

export interface StopOptions {
  /** Keep the temp dir (log file, JetStream store) instead of removing it. */
  readonly keepLogs?: boolean;
  /** Grace period between SIGTERM and SIGKILL. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

export interface ServerHandle {
  readonly kind: ServerKind;
  /** Label used in logs, temp dir names and failure reports. */
  readonly name: string;
  readonly backend: ServerBackend;
  /** True for NATS_URL / REDIS_URL servers: stop/restart/kill throw; tests that need them skip. */
  readonly external: boolean;
  /** Client URL, e.g. `nats://127.0.0.1:41517` or `redis://127.0.0.1:39021`. */
  readonly url: string;
  readonly host: string;
  /** Client port. Fixed for the life of the handle: `restart()` binds it again. */
  readonly port: number;
  /** Current OS pid; changes on restart, `undefined` while down and for containers/external. */
  readonly pid: number | undefined;
  /** Whether the server process is up (external servers: assumed true). */
  readonly running: boolean;
  /** Per-server temp dir holding the log and the data dir; `undefined` for external servers. */
  readonly dir: string | undefined;
  readonly logFile: string | undefined;
  /** Last `lines` lines of the server log ('' for external servers). */
  logTail(lines?: number): string;
  /**
   * SIGTERM, wait for exit (SIGKILL after `timeoutMs`), then remove the temp dir unless
   * `keepLogs` or TICKMESH_KEEP_LOGS=1. Idempotent.
   */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Graceful stop if running, then start again on the same port(s) and wait until ready, so
   * clients with reconnect logic find it again. Works after `kill()` (state in the store dir
   * survives) and after `stop()` (the removed temp dir is recreated empty).
   */
  restart(): Promise<void>;
  /** SIGKILL and wait for exit: a crash, no graceful shutdown. The temp dir stays for `restart()`. */
  kill(): Promise<void>;
}

export interface NatsServerHandle extends ServerHandle {
  readonly kind: 'nats';
  /** `http://127.0.0.1:PORT` of the monitoring endpoint (/varz, /jsz, /healthz); unknown for external servers unless NATS_MONITOR_URL is set. */
  readonly monitorUrl: string | undefined;
  /** Whether JetStream was requested (external servers: as reported by the INFO line). */
  readonly jetstream: boolean;
}

export interface RedisServerHandle extends ServerHandle {
  readonly kind: 'redis';
}

/** What a backend implements; `buildHandle` turns it into the public handle. */
export interface ServerControl {
  readonly backend: ServerBackend;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly dir: string | undefined;
  readonly logFile: string | undefined;
  logTail(lines: number): string;
  stop(options: StopOptions): Promise<void>;
  restart(): Promise<void>;
  kill(): Promise<void>;
}

export interface HandleFields<K extends ServerKind> {
  readonly kind: K;
  readonly name: string;
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/**
 * The public handle: fixed fields plus getters and methods delegating to the backend, so `pid` and
 * `running` stay current across restarts.
 */
export function buildHandle<K extends ServerKind, E extends object>(
  fields: HandleFields<K>,
  control: ServerControl,
  extra: E,
): ServerHandle & HandleFields<K> & E {
  const handle: ServerHandle & HandleFields<K> = {
    ...fields,
    backend: control.backend,
    external: control.backend === 'external',
    get pid() {
      return control.pid;
    },
    get running() {
      return control.running;
    },
    get dir() {
      return control.dir;
    },
    get logFile() {
      return control.logFile;
    },
    logTail: (lines = 50) => control.logTail(lines),
    stop: (options = {}) => control.stop(options),
    restart: () => control.restart(),
    kill: () => control.kill(),
  };
  return Object.assign(handle, extra);
}
