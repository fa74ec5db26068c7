#!/usr/bin/env node
// `npm test`: lint, typecheck, unit/integration tests (per project, real NATS/Redis), then the
// end-to-end suite against real processes. Installs what it needs first (see bootstrap.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, ensureServers, nx, repoRoot } from './bootstrap.mjs';

ensureNodeModules();
if (!process.env.NATS_URL || !process.env.REDIS_URL) ensureServers();
const steps = process.argv.slice(2);
const want = (s) => steps.length === 0 || steps.includes(s);
if (want('lint')) nx(['run-many', '-t', 'lint', '--outputStyle=stream']);
if (want('typecheck')) nx(['run-many', '-t', 'typecheck', '--outputStyle=stream']);
if (want('unit')) nx(['run-many', '-t', 'test', '--outputStyle=stream', '--parallel=1']);
if (want('e2e')) {
  nx(['run-many', '-t', 'build', '--outputStyle=stream']);
  const r = spawnSync(process.execPath, [join(repoRoot, 'tools', 'test-runner.mjs'), 'e2e'], {
    stdio: 'inherit',
    cwd: repoRoot,
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
