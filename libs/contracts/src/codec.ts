/**
 * The compact codec: a small positional binary layout for the hot subjects, plus JSON for
 * debugging and for consumers that prefer it. `decode` accepts both (a binary payload starts with
 * the magic byte 0xB7, a JSON payload with `{`), so a publisher can switch codecs without
 * coordinating its consumers.
 *
 * Binary layout, version 1 (all integers little-endian):
 *   u8 magic 0xB7 | u8 type id | u8 schema version | fields in schema order
 *   str8  = u8 length, then ASCII bytes         (venue, symbol, prices, sizes, ids)
 *   str16 = u16 length, then UTF-8 bytes        (free text: status reason)
 *   f64   = IEEE-754 double                      (epoch, sequences, µs timestamps: safe integers)
 *   levels = u16 count, then count × (str8 price, str8 size)
 * Type ids: 1 book.snapshot, 2 book.delta, 3 trade, 4 status, 5 tob. See docs/wire-schemas.md.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  SCHEMA_VERSION,
  SYNC_STATES,
  WIRE_SCHEMAS,
  type BookDelta,
  type BookSnapshot,
  type Level,
  type SyncState,
  type SyncStatus,
  type TopOfBook,
  type Trade,
  type WireMessage,
  type WireType,
} from './messages';

export const BINARY_MAGIC = 0xb7;
const TYPE_IDS: Record<WireType, number> = {
  'book.snapshot': 1,
  'book.delta': 2,
  trade: 3,
  status: 4,
  tob: 5,
};
const SIDES = ['unknown', 'buy', 'sell'] as const;

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

export interface Codec {
  readonly name: 'binary' | 'json';
  encode(msg: WireMessage): Uint8Array;
}

const hasBuffer = typeof Buffer !== 'undefined';
const alloc: (n: number) => Uint8Array = hasBuffer ? (n) => Buffer.allocUnsafe(n) : (n) => new Uint8Array(n);
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

// ---------------------------------------------------------------- encoding

class Writer {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos = 0;
  constructor(size: number) {
    this.buf = alloc(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, size);
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  str8(s: string): void {
    const n = s.length;
    if (n > 255) throw new CodecError(`string too long for str8 (${n})`);
    const buf = this.buf;
    buf[this.pos++] = n;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) throw new CodecError(`non-ASCII character in ${JSON.stringify(s)}`);
      buf[this.pos++] = c;
    }
  }
  bytes16(b: Uint8Array): void {
    if (b.length > 65535) throw new CodecError('string too long for str16');
    this.u16(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  levels(levels: readonly Level[]): void {
    if (levels.length > 65535) throw new CodecError(`too many levels (${levels.length})`);
    this.u16(levels.length);
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      this.str8(l[0]);
      this.str8(l[1]);
    }
  }
}

function levelsSize(levels: readonly Level[]): number {
  let n = 2;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    n += 2 + l[0].length + l[1].length;
  }
  return n;
}

function header(w: Writer, type: WireType): void {
  w.u8(BINARY_MAGIC);
  w.u8(TYPE_IDS[type]);
  w.u8(SCHEMA_VERSION);
}

function encodeBook(m: BookSnapshot | BookDelta): Uint8Array {
  const delta = m.type === 'book.delta';
  const size =
    3 + 2 + m.venue.length + m.symbol.length + 8 * (delta ? 5 : 4) + levelsSize(m.bids) + levelsSize(m.asks);
  const w = new Writer(size);
  header(w, m.type);
  w.str8(m.venue);
  w.str8(m.symbol);
  w.f64(m.epoch);
  w.f64(m.seq);
  if (delta) w.f64(m.prevSeq);
  w.f64(m.venueTs);
  w.f64(m.recvTs);
  w.levels(m.bids);
  w.levels(m.asks);
  return w.buf;
}

function encodeTrade(m: Trade): Uint8Array {
  const size =
    3 + 5 + m.venue.length + m.symbol.length + m.id.length + m.price.length + m.size.length + 1 + 16;
  const w = new Writer(size);
  header(w, 'trade');
  w.str8(m.venue);
  w.str8(m.symbol);
  w.str8(m.id);
  w.str8(m.price);
  w.str8(m.size);
  w.u8(SIDES.indexOf(m.side));
  w.f64(m.venueTs);
  w.f64(m.recvTs);
  return w.buf;
}

function encodeStatus(m: SyncStatus): Uint8Array {
  const reason = utf8.encode(m.reason);
  const size = 3 + 2 + m.venue.length + m.symbol.length + 1 + 32 + 2 + reason.length;
  const w = new Writer(size);
  header(w, 'status');
  w.str8(m.venue);
  w.str8(m.symbol);
  w.u8(SYNC_STATES.indexOf(m.state));
  w.f64(m.epoch);
  w.f64(m.seq);
  w.f64(m.resyncs);
  w.f64(m.ts);
  w.bytes16(reason);
  return w.buf;
}

function encodeTob(m: TopOfBook): Uint8Array {
  const size =
    3 +
    6 +
    m.venue.length +
    m.symbol.length +
    m.bidPx.length +
    m.bidSz.length +
    m.askPx.length +
    m.askSz.length +
    1 +
    40;
  const w = new Writer(size);
  header(w, 'tob');
  w.str8(m.venue);
  w.str8(m.symbol);
  w.str8(m.bidPx);
  w.str8(m.bidSz);
  w.str8(m.askPx);
  w.str8(m.askSz);
  w.u8(SYNC_STATES.indexOf(m.state));
  w.f64(m.epoch);
  w.f64(m.seq);
  w.f64(m.venueTs);
  w.f64(m.recvTs);
  w.f64(m.bookTs);
  return w.buf;
}

export function encodeBinary(msg: WireMessage): Uint8Array {
  switch (msg.type) {
    case 'book.snapshot':
    case 'book.delta':
      return encodeBook(msg);
    case 'trade':
      return encodeTrade(msg);
    case 'status':
      return encodeStatus(msg);
    case 'tob':
      return encodeTob(msg);
  }
}

export function encodeJson(msg: WireMessage): Uint8Array {
  const s = JSON.stringify({ v: SCHEMA_VERSION, ...msg });
  return hasBuffer ? Buffer.from(s) : utf8.encode(s);
}

export const binaryCodec: Codec = { name: 'binary', encode: encodeBinary };
export const jsonCodec: Codec = { name: 'json', encode: encodeJson };

export function codecByName(name: string): Codec {
  if (name === 'binary') return binaryCodec;
  if (name === 'json') return jsonCodec;
  throw new CodecError(`unknown codec ${JSON.stringify(name)} (binary | json)`);
}

// ---------------------------------------------------------------- decoding

class Reader {
  private readonly view: DataView;
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CodecError(`truncated message at byte ${this.pos}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  str8(): string {
    const n = this.u8();
    this.need(n);
    const buf = this.buf;
    let s = '';
    const end = this.pos + n;
    for (let i = this.pos; i < end; i++) s += String.fromCharCode(buf[i]!);
    this.pos = end;
    return s;
  }
  str16(): string {
    const n = this.u16();
    this.need(n);
    const s = utf8d.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  levels(): Level[] {
    const n = this.u16();
    const out: Level[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [this.str8(), this.str8()];
    return out;
  }
  done(): void {
    if (this.pos !== this.buf.length) throw new CodecError(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function state(r: Reader): SyncState {
  const s = SYNC_STATES[r.u8()];
  if (s === undefined) throw new CodecError('unknown sync state');
  return s;
}

function decodeBinary(buf: Uint8Array): WireMessage {
  if (buf.length < 3) throw new CodecError('message shorter than its header');
  const typeId = buf[1]!;
  const version = buf[2]!;
  if (version !== SCHEMA_VERSION) throw new CodecError(`unsupported schema version ${version}`);
  const r = new Reader(buf, 3);
  let msg: WireMessage;
  switch (typeId) {
    case 1:
    case 2: {
      const venue = r.str8();
      const symbol = r.str8();
      const epoch = r.f64();
      const seq = r.f64();
      if (typeId === 1) {
        const venueTs = r.f64();
        const recvTs = r.f64();
        msg = {
          type: 'book.snapshot',
          venue,
          symbol,
          epoch,
          seq,
          venueTs,
          recvTs,
          bids: r.levels(),
          asks: r.levels(),
        };
      } else {
        const prevSeq = r.f64();
        const venueTs = r.f64();
        const recvTs = r.f64();
        msg = {
          type: 'book.delta',
          venue,
          symbol,
          epoch,
          seq,
          prevSeq,
          venueTs,
          recvTs,
          bids: r.levels(),
          asks: r.levels(),
        };
      }
      break;
    }
    case 3: {
      const venue = r.str8();
      const symbol = r.str8();
      const id = r.str8();
      const price = r.str8();
      const size = r.str8();
      const side = SIDES[r.u8()];
      if (side === undefined) throw new CodecError('unknown trade side');
      msg = { type: 'trade', venue, symbol, id, price, size, side, venueTs: r.f64(), recvTs: r.f64() };
      break;
    }
    case 4: {
      const venue = r.str8();
      const symbol = r.str8();
      const st = state(r);
      const epoch = r.f64();
      const seq = r.f64();
      const resyncs = r.f64();
      const ts = r.f64();
      msg = { type: 'status', venue, symbol, state: st, epoch, seq, resyncs, ts, reason: r.str16() };
      break;
    }
    case 5: {
      const venue = r.str8();
      const symbol = r.str8();
      const bidPx = r.str8();
      const bidSz = r.str8();
      const askPx = r.str8();
      const askSz = r.str8();
      const st = state(r);
      msg = {
        type: 'tob',
        venue,
        symbol,
        bidPx,
        bidSz,
        askPx,
        askSz,
        state: st,
        epoch: r.f64(),
        seq: r.f64(),
        venueTs: r.f64(),
        recvTs: r.f64(),
        bookTs: r.f64(),
      };
      break;
    }
    default:
      throw new CodecError(`unknown message type id ${typeId}`);
  }
  r.done();
  return msg;
}

interface Checker {
  Check(value: unknown): boolean;
  Errors(value: unknown): { First(): { path: string; message: string } | undefined };
}
const checkers: Record<string, Checker> = {};
for (const [k, schema] of Object.entries(WIRE_SCHEMAS)) checkers[k] = TypeCompiler.Compile(schema);

/** Validates a plain object against its wire schema; throws CodecError with the first problem. */
export function validateWire(value: unknown): WireMessage {
  const type = (value as { type?: unknown } | null)?.type;
  const checker = typeof type === 'string' ? checkers[type] : undefined;
  if (checker === undefined) throw new CodecError(`unknown message type ${JSON.stringify(type)}`);
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    throw new CodecError(
      `invalid ${type} message: ${first ? `${first.path} ${first.message}` : 'schema mismatch'}`,
    );
  }
  return value as WireMessage;
}

function decodeJson(buf: Uint8Array): WireMessage {
  let value: unknown;
  try {
    value = JSON.parse(
      hasBuffer ? Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString() : utf8d.decode(buf),
    );
  } catch (err) {
    throw new CodecError(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof value === 'object' && value !== null && 'v' in value) {
    const { v, ...rest } = value as { v: unknown };
    if (v !== SCHEMA_VERSION) throw new CodecError(`unsupported schema version ${String(v)}`);
    value = rest;
  }
  return validateWire(value);
}

/** Decodes either codec's output. Throws CodecError on anything malformed. */
export function decode(buf: Uint8Array): WireMessage {
  if (buf.length === 0) throw new CodecError('empty message');
  if (buf[0] === BINARY_MAGIC) return decodeBinary(buf);
  if (buf[0] === 0x7b /* { */) return decodeJson(buf);
  throw new CodecError(`unknown encoding (first byte 0x${buf[0]!.toString(16)})`);
}
