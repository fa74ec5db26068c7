/**
 * The Grafana dashboard (deploy/grafana) and the metrics table (docs/operations.md) must stay in
 * step with the metric names the code registers. Names are collected from the sources (every
 * `metrics.counter|gauge|histogram(<literal>` in libs/ and services/, template prefixes resolved
 * from a `const X = '...'` in the same file), so no service has to be imported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { registeredMetrics } from '../test/registered-metrics';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function referencedNames(text: string): Set<string> {
  return new Set(text.match(/\b(?:tickmesh|process|nodejs)_[a-z0-9_]+/g) ?? []);
}

test('the source scan finds the metrics of every service and library', () => {
  const reg = registeredMetrics();
  for (const name of [
    'tickmesh_ingestor_venue_to_publish_seconds',
    'tickmesh_bookbuilder_venue_to_apply_seconds',
    'tickmesh_gateway_venue_to_send_seconds',
  ])
    assert.equal(reg.get(name), 'histogram', name);
  assert.equal(reg.get('tickmesh_nats_connected'), 'gauge');
  assert.equal(reg.get('tickmesh_bookbuilder_symbol_live'), 'gauge');
  assert.equal(reg.get('process_cpu_seconds_total'), 'counter');
  assert.ok(reg.size > 40, `only ${reg.size} metrics found`);
});

test('the Grafana dashboard is valid JSON and references only registered metrics', () => {
  const path = join(repoRoot, 'deploy', 'grafana', 'tickmesh-dashboard.json');
  const dash = JSON.parse(readFileSync(path, 'utf8')) as {
    uid: string;
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; type: string }[] };
  };
  assert.ok(dash.uid);
  assert.ok(dash.templating.list.some((v) => v.type === 'datasource'));
  const reg = registeredMetrics();
  const exprs = dash.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []);
  assert.ok(exprs.length > 20);
  for (const p of dash.panels) if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, p.title);
  const unknown: string[] = [];
  // queries only (descriptions may name a histogram family without a series suffix)
  for (const ref of referencedNames(exprs.join('\n') + JSON.stringify(dash.templating))) {
    const hist = /^(.*)_(bucket|count|sum)$/.exec(ref);
    if (hist !== null && reg.get(hist[1]!) === 'histogram') continue;
    if (!reg.has(ref) || reg.get(ref) === 'histogram') unknown.push(ref);
  }
  assert.deepEqual(unknown, [], 'dashboard metrics not registered in the code');
});

test('docs/operations.md documents every registered metric and no unknown one', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
  const reg = registeredMetrics();
  const missing = [...reg.keys()].filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, [], 'metrics missing from the docs/operations.md table');
  const unknown = [...referencedNames(doc)].filter((ref) => {
    const hist = /^(.*)_(bucket|count|sum)$/.exec(ref);
    return !(reg.has(ref) || (hist !== null && reg.get(hist[1]!) === 'histogram'));
  });
  assert.deepEqual(unknown, [], 'docs/operations.md names metrics the code does not register');
});
