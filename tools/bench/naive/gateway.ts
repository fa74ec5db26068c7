/**
 * NAIVE BASELINE gateway, one process, one file (see ingestor.ts for the other half). It speaks the
 * subset of gateway protocol v1 (docs/gateway-protocol.md) that @tickmesh/client needs for `tob`
 * channels, and is deliberately naive in how it fans out:
 *
 * - one NATS subscription `naive.tob.*.*`; every message is `JSON.parse`d;
 * - for every subscriber of the channel: a fresh message object, `JSON.stringify` for that
 *   subscriber, and one `ws.send` — per client, per update; no shared serialization, no coalescing
 *   of frames into one socket write, no conflation, no slow-consumer limit;
 * - protocol: `welcome` on connect; `subscribe` → per-channel `error`s then one `ack`, then a
 *   `snapshot` per new channel (the channel's last NATS value, else Redis `GET
 *   naive:tob:<venue>:<SYMBOL>`, else the first NATS value), then `update`s with the channel's seq
 *   +1 in the channel's epoch (random 32-bit, drawn when the first subscriber arrives); NATS values
 *   at or before the snapshot's book (epoch, seq) are dropped; `unsubscribe` → `ack`; `ping` →
 *   `pong`. `status.*` channels are not served (`invalid_channel`).
 *
 * Environment: NATS_URL, REDIS_URL, GATEWAY_HOST (127.0.0.1), GATEWAY_PORT (WebSocket on /ws),
 * HTTP_HOST (127.0.0.1), HTTP_PORT (/metrics, /healthz, /readyz).
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DataMessage, RequestId, ServerMessage, TobData, TopOfBook } from '@tickmesh/contracts';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const CHANNEL_RE = /^tob\.([a-z0-9]{1,32})\.([A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){1,3})$/;
const MAX_CHANNELS_PER_OP = 100;

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    process.stderr.write(`naive-gateway: ${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

interface Conn {
  ws: WebSocket;
  channels: Set<string>;
}

interface Channel {
  name: string;
  redisKey: string;
  epoch: number;
  /** gateway seq: +1 per update published on the channel */
  seq: number;
  last: TobData | undefined;
  /** connections that have had their snapshot */
  live: Set<Conn>;
  /** connections waiting for a first value */
  waiting: Set<Conn>;
  redisRead: boolean;
}

const counters = { dataSent: 0, natsReceived: 0, staleDropped: 0, connections: 0 };
const channels = new Map<string, Channel>();
const redis = new Redis(env('REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
let nc: NatsConnection | undefined;

function send(conn: Conn, msg: ServerMessage): void {
  conn.ws.send(JSON.stringify(msg));
}

function sendData(conn: Conn, ch: Channel, type: 'snapshot' | 'update', data: TobData): void {
  const msg: DataMessage<TobData> = { type, ch: ch.name, seq: ch.seq, epoch: ch.epoch, data };
  send(conn, msg);
  counters.dataSent++;
}

function flushWaiting(ch: Channel): void {
  if (ch.last === undefined) return;
  for (const conn of ch.waiting) {
    sendData(conn, ch, 'snapshot', ch.last);
    ch.live.add(conn);
  }
  ch.waiting.clear();
}

function join(conn: Conn, name: string): void {
  let ch = channels.get(name);
  if (ch === undefined) {
    const [, venue, symbol] = CHANNEL_RE.exec(name)!;
    ch = {
      name,
      redisKey: `naive:tob:${venue}:${symbol}`,
      epoch: randomInt(0, 2 ** 32),
      seq: 0,
      last: undefined,
      live: new Set(),
      waiting: new Set(),
      redisRead: false,
    };
    channels.set(name, ch);
  }
  conn.channels.add(name);
  if (ch.last !== undefined) {
    sendData(conn, ch, 'snapshot', ch.last);
    ch.live.add(conn);
    return;
  }
  ch.waiting.add(conn);
  if (ch.redisRead) return;
  ch.redisRead = true;
  const channel = ch;
  redis
    .get(channel.redisKey)
    .then((json) => {
      if (channels.get(name) !== channel) return; // dropped meanwhile
      if (channel.last === undefined && json !== null) {
        const { type: _type, ...data } = JSON.parse(json) as TopOfBook;
        channel.last = data;
      }
      flushWaiting(channel);
    })
    .catch(() => undefined); // no snapshot from Redis: the first NATS value is the snapshot
}

function leave(conn: Conn, name: string): void {
  conn.channels.delete(name);
  const ch = channels.get(name);
  if (ch === undefined) return;
  ch.live.delete(conn);
  ch.waiting.delete(conn);
  if (ch.live.size === 0 && ch.waiting.size === 0) channels.delete(name);
}

function onNats(subject: string, json: string): void {
  counters.natsReceived++;
  const ch = channels.get(subject.slice('naive.'.length)); // naive.tob.<venue>.<SYMBOL> → tob.<venue>.<SYMBOL>
  if (ch === undefined) return;
  const { type: _type, ...data } = JSON.parse(json) as TopOfBook;
  const last = ch.last;
  if (
    last !== undefined &&
    (data.epoch < last.epoch || (data.epoch === last.epoch && data.seq <= last.seq))
  ) {
    counters.staleDropped++;
    return;
  }
  ch.seq++;
  ch.last = data;
  for (const conn of ch.live) sendData(conn, ch, 'update', data);
  flushWaiting(ch);
}

function onClientText(conn: Conn, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    send(conn, { type: 'error', code: 'bad_request', message: 'frame is not valid JSON' });
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    send(conn, { type: 'error', code: 'bad_request', message: 'frame is not a JSON object' });
    return;
  }
  const op = parsed as { op?: unknown; id?: unknown; channels?: unknown };
  const id: RequestId | undefined =
    typeof op.id === 'number' || (typeof op.id === 'string' && op.id.length <= 64) ? op.id : undefined;
  const withId = id === undefined ? {} : { id };
  if (op.op === 'ping') {
    send(conn, { type: 'pong', ...withId, ts: nowMicros() });
    return;
  }
  if (op.op !== 'subscribe' && op.op !== 'unsubscribe') {
    send(conn, {
      type: 'error',
      ...withId,
      code: 'bad_request',
      message: `unknown op ${JSON.stringify(op.op)}`,
    });
    return;
  }
  const names = op.channels;
  if (
    !Array.isArray(names) ||
    names.length < 1 ||
    names.length > MAX_CHANNELS_PER_OP ||
    !names.every((n): n is string => typeof n === 'string' && n.length <= 128)
  ) {
    send(conn, { type: 'error', ...withId, code: 'bad_request', message: 'channels: 1 to 100 names' });
    return;
  }
  const accepted: string[] = [];
  const joined: string[] = [];
  for (const name of names) {
    if (op.op === 'subscribe') {
      if (!CHANNEL_RE.test(name)) {
        send(conn, {
          type: 'error',
          ...withId,
          code: 'invalid_channel',
          message: `invalid channel ${JSON.stringify(name)}: this naive gateway serves tob.<venue>.<SYMBOL> only`,
          channel: name,
        });
        continue;
      }
      accepted.push(name);
      if (!conn.channels.has(name)) joined.push(name);
    } else if (!conn.channels.has(name)) {
      send(conn, {
        type: 'error',
        ...withId,
        code: 'not_subscribed',
        message: `not subscribed to ${name}`,
        channel: name,
      });
    } else {
      leave(conn, name);
      accepted.push(name);
    }
  }
  send(conn, { type: 'ack', ...withId, op: op.op, channels: accepted });
  for (const name of joined) join(conn, name);
}

const wss = new WebSocketServer({
  host: env('GATEWAY_HOST', '127.0.0.1'),
  port: Number(env('GATEWAY_PORT')),
  path: '/ws',
  maxPayload: 64 * 1024,
});
wss.on('connection', (ws) => {
  const conn: Conn = { ws, channels: new Set() };
  counters.connections++;
  send(conn, { type: 'welcome', protocol: 1, server: `naive-gateway/${process.pid}` });
  ws.on('message', (data, isBinary) => {
    if (isBinary)
      send(conn, { type: 'error', code: 'bad_request', message: 'binary frames are not accepted' });
    else onClientText(conn, (data as Buffer).toString('utf8'));
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    counters.connections--;
    for (const name of [...conn.channels]) leave(conn, name);
  });
});

function metricsText(): string {
  return [
    '# TYPE naive_gateway_messages_sent_total counter',
    `naive_gateway_messages_sent_total ${counters.dataSent}`,
    '# TYPE naive_gateway_nats_received_total counter',
    `naive_gateway_nats_received_total ${counters.natsReceived}`,
    '# TYPE naive_gateway_stale_dropped_total counter',
    `naive_gateway_stale_dropped_total ${counters.staleDropped}`,
    '# TYPE naive_gateway_connections gauge',
    `naive_gateway_connections ${counters.connections}`,
    '',
  ].join('\n');
}

const http = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText());
  } else if (path === '/healthz') {
    res.writeHead(200).end('ok\n');
  } else if (path === '/readyz') {
    const ready = nc !== undefined && redis.status === 'ready';
    res.writeHead(ready ? 200 : 503).end(ready ? 'ready\n' : 'not ready\n');
  } else {
    res.writeHead(404).end();
  }
});

async function main(): Promise<void> {
  await redis.connect();
  nc = await connect({ servers: env('NATS_URL').split(','), name: 'naive-gateway' });
  nc.subscribe('naive.tob.*.*', {
    callback: (err, m) => {
      if (err === null) onNats(m.subject, m.string());
    },
  });
  await new Promise<void>((res) =>
    http.listen(Number(env('HTTP_PORT', '0')), env('HTTP_HOST', '127.0.0.1'), res),
  );
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const ws of wss.clients) ws.close(1012, 'service restart');
  wss.close();
  http.close();
  await nc?.drain().catch(() => undefined);
  redis.disconnect();
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
main().catch((err: unknown) => {
  process.stderr.write(`naive-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
