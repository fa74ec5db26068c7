import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonNumber, JsonSyntaxError, MAX_DEPTH, parseJsonLossless } from './json-lossless';

/** The lossless value with every JsonNumber replaced by its JS number: must equal JSON.parse. */
function lossy(v: unknown): unknown {
  if (v instanceof JsonNumber) return v.toNumber();
  if (Array.isArray(v)) return v.map(lossy);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lossy(x)]));
  return v;
}

test('numbers keep their literal text; everything else equals JSON.parse', () => {
  const text =
    ' {"channel":"book","data":[{"price":45281.0,"qty":0.10000000,"n":-1.5e-7,"big":12393906104898154338,' +
    '"z":0,"s":"a\\"b\\\\c\\u00e9\\n","t":true,"f":false,"x":null,"e":[],"o":{}}]}\n';
  const v = parseJsonLossless(text) as { data: Record<string, unknown>[] };
  const d = v.data[0]!;
  assert.deepEqual(
    ['price', 'qty', 'n', 'big', 'z'].map((k) => (d[k] as JsonNumber).text),
    ['45281.0', '0.10000000', '-1.5e-7', '12393906104898154338', '0'],
  );
  assert.equal(d['s'], 'a"b\\cé\n');
  assert.deepEqual(lossy(v), JSON.parse(text));
  assert.equal(JSON.stringify(d['qty']), '"0.10000000"');
});

test('RFC 8259 grammar is enforced', () => {
  for (const bad of [
    '',
    ' ',
    '{',
    '[1,]',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    '01',
    '1.',
    '.5',
    '+1',
    '-',
    '1e',
    'NaN',
    'Infinity',
    'tru',
    '"\u0001"',
    '"\\x"',
    '"\\u12"',
    '"open',
    '[1] 2',
    "{'a':1}",
  ]) {
    assert.throws(() => parseJsonLossless(bad), JsonSyntaxError, JSON.stringify(bad));
    assert.throws(() => JSON.parse(bad), SyntaxError, `JSON.parse agrees on ${JSON.stringify(bad)}`);
  }
});

test('nesting is bounded; __proto__ is an own property, never the prototype', () => {
  assert.doesNotThrow(() => parseJsonLossless('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)));
  assert.throws(() => parseJsonLossless('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)), /too deep/);
  const o = parseJsonLossless('{"__proto__":{"polluted":1},"a":2,"a":3}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.ok(Object.hasOwn(o, '__proto__'));
  assert.equal((o as { polluted?: number }).polluted, undefined);
  assert.equal((o['a'] as JsonNumber).text, '3', 'the last duplicate key wins, as with JSON.parse');
});
