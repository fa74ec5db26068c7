/**
 * One node:http server per simulator: `/sim/...` goes to the control API, everything else is
 * offered to the venue protocols in order (REST requests and WebSocket upgrades alike).
 *
 * Robustness contract: no client input can crash the process. Malformed URLs and handler errors
 * become 400/500 answers (logged), HTTP parse errors close the socket with 400, unknown upgrade
 * paths get 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ControlApi } from '../control/control-api';
import type { Logger } from '../log';
import type { VenueProtocol } from '../venues/venue';
import { rejectUpgrade, sendJson } from './http-io';

export function createSimServer(control: ControlApi, venues: readonly VenueProtocol[], log: Logger): Server {
  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url);
    if (url === undefined) return sendJson(res, 400, { error: 'malformed request URL' });
    if (url.pathname.startsWith('/sim/')) return control.handle(req, res, url);
    for (const venue of venues) if (venue.handleRequest(req, res, url)) return;
    sendJson(res, 404, { error: `no such endpoint: ${url.pathname}` });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err: err.message }, 'upgrade socket error'));
    try {
      const url = parseUrl(req.url);
      if (url === undefined) return rejectUpgrade(socket, 400, 'malformed request URL');
      for (const venue of venues) if (venue.handleUpgrade(req, socket, head, url)) return;
      rejectUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    } catch (err) {
      log.error({ err, url: req.url }, 'upgrade handler failed');
      socket.destroy();
    }
  });

  server.on('clientError', (err, socket) => {
    log.debug({ err: err.message }, 'http client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  return server;
}

function parseUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://sim.invalid');
  } catch {
    return undefined;
  }
}
