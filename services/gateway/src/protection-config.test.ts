import { test } from 'node:test';
import assert from 'node:assert/strict';
import { protectionConfig, ProtectionConfigError, protectionDisabled } from './protection-config';

const PEM = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----';

function problems(env: Record<string, string>): string[] {
  try {
    protectionConfig(env);
  } catch (err) {
    assert.ok(err instanceof ProtectionConfigError);
    return err.problems;
  }
  return assert.fail('expected a ProtectionConfigError');
}

test('defaults: auth off, limits on, guards and breaker set', () => {
  const c = protectionConfig({});
  assert.equal(c.auth.mode, 'off');
  assert.equal(c.auth.issuer, undefined);
  assert.deepEqual(c.rate, {
    connectPerIp: 60,
    connectPerKey: 120,
    opsPerConn: 20,
    opsBurst: 100,
    redisPrefix: 'tickmesh:rl',
    redisTimeoutMs: 100,
    trustProxy: false,
  });
  assert.equal(c.guards.mustSubscribeMs, 10_000);
  assert.deepEqual(c.concurrency, { enabled: true, algorithm: 'gradient2', min: 20, max: 200, initial: 20 });
  assert.deepEqual(c.breaker, { failures: 5, halfOpenMs: 5000, timeoutMs: 500 });
});

test('auth modes take their key material; issuer and audience lists', () => {
  const hs = protectionConfig({
    AUTH_MODE: 'HS256',
    JWT_SECRET: 'x'.repeat(32),
    JWT_ISSUER: 'https://idp',
    JWT_AUDIENCE: 'a, b',
  });
  assert.equal(hs.auth.mode, 'hs256');
  assert.equal(hs.auth.secret, 'x'.repeat(32));
  assert.deepEqual(hs.auth.audience, ['a', 'b']);
  assert.equal(
    protectionConfig({ AUTH_MODE: 'rs256', JWT_PUBLIC_KEY: PEM.replace(/\n/g, '\\n') }).auth.publicKey,
    PEM,
  );
  assert.equal(
    protectionConfig({ AUTH_MODE: 'jwks', JWKS_URL: 'https://idp/jwks' }).auth.jwksUrl,
    'https://idp/jwks',
  );
});

test('invalid values name the variable; all problems are reported at once', () => {
  assert.deepEqual(problems({ AUTH_MODE: 'basic' }), [
    'AUTH_MODE: expected one of off|hs256|rs256|jwks, got "basic"',
  ]);
  assert.match(
    problems({ AUTH_MODE: 'hs256', JWT_SECRET: 'short' })[0]!,
    /^JWT_SECRET: required with AUTH_MODE=hs256/,
  );
  assert.match(problems({ AUTH_MODE: 'rs256', JWT_PUBLIC_KEY: 'nope' })[0]!, /^JWT_PUBLIC_KEY:/);
  assert.match(problems({ AUTH_MODE: 'jwks', JWKS_URL: 'ftp://x' })[0]!, /^JWKS_URL:/);
  const many = problems({
    RATE_CONNECT_PER_IP: 'ten',
    RATE_OPS_PER_CONN: '-1',
    MUST_SUBSCRIBE_MS: '1.5',
    TRUST_PROXY: 'maybe',
  });
  assert.deepEqual(
    many.map((p) => p.split(':')[0]),
    ['RATE_CONNECT_PER_IP', 'RATE_OPS_PER_CONN', 'TRUST_PROXY', 'MUST_SUBSCRIBE_MS'],
  );
  assert.match(
    problems({ SNAPSHOT_CONCURRENCY_MIN: '50', SNAPSHOT_CONCURRENCY_MAX: '10' })[0]!,
    /^SNAPSHOT_CONCURRENCY_MIN: 50 is above/,
  );
  assert.match(problems({ SNAPSHOT_CONCURRENCY_INITIAL: '500' })[0]!, /^SNAPSHOT_CONCURRENCY_INITIAL:/);
  assert.match(
    problems({ BREAKER_FAILURES: '0' })[0]!,
    /^BREAKER_FAILURES: expected an integer in \[1, 1000\], got 0/,
  );
  assert.match(problems({ SNAPSHOT_CONCURRENCY: 'aimd' })[0]!, /^SNAPSHOT_CONCURRENCY:/);
  assert.equal(protectionConfig({ SNAPSHOT_CONCURRENCY: 'off' }).concurrency.enabled, false);
  assert.throws(
    () => protectionConfig({ BREAKER_TIMEOUT_MS: 'x' }),
    /invalid configuration: BREAKER_TIMEOUT_MS/,
  );
});

test('protectionDisabled(): no limits, no guard, no adaptive limit, auth off', () => {
  const c = protectionDisabled();
  assert.equal(c.auth.mode, 'off');
  assert.deepEqual([c.rate.connectPerIp, c.rate.connectPerKey, c.rate.opsPerConn], [0, 0, 0]);
  assert.equal(c.guards.mustSubscribeMs, 0);
  assert.equal(c.concurrency.enabled, false);
});
