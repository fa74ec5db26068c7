import '../test/clean-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harness } from './harness';
import { harnessTest, useHarness } from './harness-test';
import { removeDir } from './logs';
import { natsInfo } from './probes';
import { redisPing } from './resp';

/**
 * Servers and services this process started that are still alive, from /proc: proves nothing
 * leaked. (tsx's esbuild helper is also a child; it is not ours to count.)
 */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm !== 'esbuild') pids.push(Number(entry));
    } catch {
      // exited while listing
    }
  }
  return pids;
}

test('harness({ nats, redis }) starts both and close() stops them and removes their dirs', async () => {
  const h = await harness({ nats: true, redis: { name: 'cache' } });
  try {
    // Requested servers are typed non-optional: no `!` needed.
    assert.equal((await natsInfo(h.nats.host, h.nats.port)).port, h.nats.port);
    assert.equal(await redisPing(h.redis.host, h.redis.port), true);
    assert.equal(h.redis.name, 'cache');
    assert.equal(h.resources.length, 2);
  } finally {
    await h.close();
  }
  assert.equal(h.nats.running, false);
  assert.equal(h.redis.running, false);
  assert.equal(existsSync(h.nats.dir!), false);
  assert.equal(existsSync(h.redis.dir!), false);
  assert.deepEqual(childPids(), []);
});

test('servers not requested are undefined', async () => {
  const h = await harness({ redis: true, nats: false });
  try {
    const nats: undefined = h.nats;
    assert.equal(nats, undefined);
    assert.equal(h.resources.length, 1);
  } finally {
    await h.close();
  }
});

test('if one server fails to start, the others are stopped before the error propagates', async () => {
  await assert.rejects(
    harness({ nats: { args: ['--config', '/nonexistent/nats.conf'], readyTimeoutMs: 3000 }, redis: true }),
    /nats failed to start/,
  );
  assert.deepEqual(childPids(), []);
});

test('services spawned through the harness are closed before the servers', async () => {
  const h = await harness({ redis: true });
  const service = await h.spawn({
    name: 'client',
    command: process.execPath,
    args: ['-e', `console.log('connected'); setInterval(() => {}, 1000);`],
    readyLog: /connected/,
  });
  assert.equal(h.resources.at(-1), service);
  await h.close();
  await h.close(); // idempotent
  assert.equal(service.running, false);
  assert.equal(existsSync(service.dir), false);
  assert.deepEqual(childPids(), []);
});

test('close({ failed: true }) keeps every dir and reports log paths and tails', async (t) => {
  const h = await harness({ redis: true });
  const written: string[] = [];
  t.mock.method(process.stderr, 'write', (text: string) => {
    written.push(text);
    return true;
  });
  await h.close({ failed: true });
  t.mock.restoreAll();
  try {
    assert.equal(existsSync(h.redis.logFile!), true);
    const report = written.join('');
    assert.match(report, /\[test-harness\] test failed/);
    assert.ok(report.includes(`log kept at ${h.redis.logFile!}`));
    assert.match(report, /ready to exit, bye bye/, 'tail is read after the graceful stop');
  } finally {
    removeDir(h.redis.dir!);
  }
});

harnessTest(
  'harnessTest hands the test its servers',
  { nats: true, redis: true, timeout: 30_000 },
  async (t, h) => {
    assert.equal(t.name, 'harnessTest hands the test its servers');
    assert.equal(await redisPing(h.redis.host, h.redis.port), true);
    assert.equal((await natsInfo(h.nats.host, h.nats.port)).jetstream, true);
  },
);

let usedDir: string | undefined;
test('useHarness registers cleanup on the test', async (t) => {
  const h = await useHarness(t, { redis: true });
  usedDir = h.redis.dir;
  assert.equal(existsSync(usedDir!), true);
});
test('... which ran after that test passed and removed the dir', () => {
  assert.ok(usedDir !== undefined);
  assert.equal(existsSync(usedDir), false);
  assert.deepEqual(childPids(), []);
});

test('failing tests keep their logs and print where they are', async () => {
  const fixture = fileURLToPath(new URL('../test/fixtures/failing-tests.fixture.ts', import.meta.url));
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const env = { ...process.env, TICKMESH_KEEP_LOGS: '' };
    execFile(
      process.execPath,
      ['--import', 'tsx', fixture],
      { env, timeout: 60_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stderr }),
    );
  });
  const kept = [...stderr.matchAll(/log kept at (\S+)/g)].map((m) => m[1]!);
  try {
    assert.equal(code, 1, 'the fixture tests fail');
    assert.equal(kept.length, 2, stderr);
    assert.ok(kept.some((file) => file.endsWith('redis.log')));
    assert.ok(kept.some((file) => file.endsWith('nats.log')));
    for (const file of kept) assert.equal(existsSync(file), true, `${file} kept`);
    assert.match(stderr, /Ready to accept connections/);
    assert.match(stderr, /Server is ready/);
  } finally {
    for (const file of kept) removeDir(dirname(file));
  }
});
