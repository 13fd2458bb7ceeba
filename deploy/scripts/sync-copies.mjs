#!/usr/bin/env node
// Refreshes the copies kustomize needs inside deploy/k8s (it cannot read files outside a
// kustomization's directory), so they never drift from their sources:
//   deploy/prometheus/rules.yaml -> k8s/components/prometheus-operator/prometheus-rule.yaml
//   examples/graphs/*.yaml       -> k8s/base/router/graphs/
// deploy/test fails when a copy is stale. Run: npm run sync -w @sightline/deploy
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const deployDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(deployDir, '..');

async function syncPrometheusRule() {
  const source = path.join(deployDir, 'prometheus', 'rules.yaml');
  const target = path.join(deployDir, 'k8s', 'components', 'prometheus-operator', 'prometheus-rule.yaml');
  const rules = parse(await readFile(source, 'utf8'));
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'sightline' },
    spec: { groups: rules.groups },
  };
  const header = [
    '# GENERATED from deploy/prometheus/rules.yaml by deploy/scripts/sync-copies.mjs',
    '# (`npm run sync -w @sightline/deploy`); edit rules.yaml, then regenerate.',
    '',
  ].join('\n');
  await writeFile(target, header + stringify(resource, { lineWidth: 0 }));
  return [target];
}

async function syncGraphs() {
  const sourceDir = path.join(repoDir, 'examples', 'graphs');
  const targetDir = path.join(deployDir, 'k8s', 'base', 'router', 'graphs');
  const files = (await readdir(sourceDir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  for (const file of files) await copyFile(path.join(sourceDir, file), path.join(targetDir, file));
  return files.map((f) => path.join(targetDir, f));
}

for (const written of [...(await syncPrometheusRule()), ...(await syncGraphs())]) {
  process.stdout.write(`wrote ${path.relative(repoDir, written)}\n`);
}
