import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, NATS_SERVER_BINARY, REDIS_SERVER_BINARY } from './binaries';
import { isHarnessError } from './errors';
import { makeRunDir, removeDir } from './logs';

test('finds nats-server and redis-server even with an empty PATH', () => {
  assert.match(findBinary(NATS_SERVER_BINARY, { PATH: '' }), /\/nats-server$/);
  assert.match(findBinary(REDIS_SERVER_BINARY, { PATH: '' }), /\/redis-server$/);
});

test('an explicit *_BIN override is used, and must be an executable file', (t) => {
  assert.equal(findBinary(NATS_SERVER_BINARY, { NATS_SERVER_BIN: process.execPath }), process.execPath);
  const dir = makeRunDir('binaries');
  t.after(() => removeDir(dir));
  const notExecutable = join(dir, 'nats-server');
  writeFileSync(notExecutable, '', { mode: 0o644 });
  for (const path of [notExecutable, dir]) {
    assert.throws(
      () => findBinary(NATS_SERVER_BINARY, { NATS_SERVER_BIN: path }),
      (err: unknown) =>
        isHarnessError(err, 'BINARY_NOT_FOUND') && err.message.startsWith(`NATS_SERVER_BIN=${path} `),
    );
  }
});

test('a missing binary names the Debian packages to install', () => {
  const spec = { name: 'tickmesh-no-such-server', envVar: 'NO_SUCH_BIN', debianPackage: 'no-such-server' };
  assert.throws(
    () => findBinary(spec, { PATH: '/nonexistent' }),
    (err: unknown) => {
      assert.ok(isHarnessError(err, 'BINARY_NOT_FOUND'));
      assert.match(err.message, /apt-get install -y nats-server redis-server/);
      assert.match(err.message, /"no-such-server"/);
      return true;
    },
  );
});
