/**
 * Builds kustomizations with `kubectl kustomize` (offline) and parses the output into plain
 * objects, including ad-hoc combinations of the base with any set of components.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KUBECTL, runToolOk } from './external-tool.js';
import { deployPath } from './paths.js';

/** A Kubernetes object as parsed from YAML; fields are read through the helpers below. */
export type K8sObject = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
};

/**
 * The components under deploy/k8s/components. The first five are tested in every
 * combination; the later ones (eventing, history, network policies, the metrics store) alone
 * and with production-like sets (see componentCombinations).
 */
export const CORE_COMPONENTS = ['gpu', 'istio', 'linkerd', 'prometheus-operator', 'otel'] as const;
export const ADDON_COMPONENTS = [
  'knative',
  'knative-kafka',
  'elasticsearch',
  'network-policies',
  'metrics-postgres',
] as const;
export const COMPONENTS = [...CORE_COMPONENTS, ...ADDON_COMPONENTS] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** The overlays under deploy/k8s/overlays. */
export const OVERLAYS = ['local', 'production'] as const;

/**
 * Components that must not be combined: two meshes; NetworkPolicies under a mesh (they do
 * not allow the sidecars' control-plane traffic).
 */
export const EXCLUSIVE_COMPONENTS: readonly (readonly ComponentName[])[] = [
  ['istio', 'linkerd'],
  ['network-policies', 'istio'],
  ['network-policies', 'linkerd'],
];

/** Components that only make sense on top of another (a Broker class needs the Broker). */
export const REQUIRED_COMPONENTS: Readonly<Partial<Record<ComponentName, readonly ComponentName[]>>> = {
  'knative-kafka': ['knative'],
};

/** Whether a set of components may be used together. */
export function isValidCombination(combo: readonly ComponentName[]): boolean {
  if (EXCLUSIVE_COMPONENTS.some((pair) => pair.every((c) => combo.includes(c)))) return false;
  return combo.every((c) => (REQUIRED_COMPONENTS[c] ?? []).every((r) => combo.includes(r)));
}

/**
 * The combinations the tests build: every valid subset of the core components; each add-on
 * alone (with what it requires); and every add-on together on top of production-like sets
 * (Istio, Linkerd, no mesh), dropping the ones a set excludes. 2^10 builds would take minutes.
 */
export function componentCombinations(): ComponentName[][] {
  const combos: ComponentName[][] = [];
  const add = (combo: readonly ComponentName[]) => {
    const ordered = COMPONENTS.filter((c) => combo.includes(c));
    if (!isValidCombination(ordered)) return;
    if (combos.some((c) => c.join() === ordered.join())) return;
    combos.push(ordered);
  };
  for (let mask = 0; mask < 1 << CORE_COMPONENTS.length; mask++) {
    add(CORE_COMPONENTS.filter((_, i) => mask & (1 << i)));
  }
  for (const addon of ADDON_COMPONENTS) add([...(REQUIRED_COMPONENTS[addon] ?? []), addon]);
  const bases: ComponentName[][] = [
    ['gpu', 'istio', 'prometheus-operator', 'otel'],
    ['gpu', 'linkerd', 'prometheus-operator', 'otel'],
    ['gpu', 'prometheus-operator', 'otel'],
    [],
  ];
  for (const base of bases) {
    add([
      ...base,
      ...ADDON_COMPONENTS.filter((a) => isValidCombination([...base, a, ...(REQUIRED_COMPONENTS[a] ?? [])])),
    ]);
    add([...base, 'knative']);
  }
  return combos;
}

/** Parses multi-document YAML; a document with errors throws with them. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as unknown;
    return value === null ? [] : [value as K8sObject];
  });
}

/** `kubectl kustomize <dir>` parsed. `dir` is relative to deploy/ or absolute. */
export function buildKustomization(dir: string): K8sObject[] {
  return parseManifests(runToolOk(KUBECTL, ['kustomize', path.resolve(deployPath(), dir)]));
}

/**
 * Builds the base with `components` in a temporary kustomization. kustomize refuses
 * absolute resource paths, so the temporary file refers to the base relatively.
 */
export function buildBaseWith(components: readonly ComponentName[]): K8sObject[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-kustomize-'));
  try {
    const rel = (p: string) => path.relative(dir, deployPath('k8s', p));
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'sightline-test',
      resources: [rel('base')],
      components: components.map((c) => rel(path.join('components', c))),
    };
    writeFileSync(path.join(dir, 'kustomization.yaml'), JSON.stringify(kustomization));
    return buildKustomization(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Objects of one kind. */
export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The object of `kind` named `name`; throws when absent. */
export function named(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named "${name}" in the build`);
  return found;
}
