/**
 * What the simulator's HTTP server and control API need from a venue protocol adapter. Each venue
 * protocol (src/venues/<venue>/) implements it on top of its own `Market`; the market model is
 * shared code, the wire protocol is not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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
  stats(): VenueStats;
  /** Graceful shutdown of the venue's sockets (the HTTP server is closed by its owner). */
  close(): Promise<void>;
}
