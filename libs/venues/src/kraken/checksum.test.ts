import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { Level } from '@tickmesh/contracts';
import {
  atPrecision,
  bookChecksum,
  checksumString,
  checksumToken,
  crc32,
  formatAtPrecision,
} from './checksum';
import { parseFrame } from './parse';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/kraken/${name}`, import.meta.url), 'utf8')) as T;

interface DocExample {
  instrument: { price_precision: number; qty_precision: number };
  rawMessage: string;
  wireLevels: { bids: Level[]; asks: Level[] };
  expected: { checksumString: string; checksum: number; naiveJsNumberChecksum: number };
}
const doc = fixture<DocExample>('v2-book-checksum-doc-example.json');

test('doc (v2): the worked example gives 3310070434 from the lossless wire text', () => {
  const [ev] = parseFrame(doc.rawMessage, 0);
  assert.equal(ev?.kind, 'book');
  if (ev?.kind !== 'book') return;
  assert.deepEqual(ev.update.asks, doc.wireLevels.asks);
  assert.deepEqual(ev.update.bids, doc.wireLevels.bids);
  assert.equal(checksumString(ev.update.asks, ev.update.bids), doc.expected.checksumString);
  assert.equal(bookChecksum(ev.update.asks, ev.update.bids), 3310070434);
  assert.equal(ev.update.checksum, 3310070434, 'the value the message carries');
  // the doc's first-ask walk-through: "45285.2" / "0.00100000" -> "452852" + "100000"
  assert.equal(checksumToken('45285.2') + checksumToken('0.00100000'), '452852100000');
});

test('doc (v2): the naive JSON.parse + String(number) path gives the documented WRONG value', () => {
  const msg = JSON.parse(doc.rawMessage) as {
    data: { bids: { price: number; qty: number }[]; asks: { price: number; qty: number }[] }[];
  };
  const naive = (side: { price: number; qty: number }[]): Level[] =>
    side.map((l): Level => [String(l.price), String(l.qty)]);
  const d = msg.data[0]!;
  assert.equal(naive(d.bids)[3]![0], '45281', 'trailing zeros are lost: 45281.0 -> "45281"');
  const wrong = bookChecksum(naive(d.asks), naive(d.bids));
  assert.equal(wrong, doc.expected.naiveJsNumberChecksum);
  assert.equal(wrong, 4237635173);
  assert.notEqual(wrong, 3310070434);
  // ...and re-formatting at the instrument's precision repairs it (both ways: toFixed and exact text)
  const { price_precision: pp, qty_precision: qp } = doc.instrument;
  const fixed = (side: { price: number; qty: number }[]): Level[] =>
    side.map((l): Level => [l.price.toFixed(pp), l.qty.toFixed(qp)]);
  assert.equal(bookChecksum(fixed(d.asks), fixed(d.bids)), 3310070434);
  assert.equal(
    bookChecksum(atPrecision(naive(d.asks), pp, qp), atPrecision(naive(d.bids), pp, qp)),
    3310070434,
  );
});

test('doc (v1): the same string rules reproduce 974947235 (leading zeros of "0.05005" are dropped)', () => {
  const v1 = fixture<{
    book: { asks: string[][]; bids: string[][] };
    expected: { checksumString: string; checksum: number };
  }>('v1-book-checksum-doc-example.json');
  const levels = (side: string[][]): Level[] => side.map((l): Level => [l[0]!, l[1]!]);
  const s = checksumString(levels(v1.book.asks), levels(v1.book.bids));
  assert.equal(s, v1.expected.checksumString);
  assert.equal(crc32(s), 974947235);
});

test('only the top 10 levels per side count; asks come before bids', () => {
  const lv = (n: number, from: number, step: number): Level[] =>
    Array.from({ length: n }, (_, i): Level => [`${from + i * step}.5`, '1.00']);
  const asks = lv(12, 200, 1);
  const bids = lv(12, 100, -1);
  assert.equal(bookChecksum(asks, bids), bookChecksum(asks.slice(0, 10), bids.slice(0, 10)));
  assert.notEqual(bookChecksum(asks, bids), bookChecksum(bids, asks));
  assert.equal(checksumString([], []), '');
  assert.equal(checksumString([['0.5', '2']], []), '52');
});

test('crc32 is zlib/IEEE CRC32, unsigned', () => {
  const inputs = ['', 'a', '123456789', doc.expected.checksumString, 'x'.repeat(1000)];
  for (const s of inputs) assert.equal(crc32(s), zlibCrc32(s), s.slice(0, 20));
  assert.equal(crc32('123456789'), 0xcbf43926, 'the standard check value');
  assert.ok(crc32(doc.expected.checksumString) > 2 ** 31, 'compared unsigned: above int32 range');
});

test('tokens and precision formatting are exact text operations', () => {
  assert.equal(checksumToken('0.00100000'), '100000');
  assert.equal(checksumToken('45281.0'), '452810');
  assert.equal(checksumToken('100'), '100');
  assert.equal(checksumToken('0.05005'), '5005');
  assert.equal(formatAtPrecision('45281', 1), '45281.0');
  assert.equal(formatAtPrecision('0.1', 8), '0.10000000');
  assert.equal(formatAtPrecision('0.10000000', 8), '0.10000000');
  assert.equal(formatAtPrecision('1.2300', 2), '1.23');
  assert.equal(formatAtPrecision('7.0', 0), '7');
  assert.equal(formatAtPrecision('1.234', 2), '1.234', 'not representable: unchanged');
  // no float formatter: no exponent ever appears
  assert.equal(formatAtPrecision('0.00000048', 8), '0.00000048');
  assert.equal(String(4.8e-7), '4.8e-7');
});
