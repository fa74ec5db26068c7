import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it for a listener on port 0).
 * Another process can still take it before you bind it; the server starters handle that by
 * retrying on EADDRINUSE with fresh ports.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct free ports. All listeners are held open until every port is known, so the OS
 * cannot hand the same port out twice within one call.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      ports.push(await listen(server, 0));
    }
    return ports;
  } finally {
    await Promise.all(servers.map(close));
  }
}

/**
 * Whether a listener could bind `port` on 127.0.0.1 right now. Node (libuv) sets SO_REUSEADDR like
 * nats-server and redis-server do, so a port held only by TIME_WAIT sockets reports free.
 */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
    return true;
  } catch {
    return false;
  } finally {
    await close(server);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`unexpected listener address ${String(address)}`));
        return;
      }
      resolve(address.port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
