import { join } from 'node:path';
import { describeExit, spawnLogged, type ExitInfo, type LineListener, type LoggedChild } from './child';
import { formatLogTail, HarnessError, isHarnessError } from './errors';
import { keepLogsFromEnv, makeRunDir, readTail, removeDir } from './logs';
import { httpOk } from './probes';
import { waitFor } from './wait-for';

export interface SpawnServiceOptions {
  /** Label for the temp dir, log file and errors. */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** Merged over the test's own environment; a key set to `undefined` is removed. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Ready once a GET on this URL answers 2xx. */
  readonly readyUrl?: string;
  /** Ready once a stdout/stderr line matches. With `readyUrl` too, both must hold. */
  readonly readyLog?: RegExp;
  /** Readiness deadline. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Default grace between the stop signal and SIGKILL. Default 10 000 ms. */
  readonly stopTimeoutMs?: number;
  /** Called for every output line from the start (useful to capture a port the service prints). */
  readonly onLine?: LineListener;
}

/** A real service process (gateway, ingestor, venue-sim) run by an end-to-end test or benchmark. */
export interface ServiceHandle {
  readonly name: string;
  readonly pid: number;
  /** Temp dir holding `<name>.log`. */
  readonly dir: string;
  readonly logFile: string;
  readonly running: boolean;
  readonly exitInfo: ExitInfo | undefined;
  /** The match of `readyLog` (capture groups included), when one was given. */
  readonly readyMatch: RegExpMatchArray | undefined;
  logTail(lines?: number): string;
  /** Adds a line listener from now on; returns the function that removes it. */
  onLine(listener: LineListener): () => void;
  /** Sends `signal` (default SIGTERM), SIGKILL after `timeoutMs`; resolves on exit. Keeps the log. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL: a crash. Resolves on exit. */
  kill(): Promise<ExitInfo>;
  /** Resolves when the process exits on its own (or is stopped). */
  waitExit(): Promise<ExitInfo>;
  /** Stops it if running, then removes the temp dir unless `keepLogs` or TICKMESH_KEEP_LOGS=1. */
  dispose(options?: { keepLogs?: boolean }): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * Starts a service process with output captured to a log file and waits until it is ready.
 * If it exits or misses the deadline, it is killed and the error carries its log tail.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceHandle> {
  const { name } = options;
  const dir = makeRunDir(name);
  const logFile = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  let child: LoggedChild;
  try {
    child = await spawnLogged({
      command: options.command,
      args: options.args ?? [],
      env: mergeEnv(options.env),
      cwd: options.cwd,
      logFile,
    });
  } catch (err) {
    if (!keepLogsFromEnv()) removeDir(dir);
    throw err;
  }
  if (options.onLine) child.onLine(options.onLine);

  let readyMatch: RegExpMatchArray | undefined;
  const { readyLog } = options;
  const stopMatching =
    readyLog === undefined
      ? () => undefined
      : child.onLine((line) => {
          readyLog.lastIndex = 0;
          readyMatch ??= line.match(readyLog) ?? undefined;
        });

  const exitedEarly = new AbortController();
  void child.exited.then((info) =>
    exitedEarly.abort(new HarnessError('EXITED', `${name} ${describeExit(info)} before it was ready`)),
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  try {
    await waitFor(
      async () =>
        (readyLog === undefined || readyMatch !== undefined) &&
        (options.readyUrl === undefined || (await httpOk(options.readyUrl, 1000))),
      { timeoutMs, intervalMs: 25, signal: exitedEarly.signal, message: readyDescription(options) },
    );
  } catch (err) {
    await child.kill();
    const tail = formatLogTail(`log (${logFile})`, readTail(logFile, 40));
    if (!keepLogsFromEnv()) removeDir(dir);
    const message = err instanceof Error ? err.message : String(err);
    throw new HarnessError(
      isHarnessError(err) ? err.code : 'EXITED',
      `${name} (pid ${child.pid}) failed to start: ${message}\n${tail}`,
      {
        cause: err,
      },
    );
  } finally {
    stopMatching();
  }

  let removed = false;
  const stop = (signal: NodeJS.Signals = 'SIGTERM', ms = stopTimeoutMs): Promise<ExitInfo> =>
    child.stop(signal, ms);
  return {
    name,
    pid: child.pid,
    dir,
    logFile,
    get running() {
      return child.exitInfo === undefined;
    },
    get exitInfo() {
      return child.exitInfo;
    },
    readyMatch,
    logTail: (lines = 50) => readTail(logFile, lines),
    onLine: (listener) => child.onLine(listener),
    stop,
    kill: () => child.kill(),
    waitExit: () => child.exited,
    async dispose(disposeOptions = {}) {
      await stop();
      if (!removed && disposeOptions.keepLogs !== true && !keepLogsFromEnv()) {
        removeDir(dir);
        removed = true;
      }
    },
  };
}

function mergeEnv(overrides: SpawnServiceOptions['env']): NodeJS.ProcessEnv {
  const merged: Record<string, string | undefined> = { ...process.env, ...overrides };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

function readyDescription(options: SpawnServiceOptions): string {
  const conditions = [
    options.readyUrl !== undefined ? `GET ${options.readyUrl} answers 2xx` : undefined,
    options.readyLog !== undefined ? `a log line matches ${String(options.readyLog)}` : undefined,
  ].filter((c) => c !== undefined);
  return `${options.name} ready (${conditions.length > 0 ? conditions.join(' and ') : 'spawned'})`;
}
