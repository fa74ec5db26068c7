/**
 * Bad client input never crashes the gateway or the connection: each malformed operation gets
 * its documented error, oversize frames close only the offending socket (1009), and a fuzz loop
 * leaves the connection usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AckMessage, ErrorMessage, PongMessage } from '@tickmesh/contracts';
import { gatewayMetrics } from '../src/metrics';
import { gateway, useServers } from './support/servers';
import { WsTestClient } from './support/ws-client';

const env = useServers();

test('malformed operations get bad_request, with the request id when usable', async (t) => {
  const gw = await gateway(t, env);
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  const inputs: [string | object | Buffer, string | number | undefined][] = [
    ['{not json', undefined],
    ['42', undefined],
    [{ op: 'explode', id: 9 }, 9],
    [{ op: 'subscribe', id: 'no-channels' }, 'no-channels'],
    [{ op: 'subscribe', id: 10, channels: [1, 2] }, 10],
    [Buffer.from([0xde, 0xad, 0xbe, 0xef]), undefined], // binary frame
  ];
  for (const [input] of inputs) c.send(input);
  await c.waitCount((m) => m.type === 'error', inputs.length, 'errors');
  const errors = c.errors();
  assert.ok(errors.every((e) => e.code === 'bad_request'));
  assert.deepEqual(
    errors.map((e) => e.id),
    inputs.map(([, id]) => id),
  );
  assert.match(errors[5]!.message, /binary/);

  c.send({ op: 'ping', id: 'p' });
  const pong = (await c.waitFor((m) => m.type === 'pong', 'pong')) as PongMessage;
  assert.equal(pong.id, 'p');
  assert.ok(pong.ts > 1.6e15, 'server time in µs');
});

test('per-channel errors precede one ack listing the accepted channels', async (t) => {
  const gw = await gateway(t, env, { maxSubscriptions: 2 });
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({
    op: 'subscribe',
    id: 1,
    channels: ['tob.binance.BTC-USDT', 'tob.NOPE', 'status.binance.BTC-USDT', 'tob.okx.BTC-USDT'],
  });
  const ack = (await c.waitFor((m) => m.type === 'ack', 'ack')) as AckMessage;
  assert.deepEqual(ack.channels, ['tob.binance.BTC-USDT', 'status.binance.BTC-USDT']);
  const errs = c.errors().map((e: ErrorMessage) => [e.id, e.code, e.channel]);
  assert.deepEqual(errs, [
    [1, 'invalid_channel', 'tob.NOPE'],
    [1, 'too_many_subscriptions', 'tob.okx.BTC-USDT'],
  ]);
  assert.ok(c.messages.indexOf(ack) > c.messages.indexOf(c.errors()[1]!));

  c.send({ op: 'subscribe', id: 2, channels: ['tob.binance.BTC-USDT'] }); // already subscribed: idempotent
  c.send({ op: 'unsubscribe', id: 3, channels: ['tob.kraken.BTC-USD'] });
  const ack2 = (await c.waitFor((m) => m.type === 'ack' && m.id === 2, 'ack 2')) as AckMessage;
  assert.deepEqual(ack2.channels, ['tob.binance.BTC-USDT']);
  const notSub = (await c.waitFor((m) => m.type === 'error' && m.id === 3, 'not_subscribed')) as ErrorMessage;
  assert.equal(notSub.code, 'not_subscribed');
  const ack3 = (await c.waitFor((m) => m.type === 'ack' && m.id === 3, 'ack 3')) as AckMessage;
  assert.deepEqual(ack3.channels, []);
});

test('a frame over MAX_INBOUND_BYTES closes that socket with 1009 and is counted; others are unaffected', async (t) => {
  const gw = await gateway(t, env, { maxInboundBytes: 1024 });
  const big = await WsTestClient.open(gw.port);
  const other = await WsTestClient.open(gw.port);
  t.after(() => (big.close(), other.close()));
  const before = gatewayMetrics.inboundErrorsOf('ws', 'message_too_large');
  big.send(JSON.stringify({ op: 'subscribe', channels: ['x'.repeat(2000)] }));
  await big.closed();
  assert.equal(big.closeCode, 1009);
  assert.equal(gatewayMetrics.inboundErrorsOf('ws', 'message_too_large'), before + 1);
  other.send({ op: 'ping', id: 1 });
  await other.waitFor((m) => m.type === 'pong', 'pong on the other connection');
});

/** mulberry32: a seeded PRNG so a failing fuzz run can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: random bytes, strings and JSON each get one error and the connection keeps working', async (t) => {
  const gw = await gateway(t, env, { maxInboundBytes: 4096 });
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const text = (n: number): string =>
    Array.from({ length: n }, () =>
      String.fromCodePoint(pick([32 + Math.floor(rand() * 95), 0xe9, 0x4e2d, 0x1f600])),
    ).join('');
  const json = (depth: number): unknown => {
    const k = Math.floor(rand() * (depth > 2 ? 4 : 6));
    if (k === 0) return rand() * 1e6;
    if (k === 1) return text(Math.floor(rand() * 20));
    if (k === 2) return pick([null, true, false]);
    if (k === 3) return Math.floor(rand() * 10);
    if (k === 4) return Array.from({ length: Math.floor(rand() * 4) }, () => json(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 4) }, () => [
        pick(['op', 'id', 'channels', text(3)]),
        json(depth + 1),
      ]),
    );
  };
  const notAnOp = (v: unknown): boolean =>
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    !['subscribe', 'unsubscribe', 'ping'].includes(String((v as Record<string, unknown>)['op']));

  let expected = 0;
  for (let i = 0; i < 600; i++) {
    const kind = Math.floor(rand() * 3);
    if (kind === 0) c.send(randomBytes(1 + Math.floor(rand() * 200)));
    else if (kind === 1) c.send(`${pick(['{', '[', '"', ''])}${text(1 + Math.floor(rand() * 100))}`);
    else {
      const v = json(0);
      if (!notAnOp(v)) continue;
      c.send(JSON.stringify(v));
    }
    expected++;
  }
  await c.waitCount((m) => m.type === 'error', expected, 'fuzz errors', 10_000);
  assert.ok(c.errors().every((e) => e.code === 'bad_request'));
  assert.equal(c.closeCode, undefined, 'still open');

  c.send({ op: 'subscribe', id: 'after', channels: ['status.binance.BTC-USDT'] });
  const ack = (await c.waitFor((m) => m.type === 'ack', 'ack after fuzz')) as AckMessage;
  assert.deepEqual(ack.channels, ['status.binance.BTC-USDT']);
});
