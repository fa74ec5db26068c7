import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  Deadline,
  GUARD_CLOSE_REASONS,
  guardMetrics,
  ManualTimers,
  MustSubscribeGuard,
  TokenExpiryGuard,
  type GuardReason,
} from './connection-guards';

test('must-subscribe: fires after N ms without a subscription', () => {
  const timers = new ManualTimers();
  const fired: GuardReason[] = [];
  const g = new MustSubscribeGuard(10_000, (r) => fired.push(r), true, timers);
  timers.advance(9_999);
  assert.equal(fired.length, 0);
  timers.advance(1);
  assert.deepEqual(fired, ['subscribe_timeout']);
  assert.equal(GUARD_CLOSE_REASONS.subscribe_timeout.code, 4010);
  g.stop();
});

test('must-subscribe: a subscription disarms it; dropping to zero re-arms (rearm) or not', () => {
  const timers = new ManualTimers();
  const fired: GuardReason[] = [];
  const g = new MustSubscribeGuard(1000, (r) => fired.push(r), true, timers);
  timers.advance(500);
  g.subscriptionsChanged(2);
  assert.equal(g.armed, false);
  timers.advance(5000);
  assert.equal(fired.length, 0);
  g.subscriptionsChanged(0);
  assert.equal(g.armed, true);
  g.subscriptionsChanged(0); // no restart of a running countdown
  timers.advance(999);
  assert.equal(fired.length, 0);
  timers.advance(1);
  assert.deepEqual(fired, ['subscribe_timeout']);

  const once_ = new MustSubscribeGuard(1000, (r) => fired.push(r), false, timers);
  once_.subscriptionsChanged(1);
  once_.subscriptionsChanged(0);
  timers.advance(10_000);
  assert.equal(fired.length, 1, 'rearm=false: only the connect-time window');
  once_.stop();
  assert.equal(timers.size, 0);
});

test('MUST_SUBSCRIBE_MS=0 disables the guard', () => {
  const timers = new ManualTimers();
  const g = new MustSubscribeGuard(0, () => assert.fail('fired'), true, timers);
  g.subscriptionsChanged(0);
  timers.advance(1e9);
  assert.equal(timers.size, 0);
});

test('auth deadline fires once; cleared after a successful auth', () => {
  const timers = new ManualTimers();
  const fired: GuardReason[] = [];
  const before = guardMetrics.closesOf('auth_timeout');
  const d = new Deadline('auth_timeout', (r) => fired.push(r), timers);
  d.arm(5000);
  timers.advance(5000);
  assert.deepEqual(fired, ['auth_timeout']);
  d.arm(5000);
  timers.advance(10_000);
  assert.equal(fired.length, 1, 'one-shot');
  assert.equal(guardMetrics.closesOf('auth_timeout'), before + 1);
  const ok = new Deadline('auth_timeout', (r) => fired.push(r), timers);
  ok.arm(5000);
  ok.clear();
  timers.advance(10_000);
  assert.equal(fired.length, 1);
});

test('token expiry: fires at exp, handles delays beyond the setTimeout maximum, none without exp', () => {
  const timers = new ManualTimers();
  const fired: GuardReason[] = [];
  const now = 1_000_000;
  new TokenExpiryGuard(
    now + 60_000,
    (r) => fired.push(r),
    () => now,
    timers,
  );
  timers.advance(59_999);
  assert.equal(fired.length, 0);
  timers.advance(1);
  assert.deepEqual(fired, ['token_expired']);

  const far = 40 * 24 * 3600 * 1000; // 40 days > 2^31 − 1 ms
  new TokenExpiryGuard(
    now + far,
    (r) => fired.push(r),
    () => now,
    timers,
  );
  timers.advance(far - 1);
  assert.equal(fired.length, 1);
  timers.advance(1);
  assert.equal(fired.length, 2);

  new TokenExpiryGuard(
    now - 5,
    (r) => fired.push(r),
    () => now,
    timers,
  );
  timers.advance(1);
  assert.equal(fired.length, 3, 'already expired: closes on the next turn');
  new TokenExpiryGuard(
    undefined,
    () => assert.fail('no exp'),
    () => now,
    timers,
  );
  assert.equal(timers.size, 0);
});

test('over a real WebSocket: an idle client is closed with 4010 "subscribe timeout"', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  t.after(() => wss.close());
  wss.on('connection', (ws) => {
    const guard = new MustSubscribeGuard(50, (why) => {
      const { code, reason } = GUARD_CLOSE_REASONS[why];
      ws.close(code, reason);
    });
    ws.on('close', () => guard.stop());
  });
  const c = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const [code, reason] = (await once(c, 'close')) as [number, Buffer];
  assert.equal(code, 4010);
  assert.equal(reason.toString(), 'subscribe timeout');
});
