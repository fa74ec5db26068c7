import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError, decode, encodeBinary, encodeJson } from './codec';
import type { WireMessage } from './messages';

const samples: WireMessage[] = [
  {
    type: 'book.snapshot',
    venue: 'binance',
    symbol: 'BTC-USDT',
    epoch: 3,
    seq: 1027024,
    venueTs: 1_700_000_000_123_456,
    recvTs: 1_700_000_000_124_000,
    bids: [['4.00000000', '431.00000000']],
    asks: [['4.00000200', '12.00000000']],
  },
  {
    type: 'book.delta',
    venue: 'binance',
    symbol: 'BNB-BTC',
    epoch: 3,
    seq: 160,
    prevSeq: 156,
    venueTs: 1,
    recvTs: 2,
    bids: [['0.0024', '10']],
    asks: [
      ['0.0026', '100'],
      ['0.0027', '0'],
    ],
  },
  {
    type: 'trade',
    venue: 'binance',
    symbol: 'BNB-BTC',
    id: '12345',
    price: '0.001',
    size: '100',
    side: 'sell',
    venueTs: 1672515782136000,
    recvTs: 1672515782137000,
  },
  {
    type: 'status',
    venue: 'okx',
    symbol: 'BTC-USDT-PERP',
    state: 'resyncing',
    epoch: 7,
    seq: 123,
    reason: 'gap: expected U=161 got 170 — résumé',
    resyncs: 2,
    ts: 5,
  },
  {
    type: 'tob',
    venue: 'kraken',
    symbol: 'BTC-USD',
    bidPx: '27000.1',
    bidSz: '0.5',
    askPx: '',
    askSz: '',
    epoch: 1,
    seq: 9,
    state: 'live',
    venueTs: 1,
    recvTs: 2,
    bookTs: 3,
  },
];

test('binary and JSON codecs round-trip every message type exactly', () => {
  for (const m of samples) {
    assert.deepEqual(decode(encodeBinary(m)), m, m.type);
    assert.deepEqual(decode(encodeJson(m)), m, m.type);
  }
});

test('binary is smaller than JSON for a book delta', () => {
  const m = samples[1]!;
  assert.ok(encodeBinary(m).length < encodeJson(m).length / 2);
});

test('malformed payloads raise CodecError, never anything else', () => {
  const good = encodeBinary(samples[0]!);
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array([0xb7]),
    good.subarray(0, good.length - 3),
    Uint8Array.from([...good, 0]),
    Uint8Array.from([0xb7, 99, 1]),
    Uint8Array.from([0xb7, 1, 2]),
    Buffer.from('{"type":"trade"}'),
    Buffer.from('{not json'),
    Buffer.from('hello'),
  ];
  for (const c of cases) assert.throws(() => decode(c), CodecError);
  // random corruption of a valid message: either decodes or throws CodecError
  let seed = 42;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from(good);
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    b[3 + (seed % (b.length - 3))] = seed & 0xff;
    try {
      decode(b);
    } catch (err) {
      assert.ok(err instanceof CodecError, String(err));
    }
  }
});

test('JSON input is validated against the schema', () => {
  const bad = { ...samples[2]!, price: '1e5' };
  assert.throws(() => decode(Buffer.from(JSON.stringify(bad))), /price/);
});

test('the encoder refuses non-ASCII prices instead of corrupting them', () => {
  const m = { ...samples[2]!, price: '１' } as WireMessage;
  assert.throws(() => encodeBinary(m), CodecError);
});
