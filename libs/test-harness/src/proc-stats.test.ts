import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHarnessError } from './errors';
import { clockTicksPerSecond, parseProcStat, parseVmRss, pidStats, type PidStats } from './proc-stats';
import { waitFor } from './wait-for';

test('parses utime and stime even when the command name contains spaces and parentheses', () => {
  const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 75 0 0 20 0 11 0 100 0 0';
  assert.deepEqual(parseProcStat(stat), { utimeTicks: 250, stimeTicks: 75 });
});

test('rejects stat text without the expected fields', () => {
  assert.throws(
    () => parseProcStat('garbage'),
    (err: unknown) => isHarnessError(err, 'INVALID'),
  );
});

test('reads VmRSS in bytes, 0 when absent (zombie)', () => {
  assert.equal(parseVmRss('Name:\tnode\nVmRSS:\t   51200 kB\nThreads:\t11\n'), 51200 * 1024);
  assert.equal(parseVmRss('Name:\tnode\nState:\tZ (zombie)\n'), 0);
});

test('samples this process: CPU time grows with work, RSS is plausible', async () => {
  assert.ok(clockTicksPerSecond() > 0);
  const before = await pidStats(process.pid);
  assert.ok(before.rssBytes > 10 * 1024 * 1024, `rss ${before.rssBytes}`);
  const cpu = (s: PidStats): number => s.utimeMs + s.stimeMs;
  await waitFor(
    async () => {
      burnCpu(20);
      return cpu(await pidStats(process.pid)) > cpu(before);
    },
    { timeoutMs: 5000, intervalMs: 1, message: 'CPU time of this process advanced' },
  );
});

function burnCpu(ms: number): void {
  const start = performance.now();
  let x = 0;
  while (performance.now() - start < ms) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
}

test('a pid that does not exist fails with EXITED', async () => {
  await assert.rejects(pidStats(2 ** 22 + 7), (err: unknown) => isHarnessError(err, 'EXITED'));
});
