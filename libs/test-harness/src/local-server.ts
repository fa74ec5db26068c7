import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, type BinarySpec } from './binaries';
import { describeExit, spawnLogged, type LoggedChild } from './child';
import { formatLogTail, HarnessError, isHarnessError } from './errors';
import { ensureDir, fileSize, keepLogsFromEnv, makeRunDir, readFrom, readTail, removeDir } from './logs';
import { freePorts, isPortFree } from './ports';
import type { ServerControl, ServerKind, StopOptions } from './server-handle';
import { waitFor } from './wait-for';

/** What differs between nats-server and redis-server when run as a child process. */
export interface LocalServerSpec {
  readonly kind: ServerKind;
  readonly name: string;
  readonly binary: BinarySpec;
  /** Ports to allocate; `ports[0]` is the client port. */
  readonly portCount: number;
  args(ports: readonly number[], dir: string): string[];
  /** Resolves true once the server serves clients (probe errors count as "not yet"). */
  probe(ports: readonly number[]): Promise<boolean>;
  readonly readyTimeoutMs: number;
}

/** Fresh ports tried when another process grabs ours between `freePorts()` and the bind. */
const FIRST_START_ATTEMPTS = 3;
/** How long `restart()` keeps trying to re-bind the same port(s). */
const REBIND_WINDOW_MS = 5000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const PORT_IN_USE = /address already in use/i;

/** A server run as a child process of the test, on 127.0.0.1, with a per-server temp dir. */
export class LocalServer implements ServerControl {
  readonly backend = 'process';
  readonly logFile: string;
  private child: LoggedChild | undefined;
  private removed = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly spec: LocalServerSpec,
    private readonly binary: string,
    readonly dir: string,
    readonly ports: readonly number[],
  ) {
    this.logFile = join(dir, `${spec.kind}.log`);
  }

  /** Finds the binary, allocates ports and starts the server; resolves once it is ready. */
  static async start(spec: LocalServerSpec): Promise<LocalServer> {
    const binary = findBinary(spec.binary);
    const dir = makeRunDir(spec.name);
    for (let attempt = 1; ; attempt += 1) {
      const server = new LocalServer(spec, binary, dir, await freePorts(spec.portCount));
      try {
        await server.launch();
        return server;
      } catch (err) {
        if (isHarnessError(err, 'PORT_IN_USE') && attempt < FIRST_START_ATTEMPTS) continue;
        if (!keepLogsFromEnv()) removeDir(dir);
        throw err;
      }
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitInfo === undefined;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  logTail(lines: number): string {
    return readTail(this.logFile, lines);
  }

  stop(options: StopOptions): Promise<void> {
    return this.serial(async () => {
      await this.child?.stop('SIGTERM', options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      if (!this.removed && options.keepLogs !== true && !keepLogsFromEnv()) {
        removeDir(this.dir);
        this.removed = true;
      }
    });
  }

  kill(): Promise<void> {
    return this.serial(async () => {
      await this.child?.kill();
    });
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.child?.stop('SIGTERM', DEFAULT_STOP_TIMEOUT_MS);
      ensureDir(this.dir);
      this.removed = false;
      appendFileSync(this.logFile, `\n--- test-harness: restart at ${new Date().toISOString()} ---\n`);
      const deadline = performance.now() + REBIND_WINDOW_MS;
      while (true) {
        try {
          await this.launch();
          return;
        } catch (err) {
          const remaining = deadline - performance.now();
          if (!isHarnessError(err, 'PORT_IN_USE') || remaining <= 0) throw err;
          await waitFor(async () => (await Promise.all(this.ports.map(isPortFree))).every(Boolean), {
            timeoutMs: remaining,
            intervalMs: 50,
            message: `${this.spec.name}: ports ${this.ports.join(', ')} free again for restart`,
          });
        }
      }
    });
  }

  /** Spawns the binary and waits for the probe; on failure the process is killed, never leaked. */
  private async launch(): Promise<void> {
    const { spec } = this;
    const offset = fileSize(this.logFile);
    const child = await spawnLogged({
      command: this.binary,
      args: spec.args(this.ports, this.dir),
      logFile: this.logFile,
      cwd: this.dir,
    });
    this.child = child;
    const exitedEarly = new AbortController();
    void child.exited.then((info) =>
      exitedEarly.abort(new HarnessError('EXITED', `${spec.name} ${describeExit(info)} before it was ready`)),
    );
    try {
      await waitFor(() => spec.probe(this.ports), {
        timeoutMs: spec.readyTimeoutMs,
        intervalMs: 20,
        signal: exitedEarly.signal,
        message: `${spec.name} ready on 127.0.0.1:${this.ports[0]}`,
      });
    } catch (err) {
      await child.kill();
      throw this.startError(err, readFrom(this.logFile, offset));
    }
  }

  private startError(err: unknown, output: string): HarnessError {
    const tail = formatLogTail(`log (${this.logFile})`, output.split('\n').slice(-30).join('\n'));
    const message = err instanceof Error ? err.message : String(err);
    if (PORT_IN_USE.test(output)) {
      return new HarnessError(
        'PORT_IN_USE',
        `${this.spec.name}: port ${this.ports.join('/')} in use\n${tail}`,
        {
          cause: err,
        },
      );
    }
    const code = isHarnessError(err) ? err.code : 'EXITED';
    return new HarnessError(code, `${this.spec.name} failed to start: ${message}\n${tail}`, { cause: err });
  }

  /** Lifecycle calls run one at a time, in call order, so stop() during restart() is well-defined. */
  private serial(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
