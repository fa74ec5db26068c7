import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitChannels, parseClientOp } from './inbound';

test('valid operations parse', () => {
  assert.deepEqual(parseClientOp('{"op":"ping","id":3}'), { ok: true, op: { op: 'ping', id: 3 } });
  const sub = parseClientOp('{"op":"subscribe","id":"a","channels":["tob.binance.BTC-USDT"]}');
  assert.equal(sub.ok, true);
});

test('malformed input becomes a bad_request description, keeping a usable id', () => {
  const cases: [string, RegExp, string | number | undefined][] = [
    ['not json', /not valid JSON/, undefined],
    ['[1,2]', /JSON object/, undefined],
    ['null', /JSON object/, undefined],
    ['{"id":4}', /missing "op"/, 4],
    ['{"op":"explode","id":"x"}', /unknown op "explode"/, 'x'],
    ['{"op":"subscribe","id":5}', /needs "channels"/, 5],
    ['{"op":"subscribe","channels":"tob.binance.BTC-USDT"}', /needs "channels"/, undefined],
    ['{"op":"subscribe","channels":[]}', /channels/, undefined],
    ['{"op":"subscribe","channels":[7]}', /channels\/0/, undefined],
    ['{"op":"ping","id":1.5}', /id/, undefined],
    [`{"op":"ping","id":"${'x'.repeat(65)}"}`, /id/, undefined],
  ];
  for (const [text, message, id] of cases) {
    const r = parseClientOp(text);
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.match(r.message, message, text);
    assert.equal(r.id, id, text);
  }
});

test('admission keeps order, skips duplicates, acknowledges existing channels and enforces the limit', () => {
  const a = admitChannels(
    [
      'tob.binance.BTC-USDT',
      'bad',
      'tob.binance.BTC-USDT',
      'status.okx.ETH-USDT',
      'tob.kraken.SOL-USD',
      'tob.a.B-C',
    ],
    new Set(['status.okx.ETH-USDT']),
    3,
  );
  assert.deepEqual(
    a.join.map((j) => j.name),
    ['tob.binance.BTC-USDT', 'tob.kraken.SOL-USD'],
  );
  assert.deepEqual(a.accepted, ['tob.binance.BTC-USDT', 'status.okx.ETH-USDT', 'tob.kraken.SOL-USD']);
  assert.deepEqual(
    a.rejected.map((r) => [r.name, r.code]),
    [
      ['bad', 'invalid_channel'],
      ['tob.a.B-C', 'too_many_subscriptions'],
    ],
  );
});

test('channel names outside the grammar are invalid', () => {
  for (const name of [
    'trade.binance.BTC-USDT',
    'tob.Binance.BTC-USDT',
    'tob.binance.btc-usdt',
    'tob.binance',
    'tob.binance.BTC-USDT.x',
    '',
  ]) {
    assert.equal(admitChannels([name], new Set(), 10).rejected[0]?.code, 'invalid_channel', name);
  }
});

test('subscribe takes optional resume positions and conflate_ms; malformed ones are bad requests', () => {
  const ok = parseClientOp(
    '{"op":"subscribe","id":1,"channels":["tob.binance.BTC-USDT"],"resume":{"tob.binance.BTC-USDT":{"epoch":5,"seq":9}},"conflate_ms":100}',
  );
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.ok && ok.op.op === 'subscribe' && ok.op.resume, {
    'tob.binance.BTC-USDT': { epoch: 5, seq: 9 },
  });
  const bad = parseClientOp('{"op":"subscribe","id":2,"channels":["a"],"resume":{"a":{"epoch":5,"seq":-1}}}');
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.message : '', /^\/resume\/a\/seq: /);
  const conflate = parseClientOp('{"op":"subscribe","id":3,"channels":["a"],"conflate_ms":"fast"}');
  assert.equal(conflate.ok, false);
});

test('authorize: explicit channels refused as forbidden; wildcard expansions filtered before the limit', () => {
  const known = ['tob.binance.BTC-USDT', 'tob.bybit.BTC-USDT', 'tob.okx.BTC-USDT'];
  const wildcards = {
    expand: () =>
      known.map((name) => ({
        name,
        channel: { kind: 'tob' as const, venue: name.split('.')[1]!, symbol: 'BTC-USDT' },
      })),
    maxChannels: 1,
  };
  const authorize = (ch: string): boolean => ch.startsWith('tob.binance.');
  const a = admitChannels(
    ['tob.*.BTC-USDT', 'tob.bybit.BTC-USDT', 'tob.NOPE'],
    new Set(),
    10,
    wildcards,
    authorize,
  );
  // three matches, one granted: under maxChannels 1 once filtered, no error for the filtered ones
  assert.deepEqual(a.accepted, ['tob.binance.BTC-USDT']);
  assert.deepEqual(a.expanded, { 'tob.*.BTC-USDT': ['tob.binance.BTC-USDT'] });
  assert.deepEqual(
    a.rejected.map((r) => [r.code, r.name]),
    [
      ['forbidden', 'tob.bybit.BTC-USDT'],
      ['invalid_channel', 'tob.NOPE'],
    ],
  );
  const none = admitChannels(['tob.*.BTC-USDT'], new Set(), 10, wildcards, () => false);
  assert.deepEqual(
    none.rejected.map((r) => [r.code, r.name]),
    [['forbidden', 'tob.*.BTC-USDT']],
  );
  assert.deepEqual(none.accepted, []);
});

test('auth ops parse; a missing token is explained', () => {
  assert.deepEqual(parseClientOp('{"op":"auth","id":1,"token":"abc"}'), {
    ok: true,
    op: { op: 'auth', id: 1, token: 'abc' },
  });
  const bad = parseClientOp('{"op":"auth","id":2,"token":""}');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.message, /token/);
});
