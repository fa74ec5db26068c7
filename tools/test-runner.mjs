#!/usr/bin/env node
// Runs a project's tests with node's built-in runner (TypeScript through tsx).
// usage: node tools/test-runner.mjs [unit|all|e2e]
// unit: every *.test.ts below the cwd (a project root), excluding *.e2e.test.ts
// all:  the unit tests of every project (libs/, services/) in one run, one summary
// e2e:  every *.e2e.test.ts below <repo>/test/e2e
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2] ?? 'unit';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const roots =
  mode === 'e2e'
    ? [join(repoRoot, 'test', 'e2e')]
    : mode === 'all'
      ? [join(repoRoot, 'libs'), join(repoRoot, 'services')]
      : [process.cwd()];
const root = roots[0];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) {
      const isE2e = name.endsWith('.e2e.test.ts');
      if ((mode === 'e2e') === isE2e) out.push(p);
    }
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).sort();
if (files.length === 0) {
  console.error(`no ${mode} tests under ${relative(repoRoot, root) || '.'}`);
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
if (mode === 'e2e') args.push('--test-concurrency=1', '--test-timeout=180000');
else args.push('--test-timeout=60000');
// One tsconfig for every file tsx loads, so decorators in a library imported from another project
// compile the same way as in their own.
const env = { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.base.json') };
const r = spawnSync(process.execPath, [...args, ...files], {
  stdio: 'inherit',
  cwd: mode === 'all' ? repoRoot : root,
  env,
});
process.exit(r.status ?? 1);
