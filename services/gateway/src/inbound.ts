/**
 * Client input → validated operation, or the `bad_request` answer for it. Pure: no sockets, no
 * state, so every malformed input shape is unit-tested here. Nothing a client sends may throw
 * past this module.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  gatewayClientOpChecker,
  GatewayClientOpSchema,
  parseChannel,
  parseChannelPattern,
  type Channel,
  type ChannelPattern,
  type GatewayClientOp,
  type ErrorCode,
  type RequestId,
} from '@tickmesh/contracts';

export type Parsed =
  { ok: true; op: GatewayClientOp } | { ok: false; message: string; id: RequestId | undefined };

/**
 * One compiled checker per op, used only to explain a rejection: the union's own errors point at
 * the union ("Expected union value"), a member's errors name the field.
 */
const memberChecks = new Map(
  GatewayClientOpSchema.anyOf.map((m) => [m.properties.op.const as string, TypeCompiler.Compile(m)]),
);

/** Parses one text frame. `id` is echoed in the error when the input carried a usable one. */
export function parseClientOp(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON', id: undefined };
  }
  if (gatewayClientOpChecker.Check(v)) return { ok: true, op: v };
  return { ok: false, message: describe(v), id: requestIdOf(v) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (!isRecord(v)) return 'expected a JSON object with an "op" field';
  const op = v['op'];
  if (typeof op !== 'string') return 'missing "op" (subscribe, unsubscribe, ping, list or auth)';
  const check = memberChecks.get(op);
  if (check === undefined) return `unknown op ${JSON.stringify(op.slice(0, 32))}`;
  if (op === 'auth' && (typeof v['token'] !== 'string' || v['token'] === ''))
    return '"auth" needs "token": a JWT string of 1 to 8192 characters';
  if (op !== 'ping' && op !== 'list' && op !== 'auth' && !Array.isArray(v['channels']))
    return `"${op}" needs "channels": an array of 1 to 100 strings`;
  const first = check.Errors(v).First();
  return first === undefined ? 'invalid operation' : `${first.path}: ${first.message}`;
}

/**
 * The request id of an op refused before it is handled (rate limit), so the client can tell which
 * request failed. Bounded work: frames over 4 KiB or not JSON give undefined.
 */
export function refusedOpId(text: string): RequestId | undefined {
  if (text.length > 4096) return undefined;
  try {
    return requestIdOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function requestIdOf(v: unknown): RequestId | undefined {
  if (!isRecord(v)) return undefined;
  const id = v['id'];
  if (typeof id === 'string' && id.length <= 64) return id;
  if (typeof id === 'number' && Number.isInteger(id)) return id;
  return undefined;
}

export interface Rejected {
  name: string;
  code: ErrorCode;
  message: string;
  /** `overloaded`: the retry hint */
  retryAfterMs?: number;
}

export interface Admission {
  /** channels to join, in request order, deduplicated, not yet subscribed */
  join: { name: string; channel: Channel }[];
  /** channels acknowledged: the joins plus those already subscribed (idempotent) */
  accepted: string[];
  rejected: Rejected[];
  /** wildcard → the concrete channels it expanded to (accepted ones) */
  expanded: Record<string, string[]>;
}

export interface WildcardOptions {
  /** the concrete channels of a pattern among the known instruments */
  expand(p: ChannelPattern): { name: string; channel: Channel }[];
  /** most channels one wildcard may expand to */
  maxChannels: number;
}

const CHANNEL_FORMS =
  'expected <tob|status|book|trades|stats>.<venue>.<SYMBOL> or consolidated.<SYMBOL> (wildcard * for venue or symbol)';

/**
 * Decides which of `names` a connection may subscribe to, given what it already has and its
 * limit. Order is kept; duplicates count once; an already-subscribed channel is acknowledged again
 * without a second snapshot (that would repeat a seq).
 *
 * `authorize` (the token's grant; absent = everything): a channel named explicitly that it refuses
 * is rejected `forbidden`; a wildcard's expansion is filtered by it before the wildcard limit,
 * silently, and a wildcard whose every match is refused is rejected `forbidden` itself.
 */
export function admitChannels(
  names: readonly string[],
  current: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  max: number,
  wildcards?: WildcardOptions,
  authorize?: (channel: string) => boolean,
): Admission {
  const out: Admission = { join: [], accepted: [], rejected: [], expanded: {} };
  const seen = new Set<string>();
  let count = current.size;
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (current.has(name)) {
      out.accepted.push(name);
      continue;
    }
    if (name.includes('*')) {
      const p = parseChannelPattern(name);
      if (p === undefined || wildcards === undefined) {
        out.rejected.push({
          name,
          code: 'invalid_channel',
          message: `invalid channel pattern ${JSON.stringify(name.slice(0, 128))}: ${CHANNEL_FORMS}`,
        });
        continue;
      }
      const all = wildcards.expand(p);
      const matches = authorize === undefined ? all : all.filter((m) => authorize(m.name));
      if (matches.length === 0 && all.length > 0) {
        out.rejected.push({
          name,
          code: 'forbidden',
          message: `the token grants none of the ${all.length} channels ${name} matches`,
        });
        continue;
      }
      if (matches.length > wildcards.maxChannels) {
        out.rejected.push({
          name,
          code: 'too_many_matches',
          message: `${name} matches ${matches.length} channels; at most ${wildcards.maxChannels} per wildcard`,
        });
        continue;
      }
      if (matches.length === 0) {
        out.rejected.push({
          name,
          code: 'unknown_channel',
          message: `${name} matches no instrument the gateway knows (see the list op)`,
        });
        continue;
      }
      const got: string[] = [];
      for (const m of matches) {
        if (seen.has(m.name) && !got.includes(m.name)) {
          if (out.accepted.includes(m.name)) got.push(m.name);
          continue;
        }
        seen.add(m.name);
        if (current.has(m.name)) {
          out.accepted.push(m.name);
          got.push(m.name);
          continue;
        }
        if (count >= max) {
          out.rejected.push({
            name: m.name,
            code: 'too_many_subscriptions',
            message: `at most ${max} subscriptions per connection`,
          });
          continue;
        }
        count++;
        out.join.push(m);
        out.accepted.push(m.name);
        got.push(m.name);
      }
      out.expanded[name] = got;
      continue;
    }
    const channel = parseChannel(name);
    if (channel === undefined) {
      out.rejected.push({
        name,
        code: 'invalid_channel',
        message: `invalid channel ${JSON.stringify(name.slice(0, 128))}: ${CHANNEL_FORMS}`,
      });
      continue;
    }
    if (authorize !== undefined && !authorize(name)) {
      out.rejected.push({
        name,
        code: 'forbidden',
        message: `the token does not grant channel ${JSON.stringify(name.slice(0, 128))}`,
      });
      continue;
    }
    if (count >= max) {
      out.rejected.push({
        name,
        code: 'too_many_subscriptions',
        message: `at most ${max} subscriptions per connection`,
      });
      continue;
    }
    count++;
    out.join.push({ name, channel });
    out.accepted.push(name);
  }
  return out;
}
