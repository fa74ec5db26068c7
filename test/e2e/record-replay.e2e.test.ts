/**
 * `record` against the in-process venue simulator (real sockets and REST), with a gap and a
 * disconnect injected, then `replay` of the file: byte-identical output on every run, the gap and
 * the resyncs in it, and final books equal to the simulator's ground truth at the last update.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tickmesh/test-harness';
import { silentLogger, startSimulator } from '@tickmesh/venue-sim';
import { runCli } from '@tickmesh/ingestor/src/cli/main';
import { Recorder } from '@tickmesh/ingestor/src/cli/recorder';

// library logs (pino, stdout) at warn: the root logger is created lazily, at the first connection
process.env['LOG_LEVEL'] ??= 'warn';

const NATIVES = ['BTCUSDT', 'ETHUSDT'];

function collector(): { write(c: string): boolean; once(): void; text(): string } {
  const chunks: string[] = [];
  return { write: (c) => (chunks.push(c), true), once: () => undefined, text: () => chunks.join('') };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr });
  return { code, out: stdout.text(), err: stderr.text() };
}

async function simulator() {
  return startSimulator({
    port: 0,
    host: '127.0.0.1',
    seed: 11,
    rate: 200,
    tradeRate: 20,
    symbols: [
      { native: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
      { native: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
      { native: 'SOLUSDT', base: 'SOL', quote: 'USDT' },
    ],
    logger: silentLogger,
  });
}

const fault = async (url: string, body: Record<string, unknown>): Promise<void> => {
  const res = await fetch(`${url}/sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ venue: 'binance', ...body }),
  });
  assert.equal(res.status, 200, await res.text());
};

interface Truth {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}
interface FinalBooks {
  books: Record<
    string,
    { bids: [string, string][]; asks: [string, string][]; seq: number; epoch: number; state: string }
  >;
}

test('record → replay: deterministic, gap and resyncs shown, books equal the ground truth', async (t) => {
  const sim = await simulator();
  t.after(() => sim.close());
  const file = join(mkdtempSync(join(tmpdir(), 'tickmesh-record-')), 'sim.jsonl');
  const rec = await Recorder.start({
    venue: 'binance',
    symbols: NATIVES,
    output: file,
    wsUrl: sim.wsUrl,
    restUrl: sim.url,
  });
  t.after(() => rec.stop());
  const engine = rec.engine!;
  const at = (native: string, epoch: number): boolean => {
    const st = engine.statusOf(native);
    return st?.state === 'live' && st.epoch === epoch;
  };
  await waitFor(() => NATIVES.every((n) => at(n, 1)) && rec.stats.frames >= 100, {
    timeoutMs: 20_000,
    message: 'both symbols live and 100 frames recorded',
  });
  await fault(sim.url, { symbol: 'BTCUSDT', kind: 'gap', count: 2 });
  await waitFor(() => at('BTCUSDT', 2), { timeoutMs: 20_000, message: 'BTCUSDT resynced after the gap' });
  await fault(sim.url, { kind: 'disconnect' });
  await waitFor(() => at('BTCUSDT', 3) && at('ETHUSDT', 2), {
    timeoutMs: 20_000,
    message: 'resynced after reconnect',
  });
  const frames = rec.stats.frames;
  await waitFor(() => rec.stats.frames >= frames + 50, { timeoutMs: 20_000 });

  // stable ground truth: pause the generator, then wait until the recorder has applied its last update
  sim.market.pause();
  const truth = new Map(NATIVES.map((n) => [n, JSON.parse(sim.groundTruth(n)!) as Truth]));
  await waitFor(() => NATIVES.every((n) => engine.snapshotOf(n)?.seq === truth.get(n)!.lastUpdateId), {
    timeoutMs: 20_000,
    message: 'the recorder applied the last generated update',
  });
  await rec.stop();

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const kinds = lines.map((l) => Object.keys(JSON.parse(l) as object).join(','));
  assert.equal(kinds[0], 'recv,recording');
  assert.equal(kinds[1], 'recv,rest,raw');
  assert.equal(kinds.filter((k) => k === 'recv,open,symbols').length, 2, 'opened twice');
  assert.equal(kinds.filter((k) => k === 'recv,close,symbols,reason').length, 1);
  assert.equal(kinds.filter((k) => k === 'recv,raw').length, rec.stats.frames);
  assert.ok(
    lines.every((l) => /^\{"recv":\d+(\.\d{1,3})?,/.test(l)),
    'recv: epoch ms, µs fraction',
  );

  const a = await cli('replay', '--venue', 'binance', '--input', file, '--depth', '5000');
  const b = await cli('replay', '--venue', 'binance', '--input', file, '--depth', '5000');
  assert.equal(a.code, 0, a.err);
  assert.equal(a.err, '');
  assert.equal(a.out, b.out, 'byte-identical replays');

  const out = a.out.trimEnd().split('\n');
  const final = JSON.parse(out.at(-1)!) as FinalBooks;
  for (const n of NATIVES) {
    const want = truth.get(n)!;
    const got = final.books[`${n.slice(0, 3)}-USDT`]!;
    assert.equal(got.state, 'live');
    assert.equal(got.seq, want.lastUpdateId, `${n} seq`);
    assert.deepEqual(got.bids, want.bids, `${n} bids`);
    assert.deepEqual(got.asks, want.asks, `${n} asks`);
    assert.equal(got.epoch, engine.statusOf(n)!.epoch, `${n} epoch as live`);
  }
  const events = out.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => 'event' in o);
  const gaps = events.filter((e) => e['event'] === 'gap');
  assert.deepEqual(
    gaps.map((e) => e['native']),
    ['BTCUSDT'],
  );
  const resyncs = events
    .filter((e) => e['event'] === 'resync')
    .map((e) => `${String(e['native'])} ${String(e['phase'])}`);
  assert.deepEqual(resyncs.slice(0, 2), ['BTCUSDT start', 'BTCUSDT done'], 'the gap resync');
  assert.equal(resyncs.length, 2, 'a reconnect is not a resync: connecting → snapshotting → live');
  const conns = events.filter((e) => e['event'] === 'connection').map((e) => e['state']);
  assert.deepEqual(conns, ['open', 'closed', 'open']);
  assert.equal(events.filter((e) => e['event'] === 'malformed').length, 0);

  const top = JSON.parse(
    (await cli('replay', '--venue', 'binance', '--input', file)).out.trimEnd().split('\n').at(-1)!,
  ) as FinalBooks;
  assert.deepEqual(top.books['BTC-USDT']!.bids, truth.get('BTCUSDT')!.bids.slice(0, 10), 'default depth 10');
});

test('record CLI: --frames bound, unknown symbols reported, unreachable venue and bad output fail', async (t) => {
  const sim = await simulator();
  t.after(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'tickmesh-record-'));
  const file = join(dir, 'cli.jsonl');
  const base = ['record', '--venue', 'binance', '--ws-url', sim.wsUrl];
  const r = await cli(
    ...base,
    '--rest-url',
    sim.url,
    '--symbols',
    'SOLUSDT,NOPEUSDT',
    '--output',
    file,
    '--frames',
    '200',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /not recorded: NOPEUSDT/);
  assert.match(r.err, /wrote 200 frames and 2 REST responses/);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const keys = lines.map((l) => Object.keys(JSON.parse(l) as object).join(','));
  assert.equal(keys.filter((k) => k === 'recv,raw').length, 200);
  assert.ok(lines.some((l) => l.includes('"rest":"/api/v3/depth?symbol=SOLUSDT&limit=1000"')));
  const replayed = await cli('replay', '--venue', 'binance', '--input', file);
  assert.equal(replayed.code, 0, replayed.err);
  assert.equal(
    (JSON.parse(replayed.out.trimEnd().split('\n').at(-1)!) as FinalBooks).books['SOL-USDT']!.state,
    'live',
  );

  const down = await cli(
    ...base,
    '--rest-url',
    'http://127.0.0.1:1',
    '--symbols',
    'SOLUSDT',
    '--output',
    join(dir, 'x.jsonl'),
  );
  assert.equal(down.code, 1);
  assert.match(down.err, /cannot load binance instruments \(\/api\/v3\/exchangeInfo\)/);
  const bad = await cli(
    ...base,
    '--rest-url',
    sim.url,
    '--symbols',
    'SOLUSDT',
    '--output',
    join(dir, 'no', 'such.jsonl'),
  );
  assert.equal(bad.code, 1);
  assert.match(bad.err, /ENOENT/);
});
