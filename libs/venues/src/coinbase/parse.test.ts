import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VenueParseError } from '../core/adapter';
import {
  parseFrame,
  parseInstruments,
  parseSnapshot,
  productIdsInText,
  rfc3339ToMicros,
  rfc3339ToMicrosStrict,
} from './parse';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/coinbase/${name}`, import.meta.url), 'utf8')) as T;

const samples = fixture<{ samples: { name: string; message: unknown }[] }>('format-samples.json').samples;
const sample = (prefix: string): string => {
  const s = samples.find((x) => x.name.startsWith(prefix));
  if (s === undefined) throw new Error(`no sample ${prefix}`);
  return JSON.stringify(s.message);
};

test('rfc3339ToMicros: exact µs from ns, µs and second texts, offsets; rejects non-RFC 3339', () => {
  assert.equal(rfc3339ToMicros('2023-02-09T20:32:50.714964855Z'), 1675974770714964);
  assert.equal(
    rfc3339ToMicros('2026-09-07T01:57:58.894355Z'),
    Date.UTC(2026, 8, 7, 1, 57, 58) * 1000 + 894355,
  );
  assert.equal(rfc3339ToMicros('1970-01-01T00:00:00Z'), 0);
  assert.equal(rfc3339ToMicros('2026-01-01T00:00:00.1Z'), Date.UTC(2026, 0, 1) * 1000 + 100000);
  assert.equal(rfc3339ToMicros('2026-01-01T01:00:00.000001+01:00'), Date.UTC(2026, 0, 1) * 1000 + 1);
  assert.equal(rfc3339ToMicros('2025-12-31T23:30:00-00:30'), Date.UTC(2026, 0, 1) * 1000);
  for (const bad of [
    '',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-13-01T00:00:00Z',
    '2023-02-30T00:00:00Z',
    'x',
  ])
    assert.equal(rfc3339ToMicros(bad), undefined, bad);
});

test('doc example: l2_data snapshot (bids only), sequence_num and the envelope timestamp as venueTs', () => {
  assert.deepEqual(parseFrame(sample('Advanced Trade l2_data snapshot (doc example)')), [
    { kind: 'connection-seq', seq: 0 },
    {
      kind: 'book',
      native: 'BTC-USD',
      update: {
        type: 'snapshot',
        productId: 'BTC-USD',
        bids: [
          ['21921.73', '0.06317902'],
          ['21921.3', '0.02'],
        ],
        asks: [],
        venueTs: 1675974770714964,
      },
    },
  ]);
});

test('live capture: the ask side is "offer", entries unsorted, exact text kept', () => {
  const [, ev] = parseFrame(sample('Advanced Trade l2_data snapshot (observed live'));
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  assert.equal(ev.native, 'BTC-PERP-INTX');
  assert.deepEqual(ev.update.asks, [
    ['79944.1', '1.2'],
    ['79944', '0.048'],
  ]);
  assert.deepEqual(ev.update.bids, [
    ['79943.9', '3.0105'],
    ['79943.8', '0.5'],
  ]);
  // "ask" is accepted as an alias
  const alias = JSON.stringify({
    channel: 'l2_data',
    timestamp: '2026-01-01T00:00:00Z',
    sequence_num: 3,
    events: [
      {
        type: 'update',
        product_id: 'BTC-USD',
        updates: [{ side: 'ask', event_time: '2026-01-01T00:00:00Z', price_level: '1', new_quantity: '0' }],
      },
    ],
  });
  const [, a] = parseFrame(alias);
  assert.deepEqual(a?.kind === 'book' ? a.update.asks : undefined, [['1', '0']]);
});

test('the synthetic per-connection sequence: every channel carries sequence_num; acks, heartbeats, trades', () => {
  const s = fixture<{ connection1: unknown[]; connection2: { firstMessage: unknown } }>(
    'advanced-trade-synthetic-sequence.json',
  );
  const parsed = s.connection1.map((m) => parseFrame(JSON.stringify(m)));
  assert.deepEqual(
    parsed.map((evs) => evs[0]),
    [0, 1, 2, 3, 4, 6].map((seq) => ({ kind: 'connection-seq', seq })),
  );
  assert.deepEqual(
    parsed.map((evs) => evs.slice(1).map((e) => e.kind)),
    [['ack'], ['book'], ['heartbeat'], ['book'], ['trade'], ['book']],
  );
  assert.deepEqual(parsed[0]![1], { kind: 'ack', id: null });
  // BUY at the ask that was just removed: with the default (maker-side) reading, the taker sold
  assert.deepEqual(parsed[4]![1], {
    kind: 'trade',
    native: 'BTC-USD',
    trade: {
      id: '1',
      price: '60000.01',
      size: '0.50000000',
      side: 'sell',
      venueTs: Date.UTC(2026, 0, 1, 0, 0, 1) * 1000 + 150000,
    },
  });
  const taker = parseFrame(JSON.stringify(s.connection1[4]), { tradeSide: 'taker' });
  assert.equal(taker[1]?.kind === 'trade' ? taker[1].trade.side : undefined, 'buy');
  assert.deepEqual(parseFrame(JSON.stringify(s.connection2.firstMessage))[0], {
    kind: 'connection-seq',
    seq: 0,
  });
});

test('market_trades: a batch gives one event per trade; the subscribe snapshot (history) is not published', () => {
  const msg = (type: string, trades: unknown[]): string =>
    JSON.stringify({
      channel: 'market_trades',
      client_id: '',
      timestamp: '2026-04-07T14:30:02.789012Z',
      sequence_num: 5,
      events: [{ type, trades }],
    });
  const t = (id: string, side: string, price: string) => ({
    trade_id: id,
    product_id: 'BTC-USD',
    price,
    size: '0.00150000',
    side,
    time: '2026-04-07T14:30:02.789012Z',
  });
  const evs = parseFrame(
    msg('update', [
      t('9', 'BUY', '68900.50'),
      t('10', 'SELL', '68900.00'),
      t('11', 'UNKNOWN_ORDER_SIDE', '1'),
    ]),
  );
  assert.deepEqual(
    evs.slice(1).map((e) => (e.kind === 'trade' ? [e.trade.id, e.trade.side, e.trade.price] : e.kind)),
    [
      ['9', 'sell', '68900.50'],
      ['10', 'buy', '68900.00'],
      ['11', 'unknown', '1'],
    ],
  );
  assert.deepEqual(parseFrame(msg('snapshot', [t('1', 'BUY', '1')])), [
    { kind: 'connection-seq', seq: 5 },
    { kind: 'ignored', reason: 'market_trades snapshot of 1 past trades' },
  ]);
  assert.throws(() => parseFrame(msg('update', [t('1', 'BUY', '1e5')])), VenueParseError);
  assert.throws(
    () => parseFrame(msg('update', [{ ...t('1', 'BUY', '1'), time: 'yesterday' }])),
    VenueParseError,
  );
});

test('errors: venue-wide, or per symbol when they name a subscribed product', () => {
  const legacy = sample('legacy Exchange feed error');
  assert.deepEqual(parseFrame(legacy), [
    { kind: 'error', message: 'coinbase error: Failed to subscribe: ETH-XYZ is not a valid product' },
  ]);
  assert.deepEqual(parseFrame(legacy, { known: (p) => p === 'ETH-XYZ' }), [
    {
      kind: 'error',
      native: 'ETH-XYZ',
      message: 'coinbase error: Failed to subscribe: ETH-XYZ is not a valid product',
    },
  ]);
  assert.deepEqual(parseFrame('{"type":"error","message":"rate limit exceeded"}', { known: () => true }), [
    { kind: 'error', message: 'coinbase error: rate limit exceeded' },
  ]);
  assert.deepEqual(productIdsInText('BTC-USD, BTC-PERP-INTX and eth-usd'), ['BTC-USD', 'BTC-PERP-INTX']);
});

test('other channels are ignored but still numbered; unknown typed messages are ignored', () => {
  assert.deepEqual(
    parseFrame(
      '{"channel":"ticker","client_id":"","timestamp":"2026-01-01T00:00:00Z","sequence_num":9,"events":[{}]}',
    ),
    [
      { kind: 'connection-seq', seq: 9 },
      { kind: 'ignored', reason: 'unhandled channel ticker' },
    ],
  );
  assert.equal(parseFrame('{"type":"subscriptions","channels":[]}')[0]?.kind, 'ignored');
});

test('malformed frames throw VenueParseError', () => {
  const l2 = (over: Record<string, unknown>, update: Record<string, unknown> = {}): string =>
    JSON.stringify({
      channel: 'l2_data',
      client_id: '',
      timestamp: '2026-01-01T00:00:00Z',
      sequence_num: 1,
      events: [
        {
          type: 'update',
          product_id: 'BTC-USD',
          updates: [
            {
              side: 'bid',
              event_time: '2026-01-01T00:00:00Z',
              price_level: '1.5',
              new_quantity: '2',
              ...update,
            },
          ],
        },
      ],
      ...over,
    });
  assert.doesNotThrow(() => parseFrame(l2({})));
  const bad = [
    '{not json',
    '[1,2]',
    '"text"',
    '{"hello":1}',
    l2({ sequence_num: -1 }),
    l2({ sequence_num: '1' }),
    l2({ timestamp: 'now' }),
    l2({ events: 'x' }),
    l2({}, { side: 'buy' }),
    l2({}, { price_level: '-1' }),
    l2({}, { new_quantity: '1e-8' }),
    l2({}, { price_level: 1.5 }),
    l2({ events: [{ type: 'delta', product_id: 'BTC-USD', updates: [] }] }),
    '{"channel":"heartbeats","timestamp":"2026-01-01T00:00:00Z","sequence_num":1,"events":[{"current_time":"x"}]}',
    '{"channel":"subscriptions","timestamp":"2026-01-01T00:00:00Z","sequence_num":1,"events":[{"subscriptions":[]}]}',
    '{"type":"error"}',
  ];
  for (const f of bad) assert.throws(() => parseFrame(f), VenueParseError, f);
});

test('instruments: SPOT products from base/quote currency ids, aliases and disabled products left out', () => {
  const f = fixture<{
    response: unknown;
    expected: { 'spot instruments': [string, string, number, number][] };
  }>('products.json');
  const instruments = parseInstruments(JSON.stringify(f.response), 'coinbase');
  assert.deepEqual(
    instruments.map((i) => [i.native, i.symbol, i.priceDecimals, i.sizeDecimals]),
    f.expected['spot instruments'],
  );
  assert.deepEqual(instruments[0], {
    venue: 'coinbase',
    symbol: 'BTC-USD',
    native: 'BTC-USD',
    base: 'BTC',
    quote: 'USD',
    kind: 'spot',
    priceDecimals: 2,
    sizeDecimals: 8,
  });
  // the shared normalization examples: BTC-USD stays BTC-USD, never merged with USDC/USDT
  const norm = fixture<{
    examples: { exchange: string; native: string; normalized: string; market: string }[];
  }>('symbols-normalization.json').examples.filter(
    (e) => e.exchange === 'coinbase' && e.market.startsWith('spot'),
  );
  const bySymbol = new Map(instruments.map((i) => [i.native, i.symbol]));
  assert.equal(bySymbol.get('BTC-USD'), norm.find((e) => e.native === 'BTC-USD')!.normalized);
  assert.equal(new Set(instruments.map((i) => i.symbol)).size, instruments.length);
  assert.throws(() => parseInstruments('{"products":{}}', 'coinbase'), VenueParseError);
  assert.throws(() => parseInstruments('nope', 'coinbase'), VenueParseError);
});

test('REST product book (tooling): levels kept as text, time in µs', () => {
  const body = JSON.stringify({
    pricebook: {
      product_id: 'BTC-USD',
      bids: [{ price: '68923.66', size: '0.17189468' }],
      asks: [{ price: '68923.67', size: '0.16987193' }],
      time: '2026-04-07T00:28:59.662782Z',
    },
    last: '68923.665',
  });
  assert.deepEqual(parseSnapshot(body), {
    productId: 'BTC-USD',
    bids: [['68923.66', '0.17189468']],
    asks: [['68923.67', '0.16987193']],
    venueTs: Date.UTC(2026, 3, 7, 0, 28, 59) * 1000 + 662782,
  });
  assert.throws(() =>
    parseSnapshot('{"pricebook":{"product_id":"X","bids":[{"price":"a","size":"1"}],"asks":[]}}'),
  );
});

test('rfc3339ToMicros (fast path, day cache) equals the regex definition on edge cases and random texts', () => {
  const cases = [
    '2023-02-09T20:32:50.714964855Z',
    '2023-02-09T20:32:50.Z',
    '2023-02-09T20:32:50.1234567890Z',
    '2023-02-30T00:00:00Z',
    '2023-02-28T23:59:60Z',
    '2023-02-30T23:59:60Z',
    '2023-13-01T00:00:00Z',
    '2023-00-01T00:00:00Z',
    '2023-01-00T00:00:00Z',
    '0050-01-01T00:00:00Z',
    '2023-01-01T24:00:00Z',
    '2023-01-01T23:60:00Z',
    '2023-01-01T23:59:61Z',
    '2023-01-01t00:00:00z',
    '2023-01-01 00:00:00Z',
    '2023-01-01T00:00:00+01:00',
    '2023-01-0aT00:00:00Z',
    '2023-01-01T00:00:0aZ',
    '2023-01-01T00:00:00.12a4Z',
  ];
  for (const c of cases) assert.equal(rfc3339ToMicros(c), rfc3339ToMicrosStrict(c), c);
  let seed = 5;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const p2 = (v: number): string => String(v).padStart(2, '0');
  for (let i = 0; i < 3000; i++) {
    const frac =
      rnd(3) === 0
        ? ''
        : `.${String(rnd(1e9))
            .padStart(9, '0')
            .slice(0, 1 + rnd(9))}`;
    const t = `${2000 + rnd(40)}-${p2(rnd(14))}-${p2(rnd(33))}T${p2(rnd(25))}:${p2(rnd(61))}:${p2(rnd(62))}${frac}Z`;
    assert.equal(rfc3339ToMicros(t), rfc3339ToMicrosStrict(t), t);
  }
});
