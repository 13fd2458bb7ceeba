#!/usr/bin/env node
// Writes deploy/k8s/components/prometheus-operator/prometheus-rule.yaml from
// deploy/prometheus/rules.yaml, so the operator's PrometheusRule and the plain rule file
// never drift (kustomize cannot read files outside a component, so the copy is committed;
// deploy/test/prometheus-rules.test.ts fails when it is stale).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const deployDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
  '# GENERATED from deploy/prometheus/rules.yaml by deploy/scripts/sync-prometheus-rule.mjs',
  '# (`npm run sync-rules -w @sightline/deploy`); edit rules.yaml, then regenerate.',
  '',
].join('\n');
await writeFile(target, header + stringify(resource, { lineWidth: 0 }));
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
