/**
 * JSON-only messages of version 1: messages that are not part of the binary codec (codec.ts), so
 * they travel as JSON objects with `"v": 1` (consolidated books, per-symbol stats, depth request
 * bodies and error replies). This module holds the field schemas they share with messages.ts (same
 * patterns, repeated because messages.ts does not export its field atoms) and one encoder/decoder
 * pair, so every JSON-only message is encoded and validated the same way.
 *
 * Internal to libs/contracts (not exported from the index): consumers use each message's own
 * `encode…`/`decode…` pair. Encoding uses TextEncoder/TextDecoder (not Buffer): the contracts
 * also run in browsers (SDK).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CodecError } from './codec';
import { SCHEMA_VERSION } from './messages';

export const DecimalTextSchema = Type.String({
  pattern: '^\\d+(\\.\\d+)?$',
  maxLength: 64,
  description: 'exact decimal text',
});
export const VenueIdSchema = Type.String({ pattern: '^[a-z0-9]{1,32}$' });
export const SymbolIdSchema = Type.String({ pattern: '^[A-Z0-9]{1,20}(-[A-Z0-9]{1,20}){1,3}$' });
export const MicrosSchema = Type.Number({ minimum: 0, description: 'µs since the Unix epoch' });

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** `{"v": 1, ...msg}` as UTF-8 bytes. */
export function encodeJsonV1(msg: object): Uint8Array {
  return utf8.encode(JSON.stringify({ v: SCHEMA_VERSION, ...msg }));
}

/** Parses JSON bytes into a value; throws CodecError on malformed JSON. */
export function parseJsonBytes(buf: Uint8Array): unknown {
  try {
    return JSON.parse(utf8d.decode(buf));
  } catch (err) {
    throw new CodecError(`invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * A decoder for one JSON-only v1 message: checks `"v"` (absent or 1), strips it and validates the
 * rest against the schema. Throws CodecError with the first schema problem.
 */
export function jsonV1Decoder<T>(schema: TSchema, what: string): (buf: Uint8Array) => T {
  const checker = TypeCompiler.Compile(schema);
  return (buf) => {
    const value = parseJsonBytes(buf);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CodecError(`${what}: not a JSON object`);
    }
    const { v, ...rest } = value as { v?: unknown };
    if (v !== undefined && v !== SCHEMA_VERSION) {
      throw new CodecError(`${what}: unsupported schema version ${String(v)}`);
    }
    if (!checker.Check(rest)) {
      const first = checker.Errors(rest).First();
      throw new CodecError(
        `invalid ${what}: ${first ? `${first.path} ${first.message}` : 'schema mismatch'}`,
      );
    }
    return rest as T;
  };
}
