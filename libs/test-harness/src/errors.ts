/**
 * Every failure the harness raises on purpose. `code` is stable so tests can branch on it
 * (`err.code === 'EXTERNAL_SERVER'`) instead of matching message text; the message is written for
 * a human reading a failed CI run and carries the log tail when a process is involved.
 */
export type HarnessErrorCode =
  /** A `waitFor` condition did not hold before its deadline. */
  | 'TIMEOUT'
  /** `nats-server` / `redis-server` (or a service command) is not installed or not executable. */
  | 'BINARY_NOT_FOUND'
  /** The OS refused to start the process (spawn error). */
  | 'SPAWN_FAILED'
  /** The process exited before it became ready. */
  | 'EXITED'
  /** The port stayed taken for the whole retry window. */
  | 'PORT_IN_USE'
  /** A server given through NATS_URL / REDIS_URL cannot be stopped, restarted or killed. */
  | 'EXTERNAL_SERVER'
  /** An external server given through NATS_URL / REDIS_URL did not answer. */
  | 'UNREACHABLE'
  /** TICKMESH_TESTCONTAINERS=1 but the optional `testcontainers` package is not installed. */
  | 'TESTCONTAINERS_MISSING'
  /** A malformed argument or environment value (bad URL, bad /proc content). */
  | 'INVALID';

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;

  constructor(code: HarnessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isHarnessError(err: unknown, code?: HarnessErrorCode): err is HarnessError {
  return err instanceof HarnessError && (code === undefined || err.code === code);
}

/** Indents a block of log text under an error message so it reads as one unit in test output. */
export function formatLogTail(label: string, tail: string): string {
  const body = tail.trimEnd();
  if (body === '') return `${label}: (empty log)`;
  return `${label}:\n${body
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}`;
}
