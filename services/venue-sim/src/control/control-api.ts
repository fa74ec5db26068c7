/**
 * The simulator's own HTTP API under /sim/ (never part of a real venue):
 *
 *   GET  /sim/health                      200 {"status":"ok",...}
 *   GET  /sim/stats                       counters per venue and symbol
 *   GET  /sim/<venue>/book?symbol=SYM     ground truth: the model's full book, venue REST shape
 *   POST /sim/faults                      inject a fault (see faults.ts)
 *
 * Ground truth is the venue's true book as of the last *generated* update id: events suppressed by
 * a gap fault are still applied to the model, so after a gap a client's book can only match it by
 * re-snapshotting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log';
import { BodyTooLargeError, readBody, sendJson } from '../server/http-io';
import type { VenueProtocol } from '../venues/venue';
import { parseFault, type Fault } from './faults';

export class ControlApi {
  private readonly startedAt = Date.now();

  constructor(
    private readonly venues: ReadonlyMap<string, VenueProtocol>,
    private readonly log: Logger,
  ) {}

  /** Handles any path under /sim/. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/sim/faults') {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
      return this.faults(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET');
    if (path === '/sim/health') return sendJson(res, 200, this.health());
    if (path === '/sim/stats') return sendJson(res, 200, this.stats());
    const m = /^\/sim\/([a-z0-9]+)\/book$/.exec(path);
    if (m !== null) return this.book(res, m[1]!, url.searchParams.get('symbol'));
    sendJson(res, 404, { error: `no such endpoint: ${req.method ?? ''} ${path}` });
  }

  private health(): unknown {
    return {
      status: 'ok',
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
      venues: Object.fromEntries(
        [...this.venues].map(([name, v]) => [
          name,
          { generator: v.market.running ? 'running' : 'stopped', symbols: v.market.symbols },
        ]),
      ),
    };
  }

  private stats(): unknown {
    const venues: Record<string, unknown> = {};
    for (const [name, v] of this.venues) {
      const vs = v.stats();
      const symbols: Record<string, unknown> = {};
      for (const symbol of v.market.symbols) {
        const model = v.market.model(symbol)!;
        symbols[symbol] = {
          ...v.market.counts(symbol),
          ...vs.symbols[symbol],
          lastUpdateId: model.updateId,
          bidLevels: model.bids.length,
          askLevels: model.asks.length,
          paused: v.market.isPaused(symbol),
        };
      }
      venues[name] = { connections: vs.connections, generatorRunning: v.market.running, symbols };
    }
    return { uptimeSec: Math.round((Date.now() - this.startedAt) / 1000), venues };
  }

  private book(res: ServerResponse, venueName: string, symbol: string | null): void {
    const venue = this.venues.get(venueName);
    if (venue === undefined) return sendJson(res, 404, { error: `unknown venue "${venueName}"` });
    if (symbol === null || symbol === '')
      return sendJson(res, 400, { error: 'query parameter "symbol" is required' });
    const book = venue.groundTruth(symbol);
    if (book === undefined)
      return sendJson(res, 400, { error: `unknown symbol "${symbol}" for venue ${venueName}` });
    sendJson(res, 200, book);
  }

  private async faults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string;
    try {
      text = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return sendJson(res, 413, { error: e.message });
      throw e;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return sendJson(res, 400, { error: `body is not valid JSON: ${(e as Error).message}` });
    }
    const parsed = parseFault(body, (name) => this.venues.get(name)?.market.symbols);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
    if (
      parsed.fault.kind === 'corrupt-checksum' &&
      this.venues.get(parsed.fault.venue)!.corruptChecksums === undefined
    )
      return sendJson(res, 400, { error: `venue ${parsed.fault.venue} sends no book checksum` });
    const result = this.apply(parsed.fault);
    this.log.info({ fault: parsed.fault, result }, 'fault injected');
    sendJson(res, 200, { scheduled: result });
  }

  private apply(f: Fault): Record<string, unknown> {
    const venue = this.venues.get(f.venue)!;
    switch (f.kind) {
      case 'gap': {
        const pending = venue.dropBookEvents(f.symbol, f.count);
        const afterUpdateId = venue.market.model(f.symbol)!.updateId;
        return { ...f, pending, afterUpdateId };
      }
      case 'corrupt-checksum':
        return { ...f, pending: venue.corruptChecksums!(f.symbol, f.count) };
      case 'disconnect':
        return { ...f, closed: venue.disconnectAll(f.code, 'simulated disconnect') };
      case 'pause':
        return { ...f, symbols: venue.market.pause(f.symbol) };
      case 'resume':
        return { ...f, symbols: venue.market.resume(f.symbol) };
      case 'duplicate':
        return { ...f, pending: venue.duplicateBookMessages(f.symbol, f.count) };
      case 'reorder':
        return { ...f, pending: venue.reorderBookMessages(f.symbol) };
      case 'stall':
        return { ...f, stalled: venue.stall(f.ms) };
      case 'rest-429':
        return { ...f, pending: venue.rest429(f.count, f.retryAfterSec) };
      case 'shutdown':
        return { ...f, closed: venue.shutdown() };
    }
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendJson(res, 405, { error: `method not allowed; use ${allow}` });
}
