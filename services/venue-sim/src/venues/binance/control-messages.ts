/**
 * Client → server control messages of Binance WebSocket Streams (SUBSCRIBE, UNSUBSCRIBE,
 * LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY) and their error replies.
 *
 * Pure: text in, a typed request or a venue error out. Error codes and texts follow the venue's
 * documented table (PROTOCOLS.md §1.2): 0 unknown property, 1 invalid value type, 2 invalid
 * request, 3 invalid JSON. The serde-style "at line L column C" suffixes of the real server are
 * not reproduced; clients should match on `code`, not on `msg`.
 */
import { isStreamName } from './streams';

/** 64-bit integer, alphanumeric string of at most 36 characters, or null (PROTOCOLS.md §1.1). */
export type RequestId = number | string | null;

export type ControlRequest =
  | { method: 'SUBSCRIBE' | 'UNSUBSCRIBE'; streams: string[]; id: RequestId }
  | { method: 'LIST_SUBSCRIPTIONS'; id: RequestId }
  | { method: 'SET_PROPERTY'; property: 'combined'; value: boolean; id: RequestId }
  | { method: 'GET_PROPERTY'; property: 'combined'; id: RequestId };

export interface ControlError {
  code: 0 | 1 | 2 | 3;
  msg: string;
  /** present when the request's id could be read */
  id?: RequestId;
}

export type ParseResult = { ok: true; request: ControlRequest } | { ok: false; error: ControlError };

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'] as const;
const ID_STRING_RE = /^[A-Za-z0-9_-]{1,36}$/;
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

export function parseControlMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(3, `Invalid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(2, 'Invalid request: expected a JSON object');
  }
  const msg = value as Record<string, unknown>;
  if (!('id' in msg) || !isRequestId(msg['id'])) {
    return fail(2, 'Invalid request: request ID must be an unsigned integer');
  }
  const id = msg['id'];
  const method = msg['method'];
  if (method === undefined) return fail(2, 'Invalid request: missing field `method`', id);
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    const shown = typeof method === 'string' ? method.slice(0, 40) : typeof method;
    return fail(
      2,
      `Invalid request: unknown variant \`${shown}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')}`,
      id,
    );
  }
  const params = msg['params'];
  switch (method as (typeof METHODS)[number]) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      if (params === undefined) return fail(2, 'Invalid request: missing field `params`', id);
      if (
        !Array.isArray(params) ||
        !params.every((p): p is string => typeof p === 'string' && isStreamName(p))
      ) {
        return fail(2, 'Invalid request: invalid stream', id);
      }
      return ok({ method: method as 'SUBSCRIBE' | 'UNSUBSCRIBE', streams: [...new Set(params)], id });
    }
    case 'LIST_SUBSCRIPTIONS':
      if (params !== undefined && !(Array.isArray(params) && params.length === 0)) {
        return fail(2, 'Invalid request: too many parameters', id);
      }
      return ok({ method: 'LIST_SUBSCRIPTIONS', id });
    case 'SET_PROPERTY':
    case 'GET_PROPERTY': {
      const arity = method === 'SET_PROPERTY' ? 2 : 1;
      if (!Array.isArray(params) || params.length < 1)
        return fail(2, 'Invalid request: property name must be a string', id);
      if (params.length > arity) return fail(2, 'Invalid request: too many parameters', id);
      if (typeof params[0] !== 'string')
        return fail(2, 'Invalid request: property name must be a string', id);
      if (params[0] !== 'combined') return fail(0, 'Unknown property', id);
      if (method === 'GET_PROPERTY') return ok({ method, property: 'combined', id });
      if (typeof params[1] !== 'boolean') return fail(1, 'Invalid value type: expected Boolean', id);
      return ok({ method: 'SET_PROPERTY', property: 'combined', value: params[1], id });
    }
  }
}

/** The reply frame for an error: `{"error":{"code":..,"msg":..},"id":..}` (id omitted when unknown). */
export function errorReply(e: ControlError): string {
  const body: { error: { code: number; msg: string }; id?: RequestId } = {
    error: { code: e.code, msg: e.msg },
  };
  if (e.id !== undefined) body.id = e.id;
  return JSON.stringify(body);
}

/** The success reply: `{"result":<result>,"id":<id>}`; `result: null` means success. */
export function resultReply(result: unknown, id: RequestId): string {
  return JSON.stringify({ result, id });
}

function isRequestId(v: unknown): v is RequestId {
  if (v === null) return true;
  if (typeof v === 'number') return Number.isInteger(v) && v >= INT64_MIN && v < INT64_MAX;
  return typeof v === 'string' && ID_STRING_RE.test(v);
}

function ok(request: ControlRequest): ParseResult {
  return { ok: true, request };
}

function fail(code: ControlError['code'], msg: string, id?: RequestId): ParseResult {
  return { ok: false, error: id === undefined ? { code, msg } : { code, msg, id } };
}
