import '../test/clean-env';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { isHarnessError } from './errors';
import { parseServerUrl } from './external';
import { closeResources, reportFailure } from './harness';
import { startNats } from './nats-server';
import { freePort } from './ports';
import { startRedis } from './redis-server';
import { redisPing } from './resp';

/** Sets env variables for the duration of one test. */
function withEnv(t: TestContext, values: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  t.after(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
  });
}

test('NATS_URL makes startNats return a handle for that server that refuses lifecycle calls', async (t) => {
  const real = await startNats({ name: 'nats-real' });
  t.after(() => real.stop());
  withEnv(t, { NATS_URL: real.url, NATS_MONITOR_URL: real.monitorUrl! });

  const nats = await startNats();
  assert.equal(nats.external, true);
  assert.equal(nats.backend, 'external');
  assert.equal(nats.url, real.url);
  assert.equal(nats.port, real.port);
  assert.equal(nats.pid, undefined);
  assert.equal(nats.logFile, undefined);
  assert.equal(nats.logTail(), '');
  assert.equal(nats.jetstream, true, 'read from the INFO line');
  assert.equal(nats.monitorUrl, real.monitorUrl);
  for (const action of [() => nats.stop(), () => nats.restart(), () => nats.kill()]) {
    await assert.rejects(action(), (err: unknown) => {
      assert.ok(isHarnessError(err, 'EXTERNAL_SERVER'));
      assert.match(err.message, /external server \(from NATS_URL\)/);
      assert.match(err.message, /handle\.external/);
      return true;
    });
  }
  assert.equal(real.running, true, 'the real server was not touched');
});

test('REDIS_URL makes startRedis return an external handle', async (t) => {
  const real = await startRedis({ name: 'redis-real' });
  t.after(() => real.stop());
  withEnv(t, { REDIS_URL: `${real.url}/0` });

  const redis = await startRedis();
  assert.equal(redis.external, true);
  assert.equal(redis.host, '127.0.0.1');
  assert.equal(redis.port, real.port);
  await assert.rejects(redis.kill(), (err: unknown) => isHarnessError(err, 'EXTERNAL_SERVER'));
  assert.equal(await redisPing(real.host, real.port), true);

  const report: string[] = [];
  reportFailure([redis], (text) => report.push(text));
  assert.match(report.join(''), /redis redis redis:\/\/127\.0\.0\.1:\d+\/0: external server, no log/);
  await closeResources([redis], { failed: true }); // leaves the external server alone
  assert.equal(await redisPing(real.host, real.port), true);
});

test('an external URL nobody answers on fails fast with UNREACHABLE naming the variable', async (t) => {
  const port = await freePort();
  withEnv(t, { NATS_URL: `nats://127.0.0.1:${port}`, REDIS_URL: `redis://127.0.0.1:${port}` });
  await assert.rejects(startNats({ readyTimeoutMs: 100 }), (err: unknown) => {
    assert.ok(isHarnessError(err, 'UNREACHABLE'));
    assert.match(err.message, new RegExp(`NATS_URL=nats://127\\.0\\.0\\.1:${port} is set but`));
    return true;
  });
  await assert.rejects(startRedis({ readyTimeoutMs: 100 }), (err: unknown) =>
    isHarnessError(err, 'UNREACHABLE'),
  );
});

test('parses server URLs the way the clients accept them', () => {
  assert.deepEqual(parseServerUrl('nats', 'nats://10.0.0.5:4333'), { host: '10.0.0.5', port: 4333 });
  assert.deepEqual(parseServerUrl('nats', 'nats://a:1,nats://b:2'), { host: 'a', port: 1 });
  assert.deepEqual(parseServerUrl('nats', 'localhost:4222'), { host: 'localhost', port: 4222 });
  assert.deepEqual(parseServerUrl('nats', 'nats://user:pw@nats'), { host: 'nats', port: 4222 });
  assert.deepEqual(parseServerUrl('redis', 'redis://:secret@cache:6380/2'), { host: 'cache', port: 6380 });
  assert.deepEqual(parseServerUrl('redis', 'redis://[::1]'), { host: '::1', port: 6379 });
  assert.throws(
    () => parseServerUrl('redis', 'redis://:6379'),
    (err: unknown) => isHarnessError(err, 'INVALID'),
  );
});
