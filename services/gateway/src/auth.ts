/**
 * Optional JWT authentication at connect, and per-channel authorization from a `channels` claim.
 * Format, codes and examples: docs/gateway-security.md.
 *
 * - Modes: `off` (public: every connection may use every channel), `hs256` (shared secret),
 *   `rs256` (SPKI PEM public key), `jwks` (remote key set, jose `createRemoteJWKSet`: cached,
 *   refetched on an unknown `kid` at most once per cooldown).
 * - The token comes from `Authorization: Bearer <jwt>`, the `?token=` query parameter, or (WebSocket
 *   only) the first client message `{"op":"auth","token":"<jwt>"}`.
 * - `exp` and `nbf` are always checked when present (with JWT_CLOCK_TOLERANCE_S); `iss` and `aud`
 *   when JWT_ISSUER / JWT_AUDIENCE are set. Only the configured algorithm is accepted (no `none`,
 *   no HS/RS confusion).
 * - Failures are `AuthError`s with a stable `code` (`unauthorized`, `forbidden`, `unavailable`) and a
 *   `reason` for logs and metrics; `AUTH_CLOSE_CODES` / `AUTH_HTTP_STATUS` map them to transports.
 *
 * No I/O happens at module load; `Authenticator.create` imports the key once.
 */
import {
  createRemoteJWKSet,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { metrics } from '@tickmesh/observability';
import type { AuthConfig } from './protection-config';

// ─── codes ──────────────────────────────────────────────────────────────────────────────────────

/** Error codes added to the protocol's ERROR_CODES by this layer. */
export type AuthErrorCode = 'unauthorized' | 'forbidden' | 'unavailable';

/** Why a token or a channel was refused (logs and `tickmesh_gateway_auth_total{result}`). */
export type AuthFailure =
  | 'missing_token'
  | 'malformed_token'
  | 'bad_signature'
  | 'alg_not_allowed'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_issuer'
  | 'bad_audience'
  | 'bad_claims'
  | 'invalid_channels_claim'
  | 'auth_timeout'
  | 'channel_not_granted'
  | 'jwks_unavailable';

/** WebSocket close codes (4000 + the HTTP status they mirror). */
export const AUTH_CLOSE_CODES = {
  /** no valid token: at connect, after the `auth` deadline, or when the token expires */
  unauthorized: 4001,
  /** the token grants no channel at all (subscribe-time refusals are `error` frames, not closes) */
  forbidden: 4003,
  /** RFC 6455 "try again later": the key set could not be fetched */
  unavailable: 1013,
} as const satisfies Record<AuthErrorCode, number>;

/** HTTP status for SSE requests and refused upgrades. */
export const AUTH_HTTP_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
} as const satisfies Record<AuthErrorCode, number>;

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
  }
  get closeCode(): number {
    return AUTH_CLOSE_CODES[this.code];
  }
  get httpStatus(): number {
    return AUTH_HTTP_STATUS[this.code];
  }
  /** `WWW-Authenticate` value for a 401 (RFC 6750 §3). */
  get wwwAuthenticate(): string | undefined {
    if (this.code !== 'unauthorized') return undefined;
    if (this.reason === 'missing_token') return 'Bearer realm="tickmesh"';
    return `Bearer realm="tickmesh", error="invalid_token", error_description="${this.message.replace(/["\\]/g, '')}"`;
  }
}

// ─── metrics ────────────────────────────────────────────────────────────────────────────────────

const authResults = metrics.counter(
  'tickmesh_gateway_auth_total',
  'connection authentications, by result (ok, public, or the failure reason)',
);
const forbidden = metrics.counter(
  'tickmesh_gateway_forbidden_total',
  'channels refused because the token does not grant them',
);

export const authMetrics = {
  result(result: 'ok' | 'public' | AuthFailure): void {
    authResults.labels({ result }).inc();
  },
  resultOf(result: 'ok' | 'public' | AuthFailure): number {
    return authResults.labels({ result }).value;
  },
  forbidden(): void {
    forbidden.inc();
  },
  forbiddenCount(): number {
    return forbidden.labels().value;
  },
};

// ─── channel claims ─────────────────────────────────────────────────────────────────────────────

/** Kinds of `<kind>.<venue>.<symbol>` channels; `consolidated.<symbol>` is the two-part form. */
export const GRANTABLE_KINDS = ['tob', 'status', 'book', 'trades', 'stats'] as const;
export const CONSOLIDATED = 'consolidated';
export const CHANNELS_CLAIM = 'channels';
const MAX_PATTERNS = 256;
const SEGMENT_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The channels one connection may use, compiled from the `channels` claim. Patterns:
 *   `*`                        every channel
 *   `<kind>.<venue>.<symbol>`  each part a literal or `*` (`tob.binance.*`, `*.*.BTC-USDT`)
 *   `consolidated.<symbol>`    the symbol a literal or `*`
 * A `*` stands for exactly one whole part; `*.*.*` does not match `consolidated.X`.
 */
export class Grant {
  private constructor(
    readonly all: boolean,
    private readonly exact: ReadonlySet<string>,
    private readonly patterns: readonly (readonly (string | undefined)[])[],
    readonly source: readonly string[],
  ) {}

  static readonly ALL = new Grant(true, new Set(), [], ['*']);

  /** Throws `AuthError('unauthorized', 'invalid_channels_claim')` on a malformed claim. */
  static fromClaim(claim: unknown): Grant {
    const bad = (why: string): AuthError =>
      new AuthError('unauthorized', 'invalid_channels_claim', `invalid "${CHANNELS_CLAIM}" claim: ${why}`);
    if (claim === undefined) return new Grant(false, new Set(), [], []);
    if (!Array.isArray(claim)) throw bad('expected an array of channel patterns');
    if (claim.length > MAX_PATTERNS) throw bad(`more than ${MAX_PATTERNS} patterns`);
    const exact = new Set<string>();
    const patterns: (string | undefined)[][] = [];
    for (const p of claim) {
      if (typeof p !== 'string') throw bad('every pattern must be a string');
      if (p === '*') return new Grant(true, new Set(), [], claim as string[]);
      const parts = p.split('.');
      const kind = parts[0];
      const valid =
        (parts.length === 3 &&
          (kind === '*' || (GRANTABLE_KINDS as readonly string[]).includes(kind!)) &&
          parts.slice(1).every((s) => s === '*' || SEGMENT_RE.test(s))) ||
        (parts.length === 2 && kind === CONSOLIDATED && (parts[1] === '*' || SEGMENT_RE.test(parts[1]!)));
      if (!valid)
        throw bad(
          `pattern ${JSON.stringify(p.slice(0, 80))} is not *, kind.venue.symbol or consolidated.symbol`,
        );
      if (parts.includes('*')) patterns.push(parts.map((s) => (s === '*' ? undefined : s)));
      else exact.add(p);
    }
    return new Grant(false, exact, patterns, claim as string[]);
  }

  get empty(): boolean {
    return !this.all && this.exact.size === 0 && this.patterns.length === 0;
  }

  allows(channel: string): boolean {
    if (this.all || this.exact.has(channel)) return true;
    if (this.patterns.length === 0) return false;
    const parts = channel.split('.');
    for (const p of this.patterns) {
      if (p.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < p.length && ok; i++) ok = p[i] === undefined || p[i] === parts[i];
      // `*` in the kind position never matches the two-part consolidated form (length differs).
      if (ok) return true;
    }
    return false;
  }
}

const grantCache = new WeakMap<object, Grant>();

/**
 * Whether the verified `claims` allow `channel`. Public mode passes `undefined` (everything is
 * allowed). A malformed claim allows nothing. Compiled grants are cached per claims object.
 */
export function authorize(claims: JWTPayload | undefined, channel: string): boolean {
  if (claims === undefined) return true;
  let g = grantCache.get(claims);
  if (g === undefined) {
    try {
      g = Grant.fromClaim(claims[CHANNELS_CLAIM]);
    } catch {
      g = Grant.fromClaim([]);
    }
    grantCache.set(claims, g);
  }
  return g.allows(channel);
}

/**
 * The channels of `channels` the principal may not use (counted in `tickmesh_gateway_forbidden_total`);
 * answer each with `forbiddenError(name)`.
 */
export function forbiddenChannels(principal: Principal, channels: readonly string[]): string[] {
  const out: string[] = [];
  for (const ch of channels) {
    if (!principal.grant.allows(ch)) {
      authMetrics.forbidden();
      out.push(ch);
    }
  }
  return out;
}

export function forbiddenError(channel: string): AuthError {
  return new AuthError(
    'forbidden',
    'channel_not_granted',
    `the token does not grant channel ${JSON.stringify(channel.slice(0, 128))}`,
  );
}

// ─── token extraction ───────────────────────────────────────────────────────────────────────────

export type TokenSource = 'header' | 'query' | 'message';
export const MAX_TOKEN_CHARS = 8192;

export interface HeaderBag {
  readonly [name: string]: string | string[] | undefined;
}

/** `Authorization: Bearer <t>` first, then `?token=`. Undefined when neither is present. */
export function tokenFromRequest(
  headers: HeaderBag,
  url: URL,
): { token: string; source: TokenSource } | undefined {
  const h = headers['authorization'];
  const auth = Array.isArray(h) ? h[0] : h;
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+([^\s]+)\s*$/i.exec(auth);
    if (m !== null) return { token: m[1]!, source: 'header' };
  }
  const q = url.searchParams.get('token');
  if (q !== null && q !== '') return { token: q, source: 'query' };
  return undefined;
}

/**
 * If `text` is a WebSocket `{"op":"auth","token":"..."}` message, its token; `null` for an auth op
 * without a usable token; `undefined` for any other message.
 */
export function parseAuthOp(text: string): string | null | undefined {
  if (!text.includes('"auth"')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || (v as { op?: unknown }).op !== 'auth') return undefined;
  const t = (v as { token?: unknown }).token;
  return typeof t === 'string' && t.length > 0 && t.length <= MAX_TOKEN_CHARS ? t : null;
}

// ─── verification ───────────────────────────────────────────────────────────────────────────────

/** Who is on a connection. `claims` is undefined in public mode. */
export interface Principal {
  /** JWT `sub` (the per-key rate-limit key); undefined in public mode */
  readonly sub: string | undefined;
  readonly claims: JWTPayload | undefined;
  readonly grant: Grant;
  /** token expiry (ms since epoch), for closing the connection when it passes */
  readonly expiresAt: number | undefined;
}

export const PUBLIC_PRINCIPAL: Principal = {
  sub: undefined,
  claims: undefined,
  grant: Grant.ALL,
  expiresAt: undefined,
};

export interface AuthenticatorOptions {
  /** clock for exp/nbf (ms since epoch); tests inject it */
  now?: () => number;
}

type Key = CryptoKey | Uint8Array | JWTVerifyGetKey;

export class Authenticator {
  private constructor(
    private readonly cfg: AuthConfig,
    private readonly key: Key | undefined,
    private readonly now: () => number,
  ) {}

  /** Imports the key (PEM parse, or the JWKS getter: no fetch until the first token). */
  static async create(cfg: AuthConfig, opts: AuthenticatorOptions = {}): Promise<Authenticator> {
    const now = opts.now ?? Date.now;
    switch (cfg.mode) {
      case 'off':
        return new Authenticator(cfg, undefined, now);
      case 'hs256':
        if (cfg.secret === undefined) throw new Error('AUTH_MODE=hs256 needs JWT_SECRET');
        return new Authenticator(cfg, new TextEncoder().encode(cfg.secret), now);
      case 'rs256':
        if (cfg.publicKey === undefined) throw new Error('AUTH_MODE=rs256 needs JWT_PUBLIC_KEY');
        return new Authenticator(cfg, await importSPKI(cfg.publicKey, 'RS256'), now);
      case 'jwks':
        if (cfg.jwksUrl === undefined) throw new Error('AUTH_MODE=jwks needs JWKS_URL');
        return new Authenticator(
          cfg,
          createRemoteJWKSet(new URL(cfg.jwksUrl), {
            timeoutDuration: cfg.jwksTimeoutMs,
            cooldownDuration: cfg.jwksCooldownMs,
          }),
          now,
        );
    }
  }

  get enabled(): boolean {
    return this.cfg.mode !== 'off';
  }

  /** Algorithms accepted: exactly the configured one (JWKS keys are RSA or EC signing keys). */
  private get algorithms(): string[] {
    switch (this.cfg.mode) {
      case 'hs256':
        return ['HS256'];
      case 'rs256':
        return ['RS256'];
      default:
        return ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
    }
  }

  /**
   * Verifies a token and compiles its channel grant. Public mode resolves `PUBLIC_PRINCIPAL` for any
   * input (a token sent anyway is ignored). Never rejects: failures come back as `AuthError`.
   */
  async authenticate(token: string | undefined): Promise<Principal | AuthError> {
    if (!this.enabled) {
      authMetrics.result('public');
      return PUBLIC_PRINCIPAL;
    }
    const r = await this.verify(token);
    authMetrics.result(r instanceof AuthError ? r.reason : 'ok');
    return r;
  }

  private async verify(token: string | undefined): Promise<Principal | AuthError> {
    if (token === undefined || token === '')
      return new AuthError('unauthorized', 'missing_token', 'a bearer token is required');
    if (token.length > MAX_TOKEN_CHARS)
      return new AuthError('unauthorized', 'malformed_token', 'token too long');
    const options: JWTVerifyOptions = {
      algorithms: this.algorithms,
      clockTolerance: this.cfg.clockToleranceSec,
      currentDate: new Date(this.now()),
    };
    if (this.cfg.issuer !== undefined) options.issuer = this.cfg.issuer;
    if (this.cfg.audience !== undefined) options.audience = this.cfg.audience;
    let payload: JWTPayload;
    try {
      const key = this.key!;
      payload =
        typeof key === 'function'
          ? (await jwtVerify(token, key, options)).payload
          : (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      return mapJoseError(err, this.cfg.mode === 'jwks');
    }
    let grant: Grant;
    try {
      grant = Grant.fromClaim(payload[CHANNELS_CLAIM]);
    } catch (err) {
      return err as AuthError;
    }
    if (payload.sub !== undefined && (typeof payload.sub !== 'string' || payload.sub.length > 256))
      return new AuthError('unauthorized', 'bad_claims', 'invalid "sub" claim');
    return {
      sub: payload.sub,
      claims: payload,
      grant,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    };
  }
}

function mapJoseError(err: unknown, jwks: boolean): AuthError {
  const code = (err as { code?: unknown }).code;
  const claim = (err as { claim?: unknown }).claim;
  const msg = (err as Error).message ?? String(err);
  const u = (reason: AuthFailure, m: string): AuthError => new AuthError('unauthorized', reason, m);
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return u('expired', 'token expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return u('not_yet_valid', 'token not yet valid');
      if (claim === 'iss') return u('bad_issuer', 'unexpected token issuer');
      if (claim === 'aud') return u('bad_audience', 'unexpected token audience');
      return u('bad_claims', `invalid token claim ${String(claim)}`);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return u('bad_signature', 'token signature invalid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return u('alg_not_allowed', 'token algorithm not accepted');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return u('unknown_key', 'no key for the token');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return u('malformed_token', 'malformed token');
    default:
      // Key set down (timeout, HTTP error, bad JSON, connection refused): not the client's fault.
      if (jwks)
        return new AuthError('unavailable', 'jwks_unavailable', 'token keys unavailable, retry later');
      return u('malformed_token', `token rejected: ${msg.slice(0, 100)}`);
  }
}
