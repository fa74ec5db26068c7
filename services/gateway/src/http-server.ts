/**
 * The client-facing node:http server and its routes:
 *   GET /      the dashboard to browsers (Accept: text/html), otherwise a small JSON index
 *   GET /<file> the dashboard's static files (static-files.ts; not /api/*)
 *   GET /ws    WebSocket upgrade (a plain GET gets 426)
 *   GET /sse   Server-Sent Events
 *   GET /api/instruments   the instruments the gateway knows (same list as the `list` op)
 * Anything else is 404/405 JSON. While `accepting()` is false (shutdown), new requests and
 * upgrades get 503 so a load balancer moves them to another replica.
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { SseServer } from './sse-server';
import { dashboardFromEnv, type StaticFiles } from './static-files';
import type { WsServer } from './ws-server';

export interface Routes {
  ws: WsServer;
  sse: SseServer;
  index: () => object;
  /** GET /api/instruments body; absent = 404 */
  instruments?: () => object;
  accepting: () => boolean;
}

export function createClientServer(routes: Routes): Server {
  const dashboard = dashboardFromEnv();
  const server = createServer((req, res) => {
    try {
      route(routes, req, res, dashboard);
    } catch (err) {
      if (!res.headersSent)
        json(res, 500, { type: 'error', code: 'internal', message: (err as Error).message });
      else res.destroy();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = pathOf(req);
    if (path !== '/ws') {
      rejectUpgrade(socket, 404);
      return;
    }
    if (!routes.accepting()) {
      rejectUpgrade(socket, 503);
      return;
    }
    routes.ws.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function route(routes: Routes, req: IncomingMessage, res: ServerResponse, dashboard?: StaticFiles): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://gateway');
  } catch {
    json(res, 400, { type: 'error', code: 'bad_request', message: 'malformed request target' });
    return;
  }
  if (req.method !== 'GET' && !(req.method === 'HEAD' && url.pathname === '/')) {
    res.setHeader('Allow', 'GET');
    json(res, 405, { type: 'error', code: 'bad_request', message: 'only GET is served' });
    return;
  }
  if (!routes.accepting()) {
    json(res, 503, { type: 'error', code: 'unavailable', message: 'shutting down' });
    return;
  }
  switch (url.pathname) {
    case '/':
      if (dashboard?.serve(req, res, url.pathname)) return; // browsers get the dashboard
      json(res, 200, routes.index());
      return;
    case '/ws':
      res.setHeader('Upgrade', 'websocket');
      json(res, 426, { type: 'error', code: 'bad_request', message: 'GET /ws requires a WebSocket upgrade' });
      return;
    case '/sse':
      routes.sse.handle(req, res, url);
      return;
    case '/api/instruments':
      if (routes.instruments !== undefined) json(res, 200, routes.instruments());
      else json(res, 404, { type: 'error', code: 'bad_request', message: `no route ${url.pathname}` });
      return;
    default:
      if (!url.pathname.startsWith('/api/') && dashboard?.serve(req, res, url.pathname)) return;
      json(res, 404, { type: 'error', code: 'bad_request', message: `no route ${url.pathname}` });
  }
}

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://gateway').pathname;
  } catch {
    return '';
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  res.end(JSON.stringify(body));
}

function rejectUpgrade(socket: Duplex, status: number): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}
