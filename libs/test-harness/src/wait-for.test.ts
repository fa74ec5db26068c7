import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HarnessError } from './errors';
import { waitFor } from './wait-for';

test('resolves as soon as the condition holds', async () => {
  let calls = 0;
  await waitFor(() => ++calls === 3, { intervalMs: 1 });
  assert.equal(calls, 3);
});

test('accepts async conditions and treats a throw as "not yet"', async () => {
  let calls = 0;
  await waitFor(
    async () => {
      calls += 1;
      if (calls < 3) throw new Error('ECONNREFUSED');
      return true;
    },
    { intervalMs: 1 },
  );
  assert.equal(calls, 3);
});

test('times out with the expectation, the deadline and the attempt count in the message', async () => {
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 30, intervalMs: 5, message: 'gateway ready on :8080' }),
    (err: unknown) => {
      assert.ok(err instanceof HarnessError);
      assert.equal(err.code, 'TIMEOUT');
      assert.match(
        err.message,
        /^waitFor timed out after 30 ms \(\d+ attempts\): gateway ready on :8080; condition returned false$/,
      );
      return true;
    },
  );
});

test('a timeout carries the last error thrown by the condition as cause', async () => {
  const refused = new Error('connect ECONNREFUSED 127.0.0.1:4222');
  await assert.rejects(
    waitFor(
      () => {
        throw refused;
      },
      { timeoutMs: 20, intervalMs: 5 },
    ),
    (err: unknown) => {
      assert.ok(err instanceof HarnessError);
      assert.equal(err.cause, refused);
      assert.match(err.message, /condition last threw: connect ECONNREFUSED 127\.0\.0\.1:4222$/);
      return true;
    },
  );
});

test('a message function is evaluated only when the wait fails', async () => {
  let built = 0;
  const message = (): string => {
    built += 1;
    return `log tail #${built}`;
  };
  await waitFor(() => true, { message });
  assert.equal(built, 0);
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 10, intervalMs: 2, message }),
    /log tail #1/,
  );
});

test('evaluates the condition once even with a zero timeout', async () => {
  let calls = 0;
  await waitFor(() => ++calls > 0, { timeoutMs: 0 });
  assert.equal(calls, 1);
});

test('an aborted signal rejects at once with its reason', async () => {
  const controller = new AbortController();
  const reason = new Error('process exited');
  const started = performance.now();
  const waiting = waitFor(() => false, { timeoutMs: 10_000, intervalMs: 1000, signal: controller.signal });
  setImmediate(() => controller.abort(reason));
  await assert.rejects(waiting, (err: unknown) => err === reason);
  assert.ok(performance.now() - started < 1000, 'did not wait for the next poll');
});
