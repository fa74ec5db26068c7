/**
 * Pieces every WebSocket venue protocol of the simulator (Bybit, OKX, Coinbase, Kraken) shares:
 * the stats shape, the sockets a fault may stall, an orderly close, and `StreamVenue`, the base
 * class holding the fault and lifecycle methods. Each venue keeps its own connection type; these
 * only need its socket and closing flag.
 */
import type { WebSocket, WebSocketServer } from 'ws';
import { VenueFaults, type VenueStats, type VenueSymbolStats } from './venue';

export interface StreamConn {
  ws: WebSocket;
  closing: boolean;
}

/** The per-symbol counters of `VenueStats`, copied out of a venue's symbol states. */
export function venueStats(symbols: Iterable<[string, VenueSymbolStats]>, connections: number): VenueStats {
  const out: Record<string, VenueSymbolStats> = {};
  for (const [name, s] of symbols) {
    const { depthSent, depthDropped, depthDropPending, tradesSent, framesSent } = s;
    out[name] = { depthSent, depthDropped, depthDropPending, tradesSent, framesSent };
  }
  return { connections, symbols: out };
}

/** Sockets a stall fault applies to: every open connection not already closing. */
export function openSockets(conns: Iterable<StreamConn>): WebSocket[] {
  const out: WebSocket[] = [];
  for (const c of conns) if (!c.closing) out.push(c.ws);
  return out;
}

/**
 * Waits (at most `graceMs`) for the close handshakes `disconnectAll` started, terminates any
 * socket still open, then closes the server. Waits on the sockets' close events, not a poll.
 */
export async function closeStreamServer(
  conns: Iterable<StreamConn>,
  wss: WebSocketServer,
  graceMs = 1000,
): Promise<void> {
  const open = [...conns].filter((c) => c.ws.readyState !== c.ws.CLOSED);
  await Promise.race([
    Promise.all(open.map((c) => new Promise<void>((r) => c.ws.once('close', () => r())))),
    new Promise<void>((r) => setTimeout(r, graceMs).unref()),
  ]);
  for (const c of open) if (c.ws.readyState !== c.ws.CLOSED) c.ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/**
 * The fault and lifecycle half of `VenueProtocol` that every WebSocket venue implements the same
 * way: connections, the shared fault state, stats, disconnects and the orderly close. A venue
 * extends it and keeps its protocol (subscriptions, messages, REST) to itself.
 */
export abstract class StreamVenue<C extends StreamConn> {
  protected readonly conns = new Set<C>();
  protected readonly faults = new VenueFaults();
  protected closed = false;
  protected abstract readonly wss: WebSocketServer;
  /** stops the market listener (assigned by the venue's constructor) */
  protected abstract readonly unlisten: () => void;
  /** the per-symbol counters `stats()` reports */
  protected abstract statsSymbols(): Iterable<[string, VenueSymbolStats]>;
  /** stops the venue's own timers (heartbeats, idle checks) */
  protected abstract stopTimers(): void;

  disconnectAll(code: number, reason: string): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.closing) continue;
      c.closing = true;
      c.ws.close(code, reason);
      n++;
    }
    return n;
  }

  stats(): VenueStats {
    return venueStats(this.statsSymbols(), this.conns.size);
  }

  duplicateBookMessages(symbol: string, count: number): number {
    return this.faults.duplicate(symbol, count);
  }

  reorderBookMessages(symbol: string): number {
    return this.faults.reorder(symbol);
  }

  stall(ms: number): number {
    return this.faults.stall(openSockets(this.conns), ms);
  }

  rest429(count: number, retryAfterSec: number): number {
    return this.faults.rest429(count, retryAfterSec);
  }

  /** Close 1001; a venue with a shutdown notice overrides it. */
  shutdown(): number {
    return this.disconnectAll(1001, 'server shutdown');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.faults.dispose();
    this.unlisten();
    this.stopTimers();
    this.disconnectAll(1001, 'server shutdown');
    await closeStreamServer(this.conns, this.wss);
  }
}
