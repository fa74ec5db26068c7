/**
 * Outbound frames, serialized once and shared by every connection that receives them.
 *
 * A `Frame` holds the JSON text of one server message. Its transport encodings (the UTF-8 bytes of
 * a WebSocket text frame, the `event:/id:/data:` block of SSE) are built lazily on first use and
 * cached, so a data message fanned out to N subscribers costs one `JSON.stringify`, one
 * `Buffer.from` per transport in use, and N socket writes of the same bytes.
 */
import {
  GATEWAY_PROTOCOL_VERSION,
  type AckMessage,
  type BookViewData,
  type ChannelData,
  type GapMessage,
  type InstrumentInfo,
  type ListMessage,
  type ErrorCode,
  type ErrorMessage,
  type NotRecoveredMessage,
  type NotRecoveredReason,
  type ResumedMessage,
  type PongMessage,
  type RequestId,
  type WelcomeMessage,
} from '@tickmesh/contracts';

/** WebSocket close codes used by the gateway (see README). 4000–4999 is the application range. */
export const CLOSE_CODES = {
  /** RFC 6455 message too big: an inbound frame over MAX_INBOUND_BYTES (sent by ws itself). */
  messageTooLarge: 1009,
  /** RFC 6455 "service restart": the gateway is shutting down; reconnect (with backoff). */
  serviceRestart: 1012,
  /** The connection fell MAX_OUTBOUND_BYTES behind; reconnect and take a fresh snapshot. */
  slowConsumer: 4008,
  /** RFC 6455 "try again later": the token keys (JWKS) are unavailable; reconnect with backoff. */
  tryAgainLater: 1013,
  /** No valid token: at connect, no `auth` within AUTH_TIMEOUT_MS, an op before `auth`, or `exp` passed. */
  unauthorized: 4001,
  /** Reserved: a token that grants no channel at all. */
  forbidden: 4003,
  /** No subscription within MUST_SUBSCRIBE_MS of connecting (or of the last unsubscribe). */
  subscribeTimeout: 4010,
  /** The client kept sending after `rate_limited` refusals. */
  rateLimited: 4029,
} as const;

export type DataKind = 'snapshot' | 'update';

/**
 * How an update may be conflated (conflate_ms, slow consumers): `replace` (state channels: the
 * latest value is all a client needs), `merge` (book diffs: merged per price, latest size wins),
 * `drop` (trades: never replaced; dropped ones are announced with a `gap` notice).
 */
export type ConflationPolicy = 'replace' | 'merge' | 'drop';

export interface FrameExtra {
  policy?: ConflationPolicy;
  /** the channel seq and epoch of a data message */
  seq?: number;
  epoch?: number;
  /** a book update's data, kept for merging (policy `merge`) */
  book?: BookViewData;
}

export class Frame {
  private wsBytes: Buffer | undefined;
  private sseBytes: Buffer | undefined;
  private conflatedFrame: Frame | undefined;

  /**
   * @param json the complete server message as JSON text
   * @param event SSE event name (`snapshot`, `update`, `welcome`)
   * @param sseId SSE `id:` (`<ch>:<epoch>:<seq>`) for data messages
   * @param venueTs venue event time (µs) for the send-latency histogram; 0 = not observed
   * @param ch the channel of a data message (conflation); undefined for control messages
   * @param kind `snapshot` or `update` for a data message
   */
  constructor(
    readonly json: string,
    readonly event: string | undefined,
    readonly sseId: string | undefined,
    readonly venueTs: number,
    readonly ch?: string,
    readonly kind?: DataKind,
    readonly extra: FrameExtra = {},
  ) {}

  get policy(): ConflationPolicy {
    return this.extra.policy ?? 'replace';
  }

  /**
   * This data message marked `"conflated":true` (same id and seq): it may follow the channel's
   * previous message with a seq jump. Built once per frame and shared like the original.
   */
  asConflated(): Frame {
    return (this.conflatedFrame ??= new Frame(
      `${this.json.slice(0, -1)},"conflated":true}`,
      this.event,
      this.sseId,
      this.venueTs,
      this.ch,
      this.kind,
      this.extra,
    ));
  }

  /** Size used for outbound accounting: the JSON length (ASCII for market data, so ≈ bytes). */
  get size(): number {
    return this.json.length;
  }

  forWs(): Buffer {
    return (this.wsBytes ??= Buffer.from(this.json));
  }

  forSse(): Buffer {
    if (this.sseBytes === undefined) {
      let text = '';
      if (this.event !== undefined) text += `event: ${this.event}\n`;
      if (this.sseId !== undefined) text += `id: ${this.sseId}\n`;
      this.sseBytes = Buffer.from(`${text}data: ${this.json}\n\n`);
    }
    return this.sseBytes;
  }
}

/**
 * A data message for one channel. `dataJson` is the already-serialized `data` object, so a
 * snapshot and an update of the same value share that work.
 */
export function dataFrame(
  type: DataKind,
  ch: string,
  seq: number,
  epoch: number,
  dataJson: string,
  venueTs: number,
  extra: FrameExtra = {},
): Frame {
  const json = `{"type":"${type}","ch":"${ch}","seq":${seq},"epoch":${epoch},"data":${dataJson}}`;
  return new Frame(json, type, `${ch}:${epoch}:${seq}`, venueTs, ch, type, { ...extra, seq, epoch });
}

/**
 * Consecutive book diffs of one channel as one: per price the latest size wins, the header (seq,
 * bookSeq, state) is the last one's. Applying the result to the view before the first gives the
 * view after the last exactly. Not marked conflated (the caller marks it).
 */
export function mergeBookFrames(...frames: Frame[]): Frame {
  const last = frames[frames.length - 1]!;
  const { seq, epoch } = last.extra;
  const dl = last.extra.book;
  if (dl === undefined || last.ch === undefined || seq === undefined || epoch === undefined) return last;
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  for (const f of frames) {
    const d = f.extra.book;
    if (d === undefined) return last;
    for (const [p, s] of d.bids) bids.set(p, s);
    for (const [p, s] of d.asks) asks.set(p, s);
  }
  const data: BookViewData = { ...dl, bids: [...bids], asks: [...asks] };
  return dataFrame('update', last.ch, seq, epoch, JSON.stringify(data), last.venueTs, {
    policy: 'merge',
    book: data,
  });
}

/** Serializes channel data without the wire `type` discriminator (and without Redis' `updatedAt`). */
export function serializeData(msg: ChannelData & { type?: string; updatedAt?: number }): string {
  const { type: _type, updatedAt: _updatedAt, ...data } = msg;
  return JSON.stringify(data);
}

function control(msg: object, event?: string): Frame {
  return new Frame(JSON.stringify(msg), event, undefined, 0);
}

export function welcomeFrame(server: string): Frame {
  const m: WelcomeMessage = { type: 'welcome', protocol: GATEWAY_PROTOCOL_VERSION, server };
  return control(m, 'welcome');
}

export function ackFrame(
  op: AckMessage['op'],
  channels: string[],
  id: RequestId | undefined,
  expanded?: Record<string, string[]>,
): Frame {
  const m: AckMessage = id === undefined ? { type: 'ack', op, channels } : { type: 'ack', id, op, channels };
  if (expanded !== undefined && Object.keys(expanded).length > 0) m.expanded = expanded;
  return control(m);
}

export function errorFrame(
  code: ErrorCode,
  message: string,
  id?: RequestId,
  channel?: string,
  retryAfterMs?: number,
): Frame {
  const m: ErrorMessage = { type: 'error', code, message };
  if (id !== undefined) m.id = id;
  if (channel !== undefined) m.channel = channel;
  if (retryAfterMs !== undefined) m.retryAfterMs = retryAfterMs;
  return control(m);
}

/** A valid `auth` op: `{"type":"ack","op":"auth","channels":[]}` (with the request id). */
export function authAckFrame(id?: RequestId): Frame {
  return ackFrame('auth', [], id);
}

export function pongFrame(id: RequestId | undefined, ts: number): Frame {
  const m: PongMessage = id === undefined ? { type: 'pong', ts } : { type: 'pong', id, ts };
  return control(m);
}

export function listFrame(id: RequestId | undefined, instruments: InstrumentInfo[]): Frame {
  const m: ListMessage = id === undefined ? { type: 'list', instruments } : { type: 'list', id, instruments };
  return control(m, 'list');
}

/** Trades dropped for a slow consumer: seqs `from`..`to` of `ch` will not come. */
export function gapFrame(ch: string, from: number, to: number): Frame {
  const m: GapMessage = { type: 'gap', ch, from, to };
  return control(m, 'gap');
}

/** Resume accepted: updates `from`..`to` of `ch` follow (SSE event `resumed`, no id). */
export function resumedFrame(ch: string, epoch: number, from: number, to: number): Frame {
  const m: ResumedMessage = { type: 'resumed', ch, epoch, from, to };
  return control(m, 'resumed');
}

/** Resume refused: a fresh snapshot of `ch` follows (SSE event `not_recovered`, no id). */
export function notRecoveredFrame(ch: string, reason: NotRecoveredReason): Frame {
  const m: NotRecoveredMessage = { type: 'not_recovered', ch, reason };
  return control(m, 'not_recovered');
}
