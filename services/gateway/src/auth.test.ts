import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import {
  AUTH_CLOSE_CODES,
  AuthError,
  Authenticator,
  authMetrics,
  authorize,
  forbiddenChannels,
  forbiddenError,
  Grant,
  parseAuthOp,
  PUBLIC_PRINCIPAL,
  tokenFromRequest,
  type Principal,
} from './auth';
import type { AuthConfig } from './protection-config';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const nowS = Math.floor(NOW / 1000);

function cfg(over: Partial<AuthConfig>): AuthConfig {
  return {
    mode: 'hs256',
    secret: SECRET,
    clockToleranceSec: 5,
    authTimeoutMs: 5000,
    jwksTimeoutMs: 1000,
    jwksCooldownMs: 0,
    ...over,
  };
}

function hs(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

function principal(r: Principal | AuthError): Principal {
  if (r instanceof AuthError) assert.fail(`expected a principal, got ${r.reason}: ${r.message}`);
  return r;
}
function failure(r: Principal | AuthError): AuthError {
  if (!(r instanceof AuthError)) assert.fail('expected an AuthError');
  return r;
}

test('claim patterns: literal, per-part wildcards, consolidated, all', () => {
  const g = Grant.fromClaim([
    'tob.binance.*',
    '*.*.BTC-USDT',
    'consolidated.ETH-USDT',
    'status.okx.SOL-USDT',
  ]);
  assert.ok(g.allows('tob.binance.ETH-USDT'));
  assert.ok(g.allows('book.kraken.BTC-USDT'));
  assert.ok(g.allows('trades.coinbase.BTC-USDT'));
  assert.ok(g.allows('consolidated.ETH-USDT'));
  assert.ok(g.allows('status.okx.SOL-USDT'));
  assert.ok(!g.allows('status.binance.ETH-USDT'));
  assert.ok(!g.allows('consolidated.BTC-USDT'), '*.*.X does not match the two-part consolidated form');
  assert.ok(!g.allows('tob.binance'), 'part count must match');
  assert.ok(!g.allows('tob.binance.ETH-USDT.x'));
  assert.ok(Grant.fromClaim(['*']).allows('consolidated.BTC-USDT'));
  assert.ok(Grant.fromClaim(['consolidated.*']).allows('consolidated.BTC-USDT'));
  assert.ok(Grant.fromClaim(undefined).empty, 'no claim grants nothing');
  const before = authMetrics.forbiddenCount();
  const p: Principal = { sub: 's', claims: {}, grant: g, expiresAt: undefined };
  assert.deepEqual(forbiddenChannels(p, ['tob.binance.X-Y', 'status.binance.X-Y', 'consolidated.BTC-USDT']), [
    'status.binance.X-Y',
    'consolidated.BTC-USDT',
  ]);
  assert.equal(authMetrics.forbiddenCount(), before + 2);
  const e = forbiddenError('status.binance.X-Y');
  assert.equal(e.code, 'forbidden');
  assert.equal(e.httpStatus, 403);
});

test('malformed channel claims are refused', () => {
  for (const bad of [
    'tob.*',
    ['tob.binance'],
    ['quotes.binance.BTC-USDT'],
    [1],
    ['tob..X'],
    ['consolidated.a.b'],
    ['**'],
  ]) {
    assert.throws(
      () => Grant.fromClaim(bad),
      (e: unknown) => e instanceof AuthError && e.reason === 'invalid_channels_claim',
      JSON.stringify(bad),
    );
  }
});

test('authorize(claims, channel): public mode allows all; malformed claims allow nothing', () => {
  assert.equal(authorize(undefined, 'tob.binance.BTC-USDT'), true);
  const claims = { sub: 'u1', channels: ['tob.*.BTC-USDT'] };
  assert.equal(authorize(claims, 'tob.okx.BTC-USDT'), true);
  assert.equal(authorize(claims, 'tob.okx.ETH-USDT'), false);
  assert.equal(authorize({ channels: 'tob.*.*' }, 'tob.okx.ETH-USDT'), false);
});

test('token from Authorization: Bearer, then ?token=, and the WS auth op', () => {
  const u = new URL('http://gw/ws?token=qqq');
  assert.deepEqual(tokenFromRequest({ authorization: 'Bearer abc.def.ghi' }, u), {
    token: 'abc.def.ghi',
    source: 'header',
  });
  assert.deepEqual(tokenFromRequest({ authorization: 'bearer  x ' }, u), { token: 'x', source: 'header' });
  assert.deepEqual(tokenFromRequest({ authorization: 'Basic Zm9v' }, u), { token: 'qqq', source: 'query' });
  assert.equal(tokenFromRequest({}, new URL('http://gw/ws')), undefined);
  assert.equal(parseAuthOp('{"op":"auth","token":"t1"}'), 't1');
  assert.equal(parseAuthOp('{"op":"auth"}'), null);
  assert.equal(parseAuthOp('{"op":"auth","token":5}'), null);
  assert.equal(parseAuthOp('{"op":"subscribe","channels":["auth"]}'), undefined);
  assert.equal(parseAuthOp('not json "auth"'), undefined);
});

test('public mode: any token or none gives the all-channels principal', async () => {
  const a = await Authenticator.create(cfg({ mode: 'off' }));
  assert.equal(a.enabled, false);
  assert.equal(await a.authenticate(undefined), PUBLIC_PRINCIPAL);
  assert.equal(await a.authenticate('garbage'), PUBLIC_PRINCIPAL);
});

test('HS256: valid token, sub, grant and expiry; exp / nbf / iss / aud / signature / alg checked', async () => {
  const a = await Authenticator.create(cfg({ issuer: 'https://idp', audience: ['tickmesh'] }), {
    now: () => NOW,
  });
  const base = { iss: 'https://idp', aud: 'tickmesh', sub: 'acct-7', channels: ['tob.binance.*'] };
  const p = principal(await a.authenticate(await hs({ ...base, exp: nowS + 60 })));
  assert.equal(p.sub, 'acct-7');
  assert.equal(p.expiresAt, (nowS + 60) * 1000);
  assert.ok(p.grant.allows('tob.binance.BTC-USDT'));
  assert.ok(!p.grant.allows('tob.okx.BTC-USDT'));

  const reason = async (payload: JWTPayload, secret?: string): Promise<string> =>
    failure(await a.authenticate(await hs(payload, secret))).reason;
  assert.equal(await reason({ ...base, exp: nowS - 60 }), 'expired');
  // within JWT_CLOCK_TOLERANCE_S (5 s): still valid
  principal(await a.authenticate(await hs({ ...base, exp: nowS - 3 })));
  assert.equal(await reason({ ...base, nbf: nowS + 60 }), 'not_yet_valid');
  assert.equal(await reason({ ...base, iss: 'https://evil' }), 'bad_issuer');
  assert.equal(await reason({ ...base, aud: 'other' }), 'bad_audience');
  assert.equal(await reason(base, 'another-secret-of-at-least-32-bytes!!!'), 'bad_signature');
  assert.equal(await reason({ ...base, channels: 'tob.*' }), 'invalid_channels_claim');
  assert.equal(failure(await a.authenticate(undefined)).reason, 'missing_token');
  assert.equal(failure(await a.authenticate('a.b.c')).reason, 'malformed_token');

  // alg confusion: an RS256 token is refused by an HS256 gateway before any key use
  const { privateKey } = await generateKeyPair('RS256');
  const rs = await new SignJWT(base).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  assert.equal(failure(await a.authenticate(rs)).reason, 'alg_not_allowed');

  const e = failure(await a.authenticate(undefined));
  assert.equal(e.code, 'unauthorized');
  assert.equal(e.closeCode, AUTH_CLOSE_CODES.unauthorized);
  assert.equal(e.httpStatus, 401);
  assert.match(e.wwwAuthenticate ?? '', /^Bearer realm="tickmesh"$/);
  assert.ok(authMetrics.resultOf('expired') >= 1);
  assert.ok(authMetrics.resultOf('ok') >= 1);
});

test('RS256 with a PEM public key', async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const pem = await exportSPKI(publicKey);
  const a = await Authenticator.create(cfg({ mode: 'rs256', publicKey: pem, secret: undefined }), {
    now: () => NOW,
  });
  const tok = await new SignJWT({ sub: 's', channels: ['*'], exp: nowS + 10 })
    .setProtectedHeader({ alg: 'RS256' })
    .sign(privateKey);
  assert.ok(principal(await a.authenticate(tok)).grant.all);
  // an HS256 token signed with the PEM text as the secret (classic key confusion) is refused
  const confused = await hs({ sub: 's', channels: ['*'] }, pem);
  assert.equal(failure(await a.authenticate(confused)).reason, 'alg_not_allowed');
});

async function serveJwks(
  body: () => { status: number; json: unknown },
): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    const b = body();
    res.writeHead(b.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(b.json));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, server, hits: () => hits };
}

test('JWKS: keys from a local key-set server, unknown kid refused, key set down → unavailable', async (t) => {
  const k1 = await generateKeyPair('RS256', { extractable: true });
  const k2 = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let up = true;
  const srv = await serveJwks(() =>
    up ? { status: 200, json: { keys: [jwk] } } : { status: 500, json: {} },
  );
  t.after(() => srv.server.close());

  const a = await Authenticator.create(
    cfg({ mode: 'jwks', jwksUrl: srv.url, secret: undefined, audience: ['tickmesh'] }),
    {
      now: () => NOW,
    },
  );
  const sign = (key: CryptoKey, kid: string, payload: JWTPayload): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);

  const ok = await sign(k1.privateKey, 'k1', { sub: 'jw', aud: 'tickmesh', channels: ['tob.binance.*'] });
  assert.equal(principal(await a.authenticate(ok)).sub, 'jw');
  assert.equal(srv.hits(), 1);
  // cached: no refetch for a known kid
  principal(await a.authenticate(ok));
  assert.equal(srv.hits(), 1);

  const wrongKid = await sign(k2.privateKey, 'k2', { sub: 'jw', aud: 'tickmesh' });
  assert.equal(failure(await a.authenticate(wrongKid)).reason, 'unknown_key');
  const wrongKey = await sign(k2.privateKey, 'k1', { sub: 'jw', aud: 'tickmesh' });
  assert.equal(failure(await a.authenticate(wrongKey)).reason, 'bad_signature');

  // a fresh authenticator while the key set is down: unavailable (1013 / 503), not unauthorized
  up = false;
  const b = await Authenticator.create(cfg({ mode: 'jwks', jwksUrl: srv.url, secret: undefined }), {
    now: () => NOW,
  });
  const e = failure(await b.authenticate(ok));
  assert.equal(e.code, 'unavailable');
  assert.equal(e.reason, 'jwks_unavailable');
  assert.equal(e.closeCode, 1013);
  assert.equal(e.httpStatus, 503);
});
