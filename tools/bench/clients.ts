/**
 * The benchmark's WebSocket clients: `TickmeshClient`s on the `ws` package, each subscribed to the
 * top-of-book channel of every symbol, all feeding one latency recorder. Latency of a data message
 * = `nowMicros()` at receipt − `data.venueTs` (the simulator's send time, carried through every
 * hop): one wall clock, one machine.
 */
import { TickmeshClient, type WebSocketConstructor } from '@tickmesh/client';
import { nowMicros } from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { WebSocket } from 'ws';

/** Collects latencies (µs, in arrival order) and message counts while `recording`. */
export class LatencyRecorder {
  recording = false;
  /** data messages received while recording (snapshots + updates) */
  messages = 0;
  /** reconnects and sequence gaps seen by any client while recording */
  reconnects = 0;
  gaps = 0;
  private buf = new Float32Array(1 << 16);
  private n = 0;

  add(latencyUs: number): void {
    if (this.n === this.buf.length) {
      const next = new Float32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = latencyUs;
  }

  /** Starts a fresh window. */
  start(): void {
    this.n = 0;
    this.messages = 0;
    this.reconnects = 0;
    this.gaps = 0;
    this.recording = true;
  }

  stop(): void {
    this.recording = false;
  }

  /** The window's samples in arrival order (a view: copy before the next `start()`). */
  samples(): Float32Array {
    return this.buf.subarray(0, this.n);
  }
}

export interface ClientPool {
  readonly clients: readonly TickmeshClient[];
  /** true once every client has seen every symbol's tob in state 'live' */
  allLive(): boolean;
  /** symbols not yet live on some client */
  notLive(): string[];
  close(): void;
}

/** Connects `count` clients concurrently and subscribes each to `tob.binance.<symbol>` for every symbol. */
export async function connectClients(
  url: string,
  symbols: readonly string[],
  count: number,
  recorder: LatencyRecorder,
): Promise<ClientPool> {
  const states: Map<string, string>[] = [];
  const clients: TickmeshClient[] = [];
  const pool: ClientPool = {
    clients,
    allLive: () => states.every((m) => symbols.every((s) => m.get(s) === 'live')),
    notLive: () => symbols.filter((s) => !states.every((m) => m.get(s) === 'live')),
    close: () => {
      for (const c of clients) c.close();
    },
  };
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const client = new TickmeshClient({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
        clients.push(client);
        const state = new Map<string, string>();
        states.push(state);
        client.on('state', (s) => {
          if (s === 'reconnecting' && recorder.recording) recorder.reconnects++;
        });
        client.on('gap', () => {
          if (recorder.recording) recorder.gaps++;
        });
        await client.connect();
        await Promise.all(
          symbols.map((symbol) =>
            client.subscribe(`tob.binance.${symbol}`, (m) => {
              const now = nowMicros();
              state.set(symbol, m.data.state);
              if (!recorder.recording) return;
              recorder.messages++;
              // A snapshot's age is staleness, not latency: only updates are samples.
              if (m.type === 'update') recorder.add(now - m.data.venueTs);
            }),
          ),
        );
      }),
    );
  } catch (err) {
    pool.close();
    throw err;
  }
  return pool;
}

/** Waits until every client sees every symbol live; throws naming the laggards at the deadline. */
export async function waitAllLive(pool: ClientPool, timeoutMs: number): Promise<void> {
  await waitFor(() => pool.allLive(), {
    timeoutMs,
    intervalMs: 100,
    message: () => `every symbol live on every client; not yet: ${pool.notLive().join(', ')}`,
  });
}
