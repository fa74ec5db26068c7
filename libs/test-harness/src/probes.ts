import { request } from 'node:http';
import { connect } from 'node:net';

/**
 * Readiness probes that speak just enough protocol to prove a server is serving, with no client
 * library involved: a harness that needs the bus client to start the bus would test nothing.
 */

export interface HttpTarget {
  readonly url: string;
  /** Unix socket to send the request over (Docker's /var/run/docker.sock). */
  readonly socketPath?: string;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/**
 * One GET with its own connection (`agent: false`): no keep-alive socket outlives the probe and
 * holds a test process open.
 */
export function httpGet(target: HttpTarget | string, timeoutMs = 2000): Promise<HttpResult> {
  const { url, socketPath } = typeof target === 'string' ? { url: target, socketPath: undefined } : target;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, socketPath, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A GET that answered 2xx. Network errors count as "no". */
export async function httpOk(target: HttpTarget | string, timeoutMs = 2000): Promise<boolean> {
  try {
    const { status } = await httpGet(target, timeoutMs);
    return status >= 200 && status < 300;
  } catch {
    return false;
  }
}

/** The fields of a NATS `INFO` line the harness looks at; the server sends many more. */
export interface NatsServerInfo {
  readonly server_id: string;
  readonly server_name?: string;
  readonly version: string;
  readonly port: number;
  readonly jetstream?: boolean;
  readonly max_payload: number;
  readonly [field: string]: unknown;
}

/**
 * Connects to a NATS client port and returns the parsed `INFO {...}` line every server sends
 * first. Receiving it proves the client listener accepts connections.
 */
export function natsInfo(host: string, port: number, timeoutMs = 2000): Promise<NatsServerInfo> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = '';
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`no INFO from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\r\n');
      if (end === -1) {
        if (buffered.length > 64 * 1024) fail(new Error('INFO line longer than 64 KiB'));
        return;
      }
      const line = buffered.slice(0, end);
      socket.destroy();
      if (!line.startsWith('INFO ')) {
        reject(new Error(`expected INFO from ${host}:${port}, got ${JSON.stringify(line.slice(0, 80))}`));
        return;
      }
      try {
        resolve(JSON.parse(line.slice(5)) as NatsServerInfo);
      } catch (err) {
        reject(new Error(`malformed INFO from ${host}:${port}`, { cause: err }));
      }
    });
    socket.on('end', () => fail(new Error(`${host}:${port} closed the connection before INFO`)));
  });
}

/** Whether a TCP connection to host:port succeeds (any listener at all). */
export function tcpConnectable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
