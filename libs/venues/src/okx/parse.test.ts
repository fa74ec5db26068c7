import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VenueParseError } from '../core/adapter';
import { instIdsInText, msTextToUs, parseFrame, parseInstruments, parseSnapshot } from './parse';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/okx/${name}`, import.meta.url), 'utf8')) as T;

const samples = fixture<{ samples: { name: string; message?: unknown }[] }>('format-samples.json').samples;
const sample = (prefix: string): string => {
  const s = samples.find((x) => x.name.startsWith(prefix));
  if (s?.message === undefined) throw new Error(`no sample ${prefix}`);
  return JSON.stringify(s.message);
};

test('format samples: acks, pong, trades (real 2022 and doc with count), other channels ignored', () => {
  assert.deepEqual(parseFrame(sample('subscribe response')), [{ kind: 'ack', id: '1512' }]);
  assert.deepEqual(parseFrame(sample('subscribe ack (real, 2022)')), [{ kind: 'ack', id: null }]);
  assert.deepEqual(parseFrame('pong'), [{ kind: 'heartbeat' }]);
  assert.deepEqual(parseFrame(sample('trades push (real, 2022)')), [
    {
      kind: 'trade',
      native: 'BTC-USDT',
      trade: { id: '338476307', price: '30236', size: '0.0002', side: 'buy', venueTs: 1652459224818000 },
    },
  ]);
  assert.deepEqual(parseFrame(sample('trades push (doc, with count)')), [
    {
      kind: 'trade',
      native: 'BTC-USDT',
      trade: {
        id: '130639474',
        price: '42219.9',
        size: '0.12060306',
        side: 'buy',
        venueTs: 1630048897897000,
      },
    },
  ]);
  for (const name of ['bbo-tbt push', 'books5 push'])
    assert.equal(parseFrame(sample(name))[0]!.kind, 'ignored', name);
});

test('trades: a batch becomes one event per trade; side is the taker side; exact text', () => {
  const text = JSON.stringify({
    arg: { channel: 'trades', instId: 'ETH-USDT-SWAP' },
    data: [
      {
        instId: 'ETH-USDT-SWAP',
        tradeId: '1',
        px: '3000.10',
        sz: '12',
        side: 'sell',
        ts: '1700000000001',
        count: '2',
      },
      {
        instId: 'ETH-USDT-SWAP',
        tradeId: '2',
        px: '3000.2',
        sz: '0.50',
        side: 'buy',
        ts: '1700000000002.345',
      },
    ],
  });
  const ev = parseFrame(text);
  assert.deepEqual(
    ev.map((e) =>
      e.kind === 'trade'
        ? [e.native, e.trade.id, e.trade.side, e.trade.price, e.trade.size, e.trade.venueTs]
        : e,
    ),
    [
      ['ETH-USDT-SWAP', '1', 'sell', '3000.10', '12', 1700000000001000],
      ['ETH-USDT-SWAP', '2', 'buy', '3000.2', '0.50', 1700000000002345],
    ],
  );
  assert.equal(
    parseFrame(JSON.stringify({ arg: { channel: 'trades', instId: 'X-Y' }, data: [] }))[0]!.kind,
    'ignored',
  );
});

test('books: one book event per data element, levels kept as sent', () => {
  const text = JSON.stringify({
    arg: { channel: 'books', instId: 'BTC-USDT' },
    action: 'update',
    data: [
      {
        asks: [['8476.98', '415', '0', '13']],
        bids: [],
        ts: '1597026383085',
        checksum: -123456789,
        prevSeqId: 1,
        seqId: 2,
      },
    ],
  });
  const ev = parseFrame(text)[0]!;
  assert.equal(ev.kind, 'book');
  if (ev.kind !== 'book') return;
  assert.equal(ev.native, 'BTC-USDT');
  assert.equal(ev.update.action, 'update');
  assert.deepEqual(ev.update.data.asks, [['8476.98', '415', '0', '13']]);
  assert.equal(ev.update.data.checksum, -123456789);
});

test('errors: attributed to the instrument they name, or to the only symbol of their request', () => {
  const observed = sample('subscribe failure: instrument does not exist');
  assert.deepEqual(instIdsInText(JSON.parse(observed).msg as string), ['BTC-USDT-SWAP']);
  assert.deepEqual(parseFrame(observed), [
    {
      kind: 'error',
      native: 'BTC-USDT-SWAP',
      message:
        "okx error 60018: Subscribe failed, wrong URL or channel:trades,instId:trades.BTC-USDT-SWAP doesn't exist. Please use the correct URL, channel and parameters referring to API document.",
    },
  ]);
  // not subscribed by this adapter → not attributed on a guess
  assert.equal(
    (parseFrame(observed, { isSubscribed: () => false })[0] as { native?: string }).native,
    undefined,
  );
  assert.deepEqual(instIdsInText("Wrong URL or channel:books,instId:BTC-USDT1 doesn't exist."), [
    'BTC-USDT1',
  ]);

  // 60012 names an instrument inside its JSON echo, not as instId:X
  const invalid = sample('subscribe failure');
  const [e] = parseFrame(invalid, {
    request: (id) => (id === '1512' ? { natives: ['BTC-USD-191227'], op: 'subscribe' } : undefined),
  });
  assert.deepEqual(e, {
    kind: 'error',
    native: 'BTC-USD-191227',
    message: e!.kind === 'error' ? e!.message : '',
  });
  const [venueWide] = parseFrame(invalid, { request: () => ({ natives: ['A-B', 'C-D'], op: 'subscribe' }) });
  assert.equal(venueWide!.kind, 'error');
  assert.equal((venueWide as { native?: string }).native, undefined);
  // an error answering our own unsubscribe (first half of a resync) fails nothing
  assert.equal(
    parseFrame(invalid, { request: () => ({ natives: ['A-B'], op: 'unsubscribe' }) })[0]!.kind,
    'ignored',
  );
  // arg.instId, when present
  const withArg = JSON.stringify({
    event: 'error',
    code: '60018',
    msg: 'x',
    arg: { channel: 'books', instId: 'SOL-USDT' },
  });
  assert.equal((parseFrame(withArg)[0] as { native?: string }).native, 'SOL-USDT');
});

test('notices: 64008 (service upgrade) is a shutdown, others are ignored', () => {
  assert.equal(
    parseFrame(
      '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a"}',
    )[0]!.kind,
    'shutdown',
  );
  assert.equal(parseFrame('{"event":"notice","code":"1","msg":"x"}')[0]!.kind, 'ignored');
  assert.equal(
    parseFrame('{"event":"channel-conn-count","channel":"books","connCount":"2"}')[0]!.kind,
    'ignored',
  );
});

test('malformed frames throw VenueParseError', () => {
  const books = (data: Record<string, unknown>, action = 'update'): string =>
    JSON.stringify({
      arg: { channel: 'books', instId: 'BTC-USDT' },
      action,
      data: [{ asks: [], bids: [], ts: '1', checksum: 0, prevSeqId: 1, seqId: 2, ...data }],
    });
  const bad = [
    'ping?',
    'not json',
    '[]',
    '"pong"',
    books({ asks: [['1e5', '1']] }),
    books({ bids: [['-1', '1']] }),
    books({ bids: [['1']] }),
    books({ seqId: undefined }),
    books({ seqId: 1.5 }),
    books({ seqId: 2 ** 60 }),
    books({ prevSeqId: -2 }),
    books({ ts: 'yesterday' }),
    books({ checksum: 2 ** 31 }),
    books({}, 'partial'),
    JSON.stringify({ arg: { channel: 'books', instId: 'BTC-USDT' }, action: 'update', data: [] }),
    JSON.stringify({
      arg: { channel: 'trades', instId: 'X' },
      data: [{ instId: 'X', tradeId: '1', px: '1', sz: '1', side: 'Buy', ts: '1' }],
    }),
    JSON.stringify({
      arg: { channel: 'trades', instId: 'X' },
      data: [{ instId: 'X', tradeId: '1', px: 'NaN', sz: '1', side: 'buy', ts: '1' }],
    }),
    '{"event":42}',
    '{"event":"error","code":60018}',
  ];
  for (const text of bad) {
    let events;
    try {
      events = parseFrame(text);
    } catch (e) {
      assert.ok(e instanceof VenueParseError, text);
      continue;
    }
    // `{"event":42}` is not an event (no string event): it has no arg/data either
    assert.ok(text === '{"event":42}' && events[0]!.kind === 'ignored', `accepted: ${text}`);
  }
  assert.equal(parseFrame('{"foo":1}')[0]!.kind, 'ignored');
});

test('timestamps: ms text with an optional µs fraction → exact µs', () => {
  assert.equal(msTextToUs('1597026383085'), 1597026383085000);
  assert.equal(msTextToUs('1597026383085.1'), 1597026383085100);
  assert.equal(msTextToUs('1597026383085.123'), 1597026383085123);
  for (const bad of ['', '1.2345', '-1', '1e3', ' 1', '12345678901234567'])
    assert.throws(() => msTextToUs(bad), VenueParseError, bad);
});

test('REST books snapshot', () => {
  const body = JSON.stringify({
    code: '0',
    msg: '',
    data: [
      {
        asks: [['41006.8', '0.60038921', '0', '1']],
        bids: [['41006.3', '0.30178218', '0', '2']],
        ts: '1629966436396',
        seqId: 77,
      },
    ],
  });
  const s = parseSnapshot(body, true);
  assert.equal(s.seqId, 77);
  assert.deepEqual(s.bids, [['41006.3', '0.30178218', '0', '2']]);
  const old = JSON.stringify({ code: '0', msg: '', data: [{ asks: [], bids: [], ts: '1' }] });
  assert.equal(parseSnapshot(old).seqId, undefined, 'the pre-2026 shape parses');
  assert.throws(() => parseSnapshot(old, true), /without seqId/);
  assert.throws(
    () => parseSnapshot('{"code":"51001","msg":"Instrument ID doesn\'t exist.","data":[]}'),
    /51001/,
  );
  assert.throws(() => parseSnapshot('{"code":"0","msg":"","data":[]}'), VenueParseError);
  assert.throws(
    () => parseSnapshot('{"code":"0","msg":"","data":[{"asks":[["x","1"]],"bids":[],"ts":"1"}]}'),
    VenueParseError,
  );
});

interface InstrumentsFixture {
  spotReal: unknown;
  swapReal: unknown;
  spotSynthetic: unknown;
  swapSynthetic: unknown;
  errorResponse: { body: unknown };
}

test('instruments: SPOT → BASE-QUOTE, linear SWAP → BASE-SETTLE-PERP; live only; decimals from tick/lot', () => {
  const f = fixture<InstrumentsFixture>('instruments.json');
  assert.deepEqual(parseInstruments(JSON.stringify(f.spotReal), 'SPOT', 'okx'), [
    {
      venue: 'okx',
      symbol: 'BTC-USDT',
      native: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      kind: 'spot',
      priceDecimals: 1,
      sizeDecimals: 8,
    },
  ]);
  assert.deepEqual(parseInstruments(JSON.stringify(f.swapReal), 'SWAP', 'okxswap'), [
    {
      venue: 'okxswap',
      symbol: 'BTC-USDT-PERP',
      native: 'BTC-USDT-SWAP',
      base: 'BTC',
      quote: 'USDT',
      kind: 'perp',
      priceDecimals: 1,
      sizeDecimals: 1,
    },
  ]);
  assert.deepEqual(
    parseInstruments(JSON.stringify(f.spotSynthetic), 'SPOT', 'okx').map((i) => [i.native, i.symbol]),
    [['ETH-USDC', 'ETH-USDC']],
    'suspended and non-normalizable instruments are skipped',
  );
  assert.deepEqual(
    parseInstruments(JSON.stringify(f.swapSynthetic), 'SWAP', 'okxswap').map((i) => [i.native, i.symbol]),
    [['ETH-USDC-SWAP', 'ETH-USDC-PERP']],
    'inverse and pre-open swaps are skipped',
  );
  assert.deepEqual(
    parseInstruments(JSON.stringify(f.swapReal), 'SPOT', 'okx'),
    [],
    'other instTypes are skipped',
  );
  assert.throws(() => parseInstruments(JSON.stringify(f.errorResponse.body), 'SPOT', 'okx'), /51000/);
  assert.throws(
    () => parseInstruments('{"code":"0","msg":"","data":[{"instId":"X"}]}', 'SPOT', 'okx'),
    VenueParseError,
  );
});

test('symbol normalization examples (okx spot and linear perpetual)', () => {
  const ex = fixture<{
    examples: { exchange: string; market: string; native: string; normalized: string }[];
  }>('symbols-normalization.json').examples.filter(
    (e) => e.exchange === 'okx' && (e.market === 'spot' || e.market === 'perpetual swap'),
  );
  assert.equal(ex.length, 2);
  const f = fixture<InstrumentsFixture>('instruments.json');
  const all = [
    ...parseInstruments(JSON.stringify(f.spotReal), 'SPOT', 'okx'),
    ...parseInstruments(JSON.stringify(f.swapReal), 'SWAP', 'okxswap'),
  ];
  for (const e of ex) assert.equal(all.find((i) => i.native === e.native)?.symbol, e.normalized, e.native);
});
