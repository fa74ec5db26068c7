import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@tickmesh/runtime';
import { BookBuilderConfigSchema, replicaGroup, withDefaults } from './config';
import { consolidatedSymbolOf, parseEquivalences } from './equivalence';
import { fnv1a32, Ownership, PartitionConfigError, partitionOf, resolvePartition } from './partition';

test('FNV-1a 32 matches the reference vectors', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('partitions spread symbols evenly and deterministically', () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[partitionOf(`SYM${i}-USDT`, 4)]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven: ${counts.join(',')}`);
  assert.equal(partitionOf('BTC-USDT', 1), 0);
  assert.equal(partitionOf('BTC-USDT', 7), fnv1a32('BTC-USDT') % 7);
});

test('the partition comes from PARTITION_INDEX, else the StatefulSet ordinal in HOSTNAME', () => {
  assert.deepEqual(resolvePartition(1, undefined, undefined), { index: 0, count: 1 });
  assert.deepEqual(resolvePartition(3, 2, 'whatever'), { index: 2, count: 3 });
  assert.deepEqual(resolvePartition(3, undefined, 'book-builder-1'), { index: 1, count: 3 });
  assert.deepEqual(resolvePartition(12, undefined, 'tm-book-builder-all-11'), { index: 11, count: 12 });
  assert.throws(() => resolvePartition(3, undefined, 'book-builder'), /PARTITION_INDEX: not set/);
  assert.throws(() => resolvePartition(3, undefined, undefined), PartitionConfigError);
  assert.throws(() => resolvePartition(3, undefined, 'book-builder-3'), /PARTITION_INDEX: 3 is outside 0..2/);
  assert.throws(() => resolvePartition(2, 5, undefined), /outside/);
});

test('every venue of a consolidated instrument, equivalent quotes included, has one owner', () => {
  const eq = parseEquivalences('USDT=USD,USDC=USD');
  const owners = [0, 1, 2].map(
    (i) => new Ownership({ index: i, count: 3 }, (s) => consolidatedSymbolOf(s, eq)),
  );
  const books: [string, string][] = [];
  for (const base of ['BTC', 'ETH', 'SOL', 'XRP', 'ADA', 'DOGE'])
    for (const venue of ['binance', 'okx', 'coinbase'])
      for (const quote of ['USDT', 'USDC', 'USD']) books.push([venue, `${base}-${quote}`]);
  for (const [venue, symbol] of books) {
    const own = owners.filter((o) => o.owns(venue, symbol));
    assert.equal(own.length, 1, `${venue} ${symbol} has exactly one owner`);
    // the owner of BTC-USDT at binance is the owner of BTC-USD at coinbase
    const key = consolidatedSymbolOf(symbol, eq);
    assert.equal(own[0]!.partition.index, partitionOf(key, 3));
  }
  // without the equivalence, BTC-USDT and BTC-USD are separate instruments with their own hash
  const plain = new Ownership({ index: 0, count: 3 }, (s) => s);
  assert.equal(plain.owns('x', 'BTC-USDT'), partitionOf('BTC-USDT', 3) === 0);
  const single = new Ownership({ index: 0, count: 1 }, (s) => s);
  assert.equal(single.partitioned, false);
  assert.equal(single.owns('binance', 'ANY-THING'), true);
});

test('PARTITIONS and PARTITION_INDEX are read from the environment; partitions get their own queue group', () => {
  const c = loadConfig(BookBuilderConfigSchema, { PARTITIONS: '4', PARTITION_INDEX: '3' });
  assert.equal(c.partitions, 4);
  assert.equal(c.partitionIndex, 3);
  const d = loadConfig(BookBuilderConfigSchema, {});
  assert.equal(d.partitions, 1);
  assert.equal(d.partitionIndex, undefined);
  assert.throws(() => loadConfig(BookBuilderConfigSchema, { PARTITIONS: '0' }), /PARTITIONS/);
  assert.equal(replicaGroup(withDefaults(), { index: 0, count: 1 }), 'book-builder.all');
  assert.equal(
    replicaGroup(withDefaults({ venues: 'okx,binance' }), { index: 2, count: 4 }),
    'book-builder.binance-okx.p2of4',
  );
});
