import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TobData } from './feed';
import { formatBps, formatRate, formatTime } from './format';
import { formatMs, LatencySampler, quantile } from './latency';
import { nbboFromTobs, rowSpreadBps, type VenueRow } from './market';

function row(
  venue: string,
  bidPx: string,
  bidSz: string,
  askPx: string,
  askSz: string,
  state = 'live',
): VenueRow {
  const tob = {
    venue,
    symbol: 'BTC-USDT',
    bidPx,
    bidSz,
    askPx,
    askSz,
    state,
    epoch: 1,
    seq: 1,
    venueTs: 1,
    recvTs: 1,
    bookTs: 1,
  };
  return { venue, tob: tob as TobData, received: 1 };
}

test('NBBO from tops of book: best prices, attribution by size, flags, exclusions', () => {
  const c = nbboFromTobs('BTC-USDT', [
    row('binance', '100.1', '1', '100.3', '2'),
    row('okx', '100.10', '3', '100.4', '1'),
    row('kraken', '100.2', '9', '100.25', '1', 'stale'),
  ]);
  assert.deepEqual(c.nbbo, {
    bidPx: '100.1',
    bidSz: '4',
    bidVenue: 'okx',
    askPx: '100.3',
    askSz: '2',
    askVenue: 'binance',
  });
  assert.equal(c.nbbo.bidVenue, 'okx', 'largest size at the best bid');
  assert.deepEqual(c.bids[0]!.slice(0, 2), ['100.1', '4'], 'aggregated total, exact');
  assert.deepEqual(c.venues, ['binance', 'okx']);
  assert.deepEqual(c.excluded, [{ venue: 'kraken', state: 'stale' }]);
  assert.equal(c.crossed, false);
  assert.equal(c.locked, false);

  const crossed = nbboFromTobs('BTC-USDT', [
    row('a', '101', '1', '102', '1'),
    row('b', '99', '1', '100', '1'),
  ]);
  assert.equal(crossed.crossed, true);
  const locked = nbboFromTobs('BTC-USDT', [
    row('a', '100', '1', '102', '1'),
    row('b', '99', '1', '100', '1'),
  ]);
  assert.equal(locked.locked, true);
  assert.equal(nbboFromTobs('BTC-USDT', []).nbbo.bidPx, '');
});

test('spread bps prefers the book-builder stats, else the top of book', () => {
  const r = row('binance', '99', '1', '101', '1');
  assert.equal(rowSpreadBps(r), 200);
  r.stats = { spreadBps: 1.5 } as VenueRow['stats'];
  assert.equal(rowSpreadBps(r), 1.5);
});

test('latency percentiles over a window, client-side', () => {
  const l = new LatencySampler();
  const now = 1_000_000;
  for (let i = 1; i <= 100; i++) l.add('binance', (now - i) * 1000, now);
  l.add('binance', 0, now); // no venue time: ignored
  const p = l.percentiles('binance')!;
  assert.equal(p.n, 100);
  assert.equal(p.p50, 50);
  assert.equal(p.p99, 99);
  assert.equal(l.percentiles('okx'), undefined);
  assert.equal(quantile([1, 2, 3], 1), 3);
  assert.equal(formatMs(12.34), '12 ms');
  assert.equal(formatMs(1234), '1.23 s');
  assert.equal(formatMs(undefined), '—');
});

test('rates, bps and times for display', () => {
  assert.equal(formatBps(0.0016), '0.0016');
  assert.equal(formatBps(0.1), '0.10');
  assert.equal(formatBps(12.345), '12.35');
  assert.equal(formatBps(null), '—');
  assert.equal(formatRate(801.4), '801');
  assert.equal(formatRate(1.934), '1.93');
  assert.match(formatTime(1_796_041_374_475_636), /^\d\d:\d\d:\d\d\.\d{3}$/);
});
