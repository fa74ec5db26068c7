#!/usr/bin/env node
// Bundles a service (cwd = service root) into dist/main.mjs with esbuild. Workspace libraries
// (@tickmesh/*) are inlined from their TypeScript sources; every npm package stays external and is
// installed next to the bundle (see deploy/Dockerfile).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@tickmesh/') ? undefined : { path: args.path, external: true },
    );
  },
};
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  plugins: [externalNpm],
  logLevel: 'warning',
  tsconfig: 'tsconfig.json',
});
console.log(`built ${pkg.name} -> dist/main.mjs`);
