/**
 * Kraken Spot REST public market data served by the simulator (REST "Get Tradable Asset Pairs",
 * "Get Order Book", "Get Server Time"):
 *
 *   GET /0/public/AssetPairs[?pair=a,b]   every pair (or the named ones: key, altname, wsname or v2 symbol)
 *   GET /0/public/Depth?pair=&count=      top `count` levels per side (1..500, default 100)
 *   GET /0/public/Time
 *
 * Like the venue, the body is `{"error":[],"result":{...}}`; errors are `{"error":["EQuery:Unknown
 * asset pair"]}` (HTTP 200; the exact wording of the others is the simulator's own). Pair names
 * follow Kraken: the REST key/altname and the `wsname` use the v1 asset codes (`XBTUSDT`,
 * `XBT/USDT`); the WebSocket v2 symbol is `BTC/USDT`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SymbolSpec } from '../../market/instrument';
import type { Market } from '../../market/market';
import { sendJson } from '../../server/http-io';
import { priceText, qtyText, type TickLevel } from './wire';

export const DEPTH_COUNT_DEFAULT = 100;
export const DEPTH_COUNT_MAX = 500;

/** WS v2 asset code → the v1/REST code (the reverse of the adapter's XBT→BTC, XDG→DOGE). */
const V1_CODES: Readonly<Record<string, string>> = { BTC: 'XBT', DOGE: 'XDG' };
/** REST asset ids of a few assets (cosmetic: the `base`/`quote` fields of AssetPairs). */
const ASSET_IDS: Readonly<Record<string, string>> = {
  BTC: 'XXBT',
  ETH: 'XETH',
  DOGE: 'XXDG',
  USD: 'ZUSD',
  EUR: 'ZEUR',
  GBP: 'ZGBP',
};

export interface PairNames {
  /** WS v2 symbol, `BTC/USDT` (the market's symbol) */
  native: string;
  /** REST pair key and altname, `XBTUSDT` */
  key: string;
  /** v1 WebSocket name, `XBT/USDT` */
  wsname: string;
}

export function pairNames(spec: SymbolSpec): PairNames {
  const b = V1_CODES[spec.base] ?? spec.base;
  const q = V1_CODES[spec.quote] ?? spec.quote;
  return { native: spec.native, key: `${b}${q}`, wsname: `${b}/${q}` };
}

export interface KrakenRestContext {
  readonly market: Market;
  /** pair name (key, altname, wsname, v2 symbol or the simulator's configured symbol) → market symbol */
  resolve(name: string): string | undefined;
}

/** Returns false when the request is not for Kraken's REST API. */
export function handleKrakenRest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: KrakenRestContext,
): boolean {
  if (!url.pathname.startsWith('/0/public/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: [`EGeneral:Invalid arguments:method ${req.method ?? ''} not allowed`] });
    return true;
  }
  switch (url.pathname) {
    case '/0/public/Time': {
      const now = new Date();
      sendJson(res, 200, {
        error: [],
        result: { unixtime: Math.floor(now.getTime() / 1000), rfc1123: now.toUTCString() },
      });
      return true;
    }
    case '/0/public/AssetPairs':
      assetPairs(res, url, ctx);
      return true;
    case '/0/public/Depth':
      depth(res, url, ctx);
      return true;
    default:
      sendJson(res, 404, { error: ['EGeneral:Unknown method'] });
      return true;
  }
}

function assetPairs(res: ServerResponse, url: URL, ctx: KrakenRestContext): void {
  const filter = url.searchParams.get('pair');
  let symbols = ctx.market.symbols;
  if (filter !== null && filter !== '') {
    const wanted: string[] = [];
    for (const name of filter.split(',')) {
      const s = ctx.resolve(name.trim());
      if (s === undefined) return sendJson(res, 200, { error: ['EQuery:Unknown asset pair'] });
      wanted.push(s);
    }
    symbols = symbols.filter((s) => wanted.includes(s));
  }
  const result: Record<string, unknown> = {};
  for (const symbol of symbols) {
    const spec = ctx.market.model(symbol)!.spec;
    const names = pairNames(spec);
    result[names.key] = {
      altname: names.key,
      wsname: names.wsname,
      aclass_base: 'currency',
      base: ASSET_IDS[spec.base] ?? spec.base,
      aclass_quote: 'currency',
      quote: ASSET_IDS[spec.quote] ?? spec.quote,
      lot: 'unit',
      cost_decimals: spec.priceDecimals,
      pair_decimals: spec.priceDecimals,
      lot_decimals: spec.sizeDecimals,
      lot_multiplier: 1,
      fee_volume_currency: 'ZUSD',
      ordermin: spec.stepSize,
      costmin: '0.5',
      tick_size: spec.tickSize,
      status: 'online',
    };
  }
  sendJson(res, 200, { error: [], result });
}

function depth(res: ServerResponse, url: URL, ctx: KrakenRestContext): void {
  const name = url.searchParams.get('pair');
  const symbol = name === null ? undefined : ctx.resolve(name);
  if (symbol === undefined) return sendJson(res, 200, { error: ['EQuery:Unknown asset pair'] });
  const countText = url.searchParams.get('count');
  let count = DEPTH_COUNT_DEFAULT;
  if (countText !== null) {
    count = /^[0-9]{1,4}$/.test(countText) ? Number(countText) : NaN;
    if (!(count >= 1 && count <= DEPTH_COUNT_MAX))
      return sendJson(res, 200, {
        error: [`EGeneral:Invalid arguments:count must be 1..${DEPTH_COUNT_MAX}`],
      });
  }
  const model = ctx.market.model(symbol)!;
  sendJson(res, 200, depthBody(model.spec, model.bids.levels(count), model.asks.levels(count)));
}

/** `{"error":[],"result":{"<key>":{"asks":[["price","volume",ts],...],"bids":[...]}}}` */
export function depthBody(
  spec: SymbolSpec,
  bids: readonly TickLevel[],
  asks: readonly TickLevel[],
  nowSec = Math.floor(Date.now() / 1000),
): string {
  const side = (levels: readonly TickLevel[]): string =>
    `[${levels.map(([t, l]) => `["${priceText(spec, t)}","${qtyText(spec, l)}",${nowSec}]`).join(',')}]`;
  return `{"error":[],"result":{"${pairNames(spec).key}":{"asks":${side(asks)},"bids":${side(bids)}}}}`;
}
