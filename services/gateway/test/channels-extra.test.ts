/**
 * The book, trades, consolidated and stats channels, wildcards and the instrument list over
 * WebSocket against real NATS: the test publishes as the ingestor/book-builder and answers the
 * depth snapshot requests as the book-builder does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binaryCodec,
  bookRequestSubject,
  consolidatedSubject,
  encodeConsolidated,
  parseBookRequest,
  subjectFor,
  type AckMessage,
  type BookViewData,
  type ConsolidatedBook,
  type DataMessage,
  type ListMessage,
  type Level,
  type TradesData,
} from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';
import { publishStatus, status } from './support/fixtures';
import { gateway, useServers } from './support/servers';
import { WsTestClient } from './support/ws-client';

const env = useServers();

test('list op, GET /api/instruments and a wildcard expanded over the known instruments', async (t) => {
  const gw = await gateway(t, env, { maxWildcardChannels: 2 });
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  // the registry learns instruments from md.v1.status.>, whoever subscribes
  await waitFor(
    () => {
      publishStatus(env.pub, status('BTC-USDT', 'live'));
      publishStatus(env.pub, status('ETH-USDT', 'stale'));
      publishStatus(env.pub, status('BTC-USDT', 'live', 'okx'));
      c.send({ op: 'list', id: 'l' });
      const lists = c.messages.filter((m): m is ListMessage => m.type === 'list');
      return lists.some((l) => l.instruments.length === 3);
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'three instruments listed' },
  );
  const list = c.messages.filter((m): m is ListMessage => m.type === 'list').at(-1)!;
  assert.equal(list.id, 'l');
  assert.deepEqual(list.instruments, [
    { venue: 'binance', symbol: 'BTC-USDT', state: 'live' },
    { venue: 'binance', symbol: 'ETH-USDT', state: 'stale' },
    { venue: 'okx', symbol: 'BTC-USDT', state: 'live' },
  ]);
  const http = (await (await fetch(`http://127.0.0.1:${gw.port}/api/instruments`)).json()) as {
    instruments: unknown[];
  };
  assert.deepEqual(http.instruments, list.instruments);

  c.send({ op: 'subscribe', id: 1, channels: ['status.*.*', 'status.*.BTC-USDT'] });
  const ack = (await c.waitFor((m) => m.type === 'ack' && m.id === 1, 'ack')) as AckMessage;
  assert.deepEqual(ack.channels, ['status.binance.BTC-USDT', 'status.okx.BTC-USDT']);
  assert.deepEqual(ack.expanded, { 'status.*.BTC-USDT': ['status.binance.BTC-USDT', 'status.okx.BTC-USDT'] });
  const err = c.errors().find((e) => e.id === 1)!;
  assert.equal(err.code, 'too_many_matches');
  assert.equal(err.channel, 'status.*.*');
  await waitFor(
    () => {
      publishStatus(env.pub, status('BTC-USDT', 'live', 'okx'));
      return c.data('status.okx.BTC-USDT').length > 0;
    },
    { timeoutMs: 5000, intervalMs: 50, message: 'okx status delivered through the wildcard' },
  );
  c.send({ op: 'unsubscribe', id: 2, channels: ['status.*.BTC-USDT'] });
  const un = (await c.waitFor((m) => m.type === 'ack' && m.id === 2, 'unsubscribe ack')) as AckMessage;
  assert.deepEqual(un.channels.sort(), ['status.binance.BTC-USDT', 'status.okx.BTC-USDT']);
});

test('trades: snapshot of the last trades, then batches; consolidated: first message is the snapshot', async (t) => {
  const gw = await gateway(t, env);
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  c.send({
    op: 'subscribe',
    id: 1,
    channels: ['trades.binance.SOL-USDT', 'consolidated.SOL-USDT'],
    conflate_ms: 50,
  });
  await c.waitFor((m) => m.type === 'snapshot' && m.ch === 'trades.binance.SOL-USDT', 'trades snapshot');
  for (let i = 0; i < 5; i++)
    env.pub.publish(subjectFor('trade', 'binance', 'SOL-USDT'), {
      type: 'trade', venue: 'binance', symbol: 'SOL-USDT', id: `t${i}`, price: `150.0${i}`, size: '1.25',
      side: i % 2 === 0 ? 'buy' : 'sell', venueTs: 1, recvTs: 2,
    }); // prettier-ignore
  await waitFor(
    () =>
      c
        .data('trades.binance.SOL-USDT')
        .flatMap((m) => (m.type === 'update' ? (m.data as TradesData).trades : [])).length === 5,
    { timeoutMs: 5000, message: 'five trades' },
  );
  const ups = c.data('trades.binance.SOL-USDT').filter((m) => m.type === 'update');
  assert.ok(
    ups.every((m) => !('conflated' in m)),
    'trades are never conflated (conflate_ms ignored)',
  );
  assert.deepEqual(
    ups.flatMap((m) => (m.data as TradesData).trades.map((x) => x.price)),
    ['150.00', '150.01', '150.02', '150.03', '150.04'],
  );
  const book: ConsolidatedBook = {
    type: 'consolidated', symbol: 'SOL-USDT', depth: 10,
    bids: [['150', '3', [['binance', '1'], ['okx', '2']]]], asks: [['150.1', '1', [['okx', '1']]]],
    nbbo: { bidPx: '150', bidSz: '3', bidVenue: 'okx', askPx: '150.1', askSz: '1', askVenue: 'okx' },
    crossed: false, locked: false, venues: ['binance', 'okx'], excluded: [], venueTs: 1, bookTs: 2, ts: 3,
  }; // prettier-ignore
  env.pub.publishRaw(consolidatedSubject('SOL-USDT'), encodeConsolidated(book));
  const snap = (await c.waitFor(
    (m) => m.type === 'snapshot' && m.ch === 'consolidated.SOL-USDT',
    'consolidated snapshot',
  )) as DataMessage;
  const { type: _t, ...data } = book;
  assert.deepEqual(snap.data, data);

  // a late subscriber gets the last trades as the snapshot
  const d = await WsTestClient.open(gw.port);
  t.after(() => d.close());
  d.send({ op: 'subscribe', channels: ['trades.binance.SOL-USDT'] });
  const s2 = (await d.waitFor((m) => m.type === 'snapshot', 'late snapshot')) as DataMessage<TradesData>;
  assert.deepEqual(
    s2.data.trades.map((x) => x.id),
    ['t0', 't1', 't2', 't3', 't4'],
  );
});

test('book: depth snapshot from the book-builder, diffs of the top-depth view, tier rounding', async (t) => {
  const gw = await gateway(t, env);
  // the book-builder's depth server for one book
  const bids: Level[] = Array.from({ length: 60 }, (_, i) => [`${1000 - i}.5`, '1']);
  const asks: Level[] = Array.from({ length: 60 }, (_, i) => [`${1001 + i}.5`, '2']);
  let requests = 0;
  const responder = env.pub.subscribeRaw(bookRequestSubject('binance', 'XRP-USDT'), (data, _s, reply) => {
    requests++;
    const req = parseBookRequest(data);
    assert.ok('depth' in req && req.depth >= 100);
    const snap = {
      type: 'book.snapshot' as const, venue: 'binance', symbol: 'XRP-USDT', epoch: 4, seq: 500, venueTs: 1, recvTs: 1,
      bids: bids.slice(0, 'depth' in req ? req.depth : 0), asks: asks.slice(0, 'depth' in req ? req.depth : 0),
    }; // prettier-ignore
    if (reply !== undefined) env.pub.respond(reply, binaryCodec.encode(snap));
  });
  t.after(() => responder.unsubscribe());
  const c = await WsTestClient.open(gw.port);
  t.after(() => c.close());
  const ch = 'book.binance.XRP-USDT';
  c.send({ op: 'subscribe', id: 1, channels: [ch], depth: 20 });
  const snap = (await c.waitFor(
    (m) => m.type === 'snapshot' && m.ch === ch,
    'book snapshot',
  )) as DataMessage<BookViewData>;
  assert.equal(snap.data.depth, 25, '20 rounds up to the 25 tier');
  assert.deepEqual(snap.data.bids, bids.slice(0, 25));
  assert.deepEqual(snap.data.asks, asks.slice(0, 25));
  assert.equal(snap.data.bookEpoch, 4);
  assert.equal(snap.data.bookSeq, 500);
  assert.equal(requests, 1);
  env.pub.publish(subjectFor('book', 'binance', 'XRP-USDT'), {
    type: 'book.delta', venue: 'binance', symbol: 'XRP-USDT', epoch: 4, seq: 501, prevSeq: 500, venueTs: 1, recvTs: 1,
    bids: [['1000.5', '0'], ['999.5', '0'], ['999.75', '3']], asks: [['1001.5', '2.5']],
  }); // prettier-ignore
  const up = (await c.waitFor(
    (m) => m.type === 'update' && m.ch === ch,
    'book update',
  )) as DataMessage<BookViewData>;
  assert.equal(up.seq, snap.seq + 1);
  assert.equal(up.data.bookSeq, 501);
  assert.deepEqual(
    [...up.data.bids].sort(),
    [
      ['1000.5', '0'],
      ['999.5', '0'],
      ['975.5', '1'],
      ['999.75', '3'],
    ].sort(),
    'two best bids left, 999.75 entered, 975.5 entered at the bottom',
  );
  assert.deepEqual(up.data.asks, [['1001.5', '2.5']]);
});
