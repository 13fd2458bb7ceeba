/**
 * The graphs the router Deployment loads: the ConfigMap holds current copies of
 * examples/graphs, and each one parses and validates with the router's own document parser
 * and validator, with the environment the Deployment gives it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isValid, parseGraphDocument, validateGraph } from '@sightline/router';
import { describe, expect, it } from 'vitest';
import type { Container, DeploymentSpec } from './helpers/k8s-shapes.js';
import { buildBaseWith, type ComponentName, named, ofKind } from './helpers/kustomize.js';
import { repoPath } from './helpers/paths.js';

function graphConfigMap(components: readonly ComponentName[]) {
  const objects = buildBaseWith(components);
  const router = named(objects, 'Deployment', 'router');
  const container = (router.spec as DeploymentSpec).template.spec.containers[0] as Container;
  const env: NodeJS.ProcessEnv = {};
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  const configMap = ofKind(objects, 'ConfigMap').find((m) => m.metadata.name.startsWith('router-graphs-'));
  return { env, files: (configMap?.data as Record<string, string> | undefined) ?? {} };
}

describe('router graphs ConfigMap', () => {
  it('holds current copies of examples/graphs (else: npm run sync -w @sightline/deploy)', () => {
    const { files } = graphConfigMap([]);
    const examples = readdirSync(repoPath('examples', 'graphs')).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(Object.keys(files).sort()).toEqual(examples.sort());
    for (const name of examples) {
      expect(files[name], `${name} is stale`).toBe(
        readFileSync(repoPath('examples', 'graphs', name), 'utf8'),
      );
    }
  });

  it.each([[[] as ComponentName[]], [['istio'] as ComponentName[]]])(
    'every graph parses and validates with the Deployment environment (components: %j)',
    (components) => {
      const { env, files } = graphConfigMap(components);
      expect(Object.keys(files).length).toBeGreaterThan(0);
      for (const [name, text] of Object.entries(files)) {
        const parsed = parseGraphDocument(text, { env, source: name });
        expect(
          parsed.problems.filter((p) => p.severity === 'error'),
          name,
        ).toEqual([]);
        const problems = validateGraph(parsed.graph!);
        expect(isValid(problems), `${name}: ${problems.map((p) => p.message).join('; ')}`).toBe(true);
        // The address comes from the Deployment, not the file's loopback default.
        expect(text).toContain('${MODEL_SERVER_ADDRESS');
        expect(env.MODEL_SERVER_ADDRESS).toMatch(/model-server/);
        // Every variable a graph reads is set there: a loopback default in a pod reaches
        // nothing (the iris graph's soft detector node would be skipped on every request).
        for (const [, variable] of text.matchAll(/\$\{([A-Z0-9_]+)/g)) {
          expect(env[variable!], `${name} reads \${${variable}}`).toBeDefined();
        }
        if (text.includes('${OUTLIER_ADDRESS')) expect(env.OUTLIER_ADDRESS).toMatch(/^outlier:8002$/);
      }
    },
  );
});
