/**
 * The metric names the code registers, collected from the sources (every
 * `metrics.counter|gauge|histogram(<literal>` in libs/ and services/, template prefixes resolved
 * from a `const X = '...'` in the same file), so no service has to be imported.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Kind = 'counter' | 'gauge' | 'histogram';
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** name → kind of every metric registered in libs/ and services/ (tests excluded) */
export function registeredMetrics(): Map<string, Kind> {
  const found = new Map<string, Kind>();
  const call = /\b(?:metrics|registry)\.(counter|gauge|histogram)\(\s*(['`])([^'`]+)\2/g;
  for (const file of [...sources(join(repoRoot, 'libs')), ...sources(join(repoRoot, 'services'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(call)) {
      const name = m[3]!.replace(/\$\{(\w+)\}/g, (_all, id: string) => {
        const def = new RegExp(`const ${id}\\s*=\\s*'([^']*)'`).exec(text);
        if (def === null) throw new Error(`${file}: cannot resolve \${${id}} in metric name ${m[3]}`);
        return def[1]!;
      });
      found.set(name, m[1] as Kind);
    }
  }
  return found;
}
