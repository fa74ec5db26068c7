import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freePort, freePorts, isPortFree } from './ports';

test('freePort returns a port that can be bound on 127.0.0.1', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  assert.equal(await isPortFree(port), true);
});

test('freePorts returns distinct ports', async () => {
  const ports = await freePorts(5);
  assert.equal(new Set(ports).size, 5);
});

test('isPortFree is false while something listens', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  assert.equal(await isPortFree(address.port), false);
});
