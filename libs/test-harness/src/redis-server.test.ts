import '../test/clean-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { startRedis } from './redis-server';
import { redisPing, respCommand } from './resp';
import type { RedisServerHandle } from './server-handle';

function command(redis: RedisServerHandle, ...args: string[]) {
  return respCommand(redis.host, redis.port, args);
}

test('starts redis-server on a free port and serves PING, SET and GET over raw RESP', async (t) => {
  const redis = await startRedis({ name: 'redis-basic' });
  t.after(() => redis.stop());

  assert.equal(redis.backend, 'process');
  assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
  assert.deepEqual(await command(redis, 'PING'), { kind: 'simple', value: 'PONG' });
  assert.deepEqual(await command(redis, 'SET', 'tob:binance:BTC-USDT', '{"bid":"1"}'), {
    kind: 'simple',
    value: 'OK',
  });
  assert.deepEqual(await command(redis, 'GET', 'tob:binance:BTC-USDT'), {
    kind: 'bulk',
    value: '{"bid":"1"}',
  });
  assert.deepEqual(await command(redis, 'GET', 'missing'), { kind: 'bulk', value: null });
  assert.match(redis.logTail(), /Ready to accept connections/);
});

test('runs without persistence: no save points, no AOF, nothing written to its dir', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());

  assert.deepEqual(await command(redis, 'CONFIG', 'GET', 'save'), {
    kind: 'array',
    value: [
      { kind: 'bulk', value: 'save' },
      { kind: 'bulk', value: '' },
    ],
  });
  assert.deepEqual(await command(redis, 'CONFIG', 'GET', 'appendonly'), {
    kind: 'array',
    value: [
      { kind: 'bulk', value: 'appendonly' },
      { kind: 'bulk', value: 'no' },
    ],
  });
  assert.deepEqual(readdirSync(redis.dir!), ['redis.log']);
});

test('restart() comes back empty on the same port', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const { port } = redis;
  const pidBefore = redis.pid;
  await command(redis, 'SET', 'k', 'v');

  await redis.restart();

  assert.equal(redis.port, port);
  assert.notEqual(redis.pid, pidBefore);
  assert.deepEqual(await command(redis, 'GET', 'k'), { kind: 'bulk', value: null });
});

test('kill() takes the server down at once; restart() brings it back', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());

  await redis.kill();
  assert.equal(redis.running, false);
  assert.equal(await redisPing(redis.host, redis.port, 500), false);
  assert.doesNotMatch(redis.logTail(), /ready to exit, bye bye/, 'SIGKILL leaves no shutdown message');

  await redis.restart();
  assert.equal(await redisPing(redis.host, redis.port), true);
});

test('stop() shuts down gracefully and removes the temp dir', async () => {
  const redis = await startRedis();
  const { dir } = redis;
  await redis.stop({ keepLogs: true });
  assert.match(redis.logTail(), /ready to exit, bye bye/);
  await redis.stop();
  assert.equal(existsSync(dir!), false);
  assert.equal(redis.logTail(), '');
});
