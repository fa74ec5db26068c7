import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { checksumString, crc32Signed, okxChecksum } from './checksum';

interface Case {
  name: string;
  bids: string[][];
  asks: string[][];
  expected: { checkString: string; checksumSigned: number; checksumUnsigned: number };
}

const cases = (
  JSON.parse(
    readFileSync(
      new URL('../../test/fixtures/okx/checksum-doc-string-examples.json', import.meta.url),
      'utf8',
    ),
  ) as { cases: Case[] }
).cases;

test('doc check strings and their signed CRC32 (known answers)', () => {
  assert.equal(cases.length, 2);
  for (const c of cases) {
    assert.equal(checksumString(c.bids, c.asks), c.expected.checkString, c.name);
    assert.equal(okxChecksum(c.bids, c.asks), c.expected.checksumSigned, c.name);
    assert.equal(okxChecksum(c.bids, c.asks) >>> 0, c.expected.checksumUnsigned, c.name);
  }
});

test('CRC32 is IEEE/zlib, read as signed int32', () => {
  // the standard CRC-32 check value: crc32("123456789") = 0xCBF43926
  assert.equal(crc32Signed('123456789'), 0xcbf43926 | 0);
  assert.equal(crc32Signed('123456789'), -873187034);
  assert.equal(crc32Signed(''), 0);
  // agrees with node:zlib on arbitrary check strings (signed view of the same bits)
  let seed = 7;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 200; i++) {
    const text = Array.from({ length: 1 + rnd(120) }, () => '0123456789.:'[rnd(12)]).join('');
    assert.equal(crc32Signed(text), crc32(text) | 0, text);
  }
});

test('the check string uses the original text, interleaves, skips a shorter side and stops at 25 levels', () => {
  assert.equal(
    checksumString([['0.5000', '1.10', '0', '2']], [['0.5001', '0.000']]),
    '0.5000:1.10:0.5001:0.000',
    'no re-formatting; the deprecated "0" and the order count are not part of it',
  );
  assert.equal(checksumString([], [['2', '1']]), '2:1');
  assert.equal(checksumString([], []), '');
  const bids = Array.from({ length: 30 }, (_, i) => [String(1000 - i), '1']);
  const asks = Array.from({ length: 3 }, (_, i) => [String(2000 + i), '2']);
  const parts = checksumString(bids, asks).split(':');
  assert.equal(parts.length, (25 + 3) * 2);
  assert.deepEqual(parts.slice(0, 4), ['1000', '1', '2000', '2']);
  assert.deepEqual(parts.slice(-2), ['976', '1'], 'the 25th bid is the last one');
  assert.equal(okxChecksum(bids, asks), crc32(checksumString(bids, asks)) | 0);
});

test('the streamed checksum equals the CRC32 of the check string on random books (uneven sides, > 25 levels)', () => {
  let seed = 11;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const dec = (): string => `${rnd(100000)}${rnd(2) === 0 ? '' : `.${String(rnd(10000)).padStart(4, '0')}`}`;
  for (let i = 0; i < 300; i++) {
    const bids = Array.from({ length: rnd(40) }, () => [dec(), dec(), '0', String(rnd(9))]);
    const asks = Array.from({ length: rnd(40) }, () => [dec(), dec()]);
    assert.equal(okxChecksum(bids, asks), crc32(checksumString(bids, asks)) | 0);
    assert.equal(okxChecksum(bids, asks), crc32Signed(checksumString(bids, asks)));
  }
});
