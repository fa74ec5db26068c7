/**
 * Pieces every WebSocket venue protocol of the simulator (Bybit, OKX, Coinbase, Kraken) shares:
 * the stats shape, the sockets a fault may stall, and an orderly close. Each venue keeps its own
 * connection type; these helpers only need its socket and closing flag.
 */
import type { WebSocket, WebSocketServer } from 'ws';
import type { VenueStats, VenueSymbolStats } from './venue';

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
