/**
 * Gateway client protocol, version 1 (docs/gateway-protocol.md). JSON text frames over WebSocket;
 * the same server messages as `data:` lines over SSE.
 *
 * Channels are `<kind>.<venue>.<symbol>`, e.g. `tob.binance.BTC-USDT`. Every data message carries
 * its channel, a per-channel sequence (`seq`, +1 per message on that channel) and the channel's
 * `epoch` (changes when the gateway's sequence for the channel restarts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type {
  BookViewData,
  ConsolidatedData,
  GapMessage,
  ListMessage,
  StatsData,
  TradesData,
} from './gateway-channels';
import type { SyncStatus, TopOfBook } from './messages';
import { isSymbol, isVenueId } from './subjects';

export const GATEWAY_PROTOCOL_VERSION = 1;

export type ChannelKind = 'tob' | 'status' | 'book' | 'trades' | 'stats' | 'consolidated';
export const CHANNEL_KINDS: readonly ChannelKind[] = [
  'tob',
  'status',
  'book',
  'trades',
  'stats',
  'consolidated',
];
/** Kinds named `<kind>.<venue>.<SYMBOL>`; `consolidated.<SYMBOL>` has no venue. */
export const VENUE_CHANNEL_KINDS: readonly ChannelKind[] = ['tob', 'status', 'book', 'trades', 'stats'];

export interface Channel {
  kind: ChannelKind;
  /** '' for `consolidated` (a cross-venue channel) */
  venue: string;
  symbol: string;
}

export function formatChannel(c: Channel): string {
  return c.kind === 'consolidated' ? `consolidated.${c.symbol}` : `${c.kind}.${c.venue}.${c.symbol}`;
}

/**
 * Parses `kind.venue.symbol` (or `consolidated.symbol`); undefined when malformed or of an
 * unknown kind. Wildcards are not channels: see `parseChannelPattern`.
 */
export function parseChannel(s: string): Channel | undefined {
  if (s.length > 80) return undefined;
  const parts = s.split('.');
  if (parts.length === 2 && parts[0] === 'consolidated') {
    const symbol = parts[1]!;
    return isSymbol(symbol) ? { kind: 'consolidated', venue: '', symbol } : undefined;
  }
  if (parts.length !== 3) return undefined;
  const [kind, venue, symbol] = parts as [string, string, string];
  if (!VENUE_CHANNEL_KINDS.includes(kind as ChannelKind) || !isVenueId(venue) || !isSymbol(symbol))
    return undefined;
  return { kind: kind as ChannelKind, venue, symbol };
}

/** A channel name with `*` for its venue and/or symbol token (`tob.*.BTC-USDT`, `status.*.*`). */
export interface ChannelPattern {
  kind: ChannelKind;
  /** undefined = any venue (`*`); always undefined for `consolidated` */
  venue: string | undefined;
  /** undefined = any symbol (`*`) */
  symbol: string | undefined;
}

export function isChannelPattern(s: string): boolean {
  return s.includes('*');
}

/** Parses a wildcard name; undefined when malformed or when it has no `*` token. */
export function parseChannelPattern(s: string): ChannelPattern | undefined {
  if (s.length > 80 || !s.includes('*')) return undefined;
  const parts = s.split('.');
  if (parts.length === 2 && parts[0] === 'consolidated' && parts[1] === '*')
    return { kind: 'consolidated', venue: undefined, symbol: undefined };
  if (parts.length !== 3) return undefined;
  const [kind, venue, symbol] = parts as [string, string, string];
  if (!VENUE_CHANNEL_KINDS.includes(kind as ChannelKind)) return undefined;
  if (venue !== '*' && !isVenueId(venue)) return undefined;
  if (symbol !== '*' && !isSymbol(symbol)) return undefined;
  return {
    kind: kind as ChannelKind,
    venue: venue === '*' ? undefined : venue,
    symbol: symbol === '*' ? undefined : symbol,
  };
}

/** True when the concrete channel `c` is one of the pattern's expansions. */
export function matchesPattern(p: ChannelPattern, c: Channel): boolean {
  return (
    p.kind === c.kind &&
    (p.venue === undefined || p.venue === c.venue) &&
    (p.symbol === undefined || p.symbol === c.symbol)
  );
}

/** Stable error codes sent to clients. Never renamed; new ones may be added. */
export const ERROR_CODES = [
  'bad_request', // not JSON, not an object, unknown op, missing fields
  'message_too_large', // inbound frame over the limit
  'invalid_channel', // channel name malformed or of an unknown kind
  'unknown_channel', // well-formed but not served (unknown venue or symbol)
  'too_many_subscriptions',
  'not_subscribed',
  'unavailable', // a dependency is down and no cached state exists
  'internal',
  'too_many_matches', // a wildcard expands to more channels than MAX_WILDCARD_CHANNELS
  'unauthorized', // no valid token (at connect, before `auth`, expired): docs/gateway-security.md
  'forbidden', // the token does not grant the channel
  'rate_limited', // over the operation rate (with retryAfterMs); HTTP 429 body of a refused connect
  'overloaded', // the snapshot path is at its adaptive limit (with retryAfterMs); HTTP 503 body (SSE)
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ClientOpSchema = Type.Union([
  Type.Object({
    op: Type.Literal('subscribe'),
    id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 64 })])),
    channels: Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: 100 }),
  }),
  Type.Object({
    op: Type.Literal('unsubscribe'),
    id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 64 })])),
    channels: Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: 100 }),
  }),
  Type.Object({
    op: Type.Literal('ping'),
    id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 64 })])),
  }),
  /** WebSocket: authenticate (first message when no token came with the upgrade) or refresh the token. */
  Type.Object({
    op: Type.Literal('auth'),
    id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 64 })])),
    token: Type.String({ minLength: 1, maxLength: 8192 }),
  }),
]);
export type ClientOp = Static<typeof ClientOpSchema>;
export type RequestId = number | string;
export const clientOpChecker = TypeCompiler.Compile(ClientOpSchema);

export type TobData = Omit<TopOfBook, 'type'>;
export type StatusData = Omit<SyncStatus, 'type'>;
export type ChannelData = TobData | StatusData | BookViewData | TradesData | ConsolidatedData | StatsData;

export interface DataMessage<T = ChannelData> {
  type: 'snapshot' | 'update';
  ch: string;
  seq: number;
  epoch: number;
  data: T;
}
export interface AckMessage {
  type: 'ack';
  id?: RequestId;
  op: 'subscribe' | 'unsubscribe' | 'auth';
  /** the acknowledged channels (`[]` for `auth`) */
  channels: string[];
  /** wildcard → the concrete channels it expanded to (only when the op had wildcards) */
  expanded?: Record<string, string[]>;
}
export interface ErrorMessage {
  type: 'error';
  id?: RequestId;
  code: ErrorCode;
  message: string;
  channel?: string;
  /** `rate_limited` / `overloaded`: wait at least this long before retrying */
  retryAfterMs?: number;
}
export interface PongMessage {
  type: 'pong';
  id?: RequestId;
  ts: number;
}
export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  server: string;
}
export type ServerMessage =
  DataMessage | AckMessage | ErrorMessage | PongMessage | WelcomeMessage | ListMessage | GapMessage;
