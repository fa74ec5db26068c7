import { HarnessError } from './errors';

export interface WaitForOptions {
  /** Deadline for the whole wait. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Pause between two evaluations of the condition. Default 25 ms. */
  readonly intervalMs?: number;
  /**
   * What was being waited for, stated as the expectation ("nats-server ready on :4222"). A function
   * is called only when the wait fails, so it can include state gathered at that moment (a log tail).
   */
  readonly message?: string | (() => string);
  /** Aborting rejects at once with `signal.reason` (e.g. "the process exited, stop waiting"). */
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_INTERVAL_MS = 25;

/**
 * The project's one way to wait for something to become true: poll `condition` until it returns
 * true, and fail with a clear message at the deadline. Tests never sleep for a fixed time.
 *
 * A condition that throws counts as "not yet" (a connection refused while a server boots is
 * normal); the last thrown error becomes the `cause` of the timeout error. The condition is always
 * evaluated at least once, even with `timeoutMs: 0`.
 *
 * @throws HarnessError code `TIMEOUT` when the deadline passes, or `signal.reason` when aborted.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const { signal } = options;
  const started = performance.now();
  let attempts = 0;
  let lastError: unknown;

  while (true) {
    signal?.throwIfAborted();
    attempts += 1;
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    signal?.throwIfAborted();
    const elapsed = performance.now() - started;
    if (elapsed >= timeoutMs) {
      throw new HarnessError('TIMEOUT', timeoutMessage(options.message, timeoutMs, attempts, lastError), {
        cause: lastError,
      });
    }
    await pause(Math.min(intervalMs, timeoutMs - elapsed), signal);
  }
}

function timeoutMessage(
  message: WaitForOptions['message'],
  timeoutMs: number,
  attempts: number,
  lastError: unknown,
): string {
  const what = typeof message === 'function' ? message() : (message ?? 'condition');
  const last =
    lastError === undefined
      ? 'condition returned false'
      : `condition last threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  return `waitFor timed out after ${timeoutMs} ms (${attempts} attempts): ${what}; ${last}`;
}

/** The poll interval between two attempts; rejects early when the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
