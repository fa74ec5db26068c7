/**
 * Public types of the client: options, states, events, errors, and the channel → data mapping
 * (`tob.*` carries `TobData`, `status.*` carries `StatusData`, per @tickmesh/contracts).
 */
import type {
  BookViewData,
  ChannelData,
  ConsolidatedData,
  DataMessage,
  ErrorCode,
  NotRecoveredMessage,
  ResumedMessage,
  StatsData,
  StatusData,
  TobData,
  TradesData,
} from '@tickmesh/contracts';
import type { WebSocketConstructor } from './websocket';

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ReconnectOptions {
  /** first retry delay bound, ms (default 250) */
  baseMs?: number;
  /** largest delay bound, ms (default 10 000) */
  capMs?: number;
}

export interface TickmeshClientOptions {
  /** gateway WebSocket URL, e.g. `wss://md.example.com/ws` */
  url: string;
  /** WebSocket constructor; default: the global `WebSocket` (browsers, Node ≥ 22) */
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions;
  /** deadline for an op's answer (ack, pong), ms (default 10 000) */
  requestTimeoutMs?: number;
  /**
   * Resume after a reconnect (default true): resubscribe with each channel's last (epoch, seq) so
   * the gateway replays only the missed updates (`resumed` event) instead of a snapshot, or says it
   * cannot (`notRecovered` event, then a snapshot).
   */
  resume?: boolean;
  /**
   * A JWT for gateways with auth enabled (docs/gateway-security.md), or a function returning one
   * (called on every connect and reconnect, so it can refresh). Sent as the first message,
   * `{"op":"auth"}`, before any resubscription; the token stays out of URLs. A close with 4001
   * (token expired or refused) reconnects with a fresh token and resumes.
   */
  token?: string | (() => string | Promise<string>);
}

/** Data type carried by a channel name, from its kind prefix. */
export type DataFor<C extends string> = C extends `tob.${string}`
  ? TobData
  : C extends `status.${string}`
    ? StatusData
    : C extends `book.${string}`
      ? BookViewData
      : C extends `trades.${string}`
        ? TradesData
        : C extends `consolidated.${string}`
          ? ConsolidatedData
          : C extends `stats.${string}`
            ? StatsData
            : ChannelData;

export type MessageFor<C extends string> = DataMessage<DataFor<C>>;

export interface SubscribeOptions {
  /**
   * Latest-wins delivery: at most one update per `conflateMs` ms, always the latest, marked
   * `conflated: true` (seqs then only increase). Set by the channel's first subscriber.
   */
  conflateMs?: number;
  /**
   * `book` channels: levels per side, 1..100, served at the next tier (10, 25, 50, 100; default
   * 25). Set by the channel's first subscriber.
   */
  depth?: number;
}

export interface Subscription {
  readonly channel: string;
  /** Stops this handler; the server subscription ends with the channel's last handler. */
  unsubscribe(): Promise<void>;
}

/**
 * A sequence discontinuity on a channel: an update whose seq is not last + 1 in the same epoch.
 * The gateway guarantees this does not happen, except for `trades` channels of a slow connection,
 * where it announces the dropped seqs with a `gap` message (reported here with `expected` = the
 * first dropped seq and `received` = the last dropped + 1). Updates at or below the last seq are
 * dropped after reporting; others are delivered.
 */
export interface GapEvent {
  channel: string;
  epoch: number;
  /** the seq that should have come (undefined: no snapshot yet on this connection) */
  expected: number | undefined;
  received: number;
}

export interface ClientEvents {
  state: ClientState;
  /** a reconnect resumed this channel: updates `from`..`to` are replayed, then live ones */
  resumed: ResumedMessage;
  /** a reconnect could not resume this channel: a snapshot follows */
  notRecovered: NotRecoveredMessage;
  gap: GapEvent;
  /** errors that no pending call can take (e.g. a channel refused on resubscribe) */
  error: TickmeshError;
}

export type ClientErrorCode = ErrorCode | 'timeout' | 'disconnected' | 'closed' | 'no_websocket';

export class TickmeshError extends Error {
  override readonly name = 'TickmeshError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly channel?: string,
    /** `rate_limited` / `overloaded`: the gateway's retry hint */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
