import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSize, keepLogsFromEnv, makeRunDir, readFrom, readTail, removeDir } from './logs';

test('readTail returns the last n lines with or without a trailing newline', (t) => {
  const dir = makeRunDir('logs-tail');
  t.after(() => removeDir(dir));
  const file = join(dir, 'a.log');
  writeFileSync(file, 'one\ntwo\nthree\n');
  assert.equal(readTail(file, 2), 'two\nthree');
  assert.equal(readTail(file, 10), 'one\ntwo\nthree');
  writeFileSync(file, 'one\ntwo\nthree');
  assert.equal(readTail(file, 1), 'three');
  assert.equal(readTail(file, 0), '');
});

test('readTail reads across chunk boundaries of a large log without splitting characters', (t) => {
  const dir = makeRunDir('logs-large');
  t.after(() => removeDir(dir));
  const file = join(dir, 'big.log');
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} — ${'é'.repeat(i % 7)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  assert.equal(readTail(file, 3), lines.slice(-3).join('\n'));
  assert.equal(readTail(file, 2000), lines.slice(-2000).join('\n'));
});

test('a missing log reads as empty', () => {
  assert.equal(readTail('/nonexistent/x.log'), '');
  assert.equal(fileSize('/nonexistent/x.log'), 0);
  assert.equal(readFrom('/nonexistent/x.log', 0), '');
});

test('readFrom returns only what was appended after an offset', (t) => {
  const dir = makeRunDir('logs-from');
  t.after(() => removeDir(dir));
  const file = join(dir, 'a.log');
  writeFileSync(file, 'before\n');
  const offset = fileSize(file);
  writeFileSync(file, 'before\nafter\n');
  assert.equal(readFrom(file, offset), 'after\n');
});

test('run dirs are named after the resource and removable', () => {
  const dir = makeRunDir('nats/with spaces');
  assert.match(dir, /tickmesh-nats_with_spaces-/);
  removeDir(dir);
  assert.equal(existsSync(dir), false);
});

test('TICKMESH_KEEP_LOGS=1 and nothing else turns log keeping on', () => {
  assert.equal(keepLogsFromEnv({ TICKMESH_KEEP_LOGS: '1' }), true);
  assert.equal(keepLogsFromEnv({ TICKMESH_KEEP_LOGS: '0' }), false);
  assert.equal(keepLogsFromEnv({}), false);
});
