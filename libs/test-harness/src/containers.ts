import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLogTail, HarnessError } from './errors';
import { ensureDir, keepLogsFromEnv, makeRunDir, readTail, removeDir } from './logs';
import { freePorts } from './ports';
import type { ServerControl, ServerKind, StopOptions } from './server-handle';
import { waitFor } from './wait-for';

/**
 * The slice of the `testcontainers` API the harness uses, typed locally so the package stays an
 * optional dev dependency: nothing imports it statically and it is loaded only when
 * TICKMESH_TESTCONTAINERS=1 and Docker answers.
 */
export interface TcLogStream {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
}
export interface TcStartedContainer {
  getHost(): string;
  stop(options?: { timeout?: number; remove?: boolean }): Promise<unknown>;
  restart(options?: { timeout?: number }): Promise<void>;
}
export interface TcContainer {
  withCommand(command: string[]): TcContainer;
  withExposedPorts(...ports: { container: number; host: number }[]): TcContainer;
  withLogConsumer(consumer: (stream: TcLogStream) => unknown): TcContainer;
  withStartupTimeout(startupTimeoutMs: number): TcContainer;
  start(): Promise<TcStartedContainer>;
}
export interface TcModule {
  GenericContainer: new (image: string) => TcContainer;
}

export type ModuleImporter = (specifier: string) => Promise<unknown>;

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

/**
 * Loads `testcontainers` on demand.
 *
 * @throws HarnessError code `TESTCONTAINERS_MISSING` with the install command when it is absent.
 */
export async function loadTestcontainers(importer: ModuleImporter = defaultImporter): Promise<TcModule> {
  let mod: unknown;
  try {
    mod = await importer('testcontainers');
  } catch (err) {
    throw new HarnessError(
      'TESTCONTAINERS_MISSING',
      'TICKMESH_TESTCONTAINERS=1 runs NATS and Redis in Docker through the optional package ' +
        '"testcontainers", which is not installed. Install it with `npm i -D testcontainers@11`, or unset ' +
        'TICKMESH_TESTCONTAINERS to use local nats-server/redis-server processes.',
      { cause: err },
    );
  }
  if (!isTcModule(mod)) {
    throw new HarnessError(
      'TESTCONTAINERS_MISSING',
      'the installed "testcontainers" has no GenericContainer export',
    );
  }
  return mod;
}

function isTcModule(mod: unknown): mod is TcModule {
  return (
    typeof mod === 'object' && mod !== null && typeof Reflect.get(mod, 'GenericContainer') === 'function'
  );
}

export interface ContainerServerSpec {
  readonly kind: ServerKind;
  readonly name: string;
  readonly image: string;
  readonly command: string[];
  /** Ports inside the container; each is published on a free host port that stays fixed. */
  readonly containerPorts: readonly number[];
  probe(host: string, hostPorts: readonly number[]): Promise<boolean>;
  readonly readyTimeoutMs: number;
}

const STARTUP_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * A server in a container. Host ports are fixed at first start (not Docker-assigned), so
 * `restart()` and a re-created container come back on the same URL like a local process does.
 */
export class ContainerServer implements ServerControl {
  readonly backend = 'container';
  readonly pid = undefined;
  readonly logFile: string;
  private container: TcStartedContainer | undefined;
  private up = false;
  private removed = false;

  private constructor(
    private readonly tc: TcModule,
    private readonly spec: ContainerServerSpec,
    readonly dir: string,
    readonly hostPorts: readonly number[],
  ) {
    this.logFile = join(dir, `${spec.kind}.log`);
  }

  static async start(spec: ContainerServerSpec, importer?: ModuleImporter): Promise<ContainerServer> {
    const tc = await loadTestcontainers(importer);
    const dir = makeRunDir(spec.name);
    const server = new ContainerServer(tc, spec, dir, await freePorts(spec.containerPorts.length));
    try {
      await server.create();
      return server;
    } catch (err) {
      if (!keepLogsFromEnv()) removeDir(dir);
      throw err;
    }
  }

  get running(): boolean {
    return this.up;
  }

  /** Where the published ports answer: 127.0.0.1 locally, the Docker host when DOCKER_HOST is remote. */
  get clientHost(): string {
    return this.container?.getHost() ?? '127.0.0.1';
  }

  logTail(lines: number): string {
    return readTail(this.logFile, lines);
  }

  async stop(options: StopOptions): Promise<void> {
    await this.container?.stop({ timeout: options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, remove: true });
    this.container = undefined;
    this.up = false;
    if (!this.removed && options.keepLogs !== true && !keepLogsFromEnv()) {
      removeDir(this.dir);
      this.removed = true;
    }
  }

  /** `docker stop -t 0`: SIGKILL at once; the container is kept so `restart()` can start it again. */
  async kill(): Promise<void> {
    await this.container?.stop({ timeout: 0, remove: false });
    this.up = false;
  }

  async restart(): Promise<void> {
    ensureDir(this.dir);
    this.removed = false;
    appendFileSync(this.logFile, `\n--- test-harness: restart at ${new Date().toISOString()} ---\n`);
    if (this.container === undefined) {
      await this.create();
      return;
    }
    await this.container.restart({ timeout: DEFAULT_STOP_TIMEOUT_MS });
    await this.waitReady();
  }

  private async create(): Promise<void> {
    const { spec } = this;
    const ports = spec.containerPorts.map((container, i) => ({ container, host: this.hostPorts[i]! }));
    this.container = await new this.tc.GenericContainer(spec.image)
      .withCommand(spec.command)
      .withExposedPorts(...ports)
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .withLogConsumer((stream) => stream.on('data', (chunk) => appendFileSync(this.logFile, chunk)))
      .start();
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    try {
      await waitFor(() => this.spec.probe(this.clientHost, this.hostPorts), {
        timeoutMs: this.spec.readyTimeoutMs,
        intervalMs: 50,
        message: `${this.spec.name} (${this.spec.image}) ready on ${this.clientHost}:${this.hostPorts[0]}`,
      });
      this.up = true;
    } catch (err) {
      const tail = formatLogTail(`container log (${this.logFile})`, this.logTail(30));
      throw new HarnessError('TIMEOUT', `${err instanceof Error ? err.message : String(err)}\n${tail}`, {
        cause: err,
      });
    }
  }
}
