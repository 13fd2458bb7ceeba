/**
 * Every object of every overlay and of the base with every combination of components
 * validates against the Kubernetes OpenAPI schema and the CRDs it uses (Knative Eventing,
 * Istio, Prometheus Operator), offline, with no unknown fields (helpers/schema-validation.ts).
 * The negative cases prove the validator rejects what the API server would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildBaseWith,
  buildKustomization,
  componentCombinations,
  type K8sObject,
  OVERLAYS,
  parseManifests,
} from './helpers/kustomize.js';
import { deployPath } from './helpers/paths.js';
import { type SchemaValidator, schemaValidator } from './helpers/schema-validation.js';

/** Every build (~40 kustomize runs) plus the TypeScript program over the model declarations. */
const SETUP_TIMEOUT_MS = 180_000;

const builds: readonly [string, () => K8sObject[]][] = [
  ...OVERLAYS.map((overlay): [string, () => K8sObject[]] => [
    `overlay ${overlay}`,
    () => buildKustomization(`k8s/overlays/${overlay}`),
  ]),
  ...componentCombinations().map((c): [string, () => K8sObject[]] => [
    `base + ${c.length === 0 ? '(none)' : c.join(' + ')}`,
    () => buildBaseWith(c),
  ]),
];

let validator: SchemaValidator;
/** Each build's objects, by name, built once. */
const built = new Map<string, K8sObject[]>();
/** Every object of every build, for the validator's kinds and the negative cases' copies. */
let everything: K8sObject[];

beforeAll(() => {
  for (const [name, build] of builds) built.set(name, build());
  everything = [...built.values()].flat();
  validator = schemaValidator(everything);
}, SETUP_TIMEOUT_MS);

async function problemsOf(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    for (const error of await validator.errorsOf(object)) {
      problems.push(`${object.kind}/${object.metadata.name}: ${error}`);
    }
  }
  return problems;
}

describe('every object validates against the Kubernetes and CRD schemas', () => {
  it.each(builds.map(([name]) => name))('%s', async (name) => {
    const objects = built.get(name) ?? [];
    expect(objects.length).toBeGreaterThan(0);
    expect(await problemsOf(objects)).toEqual([]);
  });
});

/** A deep copy of the first object of `kind` in the full build, to break. */
// biome-ignore lint/suspicious/noExplicitAny: the negative cases reach into arbitrary paths to break them
function copyOf(kind: string, name?: string): K8sObject & Record<string, any> {
  const found = everything.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in the build`);
  return structuredClone(found);
}

describe('example manifests (deploy/k8s/examples) validate too', () => {
  it.each(readdirSync(deployPath('k8s', 'examples')).filter((f) => f.endsWith('.yaml')))(
    '%s',
    async (file) => {
      const objects = parseManifests(readFileSync(deployPath('k8s', 'examples', file), 'utf8'));
      expect(objects.length).toBeGreaterThan(0);
      expect(await problemsOf(objects)).toEqual([]);
    },
  );
});

describe('the validator rejects broken objects', () => {
  it('an unknown field, as a misspelt probe field', async () => {
    const deployment = copyOf('Deployment', 'router');
    expect(await validator.errorsOf(deployment)).toEqual([]);
    deployment.spec.template.spec.containers[0].livenessProbe.httpget =
      deployment.spec.template.spec.containers[0].livenessProbe.httpGet;
    expect(await validator.errorsOf(deployment)).toEqual([
      'data/spec/template/spec/containers/0/livenessProbe/httpget: unknown field "httpget"',
    ]);
  });

  it('a wrong type', async () => {
    const set = copyOf('StatefulSet', 'drift');
    set.spec.replicas = 'one';
    const errors = await validator.errorsOf(set);
    expect(errors.join('\n')).toMatch(/data\/spec\/replicas must be integer/);
  });

  it('a missing required field', async () => {
    const service = copyOf('Service', 'router');
    delete service.spec.ports[0].port;
    expect((await validator.errorsOf(service)).join('\n')).toMatch(
      /data\/spec\/ports\/0 must have required property port/,
    );
  });

  it('an unknown field in a CRD object (Knative Trigger, Istio DestinationRule, ServiceMonitor)', async () => {
    const trigger = copyOf('Trigger');
    trigger.spec.subscribr = trigger.spec.subscriber;
    expect(await validator.errorsOf(trigger)).toContain('data/spec/subscribr: unknown field "subscribr"');

    const rule = copyOf('DestinationRule');
    rule.spec.trafficPolicy.loadBalancer.simpel = 'ROUND_ROBIN';
    expect((await validator.errorsOf(rule)).join('\n')).toMatch(/loadBalancer\/simpel: unknown field/);

    const monitor = copyOf('ServiceMonitor');
    monitor.spec.endpoints[0].intervall = '15s';
    expect(await validator.errorsOf(monitor)).toContain(
      'data/spec/endpoints/0/intervall: unknown field "intervall"',
    );
  });

  it('a wrong type in a CRD object (Broker delivery retry)', async () => {
    const broker = copyOf('Broker');
    broker.spec.delivery.retry = 'five';
    expect((await validator.errorsOf(broker)).join('\n')).toMatch(
      /data\/spec\/delivery\/retry must be integer/,
    );
  });

  it('a kind it has no schema for', async () => {
    expect(
      await validator.errorsOf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual([
      'example.com/v1 Widget: no schema for this kind in kubernetes-models or the @kubernetes-models CRD packages the deploy tests use',
    ]);
  });
});
