/**
 * Test fixtures (imported by the CLI tests only): hand-written Binance recordings and helpers to
 * replay them in memory.
 */
import { Replayer } from './replayer';

export type Lvl = [string, string][];
export const INFO = JSON.stringify({
  symbols: [
    { symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT' },
    { symbol: 'ETHUSDT', status: 'TRADING', baseAsset: 'ETH', quoteAsset: 'USDT' },
  ],
});
export const SNAP_PATH = '/api/v3/depth?symbol=BTCUSDT&limit=1000';
export const depth = (U: number, u: number, b: Lvl, a: Lvl = []): string =>
  JSON.stringify({
    stream: 'btcusdt@depth@100ms',
    data: { e: 'depthUpdate', E: u, s: 'BTCUSDT', U, u, b, a },
  });
export const trade = (t: number): string =>
  JSON.stringify({
    stream: 'btcusdt@trade',
    data: { e: 'trade', E: t, s: 'BTCUSDT', t, p: '100.5', q: '0.25', T: t, m: true },
  });
export const snap = (lastUpdateId: number, bids: Lvl, asks: Lvl): string =>
  JSON.stringify({ lastUpdateId, bids, asks });

let recv = 1_767_225_600_000;
/** the next `at` line gets `ms + 1.25` */
export function resetRecv(ms: number): void {
  recv = ms;
}
export const at = (o: Record<string, unknown>): string => JSON.stringify({ recv: (recv += 1.25), ...o });

/** live at 103, a trade, a delta, a gap (105 missing), resync from a second snapshot at 108. */
export function gapRecording(): string[] {
  recv = 1_767_225_600_000;
  return [
    at({ recording: { version: 1, venue: 'binance', symbols: ['BTCUSDT'] } }),
    at({ rest: '/api/v3/exchangeInfo', raw: INFO }),
    at({ open: 'binance-0', symbols: ['BTCUSDT'] }),
    at({ raw: depth(101, 102, [['99.0', '3']]) }),
    at({ raw: depth(103, 103, [['100.0', '2']]) }),
    at({
      rest: SNAP_PATH,
      raw: snap(
        102,
        [
          ['100.0', '1'],
          ['99.0', '3'],
        ],
        [['101.0', '1']],
      ),
    }),
    at({ raw: trade(7) }),
    at({
      raw: depth(
        104,
        104,
        [],
        [
          ['101.0', '0.00000000'],
          ['102.0', '4'],
        ],
      ),
    }),
    at({ raw: depth(106, 107, [['100.5', '1']]) }),
    at({ raw: depth(108, 108, [['99.0', '0.00000000']]) }),
    at({ raw: depth(109, 110, [], [['103.0', '5']]) }),
    at({
      rest: SNAP_PATH,
      raw: snap(
        108,
        [
          ['100.5', '1'],
          ['100.0', '2'],
          ['98.0', '1'],
        ],
        [['102.0', '4']],
      ),
    }),
    at({ raw: depth(111, 111, [['97.0', '1']]) }),
  ];
}

// ---- Coinbase: one `sequence_num` counter per connection, book snapshots on the stream ----------

export const CB_PRODUCTS_PATH = '/api/v3/brokerage/market/products?product_type=SPOT';
/** products response listing these `BASE-USD` products */
export const cbProducts = (natives: readonly string[]): string =>
  JSON.stringify({
    products: natives.map((n) => ({
      product_id: n,
      base_currency_id: n.split('-')[0],
      quote_currency_id: 'USD',
      product_type: 'SPOT',
      status: 'online',
    })),
  });
/** an `l2_data` frame with one bid (a snapshot also has an offer at 1000) */
export const cbBook = (seq: number, product: string, type: 'snapshot' | 'update', bid: string): string =>
  JSON.stringify({
    channel: 'l2_data',
    client_id: '',
    timestamp: '2026-01-01T00:00:00Z',
    sequence_num: seq,
    events: [
      {
        type,
        product_id: product,
        updates: [
          { side: 'bid', event_time: '2026-01-01T00:00:00Z', price_level: bid, new_quantity: '1' },
          ...(type === 'snapshot'
            ? [{ side: 'offer', event_time: '2026-01-01T00:00:00Z', price_level: '1000', new_quantity: '1' }]
            : []),
        ],
      },
    ],
  });

export function replay(lines: string[], depthN?: number, venue = 'binance'): string[] {
  const out: string[] = [];
  const r = new Replayer({ venue, ...(depthN !== undefined ? { depth: depthN } : {}) }, (l) => out.push(l));
  for (const l of lines) r.line(l);
  r.finish();
  return out;
}

export const parsed = (out: string[]): Record<string, unknown>[] =>
  out.map((l) => JSON.parse(l) as Record<string, unknown>);
export const events = (out: string[], name: string): Record<string, unknown>[] =>
  parsed(out).filter((o) => o['event'] === name);

export function collector(): { chunks: string[]; write(c: string): boolean; once(): void; text(): string } {
  const chunks: string[] = [];
  return { chunks, write: (c) => (chunks.push(c), true), once: () => undefined, text: () => chunks.join('') };
}
