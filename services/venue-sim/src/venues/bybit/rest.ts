/**
 * Bybit v5 REST market data served by the simulator (one category per venue instance):
 *
 *   GET /v5/market/instruments-info?category=<c>[&symbol=]   every symbol, `Trading`, one page
 *   GET /v5/market/orderbook?category=<c>&symbol=&limit=     top `limit` levels per side
 *   GET /v5/market/time
 *
 * Like the venue, errors are HTTP 200 with a non-zero `retCode` (10001, "params error"; the exact
 * wording is the simulator's own). The orderbook's `u` is the `u` of the symbol's 1000-level topic
 * ("corresponds to u in the 1000-level WebSocket orderbook stream", market/orderbook.mdx), and
 * `seq` is the model's update id (the cross sequence of every topic of the symbol).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Market } from '../../market/market';
import type { SymbolSpec } from '../../market/instrument';
import { sendJson } from '../../server/http-io';
import { envelope, restBookResult, type Category } from './wire';

export const CATEGORIES = ['spot', 'linear', 'inverse', 'option', 'spread'] as const;
const LIMIT_DEFAULT: Record<Category, number> = { spot: 1, linear: 25 };
const LIMIT_MAX = 1000;

export interface BybitRestContext {
  readonly category: Category;
  readonly market: Market;
  /** the `u` of the symbol's 1000-level topic (tracked from the first request on) */
  restU(symbol: string): number;
  /** answer `/v5/market/` requests whose category no venue instance serves */
  readonly answersUnknownCategories: boolean;
}

/** Returns false when the request is not for this instance (other path or other category). */
export function handleBybitRest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: BybitRestContext,
): boolean {
  if (!url.pathname.startsWith('/v5/market/')) return false;
  const category = url.searchParams.get('category');
  const now = Date.now();
  if (url.pathname !== '/v5/market/time' && category !== ctx.category) {
    if (!ctx.answersUnknownCategories) return false;
    if (category !== null && (CATEGORIES as readonly string[]).includes(category)) return false;
    sendJson(
      res,
      200,
      envelope('{}', now, 10001, `params error: illegal category ${JSON.stringify(category)}`),
    );
    return true;
  }
  if (url.pathname === '/v5/market/time' && !ctx.answersUnknownCategories) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, envelope('{}', now, 10001, `method ${req.method ?? ''} not supported`));
    return true;
  }
  switch (url.pathname) {
    case '/v5/market/time': {
      const ns = `${BigInt(now) * 1_000_000n}`;
      sendJson(res, 200, envelope(`{"timeSecond":"${Math.floor(now / 1000)}","timeNano":"${ns}"}`, now));
      return true;
    }
    case '/v5/market/instruments-info':
      instruments(res, url, ctx, now);
      return true;
    case '/v5/market/orderbook':
      orderbook(res, url, ctx, now);
      return true;
    default:
      sendJson(res, 404, envelope('{}', now, 10001, `unknown endpoint ${url.pathname}`));
      return true;
  }
}

function instruments(res: ServerResponse, url: URL, ctx: BybitRestContext, now: number): void {
  const only = url.searchParams.get('symbol');
  const specs = ctx.market.symbols
    .filter((s) => only === null || s === only)
    .map((s) => ctx.market.model(s)!.spec);
  const list = specs.map((s) => (ctx.category === 'spot' ? spotInstrument(s) : linearInstrument(s)));
  const result =
    ctx.category === 'spot'
      ? { category: 'spot', list }
      : { category: ctx.category, list, nextPageCursor: '' };
  sendJson(res, 200, envelope(JSON.stringify(result), now));
}

function orderbook(res: ServerResponse, url: URL, ctx: BybitRestContext, now: number): void {
  const symbol = url.searchParams.get('symbol');
  const model = symbol === null ? undefined : ctx.market.model(symbol);
  if (symbol === null || model === undefined) {
    sendJson(res, 200, envelope('{}', now, 10001, 'params error: symbol invalid'));
    return;
  }
  const limitText = url.searchParams.get('limit');
  let limit = LIMIT_DEFAULT[ctx.category];
  if (limitText !== null) {
    limit = /^[0-9]{1,7}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= LIMIT_MAX)) {
      sendJson(res, 200, envelope('{}', now, 10001, `params error: limit must be 1..${LIMIT_MAX}`));
      return;
    }
  }
  const u = ctx.restU(symbol);
  const body = restBookResult(
    model.spec,
    model.bids.levels(limit),
    model.asks.levels(limit),
    u,
    model.updateId,
    now,
  );
  sendJson(res, 200, envelope(body, now));
}

function spotInstrument(s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: s.native,
    baseCoin: s.base,
    quoteCoin: s.quote,
    innovation: '0',
    status: 'Trading',
    marginTrading: 'none',
    stTag: '0',
    lotSizeFilter: {
      basePrecision: s.stepSize,
      quotePrecision: s.tickSize,
      minOrderQty: s.stepSize,
      maxOrderQty: '100000',
      minOrderAmt: '1',
      maxOrderAmt: '10000000',
    },
    priceFilter: { tickSize: s.tickSize },
    symbolType: '',
  };
}

function linearInstrument(s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: s.native,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: s.base,
    quoteCoin: s.quote,
    launchTime: '0',
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(s.priceDecimals),
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: s.tickSize, maxPrice: '1999999.00', tickSize: s.tickSize },
    lotSizeFilter: {
      maxOrderQty: '100000',
      minOrderQty: s.stepSize,
      qtyStep: s.stepSize,
      postOnlyMaxOrderQty: '100000',
      maxMktOrderQty: '100000',
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: s.quote,
    copyTrading: 'none',
    isPreListing: false,
    preListingInfo: null,
    symbolType: '',
  };
}
