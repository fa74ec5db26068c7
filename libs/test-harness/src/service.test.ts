import '../test/clean-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isHarnessError } from './errors';
import { freePort } from './ports';
import { httpGet } from './probes';
import { spawnService } from './service';

/** Runs a small inline Node program as the "service". */
function node(name: string, source: string) {
  return { name, command: process.execPath, args: ['-e', source] };
}

const HTTP_SERVICE = `
  const http = require('node:http');
  const server = http.createServer((req, res) => res.end('ok ' + process.env.GREETING));
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log('listening on ' + server.address().port));
  process.on('SIGTERM', () => { console.log('draining'); server.close(() => process.exit(0)); });
`;

test('readyLog waits for a matching line and exposes its capture groups', async (t) => {
  const service = await spawnService({ ...node('http-svc', HTTP_SERVICE), readyLog: /listening on (\d+)/ });
  t.after(() => service.dispose());
  const port = Number(service.readyMatch?.[1]);
  assert.ok(port > 0);
  assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).status, 200);
  assert.equal(service.running, true);
  assert.ok(service.logFile.startsWith(service.dir));
});

test('readyUrl waits for a 2xx; env is merged over the parent environment', async (t) => {
  const port = await freePort();
  const service = await spawnService({
    ...node('http-url', HTTP_SERVICE),
    env: { PORT: String(port), GREETING: 'tickmesh' },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  t.after(() => service.dispose());
  assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'ok tickmesh');
});

test('stop() sends SIGTERM and resolves with the exit once the service drains', async () => {
  const service = await spawnService({ ...node('graceful', HTTP_SERVICE), readyLog: /listening on/ });
  const exit = await service.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(service.running, false);
  assert.match(service.logTail(), /draining/);
  await service.dispose();
  assert.equal(existsSync(service.dir), false);
});

test('stop() escalates to SIGKILL when the service ignores SIGTERM', async () => {
  const service = await spawnService({
    ...node(
      'stubborn',
      `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('armed'); setInterval(() => {}, 1000);`,
    ),
    readyLog: /armed/,
  });
  const exit = await service.stop('SIGTERM', 300);
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
  assert.match(service.logTail(), /ignoring SIGTERM/);
  await service.dispose();
});

test('kill() is a SIGKILL; waitExit() resolves with the same exit', async () => {
  const service = await spawnService({
    ...node('victim', `console.log('up'); setInterval(() => {}, 1000);`),
    readyLog: /up/,
  });
  const waiting = service.waitExit();
  await service.kill();
  assert.deepEqual(await waiting, { code: null, signal: 'SIGKILL' });
  await service.dispose();
});

test('onLine sees stdout and stderr lines, including a last line without newline', async () => {
  const lines: string[] = [];
  const service = await spawnService({
    ...node('chatty', `console.log('one'); console.error('two'); process.stdout.write('three');`),
    onLine: (line, stream) => lines.push(`${stream}:${line}`),
  });
  assert.deepEqual(await service.waitExit(), { code: 0, signal: null });
  assert.deepEqual(lines.sort(), ['stderr:two', 'stdout:one', 'stdout:three']);
  await service.dispose();
});

test('a service that exits before it is ready fails with its exit status and log tail', async () => {
  await assert.rejects(
    spawnService({
      ...node('crasher', `console.error('fatal: GATEWAY_PORT is not set'); process.exit(3);`),
      readyLog: /listening/,
    }),
    (err: unknown) => {
      assert.ok(isHarnessError(err, 'EXITED'));
      assert.match(err.message, /crasher exited with code 3 before it was ready/);
      assert.match(err.message, /fatal: GATEWAY_PORT is not set/);
      return true;
    },
  );
});

test('a service that never becomes ready is killed at the deadline', async () => {
  let pid = 0;
  await assert.rejects(
    spawnService({
      ...node('silent', `setInterval(() => {}, 1000);`),
      readyLog: /never printed/,
      timeoutMs: 300,
    }),
    (err: unknown) => {
      assert.ok(isHarnessError(err, 'TIMEOUT'));
      assert.match(err.message, /silent ready \(a log line matches \/never printed\/\)/);
      pid = Number(/silent \(pid (\d+)\) failed to start/.exec(err.message)?.[1]);
      return true;
    },
  );
  assert.ok(pid > 0);
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the process was killed, not leaked');
});

test('a command that does not exist fails with BINARY_NOT_FOUND', async () => {
  await assert.rejects(spawnService({ name: 'ghost', command: '/nonexistent/bin/ghost' }), (err: unknown) =>
    isHarnessError(err, 'BINARY_NOT_FOUND'),
  );
});
