import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  errorReply,
  parseControlMessage,
  resultReply,
  type ControlError,
  type ParseResult,
} from './control-messages';

function error(r: ParseResult): ControlError {
  assert.equal(r.ok, false);
  return (r as Extract<ParseResult, { ok: false }>).error;
}

test('parses the documented requests', () => {
  assert.deepEqual(
    parseControlMessage('{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}'),
    {
      ok: true,
      request: { method: 'SUBSCRIBE', streams: ['btcusdt@aggTrade', 'btcusdt@depth'], id: 1 },
    },
  );
  assert.deepEqual(parseControlMessage('{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":"a-1"}'), {
    ok: true,
    request: { method: 'UNSUBSCRIBE', streams: ['btcusdt@depth'], id: 'a-1' },
  });
  assert.deepEqual(parseControlMessage('{"method":"LIST_SUBSCRIPTIONS","id":3}'), {
    ok: true,
    request: { method: 'LIST_SUBSCRIPTIONS', id: 3 },
  });
  assert.deepEqual(parseControlMessage('{"method":"SET_PROPERTY","params":["combined",true],"id":5}'), {
    ok: true,
    request: { method: 'SET_PROPERTY', property: 'combined', value: true, id: 5 },
  });
  assert.deepEqual(parseControlMessage('{"method":"GET_PROPERTY","params":["combined"],"id":null}'), {
    ok: true,
    request: { method: 'GET_PROPERTY', property: 'combined', id: null },
  });
});

test('invalid JSON is code 3 without an id', () => {
  const e = error(parseControlMessage('{"method":'));
  assert.equal(e.code, 3);
  assert.match(e.msg, /^Invalid JSON: /);
  assert.equal(e.id, undefined);
  assert.match(errorReply(e), /^\{"error":\{"code":3,"msg":"Invalid JSON: .*"\}\}$/);
});

test('invalid requests are code 2 with the documented texts', () => {
  assert.equal(error(parseControlMessage('[1]')).code, 2);
  assert.equal(
    error(parseControlMessage('{"method":"SUBSCRIBE","params":[]}')).msg,
    'Invalid request: request ID must be an unsigned integer',
  );
  assert.equal(error(parseControlMessage('{"method":"SUBSCRIBE","params":[],"id":1.5}')).code, 2);
  assert.equal(error(parseControlMessage('{"method":"SUBSCRIBE","params":[],"id":"has space"}')).code, 2);
  assert.deepEqual(error(parseControlMessage('{"params":[],"id":4}')), {
    code: 2,
    msg: 'Invalid request: missing field `method`',
    id: 4,
  });
  assert.match(
    error(parseControlMessage('{"method":"SUBSCRIBEX","params":[],"id":4}')).msg,
    /^Invalid request: unknown variant `SUBSCRIBEX`, expected one of `SUBSCRIBE`/,
  );
  assert.equal(
    error(parseControlMessage('{"method":"SUBSCRIBE","id":4}')).msg,
    'Invalid request: missing field `params`',
  );
  assert.equal(
    error(parseControlMessage('{"method":"SUBSCRIBE","params":[7],"id":4}')).msg,
    'Invalid request: invalid stream',
  );
  assert.equal(
    error(parseControlMessage('{"method":"SUBSCRIBE","params":["not a stream"],"id":4}')).msg,
    'Invalid request: invalid stream',
  );
  assert.equal(
    error(parseControlMessage('{"method":"LIST_SUBSCRIPTIONS","params":["x"],"id":4}')).msg,
    'Invalid request: too many parameters',
  );
  assert.equal(
    error(parseControlMessage('{"method":"SET_PROPERTY","params":["combined",true,1],"id":4}')).msg,
    'Invalid request: too many parameters',
  );
  assert.equal(
    error(parseControlMessage('{"method":"GET_PROPERTY","params":[1],"id":4}')).msg,
    'Invalid request: property name must be a string',
  );
});

test('properties: unknown is code 0, a non-boolean value is code 1', () => {
  assert.deepEqual(error(parseControlMessage('{"method":"GET_PROPERTY","params":["compressed"],"id":9}')), {
    code: 0,
    msg: 'Unknown property',
    id: 9,
  });
  assert.deepEqual(
    error(parseControlMessage('{"method":"SET_PROPERTY","params":["combined","yes"],"id":9}')),
    {
      code: 1,
      msg: 'Invalid value type: expected Boolean',
      id: 9,
    },
  );
});

test('replies have the venue shape', () => {
  assert.equal(resultReply(null, 1), '{"result":null,"id":1}');
  assert.equal(resultReply(['btcusdt@depth'], 3), '{"result":["btcusdt@depth"],"id":3}');
  assert.equal(
    errorReply({ code: 2, msg: 'Invalid request: invalid stream', id: 3 }),
    '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":3}',
  );
});
