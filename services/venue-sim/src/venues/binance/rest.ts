/**
 * Binance spot REST market-data endpoints served by the simulator:
 * `GET /api/v3/ping`, `/api/v3/time`, `/api/v3/depth`, `/api/v3/exchangeInfo`.
 * Error bodies use the venue's `{"code":<negative>,"msg":..}` shape and codes from errors.md.
 * Request weights and rate limits are reported in exchangeInfo but not enforced.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Market } from '../../market/market';
import type { SymbolSpec } from '../../market/instrument';
import { sendJson } from '../../server/http-io';
import { bookJson } from './wire';

const DEPTH_DEFAULT = 100;
const DEPTH_MAX = 5000;

const ERR = {
  unknownPath: { code: -1, msg: 'Unknown endpoint.' },
  illegalLimit: {
    code: -1100,
    msg: "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.",
  },
  missingSymbol: {
    code: -1102,
    msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
  },
  badParam: { code: -1130, msg: 'Invalid data sent for a parameter.' },
  invalidSymbol: { code: -1121, msg: 'Invalid symbol.' },
  badCombination: { code: -1128, msg: 'Combination of optional parameters invalid.' },
} as const;

/** Returns false when the path is not under /api/v3/ (not this venue's). */
export function handleRest(req: IncomingMessage, res: ServerResponse, url: URL, market: Market): boolean {
  if (!url.pathname.startsWith('/api/v3/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { code: -1, msg: `Method ${req.method ?? ''} not supported by the simulator.` });
    return true;
  }
  switch (url.pathname) {
    case '/api/v3/ping':
      sendJson(res, 200, '{}');
      break;
    case '/api/v3/time':
      sendJson(res, 200, `{"serverTime":${Date.now()}}`);
      break;
    case '/api/v3/depth':
      depth(res, url, market);
      break;
    case '/api/v3/exchangeInfo':
      exchangeInfo(res, url, market);
      break;
    default:
      sendJson(res, 404, ERR.unknownPath);
  }
  return true;
}

/** Top `limit` levels per side at the model's current update id. */
function depth(res: ServerResponse, url: URL, market: Market): void {
  const symbol = url.searchParams.get('symbol');
  if (symbol === null || symbol === '') return sendJson(res, 400, ERR.missingSymbol);
  const model = market.model(symbol);
  if (model === undefined) return sendJson(res, 400, ERR.invalidSymbol);
  const limitText = url.searchParams.get('limit');
  let limit = DEPTH_DEFAULT;
  if (limitText !== null) {
    if (!/^[0-9]{1,20}$/.test(limitText)) return sendJson(res, 400, ERR.illegalLimit);
    limit = Number(limitText);
    if (limit < 1) return sendJson(res, 400, ERR.badParam);
    limit = Math.min(limit, DEPTH_MAX); // the venue truncates larger limits to 5000
  }
  sendJson(res, 200, bookJson(model.spec, model.updateId, model.bids, model.asks, limit));
}

function exchangeInfo(res: ServerResponse, url: URL, market: Market): void {
  const one = url.searchParams.get('symbol');
  const many = url.searchParams.get('symbols');
  let wanted: string[] | undefined;
  if (one !== null && many !== null) return sendJson(res, 400, ERR.badCombination);
  if (one !== null) wanted = [one];
  if (many !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(many);
    } catch {
      return sendJson(res, 400, ERR.badParam);
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      !parsed.every((s): s is string => typeof s === 'string')
    ) {
      return sendJson(res, 400, ERR.badParam);
    }
    wanted = parsed;
  }
  const specs: SymbolSpec[] = [];
  for (const s of wanted ?? market.symbols) {
    const model = market.model(s);
    if (model === undefined) return sendJson(res, 400, ERR.invalidSymbol);
    specs.push(model.spec);
  }
  sendJson(res, 200, {
    timezone: 'UTC',
    serverTime: Date.now(),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: specs.map(symbolInfo),
  });
}

function symbolInfo(s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: s.native,
    status: 'TRADING',
    baseAsset: s.base,
    baseAssetPrecision: s.sizeDecimals,
    quoteAsset: s.quote,
    quotePrecision: s.priceDecimals,
    quoteAssetPrecision: s.priceDecimals,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    icebergAllowed: false,
    ocoAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: s.tickSize,
        maxPrice: bigLimit('1000000', s.priceDecimals),
        tickSize: s.tickSize,
      },
      {
        filterType: 'LOT_SIZE',
        minQty: s.stepSize,
        maxQty: bigLimit('9000', s.sizeDecimals),
        stepSize: s.stepSize,
      },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
  };
}

/** "1000000" at 8 decimals → "1000000.00000000", as text (may exceed safe-integer units). */
function bigLimit(int: string, decimals: number): string {
  return decimals === 0 ? int : `${int}.${'0'.repeat(decimals)}`;
}
