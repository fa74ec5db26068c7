#!/usr/bin/env node
// `npm test`: lint, typecheck, unit + integration tests (every project, real NATS/Redis), then the
// end-to-end suite on real processes. Installs what it needs first (see bootstrap.mjs). Ends with
// one line "N passed, N failed" over both test phases.
// `npm test -- unit e2e` runs only the named phases (lint, typecheck, unit, e2e).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, ensureServers, nx, repoRoot, run, which } from './bootstrap.mjs';

ensureNodeModules();
if (!process.env.NATS_URL || !process.env.REDIS_URL) ensureServers();
const steps = process.argv.slice(2);
const want = (s) => steps.length === 0 || steps.includes(s);
const totals = { pass: 0, fail: 0 };

/** Runs the node:test runner in `mode`, echoing its output and adding up its summary lines. */
function runTests(mode) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'tools', 'test-runner.mjs'), mode], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    const counts = { pass: 0, fail: 0 };
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = /^ℹ (pass|fail) (\d+)$/.exec(buf.slice(0, i).trim());
        if (m) counts[m[1]] = Number(m[2]);
        buf = buf.slice(i + 1);
      }
    });
    child.on('exit', (code) => {
      totals.pass += counts.pass;
      totals.fail += counts.fail;
      if (code !== 0 && counts.fail === 0) totals.fail += 1; // the runner itself failed
      resolve(code ?? 1);
    });
  });
}

/**
 * The dashboard's browser test drives the Debian `chromium` package (playwright-core, no browser
 * download): installed with apt-get like the servers when running as root, otherwise that one test
 * is skipped and says so.
 */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH) return;
  const found = which('chromium');
  if (found === undefined && process.getuid?.() === 0 && which('apt-get') !== undefined) {
    console.log('• installing chromium (apt-get)…');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const path = found ?? which('chromium');
  if (path === undefined)
    console.warn(
      '• chromium is not installed: the dashboard browser test will be skipped (apt-get install chromium)',
    );
  else process.env.CHROMIUM_PATH = path;
}

let failed = false;
if (want('lint')) {
  nx(['run-many', '-t', 'lint', '--outputStyle=stream']);
  run(process.execPath, [
    join(repoRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
    '--check',
    '.',
    '--log-level',
    'warn',
  ]);
}
if (want('typecheck')) nx(['run-many', '-t', 'typecheck', '--outputStyle=stream']);
if (want('unit')) failed = (await runTests('all')) !== 0 || failed;
if (want('e2e')) {
  ensureChromium();
  nx(['run-many', '-t', 'build', '--outputStyle=stream']); // the services and the dashboard
  failed = (await runTests('e2e')) !== 0 || failed;
}
if (want('unit') || want('e2e')) console.log(`\n${totals.pass} passed, ${totals.fail} failed`);
process.exit(failed ? 1 : 0);
