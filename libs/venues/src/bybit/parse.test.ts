import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFrame, parseInstruments, parseSnapshot, symbolsInText } from './parse';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/bybit/${name}`, import.meta.url), 'utf8')) as T;

const samples = fixture<{ samples: { name: string; message?: unknown; rawText?: string }[] }>(
  'format-samples.json',
).samples;
const sample = (name: string): string => {
  const s = samples.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no sample ${name}`);
  return s.rawText ?? JSON.stringify(s.message);
};

test('doc: subscribe acks (spot with req_id, linear with an empty one) and pongs', () => {
  assert.deepEqual(parseFrame(sample('subscribe response (public spot)')), [{ kind: 'ack', id: '10001' }]);
  assert.deepEqual(parseFrame(sample('subscribe response (public linear/inverse)')), [
    { kind: 'ack', id: null },
  ]);
  assert.deepEqual(parseFrame(sample('pong (spot)')), [{ kind: 'heartbeat' }]);
  assert.deepEqual(parseFrame(sample('pong (linear/inverse)')), [{ kind: 'heartbeat' }]);
  assert.deepEqual(parseFrame('{"args":["1672304486868"],"op":"pong"}'), [{ kind: 'heartbeat' }]);
  assert.deepEqual(
    parseFrame('{"success":true,"ret_msg":"","conn_id":"c","req_id":"u3","op":"unsubscribe"}'),
    [{ kind: 'ack', id: 'u3' }],
  );
});

test('doc: the orderbook delta keeps its exact decimal text', () => {
  const [ev] = parseFrame(sample('orderbook delta (doc)'));
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  assert.equal(ev.native, 'BTCUSDT');
  assert.equal(ev.update.type, 'delta');
  assert.equal(ev.update.data.u, 177400507);
  assert.equal(ev.update.data.seq, 66544703342);
  assert.deepEqual(ev.update.data.b[4], ['30240.00', '0']);
  assert.deepEqual(ev.update.data.a[0], ['30248.70', '0']);
  assert.equal(ev.update.cts, 1687940967464);
});

test('doc: the snapshot example (with its "..." placeholders removed) parses', () => {
  const raw = sample('orderbook snapshot (doc, with placeholders)');
  assert.throws(() => parseFrame(raw), { name: 'VenueParseError' }, 'the literal doc text is not JSON');
  const text = raw.replace(/\.\.\.,/g, '').replace(/,\]/g, ']');
  const [ev] = parseFrame(text, { depth: 50 });
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  assert.equal(ev.update.type, 'snapshot');
  assert.deepEqual(ev.update.data.b, [
    ['16493.50', '0.006'],
    ['16493.00', '0.100'],
  ]);
  assert.deepEqual(ev.update.data.a[1], ['16612.00', '0.213']);
  assert.equal(ev.update.data.u, 18521288);
});

test('only the followed depth is routed to the book; other depths and orderbook.full are ignored', () => {
  const delta = sample('orderbook delta (doc)');
  assert.equal(parseFrame(delta, { depth: 50 })[0]?.kind, 'book');
  assert.equal(
    parseFrame(delta.replace('orderbook.50.', 'orderbook.200.'), { depth: 50 })[0]?.kind,
    'ignored',
  );
  assert.equal(
    parseFrame(sample('full orderbook delta (orderbook.full, spot, 2026)'), { depth: 50 })[0]?.kind,
    'ignored',
  );
});

test('doc: publicTrade maps S (taker side), exact text, id and T in µs', () => {
  assert.deepEqual(parseFrame(sample('publicTrade')), [
    {
      kind: 'trade',
      native: 'BTCUSDT',
      trade: {
        id: '20f43950-d8dd-5b31-9112-a178eb6023af',
        price: '16578.50',
        size: '0.001',
        side: 'buy',
        venueTs: 1672304486865000,
      },
    },
  ]);
});

test('a batched trade frame gives one event per trade, in order, sides from S', () => {
  const frame = JSON.stringify({
    topic: 'publicTrade.ETHUSDT',
    type: 'snapshot',
    ts: 1700000000002,
    data: [
      {
        T: 1700000000000,
        s: 'ETHUSDT',
        S: 'Sell',
        v: '0.50',
        p: '2000.10',
        i: '2290000000000000001',
        BT: false,
      },
      {
        T: 1700000000001,
        s: 'ETHUSDT',
        S: 'Buy',
        v: '1.25',
        p: '2000.20',
        i: '2290000000000000002',
        BT: false,
      },
      {
        T: 1700000000001.25,
        s: 'ETHUSDT',
        S: 'Sell',
        v: '0.01',
        p: '2000.00',
        i: '2290000000000000003',
        BT: true,
      },
    ],
  });
  const events = parseFrame(frame);
  assert.equal(events.length, 3);
  assert.deepEqual(
    events.map((e) =>
      e.kind === 'trade'
        ? [e.trade.id.slice(-1), e.trade.side, e.trade.price, e.trade.size, e.trade.venueTs]
        : e.kind,
    ),
    [
      ['1', 'sell', '2000.10', '0.50', 1700000000000000],
      ['2', 'buy', '2000.20', '1.25', 1700000000001000],
      ['3', 'sell', '2000.00', '0.01', 1700000000001250],
    ],
  );
});

test('ms timestamps with a µs fraction (the simulator) convert exactly', () => {
  const text =
    '{"topic":"orderbook.50.X1","ts":1784103477732.123,"type":"snapshot","data":{"s":"X1","b":[],"a":[],"u":5,"seq":9}}';
  const [ev] = parseFrame(text);
  assert.equal(ev?.kind, 'book');
  for (const us of [1784103477732123, 1784103477732999, 1784103477732001, 1784103477732000]) {
    const ms = `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
    const t = `{"topic":"publicTrade.X1","type":"snapshot","ts":${ms},"data":[{"T":${ms},"s":"X1","S":"Buy","v":"1","p":"1","i":"1"}]}`;
    const [tr] = parseFrame(t);
    assert.equal(tr?.kind === 'trade' ? tr.trade.venueTs : undefined, us);
  }
});

test('observed rejections name their symbol → per-symbol errors', () => {
  assert.deepEqual(parseFrame(sample('subscribe rejected: unknown topic/symbol (observed)')), [
    {
      kind: 'error',
      native: 'NOTASYMBOL',
      message: 'bybit subscribe rejected: error:handler not found,topic:publicTrade.NOTASYMBOL',
    },
  ]);
  assert.deepEqual(parseFrame(sample('subscribe rejected: invalid symbol (observed, older wording)')), [
    { kind: 'error', native: 'X', message: 'bybit subscribe rejected: Invalid symbol :[orderbook.50.X]' },
  ]);
  assert.deepEqual(
    symbolsInText('topic:orderbook.50.AAAUSDT,topic:publicTrade.AAAUSDT,topic:orderbook.1.BBB'),
    ['AAAUSDT', 'BBB'],
  );
});

test('a rejection without a topic is attributed through its request only when it carried one symbol', () => {
  const ctx = {
    requestSymbols: (id: string) => ({ s1: ['BTCUSDT'], s2: ['BTCUSDT', 'ETHUSDT'] })[id],
  };
  const reject = (reqId: string): string =>
    JSON.stringify({
      success: false,
      ret_msg: 'error:request failed',
      conn_id: 'c',
      req_id: reqId,
      op: 'subscribe',
    });
  assert.deepEqual(parseFrame(reject('s1'), ctx), [
    { kind: 'error', native: 'BTCUSDT', message: 'bybit subscribe rejected: error:request failed' },
  ]);
  assert.deepEqual(parseFrame(reject('s2'), ctx), [
    { kind: 'error', message: 'bybit subscribe rejected: error:request failed' },
  ]);
  assert.equal(
    parseFrame(
      '{"success":false,"ret_msg":"error:already subscribed,topic:orderbook.50.BTCUSDT","op":"subscribe"}',
    )[0]?.kind,
    'ignored',
  );
});

test('doc: the REST orderbook response parses with exact text', () => {
  const snap = parseSnapshot(sample('REST GET /v5/market/orderbook response'));
  assert.deepEqual(snap.a, [['65557.7', '16.606555']]);
  assert.deepEqual(snap.b, [['65485.47', '47.081829']]);
  assert.equal(snap.u, 230704);
  assert.throws(
    () => parseSnapshot('{"retCode":10001,"retMsg":"params error","result":{},"retExtInfo":{},"time":1}'),
    { name: 'VenueParseError', message: /10001/ },
  );
});

test('malformed frames raise VenueParseError', () => {
  const ob = (data: string, topic = 'orderbook.50.X'): string =>
    `{"topic":"${topic}","type":"delta","ts":1,"data":${data}}`;
  for (const bad of [
    'not json',
    '[]',
    '5',
    ob('{"s":"X","b":[],"a":[]}'),
    ob('{"s":"X","b":[["1e5","1"]],"a":[],"u":2}'),
    ob('{"s":"X","b":[[1,"1"]],"a":[],"u":2}'),
    ob('{"s":"X","b":[["1","-1"]],"a":[],"u":2}'),
    ob('{"s":"X","b":[],"a":[],"u":-2}'),
    ob('{"s":"Y","b":[],"a":[],"u":2}'),
    '{"topic":"orderbook.50.X","type":"partial","ts":1,"data":{"s":"X","b":[],"a":[],"u":2}}',
    '{"topic":"publicTrade.X","type":"snapshot","ts":1,"data":[{"T":1,"s":"X","S":"BUY","v":"1","p":"1","i":"1"}]}',
    '{"topic":"publicTrade.X","type":"snapshot","ts":1,"data":[{"T":1,"s":"X","S":"Buy","v":"1","p":"-1","i":"1"}]}',
    '{"topic":"publicTrade.X","type":"snapshot","ts":1,"data":{"T":1}}',
    '{"success":"yes","ret_msg":"","op":"subscribe"}',
  ]) {
    assert.throws(() => parseFrame(bad), { name: 'VenueParseError' }, bad);
  }
  assert.equal(parseFrame('{"topic":"tickers.BTCUSDT","data":{}}')[0]?.kind, 'ignored');
  assert.equal(parseFrame('{"hello":1}')[0]?.kind, 'ignored');
});

interface InstrumentsFixture {
  spotDoc: unknown;
  linearDoc: unknown;
  spotSynthetic: unknown;
  linearSynthetic: unknown;
  error: unknown;
}
const inst = fixture<InstrumentsFixture>('instruments-info.json');

test('doc: instruments-info → normalized symbols with tick/step decimals (Trading only)', () => {
  assert.deepEqual(parseInstruments(JSON.stringify(inst.spotDoc), 'spot', 'bybit'), [
    {
      venue: 'bybit',
      symbol: 'BTC-USDT',
      native: 'BTCUSDT',
      base: 'BTC',
      quote: 'USDT',
      kind: 'spot',
      priceDecimals: 1,
      sizeDecimals: 6,
    },
  ]);
  // BIOUSDT is PreLaunch: skipped
  assert.deepEqual(parseInstruments(JSON.stringify(inst.linearDoc), 'linear', 'bybitlinear'), [
    {
      venue: 'bybitlinear',
      symbol: 'BTC-USDT-PERP',
      native: 'BTCUSDT',
      base: 'BTC',
      quote: 'USDT',
      kind: 'perp',
      priceDecimals: 1,
      sizeDecimals: 3,
    },
  ]);
});

test('USDT, USDC and USD stay distinct; USDC perpetuals settle in USDC; futures are skipped', () => {
  const spot = parseInstruments(JSON.stringify(inst.spotSynthetic), 'spot', 'bybit');
  assert.deepEqual(
    spot.map((i) => [i.native, i.symbol]),
    [
      ['BTCUSDT', 'BTC-USDT'],
      ['BTCUSDC', 'BTC-USDC'],
      ['BTCUSD', 'BTC-USD'],
    ],
  );
  const linear = parseInstruments(JSON.stringify(inst.linearSynthetic), 'linear', 'bybitlinear');
  assert.deepEqual(
    linear.map((i) => [i.native, i.symbol, i.kind]),
    [
      ['BTCUSDT', 'BTC-USDT-PERP', 'perp'],
      ['BTCPERP', 'BTC-USDC-PERP', 'perp'],
    ],
  );
  // the project's normalization examples for Bybit agree
  const norm = fixture<{
    examples: { exchange: string; native: string; normalized: string; market: string }[];
  }>('symbols-normalization.json').examples.filter((e) => e.exchange === 'bybit');
  assert.equal(norm.length, 3);
  for (const e of norm) {
    const list = e.market.startsWith('spot') ? spot : linear;
    assert.equal(list.find((i) => i.native === e.native)?.symbol, e.normalized, e.market);
  }
});

test('instruments-info errors and category mismatches are VenueParseErrors', () => {
  assert.throws(() => parseInstruments(JSON.stringify(inst.error), 'spot', 'bybit'), {
    name: 'VenueParseError',
    message: /10001: Illegal category/,
  });
  assert.throws(() => parseInstruments(JSON.stringify(inst.linearDoc), 'spot', 'bybit'), {
    name: 'VenueParseError',
  });
  assert.throws(() => parseInstruments('{"retCode":0,"retMsg":"OK","result":{"list":5}}', 'spot', 'bybit'), {
    name: 'VenueParseError',
  });
});
