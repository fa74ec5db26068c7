/**
 * Configuration of the gateway's protection layer (auth, rate limits, connection guards, snapshot
 * concurrency, circuit breaker), read from environment variables. Kept apart from config.ts so it
 * can be wired in without touching the core schema; `protectionConfig(process.env)` throws one
 * `ProtectionConfigError` naming every bad variable (the process stops with that line).
 *
 * See docs/gateway-security.md for what each setting does.
 */

export type AuthMode = 'off' | 'hs256' | 'rs256' | 'jwks';
export const AUTH_MODES: readonly AuthMode[] = ['off', 'hs256', 'rs256', 'jwks'];

export interface AuthConfig {
  mode: AuthMode;
  /** AUTH_MODE=hs256: the shared secret (UTF-8 bytes), at least 32 bytes */
  secret?: string;
  /** AUTH_MODE=rs256: SPKI PEM (`-----BEGIN PUBLIC KEY-----`) */
  publicKey?: string;
  /** AUTH_MODE=jwks: the key set URL */
  jwksUrl?: string;
  /** required `iss` (unset: not checked) */
  issuer?: string;
  /** required `aud`, one of these (unset: not checked) */
  audience?: string[];
  /** allowed clock skew for exp/nbf, seconds */
  clockToleranceSec: number;
  /** WebSocket: how long a connection without a token may take to send `{op:"auth"}` */
  authTimeoutMs: number;
  /** JWKS: HTTP timeout of a key-set fetch, and the minimum time between two refetches */
  jwksTimeoutMs: number;
  jwksCooldownMs: number;
}

export interface RateLimitConfig {
  /** new connections per client IP per minute, over all replicas (0 = unlimited) */
  connectPerIp: number;
  /** new connections per key (JWT `sub` or API key) per minute, over all replicas (0 = unlimited) */
  connectPerKey: number;
  /** client operations per connection per second (0 = unlimited) */
  opsPerConn: number;
  /** operations a connection may send at once after a quiet period (token bucket capacity, ≥ the rate) */
  opsBurst: number;
  /** Redis key prefix of the shared counters */
  redisPrefix: string;
  /** deadline of one Redis limiter call before the in-memory limiter answers */
  redisTimeoutMs: number;
  /** honour X-Forwarded-For (first address) for the client IP: only behind a trusted proxy */
  trustProxy: boolean;
}

export interface GuardConfig {
  /** close a connection that has no subscription this long after connecting (0 = off) */
  mustSubscribeMs: number;
}

export interface ConcurrencyConfig {
  /** 0 disables the adaptive limiter */
  enabled: boolean;
  algorithm: 'gradient2' | 'vegas';
  min: number;
  max: number;
  initial: number;
}

export interface BreakerConfig {
  /** consecutive failures that open the breaker */
  failures: number;
  /** open → half-open after this long */
  halfOpenMs: number;
  /** per-call deadline (counted as a failure) */
  timeoutMs: number;
}

export interface ProtectionConfig {
  auth: AuthConfig;
  rate: RateLimitConfig;
  guards: GuardConfig;
  concurrency: ConcurrencyConfig;
  breaker: BreakerConfig;
}

export class ProtectionConfigError extends Error {
  override readonly name = 'ProtectionConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable this module reads, with its default (documentation and tests). */
export const PROTECTION_ENV_DEFAULTS = {
  AUTH_MODE: 'off',
  JWT_SECRET: '',
  JWT_PUBLIC_KEY: '',
  JWKS_URL: '',
  JWT_ISSUER: '',
  JWT_AUDIENCE: '',
  JWT_CLOCK_TOLERANCE_S: '5',
  AUTH_TIMEOUT_MS: '5000',
  JWKS_TIMEOUT_MS: '2000',
  JWKS_COOLDOWN_MS: '30000',
  RATE_CONNECT_PER_IP: '60',
  RATE_CONNECT_PER_KEY: '120',
  RATE_OPS_PER_CONN: '20',
  RATE_OPS_BURST: '100',
  RATE_REDIS_PREFIX: 'tickmesh:rl',
  RATE_REDIS_TIMEOUT_MS: '100',
  TRUST_PROXY: 'false',
  MUST_SUBSCRIBE_MS: '10000',
  SNAPSHOT_CONCURRENCY: 'gradient2',
  SNAPSHOT_CONCURRENCY_MIN: '20',
  SNAPSHOT_CONCURRENCY_MAX: '200',
  SNAPSHOT_CONCURRENCY_INITIAL: '20',
  BREAKER_FAILURES: '5',
  BREAKER_HALF_OPEN_MS: '5000',
  BREAKER_TIMEOUT_MS: '500',
} as const;

export function protectionConfig(env: Env = process.env): ProtectionConfig {
  const problems: string[] = [];
  const str = (name: keyof typeof PROTECTION_ENV_DEFAULTS): string => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? PROTECTION_ENV_DEFAULTS[name] : v.trim();
  };
  const int = (name: keyof typeof PROTECTION_ENV_DEFAULTS, min: number, max: number): number => {
    const raw = str(name);
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
      return Number(PROTECTION_ENV_DEFAULTS[name]);
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name}: expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  };
  const bool = (name: keyof typeof PROTECTION_ENV_DEFAULTS): boolean => {
    const raw = str(name).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
    return false;
  };

  const modeRaw = str('AUTH_MODE').toLowerCase();
  let mode: AuthMode = 'off';
  if ((AUTH_MODES as readonly string[]).includes(modeRaw)) mode = modeRaw as AuthMode;
  else problems.push(`AUTH_MODE: expected one of ${AUTH_MODES.join('|')}, got ${JSON.stringify(modeRaw)}`);

  const auth: AuthConfig = {
    mode,
    clockToleranceSec: int('JWT_CLOCK_TOLERANCE_S', 0, 300),
    authTimeoutMs: int('AUTH_TIMEOUT_MS', 100, 60_000),
    jwksTimeoutMs: int('JWKS_TIMEOUT_MS', 100, 30_000),
    jwksCooldownMs: int('JWKS_COOLDOWN_MS', 0, 3_600_000),
  };
  const issuer = str('JWT_ISSUER');
  if (issuer !== '') auth.issuer = issuer;
  const audience = str('JWT_AUDIENCE')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (audience.length > 0) auth.audience = audience;

  const secret = env['JWT_SECRET'] ?? '';
  const publicKey = (env['JWT_PUBLIC_KEY'] ?? '').replace(/\\n/g, '\n').trim();
  const jwksUrl = str('JWKS_URL');
  if (mode === 'hs256') {
    if (Buffer.byteLength(secret, 'utf8') < 32)
      problems.push('JWT_SECRET: required with AUTH_MODE=hs256, at least 32 bytes (RFC 7518 §3.2)');
    else auth.secret = secret;
  }
  if (mode === 'rs256') {
    if (!/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/.test(publicKey))
      problems.push(
        'JWT_PUBLIC_KEY: required with AUTH_MODE=rs256, an SPKI PEM (-----BEGIN PUBLIC KEY-----)',
      );
    else auth.publicKey = publicKey;
  }
  if (mode === 'jwks') {
    let ok = false;
    try {
      const u = new URL(jwksUrl);
      ok = u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      ok = false;
    }
    if (!ok)
      problems.push(`JWKS_URL: required with AUTH_MODE=jwks, an http(s) URL, got ${JSON.stringify(jwksUrl)}`);
    else auth.jwksUrl = jwksUrl;
  }

  const rate: RateLimitConfig = {
    connectPerIp: int('RATE_CONNECT_PER_IP', 0, 1_000_000),
    connectPerKey: int('RATE_CONNECT_PER_KEY', 0, 1_000_000),
    opsPerConn: int('RATE_OPS_PER_CONN', 0, 100_000),
    opsBurst: int('RATE_OPS_BURST', 1, 1_000_000),
    redisPrefix: str('RATE_REDIS_PREFIX'),
    redisTimeoutMs: int('RATE_REDIS_TIMEOUT_MS', 5, 10_000),
    trustProxy: bool('TRUST_PROXY'),
  };

  const guards: GuardConfig = { mustSubscribeMs: int('MUST_SUBSCRIBE_MS', 0, 3_600_000) };

  const algRaw = str('SNAPSHOT_CONCURRENCY').toLowerCase();
  let algorithm: ConcurrencyConfig['algorithm'] = 'gradient2';
  let enabled = true;
  if (algRaw === 'off') enabled = false;
  else if (algRaw === 'gradient2' || algRaw === 'vegas') algorithm = algRaw;
  else problems.push(`SNAPSHOT_CONCURRENCY: expected gradient2|vegas|off, got ${JSON.stringify(algRaw)}`);
  const min = int('SNAPSHOT_CONCURRENCY_MIN', 1, 100_000);
  const max = int('SNAPSHOT_CONCURRENCY_MAX', 1, 100_000);
  const initial = int('SNAPSHOT_CONCURRENCY_INITIAL', 1, 100_000);
  if (min > max) problems.push(`SNAPSHOT_CONCURRENCY_MIN: ${min} is above SNAPSHOT_CONCURRENCY_MAX (${max})`);
  else if (initial < min || initial > max)
    problems.push(
      `SNAPSHOT_CONCURRENCY_INITIAL: ${initial} is outside [SNAPSHOT_CONCURRENCY_MIN, SNAPSHOT_CONCURRENCY_MAX] = [${min}, ${max}]`,
    );

  const breaker: BreakerConfig = {
    failures: int('BREAKER_FAILURES', 1, 1000),
    halfOpenMs: int('BREAKER_HALF_OPEN_MS', 10, 3_600_000),
    timeoutMs: int('BREAKER_TIMEOUT_MS', 1, 60_000),
  };

  if (problems.length > 0) throw new ProtectionConfigError(problems);
  return { auth, rate, guards, concurrency: { enabled, algorithm, min, max, initial }, breaker };
}

/**
 * Everything off except auth-free defaults: no rate limits, no must-subscribe guard, no adaptive
 * snapshot limit. For `startGateway` embedders and tests that open many connections from one IP.
 */
export function protectionDisabled(): ProtectionConfig {
  return protectionConfig({
    RATE_CONNECT_PER_IP: '0',
    RATE_CONNECT_PER_KEY: '0',
    RATE_OPS_PER_CONN: '0',
    MUST_SUBSCRIBE_MS: '0',
    SNAPSHOT_CONCURRENCY: 'off',
  });
}
