#!/usr/bin/env node
// Bundles a service (cwd = service root) into dist/main.mjs with esbuild. Workspace libraries
// (@tickmesh/*) are inlined from their TypeScript sources; every npm package stays external and is
// installed next to the bundle (see deploy/Dockerfile).
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const declared = new Set(Object.keys(pkg.dependencies ?? {}));
const undeclared = new Set();
const packageName = (spec) =>
  (spec.startsWith('@') ? spec.split('/').slice(0, 2) : spec.split('/').slice(0, 1)).join('/');
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@tickmesh/')) return undefined;
      const name = packageName(args.path);
      if (!args.path.startsWith('node:') && !declared.has(name)) undeclared.add(name);
      return { path: args.path, external: true };
    });
  },
};
// src/main.ts is the service; src/cli.ts, when present, a command-line tool shipped beside it
const entryPoints = { main: 'src/main.ts' };
if (existsSync('src/cli.ts')) entryPoints.cli = 'src/cli.ts';
await build({
  entryPoints,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  plugins: [externalNpm],
  logLevel: 'warning',
  tsconfig: 'tsconfig.json',
});
// The image installs exactly the service's declared dependencies next to the bundle, so every
// package the bundle imports must be declared there.
const builtins = new Set([
  'fs',
  'path',
  'os',
  'http',
  'https',
  'net',
  'crypto',
  'events',
  'stream',
  'url',
  'util',
  'zlib',
  'child_process',
  'worker_threads',
  'perf_hooks',
  'readline',
  'assert',
  'buffer',
  'tls',
  'dns',
  'querystring',
  'string_decoder',
  'timers',
  'diagnostics_channel',
  'async_hooks',
]);
const missing = [...undeclared].filter((n) => !builtins.has(n));
if (missing.length > 0) {
  console.error(
    `${pkg.name}: the bundle imports packages missing from its package.json dependencies: ${missing.join(', ')}`,
  );
  process.exit(1);
}
console.log(
  `built ${pkg.name} -> ${Object.keys(entryPoints)
    .map((e) => `dist/${e}.mjs`)
    .join(', ')}`,
);
