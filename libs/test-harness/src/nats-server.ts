import { join } from 'node:path';
import { chooseBackend } from './backend';
import { NATS_SERVER_BINARY } from './binaries';
import { ContainerServer, type ModuleImporter } from './containers';
import { externalNats } from './external';
import { LocalServer } from './local-server';
import { LOOPBACK } from './ports';
import { httpOk, natsInfo } from './probes';
import { buildHandle, type NatsServerHandle } from './server-handle';

export interface StartNatsOptions {
  /** Enable JetStream (store dir inside the server's temp dir). Default true. */
  readonly jetstream?: boolean;
  /** Label for logs, the temp dir and `--server_name`. Default `nats`. */
  readonly name?: string;
  /** Extra `nats-server` arguments, appended after the harness's own (e.g. `['--max_payload', '2MB']`). */
  readonly args?: readonly string[];
  /** How long a start or restart may take before failing with the log tail. Default 15 000 ms. */
  readonly readyTimeoutMs?: number;
  /** Only for tests of the harness: how `testcontainers` is imported. */
  readonly importer?: ModuleImporter;
}

export const NATS_IMAGE = 'nats:2.10-alpine';
const DEFAULT_READY_TIMEOUT_MS = 15_000;

/**
 * A NATS server for one test file: a `nats-server` child process on free 127.0.0.1 ports (client
 * and monitoring), an external server when NATS_URL is set, or a container when
 * TICKMESH_TESTCONTAINERS=1 and Docker answers. Resolves once clients can connect and
 * `/healthz` (which covers JetStream) reports ok.
 *
 * @throws HarnessError `BINARY_NOT_FOUND` (install hint), `TIMEOUT` / `EXITED` (with the log tail),
 *   `UNREACHABLE` (external), `TESTCONTAINERS_MISSING`.
 */
export async function startNats(options: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const name = options.name ?? 'nats';
  const jetstream = options.jetstream ?? true;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const extraArgs = options.args ?? [];
  const serverName = name.replace(/[^A-Za-z0-9_-]/g, '_');
  const choice = await chooseBackend('nats');

  if (choice.backend === 'external') {
    return externalNats({ url: choice.url, envVar: choice.envVar, name, timeoutMs: readyTimeoutMs });
  }

  if (choice.backend === 'container') {
    const server = await ContainerServer.start(
      {
        kind: 'nats',
        name,
        image: NATS_IMAGE,
        command: [...(jetstream ? ['-js'] : []), '-m', '8222', '--server_name', serverName, ...extraArgs],
        containerPorts: [4222, 8222],
        probe: (host, [client, monitor]) => natsReady(host, client!, `http://${host}:${monitor!}`),
        readyTimeoutMs,
      },
      options.importer,
    );
    const [port, monitorPort] = server.hostPorts;
    const host = server.clientHost;
    return buildHandle({ kind: 'nats', name, url: `nats://${host}:${port!}`, host, port: port! }, server, {
      monitorUrl: `http://${host}:${monitorPort!}`,
      jetstream,
    });
  }

  const server = await LocalServer.start({
    kind: 'nats',
    name,
    binary: NATS_SERVER_BINARY,
    portCount: 2,
    args: ([client, monitor], dir) => [
      '-a',
      LOOPBACK,
      '-p',
      String(client),
      '-m',
      String(monitor),
      '--server_name',
      serverName,
      ...(jetstream ? ['-js', '-sd', join(dir, 'jetstream')] : []),
      ...extraArgs,
    ],
    probe: ([client, monitor]) => natsReady(LOOPBACK, client!, `http://${LOOPBACK}:${monitor!}`),
    readyTimeoutMs,
  });
  const [port, monitorPort] = server.ports;
  return buildHandle(
    { kind: 'nats', name, url: `nats://${LOOPBACK}:${port!}`, host: LOOPBACK, port: port! },
    server,
    {
      monitorUrl: `http://${LOOPBACK}:${monitorPort!}`,
      jetstream,
    },
  );
}

/**
 * Ready = the client listener sends INFO (monitoring starts before it, so /healthz alone is not
 * enough) and /healthz says ok (it fails while JetStream is still recovering its store).
 */
async function natsReady(host: string, clientPort: number, monitorUrl: string): Promise<boolean> {
  await natsInfo(host, clientPort, 1000);
  return httpOk(`${monitorUrl}/healthz`, 1000);
}
