import '../test/clean-env';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { findBinary, NATS_SERVER_BINARY, REDIS_SERVER_BINARY } from './binaries';
import {
  loadTestcontainers,
  type TcContainer,
  type TcLogStream,
  type TcModule,
  type TcStartedContainer,
} from './containers';
import { isHarnessError } from './errors';
import { makeRunDir, removeDir } from './logs';
import { startNats } from './nats-server';
import { freePort, LOOPBACK } from './ports';
import { natsInfo } from './probes';
import { startRedis } from './redis-server';
import { redisPing } from './resp';

/**
 * This machine has no Docker engine, so the container backend is exercised through a stand-in for
 * the `testcontainers` module that runs the image's server as a local process on the requested
 * host port. It checks what the harness asks of testcontainers (image, command, fixed host ports,
 * stop/kill options) and that its lifecycle logic works; it says nothing about real images.
 */
type ExposedPort = { container: number; host: number };
interface StopCall {
  timeout?: number;
  remove?: boolean;
}

class FakeRuntime {
  readonly containers: FakeContainer[] = [];
  readonly stops: StopCall[] = [];
  readonly module: TcModule;

  constructor(readonly scratch: string) {
    this.module = fakeModule(this);
  }
}

/** A module whose GenericContainer records every container in `runtime`. */
function fakeModule(runtime: FakeRuntime): TcModule {
  return {
    GenericContainer: class extends FakeContainer {
      constructor(image: string) {
        super(runtime, image);
      }
    },
  };
}

class FakeContainer implements TcContainer {
  command: string[] = [];
  ports: ExposedPort[] = [];
  consumer: ((stream: TcLogStream) => unknown) | undefined;
  started: FakeStarted | undefined;

  constructor(
    readonly runtime: FakeRuntime,
    readonly image: string,
  ) {
    runtime.containers.push(this);
  }
  withCommand(command: string[]) {
    this.command = command;
    return this;
  }
  withExposedPorts(...ports: ExposedPort[]) {
    this.ports = ports;
    return this;
  }
  withLogConsumer(consumer: (stream: TcLogStream) => unknown) {
    this.consumer = consumer;
    return this;
  }
  withStartupTimeout() {
    return this;
  }
  async start(): Promise<TcStartedContainer> {
    this.started = new FakeStarted(this);
    return this.started;
  }
}

class FakeStarted implements TcStartedContainer {
  private child: ChildProcess;
  constructor(private readonly spec: FakeContainer) {
    this.child = this.launch();
  }
  getHost() {
    return LOOPBACK;
  }
  async stop(options: StopCall = {}) {
    this.spec.runtime.stops.push(options);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(options.timeout === 0 ? 'SIGKILL' : 'SIGTERM');
      await once(this.child, 'exit');
    }
  }
  async restart() {
    await this.stop({ timeout: 10_000, remove: false });
    this.child = this.launch();
  }
  private launch(): ChildProcess {
    const { image, command, ports } = this.spec;
    const host = (container: number) => String(ports.find((p) => p.container === container)!.host);
    const [binary, args] = image.startsWith('redis')
      ? [findBinary(REDIS_SERVER_BINARY), ['--port', host(6379), '--bind', LOOPBACK, ...command.slice(1)]]
      : [
          findBinary(NATS_SERVER_BINARY),
          ['-a', LOOPBACK, '-p', host(4222), ...command.map((a) => (a === '8222' ? host(8222) : a))].concat([
            '-sd',
            join(this.spec.runtime.scratch, 'js'),
          ]),
        ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.spec.consumer?.(child.stdout!);
    this.spec.consumer?.(child.stderr!);
    return child;
  }
}

/** Env that makes the harness choose containers: the opt-in plus an engine answering /_ping. */
async function containerMode(t: TestContext): Promise<FakeRuntime> {
  const engine = createServer((_req, res) => res.writeHead(200).end('OK'));
  const port = await freePort();
  await new Promise<void>((resolve) => engine.listen(port, LOOPBACK, resolve));
  const saved = {
    TICKMESH_TESTCONTAINERS: process.env['TICKMESH_TESTCONTAINERS'],
    DOCKER_HOST: process.env['DOCKER_HOST'],
  };
  process.env['TICKMESH_TESTCONTAINERS'] = '1';
  process.env['DOCKER_HOST'] = `tcp://${LOOPBACK}:${port}`;
  const runtime = new FakeRuntime(makeRunDir('fake-docker'));
  t.after(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
    await new Promise<void>((resolve) => engine.close(() => resolve()));
    removeDir(runtime.scratch);
  });
  return runtime;
}

test('Redis in a container: redis:7-alpine without persistence on a fixed host port', async (t) => {
  const runtime = await containerMode(t);
  const redis = await startRedis({ importer: async () => runtime.module });
  t.after(() => redis.stop());

  const [container] = runtime.containers;
  assert.equal(redis.backend, 'container');
  assert.equal(container?.image, 'redis:7-alpine');
  assert.deepEqual(container?.command, ['redis-server', '--save', '', '--appendonly', 'no']);
  assert.deepEqual(container?.ports, [{ container: 6379, host: redis.port }]);
  assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
  assert.equal(redis.pid, undefined);
  assert.equal(await redisPing(redis.host, redis.port), true);
  assert.match(redis.logTail(), /Ready to accept connections/, 'container output reaches the log file');

  await redis.kill();
  assert.deepEqual(runtime.stops.at(-1), { timeout: 0, remove: false });
  assert.equal(redis.running, false);
  await redis.restart();
  assert.equal(await redisPing(redis.host, redis.port), true);

  const { dir } = redis;
  await redis.stop();
  assert.deepEqual(runtime.stops.at(-1), { timeout: 10_000, remove: true });
  assert.equal(existsSync(dir!), false);

  await redis.restart();
  assert.equal(runtime.containers.length, 2, 'a removed container is re-created on restart');
  assert.equal(await redisPing(redis.host, redis.port), true);
});

test('NATS in a container: nats:2.10-alpine with -js and a published monitor port', async (t) => {
  const runtime = await containerMode(t);
  const nats = await startNats({ importer: async () => runtime.module });
  t.after(() => nats.stop());

  const [container] = runtime.containers;
  assert.equal(container?.image, 'nats:2.10-alpine');
  assert.deepEqual(container?.command.slice(0, 3), ['-js', '-m', '8222']);
  assert.equal(container?.ports[0]?.host, nats.port);
  assert.equal(nats.monitorUrl, `http://127.0.0.1:${container?.ports[1]?.host}`);
  assert.equal((await natsInfo(nats.host, nats.port)).jetstream, true);
});

test('without the testcontainers package the error says how to install it', async () => {
  const missing = Object.assign(new Error("Cannot find package 'testcontainers'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  await assert.rejects(
    loadTestcontainers(() => Promise.reject(missing)),
    (err: unknown) => {
      assert.ok(isHarnessError(err, 'TESTCONTAINERS_MISSING'));
      assert.match(err.message, /npm i -D testcontainers@11/);
      assert.equal(err.cause, missing);
      return true;
    },
  );
  await assert.rejects(
    loadTestcontainers(async () => ({ default: {} })),
    (err: unknown) => isHarnessError(err, 'TESTCONTAINERS_MISSING'),
  );
});
