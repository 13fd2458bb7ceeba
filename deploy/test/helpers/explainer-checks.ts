/**
 * What the explainer's manifests must keep, in every combination of components: settings its
 * schema accepts, the in-cluster model-server and router reached on their gRPC ports, the
 * model-server's own repository read-only, nothing kept on a volume (jobs and cache live in
 * memory), each client kept on one pod (jobs are known only to the pod that took them), and
 * its ExplanationEvents sent where the drift and outlier services send theirs.
 */
import { explainerConfigSchema } from '@sightline/explainer/config';
import { expect } from 'vitest';
import {
  type Container,
  envValue,
  labelsOf,
  podTemplateOf,
  type ServiceSpec,
  selects,
  specOf,
  type Volume,
} from './k8s-shapes.js';
import { type ComponentName, type K8sObject, named, ofKind } from './kustomize.js';

/** The deployed services that answer the V2 ModelInfer an explanation calls. */
const V2_SERVERS = ['model-server', 'router'];

type ExplainerSettings = ReturnType<typeof explainerConfigSchema.parse>;

function firstContainer(workload: K8sObject): Container {
  const container = podTemplateOf(workload).spec.containers[0];
  if (!container) throw new Error(`${workload.kind} ${workload.metadata.name} has no container`);
  return container;
}

/** `fooBar` -> `SIGHTLINE_FOO_BAR`, as libs/service-kit's toEnvName. */
function envNameOf(key: string): string {
  return `SIGHTLINE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * The explainer's settings as the service would resolve them from the container's literal
 * `SIGHTLINE_*` values (values from Secrets or fields are left to their defaults), with every
 * problem the schema finds.
 */
export function explainerSettings(container: Container): {
  settings?: ExplainerSettings;
  problems: string[];
} {
  const input: Record<string, string> = {};
  for (const key of Object.keys(explainerConfigSchema.shape)) {
    const value = envValue(container, envNameOf(key));
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = explainerConfigSchema.safeParse(input);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.map((i) => `${envNameOf(String(i.path[0] ?? ''))}: ${i.message}`),
  };
}

/**
 * `address` (host:port, no scheme) must be the ClusterIP Service `service` on its grpc port,
 * and that Service must select the pods of the Deployment or StatefulSet named `service`.
 */
function expectGrpcPortOf(
  objects: readonly K8sObject[],
  address: string | undefined,
  service: string,
  where: string,
): void {
  const target = /^([^:/]+):(\d+)$/.exec(address ?? '');
  expect(target, `${where}: ${address} is host:port`).not.toBeNull();
  expect(target?.[1], `${where}: the ${service} ClusterIP Service`).toBe(service);
  const spec = specOf<ServiceSpec>(named(objects, 'Service', service));
  expect(spec.clusterIP, `${where}: ${service} is not headless`).not.toBe('None');
  const port = spec.ports.find((p) => p.port === Number(target?.[2]));
  expect(port?.name, `${where}: ${address} is the ${service} Service's grpc port`).toBe('grpc');
  const workload = objects.find(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === service,
  );
  expect(workload, `${where}: a workload ${service}`).toBeDefined();
  if (workload) {
    expect(
      selects(spec.selector, podTemplateOf(workload).metadata.labels ?? {}),
      `${where}: Service ${service} selects the ${service} pods`,
    ).toBe(true);
  }
}

/** The volume mounted at `path` in `workload`'s first container, with the mount. */
function volumeAt(workload: K8sObject, path: string | undefined) {
  const mount = firstContainer(workload).volumeMounts?.find((m) => m.mountPath === path);
  const volume = podTemplateOf(workload).spec.volumes?.find((v) => v.name === mount?.name);
  return { mount, volume };
}

/** A volume's source without its name, for comparing two pods' volumes. */
function sourceOf(volume: Volume | undefined): Record<string, unknown> | undefined {
  if (!volume) return undefined;
  const { name: _name, ...source } = volume;
  return source;
}

/** Settings: accepted by the schema; upstreams the in-cluster Services; not an open proxy. */
function checkSettings(objects: readonly K8sObject[], explainer: Container): ExplainerSettings {
  const { settings, problems } = explainerSettings(explainer);
  expect(problems, 'explainer: its settings schema accepts the container env').toEqual([]);
  if (!settings) throw new Error('explainer: settings rejected');
  expectGrpcPortOf(objects, envValue(explainer, 'SIGHTLINE_MODEL_SERVER'), 'model-server', 'explainer');
  expectGrpcPortOf(objects, envValue(explainer, 'SIGHTLINE_ROUTER'), 'router', 'explainer');
  // Empty would let a request name any address the pod can reach.
  const allowed = settings.allowedTargets
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  expect(allowed.length, 'explainer: SIGHTLINE_ALLOWED_TARGETS set (empty allows any)').toBeGreaterThan(0);
  // Only the V2 servers deployed here (the model-server and the router serve ModelInfer).
  for (const address of allowed) {
    const host = /^([^:/]+):\d+$/.exec(address)?.[1] ?? '';
    expect(V2_SERVERS, `explainer: allowed target ${address} is a V2 server`).toContain(host);
    expectGrpcPortOf(objects, address, host, `explainer: allowed target ${address}`);
  }
  return settings;
}

/**
 * Integrated Gradients reads the model-server's own repository, read-only; nothing else is
 * on a volume that outlives the pod (jobs and cache live in memory).
 */
function checkRepository(objects: readonly K8sObject[], explainerWorkload: K8sObject): void {
  const explainer = firstContainer(explainerWorkload);
  const modelServer = named(objects, 'Deployment', 'model-server');
  const repository = envValue(explainer, 'SIGHTLINE_REPOSITORY');
  expect(repository, 'explainer: SIGHTLINE_REPOSITORY').toBeDefined();
  const own = volumeAt(explainerWorkload, repository);
  const served = volumeAt(modelServer, envValue(firstContainer(modelServer), 'SIGHTLINE_REPOSITORY'));
  expect(own.volume, `explainer: a volume at ${repository}`).toBeDefined();
  expect(own.mount?.readOnly, `explainer: ${repository} mounted read-only`).toBe(true);
  expect(sourceOf(own.volume), "explainer: the model-server's repository volume").toEqual(
    sourceOf(served.volume),
  );
  if (own.volume?.persistentVolumeClaim) {
    expect(own.volume.persistentVolumeClaim.readOnly, 'explainer: the claim read-only').toBe(true);
  }
  for (const mount of explainer.volumeMounts ?? []) {
    const volume = podTemplateOf(explainerWorkload).spec.volumes?.find((v) => v.name === mount.name);
    expect(
      mount.readOnly === true || volume?.emptyDir !== undefined,
      `explainer: ${mount.mountPath} is read-only or an emptyDir (the explainer keeps no state)`,
    ).toBe(true);
  }
}

/** Every call of a client reaches one pod: the Service's affinity, or the mesh's own balancer. */
function checkClientStaysOnOnePod(
  objects: readonly K8sObject[],
  components: readonly ComponentName[],
  settings: ExplainerSettings,
): void {
  const service = named(objects, 'Service', 'explainer');
  const spec = specOf<ServiceSpec>(service);
  // A job is found for its whole life: its budget, then its time-to-live.
  const jobLifeSeconds = (settings.defaultJobBudgetMs + settings.jobTtlMs) / 1000;
  expect(spec.sessionAffinity, 'explainer Service: ClientIP affinity').toBe('ClientIP');
  expect(
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds,
    `explainer Service: affinity outlasts a job (${jobLifeSeconds} s)`,
  ).toBeGreaterThanOrEqual(jobLifeSeconds);

  const rule = ofKind(objects, 'DestinationRule').find((r) => r.metadata.name === 'explainer');
  const policy = (rule?.spec as { trafficPolicy?: { loadBalancer?: Record<string, unknown> } } | undefined)
    ?.trafficPolicy?.loadBalancer;
  if (components.includes('istio')) {
    expect(policy?.consistentHash, 'istio: the explainer balanced by a consistent hash').toEqual({
      useSourceIp: true,
    });
  } else {
    expect(rule, 'no istio: no DestinationRule for the explainer').toBeUndefined();
  }

  const grpcPort = String(spec.ports.find((p) => p.name === 'grpc')?.port);
  const explainerPods = podTemplateOf(named(objects, 'Deployment', 'explainer')).metadata.annotations ?? {};
  const serviceAnnotations = (service.metadata.annotations as Record<string, string> | undefined) ?? {};
  for (const [where, annotations] of [
    ['pods', explainerPods],
    ['Service', serviceAnnotations],
  ] as const) {
    expect(
      annotations['config.linkerd.io/opaque-ports'],
      `explainer ${where}: linkerd carries the gRPC port per connection`,
    ).toBe(components.includes('linkerd') ? grpcPort : undefined);
  }
}

/**
 * ExplanationEvents go where the drift and outlier services send their own events (a broker
 * that an overlay names for all three), so an overlay cannot set two and forget the third.
 */
function checkEventsSink(objects: readonly K8sObject[], explainer: Container): void {
  const sink = envValue(explainer, 'SIGHTLINE_EVENTS_SINK');
  const drift = envValue(
    firstContainer(named(objects, 'StatefulSet', 'drift')),
    'SIGHTLINE_DRIFT_EVENT_SINK_URL',
  );
  const outlier = envValue(
    firstContainer(named(objects, 'StatefulSet', 'outlier')),
    'SIGHTLINE_OUTLIER_EVENT_SINK_URL',
  );
  expect(sink, "explainer: SIGHTLINE_EVENTS_SINK as the drift service's event sink").toBe(drift);
  expect(sink, "explainer: SIGHTLINE_EVENTS_SINK as the outlier service's event sink").toBe(outlier);
}

/** Every rule above, for one build of the manifests. */
export function checkExplainer(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  const workload = named(objects, 'Deployment', 'explainer');
  expect(labelsOf(workload)['app.kubernetes.io/name'], 'explainer: labelled').toBe('explainer');
  const explainer = firstContainer(workload);
  const settings = checkSettings(objects, explainer);
  checkRepository(objects, workload);
  checkClientStaysOnOnePod(objects, components, settings);
  checkEventsSink(objects, explainer);
}
