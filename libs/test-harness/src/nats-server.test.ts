import '../test/clean-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { startNats } from './nats-server';
import { httpGet, natsInfo } from './probes';
import type { NatsServerHandle } from './server-handle';
import { waitFor } from './wait-for';

/**
 * Raw NATS protocol on one connection: sends `lines` after CONNECT, then PING, and resolves with
 * everything received once `until` matches. The default, PONG, suffices for core pub/sub (the
 * server answers in order, so a MSG caused by the lines arrives before it); JetStream API replies
 * are asynchronous and need their own pattern.
 */
function natsExchange(port: number, lines: string[], until = /PONG\r\n/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no ${String(until)}; received ${JSON.stringify(received)}`));
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        ['CONNECT {"verbose":false,"pedantic":false,"echo":true}', ...lines, 'PING', ''].join('\r\n'),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (until.test(received)) {
        socket.destroy();
        resolve(received);
      }
    });
  });
}

async function assertPubSub(nats: NatsServerHandle, payload: string): Promise<void> {
  const received = await natsExchange(nats.port, [
    'SUB harness.check 1',
    `PUB harness.check ${payload.length}`,
    payload,
  ]);
  assert.match(received, new RegExp(`MSG harness\\.check 1 ${payload.length}\\r\\n${payload}\\r\\n`));
}

async function jsz(nats: NatsServerHandle): Promise<{ streams: number; config?: { store_dir?: string } }> {
  const { body } = await httpGet(`${nats.monitorUrl!}/jsz`);
  return JSON.parse(body) as { streams: number; config?: { store_dir?: string } };
}

test('starts nats-server on free ports with JetStream and serves publish/subscribe', async (t) => {
  const nats = await startNats({ name: 'nats-basic' });
  t.after(() => nats.stop());

  assert.equal(nats.backend, 'process');
  assert.equal(nats.external, false);
  assert.equal(nats.url, `nats://127.0.0.1:${nats.port}`);
  assert.ok(nats.pid !== undefined && nats.pid > 0);
  const info = await natsInfo(nats.host, nats.port);
  assert.equal(info.port, nats.port);
  assert.equal(info.server_name, 'nats-basic');
  assert.equal(info.jetstream, true);

  const varz = JSON.parse((await httpGet(`${nats.monitorUrl!}/varz`)).body) as {
    jetstream?: { config?: { store_dir?: string } };
  };
  assert.ok(
    varz.jetstream?.config?.store_dir?.startsWith(nats.dir!),
    'JetStream store lives in the temp dir',
  );

  await assertPubSub(nats, 'hello');
  assert.match(nats.logTail(), /Server is ready/);
  assert.ok(nats.logFile !== undefined && nats.logFile.startsWith(nats.dir!));
});

test('jetstream: false starts a core-only server', async (t) => {
  const nats = await startNats({ jetstream: false });
  t.after(() => nats.stop());
  assert.equal(nats.jetstream, false);
  assert.notEqual((await natsInfo(nats.host, nats.port)).jetstream, true);
  await assertPubSub(nats, 'core');
});

test('restart() comes back on the same port and drops existing client connections', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());
  const { port, monitorUrl } = nats;
  const pidBefore = nats.pid;

  const client = connect({ host: '127.0.0.1', port });
  let clientClosed = false;
  t.after(() => client.destroy());
  client.on('error', () => undefined);
  client.on('close', () => (clientClosed = true));
  client.resume(); // consume INFO so the server's FIN surfaces as 'end' and 'close'
  await waitFor(() => client.readyState === 'open', { message: 'raw client connected' });

  await nats.restart();

  assert.equal(nats.port, port);
  assert.equal(nats.monitorUrl, monitorUrl);
  assert.notEqual(nats.pid, pidBefore);
  await waitFor(() => clientClosed, { message: 'old connection closed by the stopped server' });
  await assertPubSub(nats, 'again');
  assert.match(nats.logTail(200), /--- test-harness: restart at /);
});

test('kill() crashes the server; restart() recovers JetStream state from the kept store dir', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());

  const created = await natsExchange(
    nats.port,
    [
      'SUB _INBOX.create 1',
      ...pub(
        '$JS.API.STREAM.CREATE.TICKS',
        '_INBOX.create',
        '{"name":"TICKS","subjects":["ticks.>"],"storage":"file"}',
      ),
    ],
    /MSG _INBOX\.create 1 \d+\r\n.*\r\n/,
  );
  assert.match(created, /io\.nats\.jetstream\.api\.v1\.stream_create_response/);
  assert.equal((await jsz(nats)).streams, 1);

  const pid = nats.pid!;
  await nats.kill();
  assert.equal(nats.running, false);
  assert.equal(nats.pid, undefined);
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(natsInfo(nats.host, nats.port, 500));

  await nats.restart();
  assert.equal(nats.running, true);
  assert.equal((await jsz(nats)).streams, 1, 'stream survived the crash');
});

test('stop() removes the temp dir; stop({ keepLogs: true }) keeps it with the log', async () => {
  const removed = await startNats();
  const removedDir = removed.dir!;
  await removed.stop();
  assert.equal(removed.running, false);
  assert.equal(existsSync(removedDir), false);
  await removed.stop(); // idempotent

  const kept = await startNats();
  await kept.stop({ keepLogs: true });
  try {
    assert.match(readFileSync(kept.logFile!, 'utf8'), /Server is ready/);
  } finally {
    await kept.stop(); // second stop without keepLogs cleans up
  }
  assert.equal(existsSync(kept.dir!), false);
});

test('restart() after stop() starts fresh on the same port', async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());
  const { port } = nats;
  await nats.stop();
  await nats.restart();
  assert.equal(nats.port, port);
  await assertPubSub(nats, 'fresh');
});

test('a failed start reports the server log', async () => {
  await assert.rejects(
    startNats({ args: ['--config', '/nonexistent/nats.conf'], readyTimeoutMs: 3000 }),
    (err: Error) => {
      assert.equal(err.name, 'HarnessError');
      assert.match(err.message, /nats failed to start: nats exited with code \d+ before it was ready/);
      assert.match(err.message, /log \(/);
      assert.match(err.message, /nonexistent\/nats.conf/);
      return true;
    },
  );
});

function pub(subject: string, replyTo: string, payload: string): string[] {
  return [`PUB ${subject} ${replyTo} ${Buffer.byteLength(payload)}`, payload];
}
