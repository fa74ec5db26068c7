import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { ConfigError, envName, loadConfig } from './config';

const Schema = Type.Object({
  natsUrl: Type.String({ default: 'nats://127.0.0.1:4222' }),
  httpPort: Type.Integer({ default: 8081, minimum: 0, maximum: 65535 }),
  busCodec: Type.Union([Type.Literal('binary'), Type.Literal('json')], { default: 'binary' }),
  staleSocketMs: Type.Optional(Type.Integer({ minimum: 100 })),
});

test('variables are the SCREAMING_SNAKE form of the property names', () => {
  assert.equal(envName('natsUrl', undefined), 'NATS_URL');
  assert.equal(envName('staleSocketMs', undefined), 'STALE_SOCKET_MS');
  assert.equal(envName('httpPort', 'GATEWAY_PORT'), 'GATEWAY_PORT');
});

test('defaults apply and strings are converted to the schema types', () => {
  assert.deepEqual(loadConfig(Schema, {}), {
    natsUrl: 'nats://127.0.0.1:4222',
    httpPort: 8081,
    busCodec: 'binary',
  });
  assert.deepEqual(loadConfig(Schema, { HTTP_PORT: '9000', BUS_CODEC: 'json', STALE_SOCKET_MS: '500' }), {
    natsUrl: 'nats://127.0.0.1:4222',
    httpPort: 9000,
    busCodec: 'json',
    staleSocketMs: 500,
  });
});

test('a bad value fails with one message naming the variable', () => {
  assert.throws(
    () => loadConfig(Schema, { HTTP_PORT: 'eighty' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /HTTP_PORT/);
      return true;
    },
  );
  assert.throws(() => loadConfig(Schema, { BUS_CODEC: 'xml' }), /BUS_CODEC/);
  assert.throws(() => loadConfig(Schema, { STALE_SOCKET_MS: '5' }), /STALE_SOCKET_MS/);
});
