import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Level } from '@tickmesh/contracts';
import { BookError, validateLevels } from './book-error';

function rejection(levels: unknown[]): BookError {
  try {
    validateLevels('ask', levels as Level[]);
  } catch (e) {
    if (e instanceof BookError) return e;
    throw e;
  }
  assert.fail('expected a BookError');
}

test('validateLevels accepts plain decimal text of any scale', () => {
  validateLevels('bid', [
    ['27000.10', '0.00000000'],
    ['0', '1'],
    ['0027000.1', '12345678901234567890.123'],
  ]);
  validateLevels('ask', []);
});

test('validateLevels names the side, field and exact bad value', () => {
  const e = rejection([
    ['1', '1'],
    ['2', '-0.5'],
  ]);
  assert.equal(e.name, 'BookError');
  assert.deepEqual([e.side, e.field, e.value], ['ask', 'size', '-0.5']);
  assert.match(e.message, /ask level 1/);
  assert.deepEqual([rejection([['1E5', '1']]).field, rejection([['1E5', '1']]).value], ['price', '1E5']);
});

test('validateLevels rejects what JSON can smuggle past the types', () => {
  assert.equal(rejection([['1']]).field, 'level');
  assert.equal(rejection([['1', '1', '3']]).field, 'level');
  assert.equal(rejection(['1,1']).field, 'level');
  assert.equal(rejection([null]).field, 'level');
  assert.equal(rejection([[1, '1']]).value, 1);
  assert.equal(rejection([['1', null]]).field, 'size');
  assert.equal(rejection([['1'.repeat(65), '1']]).field, 'price');
});
