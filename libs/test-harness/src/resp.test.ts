import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, parseReply } from './resp';

test('encodes a command as a RESP array of bulk strings, counting bytes not characters', () => {
  assert.equal(encodeCommand(['SET', 'k', 'é']).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
});

test('parses every RESP2 reply type', () => {
  const parse = (text: string) => parseReply(Buffer.from(text))?.reply;
  assert.deepEqual(parse('+PONG\r\n'), { kind: 'simple', value: 'PONG' });
  assert.deepEqual(parse('-NOAUTH Authentication required.\r\n'), {
    kind: 'error',
    message: 'NOAUTH Authentication required.',
  });
  assert.deepEqual(parse(':42\r\n'), { kind: 'integer', value: 42 });
  assert.deepEqual(parse('$5\r\nhello\r\n'), { kind: 'bulk', value: 'hello' });
  assert.deepEqual(parse('$-1\r\n'), { kind: 'bulk', value: null });
  assert.deepEqual(parse('*2\r\n$1\r\na\r\n:1\r\n'), {
    kind: 'array',
    value: [
      { kind: 'bulk', value: 'a' },
      { kind: 'integer', value: 1 },
    ],
  });
  assert.deepEqual(parse('*-1\r\n'), { kind: 'array', value: null });
});

test('returns undefined until a reply is complete, however it is split', () => {
  const full = '*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n';
  for (let cut = 0; cut < full.length; cut += 1) {
    assert.equal(parseReply(Buffer.from(full.slice(0, cut))), undefined, `cut at ${cut}`);
  }
  assert.equal(parseReply(Buffer.from(full))?.next, Buffer.byteLength(full));
});

test('rejects bytes that are not RESP', () => {
  assert.throws(() => parseReply(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), /not a RESP reply/);
});
