/**
 * Test fixtures: real-shaped TopOfBook / SyncStatus messages, a NATS publisher (the bus, like the
 * book-builder), a Redis seeder (the book-builder's hash layout) and the NATS monitor view of the
 * gateway's subscriptions.
 */
import { Redis } from 'ioredis';
import { Bus } from '@tickmesh/bus';
import {
  nowMicros,
  subjectFor,
  tobRedisKey,
  tobToRedisFields,
  type SyncStatus,
  type TopOfBook,
} from '@tickmesh/contracts';

export function tob(symbol: string, seq: number, venue = 'binance'): TopOfBook {
  const now = nowMicros();
  return {
    type: 'tob',
    venue,
    symbol,
    bidPx: (60000 + seq).toFixed(2),
    bidSz: '1.5',
    askPx: (60001 + seq).toFixed(2),
    askSz: '0.25',
    epoch: 1,
    seq,
    state: 'live',
    venueTs: now - 1000,
    recvTs: now - 500,
    bookTs: now - 100,
  };
}

export function status(symbol: string, state: SyncStatus['state'], venue = 'binance'): SyncStatus {
  return { type: 'status', venue, symbol, state, epoch: 1, seq: 10, reason: '', resyncs: 0, ts: nowMicros() };
}

export async function publisher(natsUrl: string): Promise<Bus> {
  return Bus.connect({ url: natsUrl, name: 'test-publisher' }, 10_000);
}

export function publishTob(bus: Bus, t: TopOfBook): void {
  if (!bus.publish(subjectFor('tob', t.venue, t.symbol), t)) throw new Error('publish dropped');
}

export function publishStatus(bus: Bus, s: SyncStatus): void {
  if (!bus.publish(subjectFor('status', s.venue, s.symbol), s)) throw new Error('publish dropped');
}

/** Writes the hash exactly as the book-builder does. */
export async function seedRedis(redisUrl: string, t: TopOfBook): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.hset(tobRedisKey(t.venue, t.symbol), ...tobToRedisFields(t, nowMicros()));
  } finally {
    r.disconnect();
  }
}

interface Connz {
  connections?: { name?: string; subscriptions_list?: string[] }[];
}

/** Subjects the NATS server holds for the connection named `name` (from the monitor endpoint). */
export async function serverSubjects(monitorUrl: string, name: string): Promise<string[]> {
  const res = await fetch(`${monitorUrl}/connz?subs=1`);
  const body = (await res.json()) as Connz;
  const conn = (body.connections ?? []).find((c) => c.name === name);
  return conn?.subscriptions_list ?? [];
}
