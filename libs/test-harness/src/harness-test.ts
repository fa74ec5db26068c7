import { test, type TestContext } from 'node:test';
import {
  closeResources,
  harness,
  type Closable,
  type Harness,
  type HarnessCore,
  type HarnessOptions,
} from './harness';

/**
 * node:test glue. `harnessTest` is the robust path: it sees the test body throw, so it always knows
 * whether the test failed. `registerCleanup` / `useHarness` hook `t.after` instead and read the
 * runtime's `t.passed` (present in Node 20.12+ but missing from @types/node 20); where the runtime
 * lacks it, a failure is not detected and logs are cleaned up like on success.
 */

export interface HarnessTestOptions extends HarnessOptions {
  /** Passed to node:test. */
  readonly timeout?: number;
  /** Passed to node:test: `true` or a reason to skip. */
  readonly skip?: boolean | string;
}

export type HarnessTestFn<O extends HarnessOptions> = (t: TestContext, h: Harness<O>) => void | Promise<void>;

/**
 * A node:test `test` with servers around it: starts them, runs `fn`, closes them. If `fn` throws
 * (assertion, timeout inside, anything), logs are kept and their paths and tails go to stderr.
 *
 * ```ts
 * harnessTest('book-builder publishes top of book', { nats: true, redis: true }, async (t, h) => {
 *   // h.nats.url, h.redis.url, await h.spawn({...})
 * });
 * ```
 */
export function harnessTest<const O extends HarnessTestOptions>(
  name: string,
  options: O,
  fn: HarnessTestFn<O>,
): Promise<void> {
  const { timeout, skip } = options;
  return test(name, { timeout, skip }, async (t) => {
    const h = await harness(options);
    let failed = true;
    try {
      await fn(t, h);
      failed = false;
    } finally {
      await closeAfter(h, failed);
    }
  });
}

/**
 * Closes `resources` in `t.after`: a harness, one handle, or a list of handles. On failure (when the
 * runtime reports it) logs are kept and printed. External servers are never stopped.
 */
export function registerCleanup(
  t: TestContext,
  resources: HarnessCore | Closable | readonly Closable[],
): void {
  t.after(async () => {
    const failed = testFailed(t) === true;
    if (isHarness(resources)) await closeAfter(resources, failed);
    else await closeResources(isList(resources) ? resources : [resources], { failed });
  });
}

/** `harness(options)` plus `registerCleanup(t, h)`: for tests written with plain `test()`. */
export async function useHarness<const O extends HarnessOptions>(
  t: TestContext,
  options: O,
): Promise<Harness<O>> {
  const h = await harness(options);
  registerCleanup(t, h);
  return h;
}

/** `undefined` when this Node does not expose the result on the context. */
export function testFailed(t: TestContext): boolean | undefined {
  const passed: unknown = Reflect.get(t, 'passed');
  return typeof passed === 'boolean' ? !passed : undefined;
}

/** After a failure, a cleanup error must not replace the test's own error: report it instead. */
async function closeAfter(h: HarnessCore, failed: boolean): Promise<void> {
  try {
    await h.close({ failed });
  } catch (err) {
    if (!failed) throw err;
    process.stderr.write(`[test-harness] cleanup after a failed test also failed: ${String(err)}\n`);
  }
}

function isList(value: Closable | readonly Closable[]): value is readonly Closable[] {
  return Array.isArray(value);
}

function isHarness(value: HarnessCore | Closable | readonly Closable[]): value is HarnessCore {
  return 'resources' in value && !Array.isArray(value);
}
