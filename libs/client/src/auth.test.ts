/**
 * The client's side of gateway authentication and refusals, against a scripted fake socket: the
 * token goes first on every (re)connect and channels follow its ack; 4001 reconnects at once with a
 * fresh token; 4029 / 1013 back off at least the last `retryAfterMs`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@tickmesh/test-harness';
import { TickmeshClient } from './client';
import { TickmeshError } from './types';

import { FakeSocket } from '../test/fake-socket';

const last = (): FakeSocket => FakeSocket.all.at(-1)!;

test('token: auth is the first message; channels are (re)subscribed only after its ack', async () => {
  FakeSocket.all = [];
  let n = 0;
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    token: () => Promise.resolve(`jwt-${++n}`),
    reconnect: { baseMs: 1000, capMs: 1000 },
  });
  const sub = c.subscribe('tob.binance.BTC-USDT', () => undefined);
  const connected = c.connect();
  await waitFor(() => last().sent.length > 0, { timeoutMs: 1000, message: 'auth sent' });
  assert.deepEqual(
    last().sent.map((o) => o['op']),
    ['auth'],
  );
  assert.equal(last().sent[0]!['token'], 'jwt-1');
  last().ackAuth();
  await connected;
  assert.deepEqual(
    last().sent.map((o) => o['op']),
    ['auth', 'subscribe'],
  );
  const s = last().sent[1]!;
  last().serve({ type: 'ack', id: s['id'], op: 'subscribe', channels: ['tob.binance.BTC-USDT'] });
  await sub;

  // token expired: 4001 → reconnect at once (not after baseMs) with a fresh token
  const first = last();
  const closedAt = performance.now();
  first.close(4001, 'token expired');
  await waitFor(() => FakeSocket.all.length === 2 && last().sent.length > 0, {
    timeoutMs: 500,
    message: 'reconnected',
  });
  assert.ok(last().openedAt - closedAt < 500, 'no backoff before the first retry');
  assert.equal(last().sent[0]!['token'], 'jwt-2');
  last().ackAuth();
  await waitFor(() => last().sent.some((o) => o['op'] === 'subscribe'), {
    timeoutMs: 500,
    message: 'resubscribed',
  });
  c.close();
});

test('a refused auth is an error event; 4029 backs off at least the retryAfterMs heard', async () => {
  FakeSocket.all = [];
  const c = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    token: 'static',
    reconnect: { baseMs: 1, capMs: 1 },
  });
  const errors: TickmeshError[] = [];
  c.on('error', (e) => errors.push(e));
  void c.connect();
  await waitFor(() => last().sent.length > 0, { timeoutMs: 1000, message: 'auth sent' });
  const op = last().sent[0]!;
  last().serve({ type: 'error', id: op['id'], code: 'unauthorized', message: 'token expired' });
  await waitFor(() => errors.length === 1, { timeoutMs: 1000, message: 'error event' });
  assert.equal(errors[0]!.code, 'unauthorized');
  last().ackAuth(); // (a later ack is harmless: the op is gone)

  FakeSocket.all = [];
  const d = new TickmeshClient({
    url: 'ws://fake/ws',
    WebSocket: FakeSocket,
    reconnect: { baseMs: 1, capMs: 1 },
  });
  await d.connect();
  const s = last();
  s.serve({ type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 300 });
  const closedAt = performance.now();
  s.close(4029, 'rate limited');
  await waitFor(() => FakeSocket.all.length === 2, { timeoutMs: 2000, message: 'reconnected' });
  assert.ok(last().openedAt - closedAt >= 280, `waited ${last().openedAt - closedAt} ms`);
  c.close();
  d.close();
});

test('subscribe errors carry retryAfterMs (overloaded)', async () => {
  FakeSocket.all = [];
  const c = new TickmeshClient({ url: 'ws://fake/ws', WebSocket: FakeSocket });
  await c.connect();
  const p = c.subscribe('tob.binance.BTC-USDT', () => undefined);
  await waitFor(() => last().sent.length > 0, { timeoutMs: 1000, message: 'subscribe sent' });
  const id = last().sent[0]!['id'];
  last().serve({
    type: 'error',
    id,
    code: 'overloaded',
    message: 'busy',
    channel: 'tob.binance.BTC-USDT',
    retryAfterMs: 1000,
  });
  last().serve({ type: 'ack', id, op: 'subscribe', channels: [] });
  await assert.rejects(p, (e: TickmeshError) => e.code === 'overloaded' && e.retryAfterMs === 1000);
  c.close();
});
