/**
 * Gateway protocol additions for resume (docs/gateway-protocol.md, "Resume"). A `subscribe` may
 * carry the client's last position per channel; the gateway answers each such channel with
 * `resumed` (followed by the exact missing updates) or `not_recovered` (followed by a snapshot).
 * The old `subscribe` shape stays valid: `resume` is optional.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ClientOpSchema } from './gateway';

/** A client's last received position on one channel. */
export const ResumePositionSchema = Type.Object({
  epoch: Type.Integer({ minimum: 0 }),
  seq: Type.Integer({ minimum: 0 }),
});
export type ResumePosition = Static<typeof ResumePositionSchema>;

const RequestIdSchema = Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 64 })]));

export const SubscribeOpSchema = Type.Object({
  op: Type.Literal('subscribe'),
  id: RequestIdSchema,
  channels: Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: 100 }),
  /**
   * Latest-wins delivery for this op's channels: at most one update per channel per N ms, always
   * the latest, marked `"conflated":true` (seqs then only increase, not +1). 0 = off.
   */
  conflate_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  /**
   * Levels per side for this op's `book` channels: 1..100, rounded up to a tier (10, 25, 50,
   * 100); default 25. Ignored by other kinds.
   */
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  /** channel name → last received position; channels not listed get a plain snapshot */
  resume: Type.Optional(
    Type.Record(Type.String({ maxLength: 128 }), ResumePositionSchema, { maxProperties: 100 }),
  ),
});

/** `{"op":"list"}`: the instruments the gateway knows (answered with a `list` message). */
export const ListOpSchema = Type.Object({
  op: Type.Literal('list'),
  id: RequestIdSchema,
});

/** The client op union with the resumable `subscribe`, `list` and `auth` (a superset of `ClientOpSchema`). */
export const GatewayClientOpSchema = Type.Union([
  SubscribeOpSchema,
  ClientOpSchema.anyOf[1],
  ClientOpSchema.anyOf[2],
  ListOpSchema,
  ClientOpSchema.anyOf[3],
]);
export type GatewayClientOp = Static<typeof GatewayClientOpSchema>;
export const gatewayClientOpChecker = TypeCompiler.Compile(GatewayClientOpSchema);

/**
 * Present (true) on an update delivered under conflation (requested with `conflate_ms`, or applied
 * to a slow consumer): its seq may be more than last + 1; the client must only require an increase.
 */
export interface ConflationMark {
  conflated?: true;
}

/** Sent before the replay: updates `from`..`to` (inclusive) follow, then live updates. */
export interface ResumedMessage {
  type: 'resumed';
  ch: string;
  epoch: number;
  /** first replayed seq (S+1); `from > to` means nothing was missed */
  from: number;
  /** last replayed seq: the channel's current seq */
  to: number;
}

export const NOT_RECOVERED_REASONS = ['epoch changed', 'too old', 'unknown position'] as const;
export type NotRecoveredReason = (typeof NOT_RECOVERED_REASONS)[number];

/** The position cannot be resumed without a gap; a fresh `snapshot` follows. */
export interface NotRecoveredMessage {
  type: 'not_recovered';
  ch: string;
  reason: NotRecoveredReason;
}
