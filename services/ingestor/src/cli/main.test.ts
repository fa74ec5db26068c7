/** The CLI entry: replay of a file to stdout, unreadable inputs, bad command lines, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collector, gapRecording, replay } from './fixtures';
import { runCli } from './main';

test('CLI: replay of a file, unreadable inputs and bad command lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickmesh-replay-'));
  const file = join(dir, 'rec.jsonl');
  writeFileSync(file, gapRecording().join('\n') + '\n');
  const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(argv, { stdout, stderr });
    return { code, out: stdout.text(), err: stderr.text() };
  };

  const ok = await run('replay', '--venue', 'binance', '--input', file, '--depth', '2');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, replay(gapRecording(), 2).join('\n') + '\n');

  const missing = await run('replay', '--venue', 'binance', '--input', join(dir, 'nope.jsonl'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^replay: cannot read .*nope\.jsonl: ENOENT/);
  assert.match((await run('replay', '--venue', 'binance', '--input', dir)).err, /is a directory/);

  const garbage = join(dir, 'garbage.jsonl');
  writeFileSync(garbage, 'hello\nworld\n');
  const g = await run('replay', '--venue', 'binance', '--input', garbage);
  assert.equal(g.code, 1);
  assert.match(g.err, /no instruments response/);
  assert.equal(g.out.split('\n').filter((l) => l.includes('"malformed"')).length, 2);

  const wrong = await run('replay', '--venue', 'bybit', '--input', file);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /recording is of venue "binance", not "bybit"/);

  assert.equal((await run('--help')).code, 0);
  assert.match((await run('--help')).out, /cli\.mjs record --venue/);
  assert.equal((await run()).code, 2);
  assert.equal((await run('replay', '--input', file)).code, 2);
  assert.match((await run('replay', '--venue', 'nowhere', '--input', file)).err, /unknown venue "nowhere"/);
  assert.match((await run('replay', '--venue', 'binance', '--input', file, '--depth', '0')).err, /--depth/);
  assert.equal((await run('replay', '--venue', 'binance', '--input', file, '--bogus')).code, 2);
  assert.equal((await run('record', '--venue', 'binance', '--output', file)).code, 2, '--symbols');
  assert.equal((await run('frobnicate')).code, 2);
});
