/**
 * Binance WebSocket Streams protocol over real sockets: control messages, wrapping, time units,
 * unknown symbols, keep-alive and hostile input.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { nowMicros } from '@tickmesh/contracts';
import { silentLogger, startSimulator, type Simulator, type SimulatorOptions } from '../src/index';
import { getJson, obj, TestClient, type Json } from './support/client';

async function sim(
  t: { after: (fn: () => Promise<void>) => void },
  options: SimulatorOptions = {},
): Promise<Simulator> {
  const s = await startSimulator({ port: 0, seed: 3, autoStart: false, logger: silentLogger, ...options });
  t.after(() => s.close());
  return s;
}

async function client(t: { after: (fn: () => Promise<void>) => void }, url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  t.after(() => c.close());
  return c;
}

const reply = (id: unknown) => (m: Json) => m['id'] === id;

test('SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE reply like the venue', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/ws`);
  c.send({ method: 'SUBSCRIBE', params: ['btcusdt@depth', 'ethusdt@trade'], id: 1 });
  assert.deepEqual(await c.next(reply(1)), { result: null, id: 1 });
  c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
  assert.deepEqual(await c.next(reply(2)), { result: ['btcusdt@depth', 'ethusdt@trade'], id: 2 });
  c.send({ method: 'UNSUBSCRIBE', params: ['btcusdt@depth'], id: 'x3' });
  assert.deepEqual(await c.next(reply('x3')), { result: null, id: 'x3' });
  c.send({ method: 'LIST_SUBSCRIPTIONS', id: 4 });
  assert.deepEqual(await c.next(reply(4)), { result: ['ethusdt@trade'], id: 4 });
  s.generateTrades('ETHUSDT', 1);
  const trade = await c.next((m) => m['e'] === 'trade');
  assert.equal(trade['s'], 'ETHUSDT');
});

test('streams named in the URL are listed as subscriptions', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/stream?streams=btcusdt@depth@100ms/btcusdt@trade`);
  c.send({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
  assert.deepEqual(await c.next(reply(1)), { result: ['btcusdt@depth@100ms', 'btcusdt@trade'], id: 1 });
});

test('invalid JSON gets a code 3 error and the connection stays usable', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/ws`);
  c.send('{"method": SUBSCRIBE');
  const err = await c.next((m) => 'error' in m);
  assert.equal(obj(err['error'])['code'], 3);
  assert.match(obj(err['error'])['msg'] as string, /^Invalid JSON: /);
  assert.equal('id' in err, false);
  c.send({ method: 'NOPE', params: [], id: 7 });
  const bad = await c.next(reply(7));
  assert.equal(obj(bad['error'])['code'], 2);
  c.send({ method: 'SUBSCRIBE', params: ['btcusdt@depth'], id: 8 });
  assert.deepEqual(await c.next(reply(8)), { result: null, id: 8 });
});

test('raw streams carry bare events; combined streams wrap them with the subscribed name', async (t) => {
  const s = await sim(t);
  const raw = await client(t, `${s.wsUrl}/ws/btcusdt@depth`);
  const combined = await client(t, `${s.wsUrl}/stream?streams=btcusdt@depth@100ms/btcusdt@trade`);
  s.generateUpdates('BTCUSDT', 3);
  s.generateTrades('BTCUSDT', 1);
  await raw.until(() => (raw.messages.length === 3 ? true : undefined));
  await combined.until(() => (combined.messages.length === 4 ? true : undefined));
  for (const m of raw.messages) {
    assert.deepEqual(Object.keys(m), ['e', 'E', 's', 'U', 'u', 'b', 'a']);
    assert.equal(m['e'], 'depthUpdate');
    assert.equal(m['s'], 'BTCUSDT');
    for (const [p, q] of [...(m['b'] as string[][]), ...(m['a'] as string[][])]) {
      assert.match(p!, /^\d+\.\d{8}$/);
      assert.match(q!, /^\d+\.\d{8}$/);
    }
  }
  assert.deepEqual(
    combined.messages.map((m) => m['stream']),
    ['btcusdt@depth@100ms', 'btcusdt@depth@100ms', 'btcusdt@depth@100ms', 'btcusdt@trade'],
  );
  const depth = combined.messages.slice(0, 3).map((m) => obj(m['data']));
  assert.deepEqual(
    depth.map((d) => [d['U'], d['u'], d['b'], d['a']]),
    raw.messages.map((d) => [d['U'], d['u'], d['b'], d['a']]),
  );
  const trade = obj(combined.messages[3]!['data']);
  assert.deepEqual(Object.keys(trade), ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M']);
  assert.equal(typeof trade['m'], 'boolean');
  assert.equal(trade['M'], true);
});

test('SET_PROPERTY combined switches a raw connection to wrapped events', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/ws/btcusdt@depth`);
  c.send({ method: 'SET_PROPERTY', params: ['combined', true], id: 1 });
  assert.deepEqual(await c.next(reply(1)), { result: null, id: 1 });
  c.send({ method: 'GET_PROPERTY', params: ['combined'], id: 2 });
  assert.deepEqual(await c.next(reply(2)), { result: true, id: 2 });
  s.generateUpdates('BTCUSDT', 1);
  const m = await c.next((x) => 'stream' in x);
  assert.equal(m['stream'], 'btcusdt@depth');
});

test('an unknown symbol is acknowledged with result null and never gets data', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/stream`);
  c.send({ method: 'SUBSCRIBE', params: ['dogeusdt@depth', 'BTCUSDT@depth', 'btcusdt@depth'], id: 1 });
  assert.deepEqual(await c.next(reply(1)), { result: null, id: 1 });
  s.generateUpdates('BTCUSDT', 20);
  s.generateUpdates('ETHUSDT', 20);
  await c.until(() => (c.messages.length === 21 ? true : undefined), '20 events');
  // 20 BTC events arrived after everything else that was generated: nothing came for the others.
  assert.deepEqual(new Set(c.messages.slice(1).map((m) => m['stream'])), new Set(['btcusdt@depth']));
});

test('timeUnit=MICROSECOND: E and T are µs since the epoch, read at send time', async (t) => {
  const s = await sim(t);
  const us = await client(t, `${s.wsUrl}/stream?streams=btcusdt@depth/btcusdt@trade&timeUnit=MICROSECOND`);
  const ms = await client(t, `${s.wsUrl}/ws/btcusdt@depth`);
  const before = nowMicros();
  s.generateUpdates('BTCUSDT', 1);
  s.generateTrades('BTCUSDT', 1);
  await us.until(() => (us.messages.length === 2 ? true : undefined));
  await ms.until(() => (ms.messages.length === 1 ? true : undefined));
  const after = nowMicros();
  const depth = obj(us.messages[0]!['data']);
  const trade = obj(us.messages[1]!['data']);
  for (const v of [depth['E'], trade['E'], trade['T']] as number[]) {
    assert.ok(Number.isInteger(v) && v >= before && v <= after, `${v} not in [${before}, ${after}]`);
  }
  const eMs = ms.messages[0]!['E'] as number;
  assert.ok(eMs >= Math.floor(before / 1000) && eMs <= Math.floor(after / 1000), `${eMs} ms`);
  // One send-time read per event: both connections of that event share it.
  assert.equal(eMs, Math.floor((depth['E'] as number) / 1000));
});

test('the server pings; a client that never answers is disconnected, one that does is not', async (t) => {
  const s = await sim(t, { pingIntervalMs: 30, pongTimeoutMs: 800 });
  const good = await client(t, `${s.wsUrl}/ws/btcusdt@depth`);
  const mute = await TestClient.open(`${s.wsUrl}/ws/btcusdt@depth`, { autoPong: false });
  t.after(() => mute.close());
  await good.until(() => (good.pings >= 2 ? true : undefined), 'two pings');
  const code = await mute.closed('disconnect of the mute client');
  assert.equal(code, 1006); // terminated without a close frame, as for a dead peer
  assert.equal(good.ws.readyState, good.ws.OPEN);
  s.generateUpdates('BTCUSDT', 1);
  await good.next((m) => m['e'] === 'depthUpdate');
});

test('client pings are answered with pongs', async (t) => {
  const s = await sim(t);
  const c = await client(t, `${s.wsUrl}/ws`);
  c.ws.ping('hi');
  await c.until(() => (c.pongs === 1 ? true : undefined), 'pong');
});

test('bad upgrade requests are refused with HTTP errors', async (t) => {
  const s = await sim(t);
  await assert.rejects(TestClient.open(`${s.wsUrl}/nope`), /HTTP 404/);
  await assert.rejects(TestClient.open(`${s.wsUrl}/ws/btcusdt`), /HTTP 400/);
  await assert.rejects(TestClient.open(`${s.wsUrl}/ws/btcusdt@depth?timeUnit=SECOND`), /HTTP 400/);
});

test('an oversized frame closes only that connection; the server keeps serving', async (t) => {
  const s = await sim(t);
  const c = await TestClient.open(`${s.wsUrl}/ws`);
  c.send('x'.repeat(100_000));
  assert.equal(await c.closed(), 1009);
  const other = await client(t, `${s.wsUrl}/ws`);
  other.ws.send(Buffer.from([0xff, 0xfe, 0x00])); // binary, not UTF-8, not JSON
  assert.equal(obj((await other.next((m) => 'error' in m))['error'])['code'], 3);
  assert.equal((await getJson(`${s.url}/sim/health`)).status, 200);
});

test('a consumer that stops reading is closed with 1008 instead of buffering without bound', async (t) => {
  const s = await sim(t, { maxBufferedBytes: 65_536, levelsPerUpdate: 50 });
  // A raw TCP client: handshake, then stop reading so the server's buffers fill up.
  const socket = connect(s.port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(
    'GET /ws/btcusdt@depth HTTP/1.1\r\nHost: sim\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  assert.match(head.toString('latin1'), /^HTTP\/1\.1 101 /);
  socket.pause();
  s.generateUpdates('BTCUSDT', 8000); // ~20 MB of frames, far beyond socket buffers
  const btc = obj(obj(obj(obj((await getJson(`${s.url}/sim/stats`)).body)['venues'])['binance'])['symbols'])[
    'BTCUSDT'
  ];
  const sent = obj(btc)['framesSent'] as number;
  assert.ok(sent < 8000, `sent ${sent} frames to a stalled client`);
  // Read everything that was queued: it ends with a close frame carrying 1008 "slow consumer".
  const closeFrame = Buffer.concat([Buffer.from([0x88, 2 + 13, 0x03, 0xf0]), Buffer.from('slow consumer')]);
  let tail = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]).subarray(-64);
    if (tail.includes(closeFrame)) socket.emit('sawClose');
  });
  socket.resume();
  await once(socket, 'sawClose');
  socket.destroy();
});
