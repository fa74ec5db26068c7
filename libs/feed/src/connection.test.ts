import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { waitFor } from '@tickmesh/test-harness';
import { VenueConnection } from './connection';

async function wsServer(): Promise<{ wss: WebSocketServer; url: string; sockets: WebSocket[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', r));
  const sockets: WebSocket[] = [];
  wss.on('connection', (s) => sockets.push(s));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, sockets };
}

test('sends the subscribe frames, delivers frames, and reconnects after the server drops it', async (t) => {
  const { wss, url, sockets } = await wsServer();
  const received: string[] = [];
  wss.on('connection', (s) => s.on('message', (m) => received.push(String(m))));
  const events: string[] = [];
  const frames: string[] = [];
  const conn = new VenueConnection(
    { venue: 'test', name: 't', url, subscribeFrames: ['{"op":"subscribe"}'], staleSocketMs: 60_000 },
    {
      onOpen: () => events.push('open'),
      onFrame: (f) => frames.push(f),
      onClose: (r) => events.push(`close ${r}`),
    },
  );
  t.after(() => {
    conn.stop();
    wss.close();
  });
  conn.start();
  await waitFor(() => received.length === 1 && sockets.length === 1, { timeoutMs: 5000 });
  assert.equal(received[0], '{"op":"subscribe"}');
  sockets[0]!.send('{"hello":1}');
  await waitFor(() => frames.length === 1, { timeoutMs: 5000 });
  sockets[0]!.close(1001, 'going away');
  await waitFor(() => sockets.length === 2 && received.length === 2, {
    timeoutMs: 10_000,
    message: 'reconnected',
  });
  assert.deepEqual(events.slice(0, 3), ['open', 'close closed 1001 going away', 'open']);
});

test('the stale-socket watchdog terminates a silent connection and reconnects', async (t) => {
  const { wss, url, sockets } = await wsServer();
  const events: string[] = [];
  const conn = new VenueConnection(
    { venue: 'test', name: 't', url, subscribeFrames: [], staleSocketMs: 300 },
    { onOpen: () => events.push('open'), onFrame: () => undefined, onClose: () => events.push('close') },
  );
  t.after(() => {
    conn.stop();
    wss.close();
  });
  conn.start();
  await waitFor(() => sockets.length >= 2, { timeoutMs: 10_000, message: 'watchdog reconnect' });
  assert.deepEqual(events.slice(0, 3), ['open', 'close', 'open']);
});

test('sends the venue text ping on its interval', async (t) => {
  const { wss, url } = await wsServer();
  const got: string[] = [];
  wss.on('connection', (s) => s.on('message', (m) => got.push(String(m))));
  const conn = new VenueConnection(
    {
      venue: 'test',
      name: 't',
      url,
      subscribeFrames: [],
      staleSocketMs: 60_000,
      clientPing: { intervalMs: 50, payload: 'ping' },
    },
    { onOpen: () => undefined, onFrame: () => undefined, onClose: () => undefined },
  );
  t.after(() => {
    conn.stop();
    wss.close();
  });
  conn.start();
  await waitFor(() => got.filter((g) => g === 'ping').length >= 2, { timeoutMs: 5000 });
});
