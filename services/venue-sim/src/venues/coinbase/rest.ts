/**
 * Coinbase Advanced Trade public REST market data served by the simulator (all under
 * `/api/v3/brokerage/`, inside the `/api/v3/` prefix the Binance protocol claims: the Coinbase
 * venue must be offered requests first, see README.md):
 *
 *   GET /api/v3/brokerage/market/products[?product_type=&product_ids=..&limit=&offset=]
 *   GET /api/v3/brokerage/market/products/{product_id}
 *   GET /api/v3/brokerage/market/product_book?product_id=[&limit=]
 *   GET /api/v3/brokerage/time
 *
 * Errors are `{"error":"<CODE>","error_details":"..","message":".."}` with 400/404/405; the codes
 * follow the gRPC-style names Advanced Trade uses, the wording is the simulator's own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Market } from '../../market/market';
import type { SymbolSpec } from '../../market/instrument';
import type { SymbolModel } from '../../market/symbol-model';
import { sendJson } from '../../server/http-io';
import { pricebookJson, priceText, rfc3339, trimDecimal } from './wire';

export const REST_PREFIX = '/api/v3/brokerage/';
const PRODUCTS = '/api/v3/brokerage/market/products';
const PRODUCT_BOOK = '/api/v3/brokerage/market/product_book';

function fail(res: ServerResponse, status: number, error: string, message: string): void {
  sendJson(res, status, { error, error_details: message, message });
}

/** Returns false when the path is not under /api/v3/brokerage/ (not this venue's). */
export function handleCoinbaseRest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  market: Market,
): boolean {
  if (!url.pathname.startsWith(REST_PREFIX)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    fail(res, 405, 'METHOD_NOT_ALLOWED', `method ${req.method ?? ''} not supported by the simulator`);
    return true;
  }
  const path = url.pathname;
  if (path === PRODUCTS) products(res, url, market);
  else if (path.startsWith(`${PRODUCTS}/`)) product(res, decoded(path.slice(PRODUCTS.length + 1)), market);
  else if (path === PRODUCT_BOOK) productBook(res, url, market);
  else if (path === '/api/v3/brokerage/time') {
    const ms = Date.now();
    sendJson(res, 200, {
      iso: new Date(ms).toISOString(),
      epochSeconds: String(Math.floor(ms / 1000)),
      epochMillis: String(ms),
    });
  } else fail(res, 404, 'NOT_FOUND', `unknown endpoint ${path.slice(0, 100)}`);
  return true;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function intParam(url: URL, name: string): number | undefined | null {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  return /^[0-9]{1,9}$/.test(v) ? Number(v) : null;
}

function products(res: ServerResponse, url: URL, market: Market): void {
  const type = url.searchParams.get('product_type');
  const ids = url.searchParams.getAll('product_ids');
  const limit = intParam(url, 'limit');
  const offset = intParam(url, 'offset');
  if (limit === null || offset === null)
    return fail(res, 400, 'INVALID_ARGUMENT', 'limit and offset must be integers');
  let specs = market.symbols.map((s) => market.model(s)!);
  // every simulated product is SPOT: other product types list nothing
  if (type !== null && type.toUpperCase() !== 'SPOT') specs = [];
  if (ids.length > 0) specs = specs.filter((m) => ids.includes(m.spec.native));
  const from = offset ?? 0;
  const page = specs.slice(from, limit === undefined || limit === 0 ? undefined : from + limit);
  const body = `{"products":[${page.map(productJson).join(',')}],"num_products":${page.length}}`;
  sendJson(res, 200, body);
}

function product(res: ServerResponse, id: string, market: Market): void {
  const model = market.model(id);
  if (model === undefined)
    return fail(res, 404, 'NOT_FOUND', `ProductID ${id.slice(0, 40)} could not be found`);
  sendJson(res, 200, productJson(model));
}

function productBook(res: ServerResponse, url: URL, market: Market): void {
  const id = url.searchParams.get('product_id');
  if (id === null || id === '') return fail(res, 400, 'INVALID_ARGUMENT', 'product_id is required');
  const model = market.model(id);
  if (model === undefined)
    return fail(res, 404, 'NOT_FOUND', `ProductID ${id.slice(0, 40)} could not be found`);
  const limit = intParam(url, 'limit');
  if (limit === null) return fail(res, 400, 'INVALID_ARGUMENT', 'limit must be an integer');
  const n = limit === undefined || limit === 0 ? Infinity : limit;
  sendJson(res, 200, `{"pricebook":${pricebook(model, n)}}`);
}

/** The model's book (`n` levels per side) as a `pricebook` object at the current time. */
export function pricebook(model: SymbolModel, n = Infinity): string {
  return pricebookJson(model.spec, model.bids.levels(n), model.asks.levels(n), rfc3339(Date.now() * 1000));
}

/** A product in the List Public Products shape (fields the tickmesh adapter reads, plus the usual others). */
export function productJson(model: SymbolModel): string {
  const s: SymbolSpec = model.spec;
  const best = model.bids.best();
  const tick = trimDecimal(s.tickSize);
  const step = trimDecimal(s.stepSize);
  return JSON.stringify({
    product_id: s.native,
    price: best === undefined ? '' : priceText(s, best),
    price_percentage_change_24h: '0',
    volume_24h: '0',
    volume_percentage_change_24h: '0',
    base_increment: step,
    quote_increment: tick,
    quote_min_size: '1',
    quote_max_size: '10000000',
    base_min_size: step,
    base_max_size: '100000',
    base_name: s.base,
    quote_name: s.quote,
    watched: false,
    is_disabled: false,
    new: false,
    status: 'online',
    cancel_only: false,
    limit_only: false,
    post_only: false,
    trading_disabled: false,
    auction_mode: false,
    product_type: 'SPOT',
    quote_currency_id: s.quote,
    base_currency_id: s.base,
    fcm_trading_session_details: null,
    mid_market_price: '',
    alias: '',
    alias_to: [],
    base_display_symbol: s.base,
    quote_display_symbol: s.quote,
    view_only: false,
    price_increment: tick,
    display_name: s.native,
    product_venue: 'CBE',
  });
}
