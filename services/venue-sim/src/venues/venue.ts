/**
 * What the simulator's HTTP server and control API need from a venue protocol adapter. Each venue
 * protocol (src/venues/<venue>/) implements it on top of its own `Market`; the market model is
 * shared code, the wire protocol is not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Market } from '../market/market';

export interface VenueSymbolStats {
  /** book events handed to subscribers (including events no one was subscribed to) */
  depthSent: number;
  /** book events suppressed by a gap fault */
  depthDropped: number;
  /** book events still to be suppressed */
  depthDropPending: number;
  tradesSent: number;
  /** WebSocket frames written for this symbol (all connections, all streams) */
  framesSent: number;
}

export interface VenueStats {
  connections: number;
  symbols: Record<string, VenueSymbolStats>;
}

export interface VenueProtocol {
  /** lower-case venue name used in the control API (`binance`) */
  readonly name: string;
  readonly market: Market;
  /** Answers the request if it belongs to this venue's public API; false otherwise. */
  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Takes over the upgrade if the path is one of this venue's WebSocket endpoints; false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  /** The model's full book in the venue's REST shape, or undefined for an unknown symbol. */
  groundTruth(symbol: string): string | undefined;
  /** Suppresses the next `count` book events of `symbol` (still applied to the model). Returns the pending total. */
  dropBookEvents(symbol: string, count: number): number;
  /**
   * Venues whose book messages carry a checksum (Kraken): the next `count` book messages of `symbol`
   * carry a wrong one. Returns the pending total.
   */
  corruptChecksums?(symbol: string, count: number): number;
  /** Closes every WebSocket connection with `code`; returns how many. */
  disconnectAll(code: number, reason: string): number;
  /** The next `count` book messages of `symbol` are each sent twice (same bytes). Returns the pending total. */
  duplicateBookMessages(symbol: string, count: number): number;
  /** The next two book messages of `symbol` are sent in swapped order. Returns the pending swaps. */
  reorderBookMessages(symbol: string): number;
  /** Sends nothing on the open connections for `ms` (sockets stay open; data is held, then flushed). */
  stall(ms: number): number;
  /** The next `count` REST requests of the venue answer HTTP 429 with `Retry-After`. Returns the pending total. */
  rest429(count: number, retryAfterSec: number): number;
  /** The venue's shutdown notice where it has one, then close 1001. Returns the connections closed. */
  shutdown(): number;
  stats(): VenueStats;
  /** Graceful shutdown of the venue's sockets (the HTTP server is closed by its owner). */
  close(): Promise<void>;
}

/**
 * Fault state shared by the venue protocols for the wire-level faults that do not depend on the
 * protocol: duplicated and reordered book messages, stalled sockets and REST 429s. A venue routes
 * each book message of a symbol through `emitBook` (one call per model update: the closure sends
 * the message to every subscriber), answers `takeRest` first in its REST handler, and calls
 * `dispose` on close.
 */
export class VenueFaults {
  private readonly dup = new Map<string, number>();
  private readonly swaps = new Map<string, number>();
  private readonly held = new Map<string, () => number>();
  private rest429Pending = 0;
  private retryAfterSec = 1;
  private readonly stalls = new Map<NodeJS.Timeout, Socket[]>();

  duplicate(symbol: string, count: number): number {
    const n = (this.dup.get(symbol) ?? 0) + count;
    this.dup.set(symbol, n);
    return n;
  }

  reorder(symbol: string): number {
    const n = (this.swaps.get(symbol) ?? 0) + 1;
    this.swaps.set(symbol, n);
    return n;
  }

  /**
   * Sends one book message of `symbol` (`send` writes it to every subscriber and returns the frames
   * written), applying pending faults: a held message (reorder) goes right after this one; a
   * pending swap holds this one back until the next; a pending duplicate sends it twice.
   */
  emitBook(symbol: string, send: () => number): number {
    const held = this.held.get(symbol);
    if (held !== undefined) {
      this.held.delete(symbol);
      return this.sendMaybeTwice(symbol, send) + held();
    }
    const swaps = this.swaps.get(symbol) ?? 0;
    if (swaps > 0) {
      this.swaps.set(symbol, swaps - 1);
      this.held.set(symbol, send);
      return 0;
    }
    return this.sendMaybeTwice(symbol, send);
  }

  private sendMaybeTwice(symbol: string, send: () => number): number {
    let n = send();
    const d = this.dup.get(symbol) ?? 0;
    if (d > 0) {
      this.dup.set(symbol, d - 1);
      n += send();
    }
    return n;
  }

  rest429(count: number, retryAfterSec: number): number {
    this.rest429Pending += count;
    this.retryAfterSec = retryAfterSec;
    return this.rest429Pending;
  }

  /** Answers 429 (with `body`) when one is pending; true when it did. */
  takeRest(res: ServerResponse, body: string): boolean {
    if (this.rest429Pending === 0) return false;
    this.rest429Pending--;
    res.writeHead(429, {
      'content-type': 'application/json',
      'retry-after': String(this.retryAfterSec),
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  }

  /**
   * Corks the TCP sockets of `sockets` for `ms`: nothing (data, pings, pongs) leaves them, the
   * connection stays open, and what was written meanwhile is flushed when the stall ends.
   */
  stall(sockets: Iterable<WebSocket>, ms: number): number {
    const corked: Socket[] = [];
    for (const ws of sockets) {
      const s = (ws as unknown as { _socket?: Socket | null })._socket;
      if (s === undefined || s === null || s.destroyed) continue;
      s.cork();
      corked.push(s);
    }
    const timer = setTimeout(() => {
      this.stalls.delete(timer);
      uncork(corked);
    }, ms);
    timer.unref();
    this.stalls.set(timer, corked);
    return corked.length;
  }

  /** Ends stalls and drops held messages (venue close). */
  dispose(): void {
    for (const [timer, corked] of this.stalls) {
      clearTimeout(timer);
      uncork(corked);
    }
    this.stalls.clear();
    this.held.clear();
  }
}

function uncork(sockets: readonly Socket[]): void {
  for (const s of sockets) while (s.writableCorked > 0) s.uncork();
}
