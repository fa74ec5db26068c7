/**
 * OKX v5 REST market data served by the simulator:
 *
 *   GET /api/v5/public/instruments?instType=SPOT|SWAP[&instId=]   every live instrument of the type
 *   GET /api/v5/market/books?instId=&sz=                         top `sz` levels (1..400, default 1) + seqId
 *   GET /api/v5/public/time
 *
 * Envelope `{"code":"0","msg":"","data":[..]}`; errors are HTTP 200 with a non-zero `code` (51000
 * parameter error, 51001 unknown instrument; the wording is the simulator's). The book's `seqId`
 * is the `books` channel's last seqId, so the post-2026 REST-snapshot procedure can join the
 * stream (the field is implied by the OKX changelog; UNVERIFIED on the venue).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Market } from '../../market/market';
import type { SymbolSpec } from '../../market/instrument';
import { sendJson } from '../../server/http-io';
import { envelope, restBook, type InstType } from './wire';

/** "Order book depth per side. Maximum 400, e.g. 400 bids + 400 asks" (market/books). */
export const REST_BOOK_MAX = 400;
const INST_TYPES = ['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'] as const;

export interface OkxRestContext {
  readonly market: Market;
  instTypeOf(instId: string): InstType | undefined;
  /** SWAP: contract value (base units per contract) */
  ctValOf(instId: string): string;
  /** the `books` channel's last seqId */
  seqIdOf(instId: string): number;
}

/** Returns false when the path is not an OKX REST path. */
export function handleOkxRest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: OkxRestContext,
): boolean {
  if (!url.pathname.startsWith('/api/v5/')) return false;
  const now = Date.now();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, envelope('[]', '50000', `method ${req.method ?? ''} not supported`));
    return true;
  }
  switch (url.pathname) {
    case '/api/v5/public/time':
      sendJson(res, 200, envelope(`[{"ts":"${now}"}]`));
      return true;
    case '/api/v5/public/instruments':
      instruments(res, url, ctx);
      return true;
    case '/api/v5/market/books':
      books(res, url, ctx, now);
      return true;
    default:
      sendJson(res, 404, envelope('[]', '50000', `unknown endpoint ${url.pathname}`));
      return true;
  }
}

function instruments(res: ServerResponse, url: URL, ctx: OkxRestContext): void {
  const instType = url.searchParams.get('instType');
  if (instType === null || !(INST_TYPES as readonly string[]).includes(instType)) {
    sendJson(res, 200, envelope('[]', '51000', 'Parameter instType error'));
    return;
  }
  const only = url.searchParams.get('instId');
  const data = ctx.market.symbols
    .filter((s) => ctx.instTypeOf(s) === instType && (only === null || s === only))
    .map((s) => {
      const spec = ctx.market.model(s)!.spec;
      return instType === 'SPOT' ? spotInstrument(spec) : swapInstrument(spec, ctx.ctValOf(s));
    });
  sendJson(res, 200, envelope(JSON.stringify(data)));
}

function books(res: ServerResponse, url: URL, ctx: OkxRestContext, now: number): void {
  const instId = url.searchParams.get('instId');
  const model = instId === null ? undefined : ctx.market.model(instId);
  if (instId === null || model === undefined) {
    sendJson(res, 200, envelope('[]', '51001', "Instrument ID doesn't exist."));
    return;
  }
  const szText = url.searchParams.get('sz');
  let sz = 1;
  if (szText !== null) {
    sz = /^[0-9]{1,4}$/.test(szText) ? Number(szText) : NaN;
    if (!(sz >= 1 && sz <= REST_BOOK_MAX)) {
      sendJson(res, 200, envelope('[]', '51000', `Parameter sz error: 1..${REST_BOOK_MAX}`));
      return;
    }
  }
  const body = restBook(model.spec, model.bids.levels(sz), model.asks.levels(sz), now, ctx.seqIdOf(instId));
  sendJson(res, 200, envelope(`[${body}]`));
}

function spotInstrument(s: SymbolSpec): Record<string, unknown> {
  return {
    instType: 'SPOT',
    instId: s.native,
    uly: '',
    instFamily: '',
    baseCcy: s.base,
    quoteCcy: s.quote,
    settleCcy: '',
    ctValCcy: '',
    ctVal: '',
    ctMult: '',
    ctType: '',
    optType: '',
    stk: '',
    listTime: '1611907686000',
    expTime: '',
    lever: '10',
    tickSz: s.tickSize,
    lotSz: s.stepSize,
    minSz: s.stepSize,
    state: 'live',
    ruleType: 'normal',
  };
}

function swapInstrument(s: SymbolSpec, ctVal: string): Record<string, unknown> {
  return {
    instType: 'SWAP',
    instId: s.native,
    uly: `${s.base}-${s.quote}`,
    instFamily: `${s.base}-${s.quote}`,
    baseCcy: '',
    quoteCcy: '',
    settleCcy: s.quote,
    ctValCcy: s.base,
    ctVal,
    ctMult: '1',
    ctType: 'linear',
    optType: '',
    stk: '',
    listTime: '1573557408000',
    expTime: '',
    lever: '100',
    tickSz: s.tickSize,
    lotSz: s.stepSize,
    minSz: s.stepSize,
    state: 'live',
    ruleType: 'normal',
  };
}
