import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chooseBackend, dockerAvailable, dockerEndpoint } from './backend';
import { freePort } from './ports';

test('an external URL wins over everything else', async () => {
  assert.deepEqual(
    await chooseBackend('nats', { NATS_URL: ' nats://ci:4222 ', TICKMESH_TESTCONTAINERS: '1' }),
    {
      backend: 'external',
      url: 'nats://ci:4222',
      envVar: 'NATS_URL',
    },
  );
  assert.deepEqual(await chooseBackend('redis', { NATS_URL: 'nats://ci:4222' }), { backend: 'process' });
});

test('child processes are the default', async () => {
  assert.deepEqual(await chooseBackend('nats', { DOCKER_HOST: 'unix:///nonexistent.sock' }), {
    backend: 'process',
  });
});

test('TICKMESH_TESTCONTAINERS=1 without a Docker engine falls back to processes', async () => {
  const env = { TICKMESH_TESTCONTAINERS: '1', DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  assert.deepEqual(await chooseBackend('redis', env), { backend: 'process' });
});

test('TICKMESH_TESTCONTAINERS=1 with an engine answering /_ping chooses containers', async (t) => {
  // Stands in for the Docker API: only GET /_ping → 200 "OK" matters to the decision.
  const engine = createServer((req, res) => res.writeHead(req.url === '/_ping' ? 200 : 404).end('OK'));
  const port = await freePort();
  await new Promise<void>((resolve) => engine.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => engine.close(() => resolve())));
  const env = { TICKMESH_TESTCONTAINERS: '1', DOCKER_HOST: `tcp://127.0.0.1:${port}` };
  assert.equal(await dockerAvailable(env), true);
  assert.deepEqual(await chooseBackend('nats', env), { backend: 'container' });
});

test('finds the Docker endpoint like the docker CLI does', () => {
  assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), {
    url: 'http://localhost/_ping',
    socketPath: '/run/user/1000/docker.sock',
  });
  assert.deepEqual(dockerEndpoint({ DOCKER_HOST: 'tcp://docker:2375/' }), {
    url: 'http://docker:2375/_ping',
  });
  assert.equal(dockerEndpoint({ DOCKER_HOST: 'ssh://me@host' }), undefined);
});
