import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { HarnessError } from './errors';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type OutputStream = 'stdout' | 'stderr';
export type LineListener = (line: string, stream: OutputStream) => void;

export interface LoggedChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * One OS process whose stdout and stderr are appended to `logFile` as they arrive (synchronous
 * writes, so a log tail read right after a failure contains everything the process said) and,
 * when someone listens, split into lines.
 */
export interface LoggedChild {
  readonly pid: number;
  /** Set once the process has exited. */
  readonly exitInfo: ExitInfo | undefined;
  /** Resolves when the process has exited and its output is flushed to the log. */
  readonly exited: Promise<ExitInfo>;
  /** Adds a line listener; returns the function that removes it. */
  onLine(listener: LineListener): () => void;
  /** Sends `signal`, escalates to SIGKILL after `timeoutMs`, resolves on exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (no chance to clean up: simulates a crash), resolves on exit. */
  kill(): Promise<ExitInfo>;
}

/** After 'exit', how long to wait for 'close' (a grandchild may hold the pipes open). */
const CLOSE_GRACE_MS = 1000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Last line of defence against orphans: when the test process exits with servers still running
 * (a crashed test file, a forgotten stop), kill them. Runs synchronously inside 'exit'.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export async function spawnLogged(options: LoggedChildOptions): Promise<LoggedChild> {
  installExitHook();
  const logFd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    closeSync(logFd);
    throw spawnFailed(options, err);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
    closeSync(logFd);
    throw spawnFailed(options, err);
  }
  live.add(child);

  const listeners = new Set<LineListener>();
  const partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
  let logOpen = true;
  const onData = (stream: OutputStream) => (chunk: Buffer) => {
    if (!logOpen) return;
    writeSync(logFd, chunk);
    if (listeners.size === 0) return;
    const lines = (partial[stream] + chunk.toString('utf8')).split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) emit(line.replace(/\r$/, ''), stream);
  };
  const emit = (line: string, stream: OutputStream): void => {
    for (const listener of listeners) listener(line, stream);
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  // A failed kill() surfaces as 'error'; unhandled it would crash the test process. Log it instead.
  child.on('error', (err) => {
    if (logOpen) writeSync(logFd, `\n[test-harness] ${options.command}: ${err.message}\n`);
  });

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (grace !== undefined) clearTimeout(grace);
      if (!live.delete(child)) return;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] !== '') emit(partial[stream], stream);
        partial[stream] = '';
      }
      logOpen = false;
      closeSync(logFd);
      resolve(exitInfo!);
    };
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      grace = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exitInfo ??= { code, signal };
      finish();
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> => {
    if (exitInfo !== undefined) return exited;
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(escalate);
    }
  };

  return {
    pid,
    get exitInfo() {
      return exitInfo;
    },
    exited,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop,
    kill: () => stop('SIGKILL'),
  };
}

function spawnFailed(options: LoggedChildOptions, err: unknown): HarnessError {
  const reason = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new HarnessError(
    code === 'ENOENT' ? 'BINARY_NOT_FOUND' : 'SPAWN_FAILED',
    `could not start ${options.command} ${options.args.join(' ')}: ${reason}`,
    { cause: err },
  );
}

export function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `killed by ${info.signal}` : `exited with code ${String(info.code)}`;
}
