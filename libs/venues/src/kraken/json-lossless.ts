/**
 * A lossless JSON parser for Kraken WebSocket v2 frames.
 *
 * Kraken v2 sends prices and quantities as JSON NUMBERS whose literal text carries the instrument's
 * full precision (`45281.0`, `0.10000000`), and the book checksum is computed from that text
 * ("Book checksum (WebSocket v2)": "parse the book message using a decimal or string decoder to
 * preserve full precision"). `JSON.parse` turns `0.10000000` into `0.1`, which breaks the checksum
 * (PROTOCOLS.md §3.2; the doc example's naive value is 4237635173 instead of 3310070434).
 *
 * This parser follows RFC 8259 exactly and returns the same values as `JSON.parse`, except that
 * every number becomes a `JsonNumber` holding its literal text. Node 20 has no `JSON.parse` source
 * text access (the reviver `context.source` ships by default from Node 21), hence a parser.
 *
 * Limits: nesting deeper than `MAX_DEPTH` is rejected (frames are shallow; this bounds recursion).
 * Duplicate keys: the last one wins, as with `JSON.parse`. `__proto__` is stored as an own
 * property, never as the prototype.
 */

/** A JSON number literal, kept as its exact text (`"45281.0"`, `"0.10000000"`, `"3310070434"`). */
export class JsonNumber {
  constructor(readonly text: string) {}

  /** The value as a JS number (lossy beyond ~15-17 significant digits; never used for prices). */
  toNumber(): number {
    return Number(this.text);
  }

  toJSON(): string {
    return this.text;
  }
}

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

export const MAX_DEPTH = 64;

/** RFC 8259 number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Characters allowed unescaped in a string: U+0020 and above except `"` and `\`. */
const CHAR = '[ !#-\\[\\]-\\uffff]';
/** A string without escapes, up to its closing quote. */
const PLAIN_STRING_RE = new RegExp(`"${CHAR}*"`, 'y');
/** A string with escapes: each escape is validated here, decoding is left to JSON.parse. */
const STRING_RE = new RegExp(`"(?:${CHAR}|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"`, 'y');

export function parseJsonLossless(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.pos !== text.length) throw new JsonSyntaxError('unexpected trailing characters', p.pos);
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    let i = this.pos;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  value(depth: number): unknown {
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b /* { */:
        return this.object(depth + 1);
      case 0x5b /* [ */:
        return this.array(depth + 1);
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
        throw new JsonSyntaxError(
          Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character',
          this.pos,
        );
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('nesting too deep', this.pos);
    this.pos++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.s.charCodeAt(this.pos) !== 0x22) throw new JsonSyntaxError('expected a key', this.pos);
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x3a /* : */) throw new JsonSyntaxError('expected ":"', this.pos);
      this.pos++;
      this.ws();
      const v = this.value(depth);
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d /* } */) return out;
      if (c !== 0x2c /* , */) throw new JsonSyntaxError('expected "," or "}"', this.pos - 1);
      this.ws();
    }
  }

  private array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('nesting too deep', this.pos);
    this.pos++;
    const out: unknown[] = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d /* ] */) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d /* ] */) return out;
      if (c !== 0x2c /* , */) throw new JsonSyntaxError('expected "," or "]"', this.pos - 1);
      this.ws();
    }
  }

  private string(): string {
    PLAIN_STRING_RE.lastIndex = this.pos;
    const plain = PLAIN_STRING_RE.exec(this.s);
    if (plain !== null) {
      this.pos = PLAIN_STRING_RE.lastIndex;
      return plain[0].slice(1, -1);
    }
    STRING_RE.lastIndex = this.pos;
    const m = STRING_RE.exec(this.s);
    if (m === null) throw new JsonSyntaxError('invalid string', this.pos);
    this.pos = STRING_RE.lastIndex;
    // the literal is valid JSON (checked above): let the native parser decode its escapes
    return JSON.parse(m[0]) as string;
  }

  private number(): JsonNumber {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.s);
    if (m === null) throw new JsonSyntaxError('invalid number', this.pos);
    this.pos = NUMBER_RE.lastIndex;
    return new JsonNumber(m[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.pos)) throw new JsonSyntaxError('unexpected character', this.pos);
    this.pos += word.length;
    return value;
  }
}
