/**
 * The WebSocket the client runs on: the subset of the WHATWG API that browsers' `WebSocket` and the
 * `ws` package's `WebSocket` both implement, so the library has no Node-only import. In browsers
 * (and Node ≥ 22) the global constructor is used; in Node 20 pass one:
 *
 *   import { WebSocket } from 'ws';
 *   new TickmeshClient({ url, WebSocket });
 */
import { TickmeshError } from './types';

/**
 * Event handler property type. Declared through a method so its parameter is compared
 * bivariantly: the DOM's `MessageEvent` and ws's `MessageEvent` both fit `{ data: unknown }`.
 */
type Handler<E> = { bivarianceHack(ev: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** WHATWG readyState value of an open socket. */
export const OPEN = 1;

export function resolveWebSocket(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  if (injected !== undefined) return injected;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global === undefined) {
    throw new TickmeshError(
      'no_websocket',
      'no global WebSocket in this runtime: pass the `WebSocket` option (e.g. `WebSocket` from the "ws" package)',
    );
  }
  return global;
}
