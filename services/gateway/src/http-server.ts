/**
 * The client-facing node:http server and its routes:
 *   GET /      the dashboard to browsers (Accept: text/html), otherwise a small JSON index
 *   GET /<file> the dashboard's static files (static-files.ts; not /api/*)
 *   GET /ws    WebSocket upgrade (a plain GET gets 426)
 *   GET /sse   Server-Sent Events
 *   GET /api/instruments   the instruments the gateway knows (same list as the `list` op)
 * Anything else is 404/405 JSON. While `accepting()` is false (shutdown), new requests and
 * upgrades get 503 so a load balancer moves them to another replica.
 *
 * Admission (`admit`, docs/gateway-security.md) of /ws upgrades, /sse and /api/instruments, in
 * order: the connect rate per client IP (429 + Retry-After, code `rate_limited`) → the token from
 * `Authorization: Bearer` or `?token=` → its verification (401 + WWW-Authenticate, or 503 when the
 * key set is down) → the connect rate per key (`sub`) → without a token while auth is enabled: a
 * WebSocket upgrade goes ahead unauthenticated (it must send `{"op":"auth"}` first), SSE and
 * /api/instruments get 401 → auth off: the public principal. /api/instruments lists only the
 * instruments the token may see at least one channel of. `/` and the dashboard's static files are
 * neither rate-limited nor authenticated (no market data in them).
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthError, PUBLIC_PRINCIPAL, tokenFromRequest, type Authenticator, type Principal } from './auth';
import { retryAfterSeconds, RATE_LIMIT_HTTP_STATUS, type RateLimits } from './rate-limits';
import type { SseServer } from './sse-server';
import { dashboardFromEnv, type StaticFiles } from './static-files';
import type { WsServer } from './ws-server';

export interface Routes {
  ws: WsServer;
  sse: SseServer;
  index: () => object;
  /** GET /api/instruments body for the principal; absent = 404 */
  instruments?: (principal: Principal) => object;
  accepting: () => boolean;
  /** the protection layer; absent = public, unlimited */
  protect?: Protection;
}

export interface Protection {
  authn: Authenticator;
  /** connect limits (absent = none) */
  rate?: RateLimits | undefined;
}

type Admitted =
  | { ok: true; principal: Principal | undefined }
  | { ok: false; status: number; headers: Record<string, string>; body: object };

/**
 * Decides whether a request may open a connection (see the module comment). Never rejects.
 * `upgrade`: a WebSocket may come without a token when auth is enabled (principal undefined).
 */
export async function admit(
  p: Protection | undefined,
  req: IncomingMessage,
  url: URL,
  upgrade: boolean,
): Promise<Admitted> {
  if (p === undefined) return { ok: true, principal: PUBLIC_PRINCIPAL };
  const limited = (retryAfterMs: number, what: string): Admitted => ({
    ok: false,
    status: RATE_LIMIT_HTTP_STATUS,
    headers: { 'Retry-After': retryAfterSeconds(retryAfterMs) },
    body: { type: 'error', code: 'rate_limited', message: `too many connections ${what}`, retryAfterMs },
  });
  if (p.rate !== undefined) {
    const d = await p.rate.checkConnect(p.rate.clientIp(req));
    if (!d.ok) return limited(d.retryAfterMs, 'from this address');
  }
  if (!p.authn.enabled) {
    const pub = await p.authn.authenticate(undefined); // counts auth_total{result="public"}
    return { ok: true, principal: pub instanceof AuthError ? PUBLIC_PRINCIPAL : pub };
  }
  const t = tokenFromRequest(req.headers, url);
  if (t === undefined && upgrade) return { ok: true, principal: undefined };
  const r = await p.authn.authenticate(t?.token);
  if (r instanceof AuthError) {
    const headers: Record<string, string> = {};
    const www = r.wwwAuthenticate;
    if (www !== undefined) headers['WWW-Authenticate'] = www;
    if (r.code === 'unavailable') headers['Retry-After'] = '1';
    return {
      ok: false,
      status: r.httpStatus,
      headers,
      body: { type: 'error', code: r.code, message: r.message },
    };
  }
  if (p.rate !== undefined && r.sub !== undefined) {
    const d = await p.rate.checkKey(r.sub);
    if (!d.ok) return limited(d.retryAfterMs, 'for this key');
  }
  return { ok: true, principal: r };
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
    const url = new URL(req.url ?? '/', 'http://gateway'); // pathOf parsed it already
    void admit(routes.protect, req, url, true).then(
      (d) => {
        if (socket.destroyed) return;
        if (!routes.accepting()) rejectUpgrade(socket, 503);
        else if (!d.ok) rejectUpgrade(socket, d.status, d.headers, d.body);
        else routes.ws.handleUpgrade(req, socket, head, d.principal);
      },
      () => {
        if (!socket.destroyed) rejectUpgrade(socket, 500);
      },
    );
  });
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Runs `then` with the principal once `req` is admitted; otherwise answers the refusal. */
function admitted(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  then: (principal: Principal) => void,
): void {
  void admit(routes.protect, req, url, false).then(
    (d) => {
      if (res.destroyed || res.headersSent) return;
      if (!d.ok) {
        for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
        json(res, d.status, d.body);
        return;
      }
      try {
        then(d.principal ?? PUBLIC_PRINCIPAL);
      } catch (err) {
        if (!res.headersSent)
          json(res, 500, { type: 'error', code: 'internal', message: (err as Error).message });
        else res.destroy();
      }
    },
    () => {
      if (!res.headersSent) json(res, 500, { type: 'error', code: 'internal', message: 'admission failed' });
    },
  );
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
      admitted(routes, req, res, url, (principal) => routes.sse.handle(req, res, url, principal));
      return;
    case '/api/instruments': {
      const instruments = routes.instruments;
      if (instruments !== undefined)
        admitted(routes, req, res, url, (principal) => json(res, 200, instruments(principal)));
      else json(res, 404, { type: 'error', code: 'bad_request', message: `no route ${url.pathname}` });
      return;
    }
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

function rejectUpgrade(
  socket: Duplex,
  status: number,
  headers: Record<string, string> = {},
  body?: object,
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v.replace(/[\r\n]/g, ' ')}\r\n`;
  if (body !== undefined) head += 'Content-Type: application/json\r\n';
  socket.end(`${head}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}
