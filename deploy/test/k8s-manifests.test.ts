/**
 * Builds every overlay and every combination of components with `kubectl kustomize` and
 * checks the output against the rules a Sightline deployment must keep (probes, resources,
 * non-root, shutdown timing, ports, selectors, settings, and what each component adds).
 * Stateless services run as Deployments with an HPA; stateful ones (drift, outlier) as
 * StatefulSets with a claim per replica for their data directory and no HPA. Every rule
 * about pods applies to both ("workloads"). The explainer's own rules are in
 * helpers/explainer-checks.ts.
 *
 * Schema validation: kubectl has no offline schema validation and no schema bundle can be
 * downloaded here, so `checkStructure` is a lightweight structural check (apiVersion per
 * kind, DNS names, unique objects, references that resolve) rather than a full OpenAPI
 * validation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEventing } from './helpers/eventing-checks.js';
import { checkExplainer } from './helpers/explainer-checks.js';
import {
  type Container,
  type EnvVar,
  envValue,
  isWorkload,
  labelsOf,
  type Probe,
  podTemplateOf as podTemplate,
  type ServiceSpec,
  type StatefulSetSpec,
  selects,
  specOf,
  unresolvedReferences,
  type WorkloadKind,
  type WorkloadSpec,
} from './helpers/k8s-shapes.js';
import {
  buildBaseWith,
  buildKustomization,
  type ComponentName,
  componentCombinations,
  type K8sObject,
  named,
  ofKind,
} from './helpers/kustomize.js';
import { checkNetworkPolicies } from './helpers/network-policy-checks.js';
import { deployPath } from './helpers/paths.js';
import { servicePorts, settingVariables, shutdownDefaultsMs } from './helpers/source-facts.js';

/** Default ports from DESIGN.md ("Ports and start commands"); only deployed services are listed. */
const DESIGN_PORTS: Readonly<Record<string, { grpc: number; http: number }>> = {
  router: { grpc: 8000, http: 9000 },
  'model-server': { grpc: 8001, http: 9001 },
  outlier: { grpc: 8002, http: 9002 },
  drift: { grpc: 8003, http: 9003 },
  metrics: { grpc: 8004, http: 9004 },
  explainer: { grpc: 8005, http: 9005 },
};

/** The services deploy/k8s/base must deploy: the ones that exist. */
const DEPLOYED_SERVICES = Object.keys(DESIGN_PORTS);

/**
 * Services that keep state in their data directory (fitted detectors, open windows, logs):
 * a StatefulSet with a volume per replica, one replica unless partitioned, no HPA.
 */
const STATEFUL_SERVICES: ReadonlySet<string> = new Set(['drift', 'outlier', 'metrics']);

/**
 * Services the gpu component puts on GPU nodes: the model-server, the outlier service for
 * autoencoder training and the explainer for Integrated Gradients (TF.js gradients).
 */
const GPU_SERVICES: ReadonlySet<string> = new Set(['model-server', 'outlier', 'explainer']);

/** `--graphs` -> `SIGHTLINE_GRAPHS`: the variable of the same setting. */
function flagVariable(flag: string): string {
  return `SIGHTLINE_${flag.replace(/^--/, '').replaceAll('-', '_').toUpperCase()}`;
}

/** The workload kind a service runs as. */
function workloadKind(service: string): WorkloadKind {
  return STATEFUL_SERVICES.has(service) ? 'StatefulSet' : 'Deployment';
}

/** The Secret the router indexes events through and the drift service reads history from. */
const ELASTICSEARCH_SECRET = { name: 'sightline-elasticsearch', key: 'url' } as const;

/** The Secret the metrics service reads its shared PostgreSQL store's URL from (SQLite without it). */
const METRICS_POSTGRES_SECRET = { name: 'sightline-metrics-postgres', key: 'url' } as const;

/** Shortest drain window worth having: endpoints and client balancers need about 5 s. */
const MIN_SHUTDOWN_DELAY_MS = 1_000;

/** apiVersion per kind, for the structural check. */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
  DestinationRule: 'networking.istio.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Broker: 'eventing.knative.dev/v1',
  Trigger: 'eventing.knative.dev/v1',
  PeerAuthentication: 'security.istio.io/v1',
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isSightline(object: K8sObject): boolean {
  return labelsOf(object)['app.kubernetes.io/part-of'] === 'sightline';
}

/** Every Deployment and StatefulSet. */
function workloads(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter(isWorkload);
}

function sightlineWorkloads(objects: readonly K8sObject[]): K8sObject[] {
  return workloads(objects).filter(isSightline);
}

/** The workload that runs `service`, of the kind it must be. */
function workloadOf(objects: readonly K8sObject[], service: string): K8sObject {
  return named(objects, workloadKind(service), service);
}

function mainContainer(workload: K8sObject): Container {
  const container = podTemplate(workload).spec.containers[0];
  if (!container) throw new Error(`${workload.kind} ${workload.metadata.name} has no container`);
  return container;
}

/**
 * Whether an env var comes from `secret`, optional (the pod starts without it) or required
 * (the component that needs it makes it so: the pod does not start without it).
 */
function fromSecret(
  env: EnvVar | undefined,
  secret: { name: string; key: string },
  optional: boolean,
): boolean {
  const ref = env?.valueFrom?.secretKeyRef;
  return ref?.name === secret.name && ref.key === secret.key && (ref.optional ?? false) === optional;
}

function portNumber(container: Container, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function quantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return Number(value);
}

/** Rules every object must keep, whatever the combination. */
function checkStructure(objects: readonly K8sObject[]): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata?.name}`;
    expect(o.apiVersion, `${where}: apiVersion`).toBeTypeOf('string');
    expect(o.metadata?.name, `${where}: metadata.name`).toMatch(DNS_SUBDOMAIN);
    const expected = API_VERSIONS[o.kind];
    expect(expected, `${where}: a kind this check knows (add it to API_VERSIONS)`).toBeDefined();
    expect(o.apiVersion, `${where}: apiVersion`).toBe(expected);
    if (o.kind === 'Service' || isWorkload(o)) expect(o.metadata.name, where).toMatch(DNS_LABEL);
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(seen.has(key), `${key} appears twice`).toBe(false);
    seen.add(key);
  }
}

function checkProbe(
  where: string,
  container: Container,
  probe: Probe | undefined,
  path: string,
  port: number,
) {
  expect(probe, `${where}: probe`).toBeDefined();
  expect(probe?.httpGet?.path, `${where}: path`).toBe(path);
  expect(portNumber(container, probe?.httpGet?.port ?? -1), `${where}: on the http port`).toBe(port);
}

/** Rules for every Deployment and StatefulSet, Sightline's own stricter. */
function checkWorkloads(objects: readonly K8sObject[]): void {
  const defaults = shutdownDefaultsMs();
  for (const workload of workloads(objects)) {
    const name = workload.metadata.name;
    const template = podTemplate(workload);
    const pod = template.spec;
    expect(
      selects(specOf<WorkloadSpec>(workload).selector.matchLabels, template.metadata.labels ?? {}),
      `${workload.kind} ${name}`,
    ).toBe(true);
    // A StatefulSet's claim templates are volumes of its pods too (one claim per replica).
    const claimTemplates =
      workload.kind === 'StatefulSet' ? (specOf<StatefulSetSpec>(workload).volumeClaimTemplates ?? []) : [];
    const volumeNames = new Set([
      ...(pod.volumes ?? []).map((v) => v.name),
      ...claimTemplates.map((c) => c.metadata.name),
    ]);
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap) named(objects, 'ConfigMap', volume.configMap.name);
      if (volume.persistentVolumeClaim)
        named(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
    }
    for (const container of pod.containers) {
      const where = `${workload.kind} ${name} container ${container.name}`;
      expect(container.readinessProbe, `${where}: readinessProbe`).toBeDefined();
      expect(container.livenessProbe, `${where}: livenessProbe`).toBeDefined();
      for (const key of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          expect(
            container.resources?.[key]?.[resource],
            `${where}: resources.${key}.${resource}`,
          ).toBeDefined();
        }
      }
      const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      expect(nonRoot, `${where}: runAsNonRoot`).toBe(true);
      expect(user, `${where}: runAsUser`).toBeGreaterThan(0);
      expect(container.securityContext?.readOnlyRootFilesystem, `${where}: readOnlyRootFilesystem`).toBe(
        true,
      );
      expect(container.securityContext?.allowPrivilegeEscalation, `${where}: allowPrivilegeEscalation`).toBe(
        false,
      );
      for (const mount of container.volumeMounts ?? []) {
        expect(volumeNames.has(mount.name), `${where}: volumeMount ${mount.name} has a volume`).toBe(true);
      }
      expect(unresolvedReferences(container), `${where}: $(VAR) references`).toEqual([]);
      const envNames = (container.env ?? []).map((e) => e.name);
      expect(new Set(envNames).size, `${where}: env names are unique (${envNames.join(', ')})`).toBe(
        envNames.length,
      );
    }

    if (!isSightline(workload)) continue;
    const ports = DESIGN_PORTS[name];
    const where = `${workload.kind} ${name}`;
    expect(ports, `${where}: a service in DESIGN_PORTS`).toBeDefined();
    expect(workload.kind, `${where}: stateful services are StatefulSets, stateless ones Deployments`).toBe(
      workloadKind(name),
    );
    const container = mainContainer(workload);
    expect(container.args?.slice(0, 2), `${where}: runs \`sightline serve ${name}\``).toEqual([
      'serve',
      name,
    ]);
    expect(
      container.ports?.map((p) => [p.name, p.containerPort]),
      `${where}: ports`,
    ).toEqual([
      ['grpc', ports!.grpc],
      ['http', ports!.http],
    ]);
    expect(envValue(container, 'SIGHTLINE_GRPC_PORT'), `${where}: SIGHTLINE_GRPC_PORT`).toBe(
      String(ports!.grpc),
    );
    expect(envValue(container, 'SIGHTLINE_HTTP_PORT'), `${where}: SIGHTLINE_HTTP_PORT`).toBe(
      String(ports!.http),
    );
    // A misspelt or renamed variable is ignored by the service, so the setting silently
    // falls back to its default: every SIGHTLINE_* variable must be one the service reads.
    const settings = settingVariables(name);
    for (const env of container.env ?? []) {
      if (!env.name.startsWith('SIGHTLINE_')) continue;
      expect(settings.has(env.name), `${where}: ${env.name} is a setting of services/${name}`).toBe(true);
    }
    // The same for flags given in args (after `serve <service>`).
    for (const arg of container.args?.slice(2) ?? []) {
      if (!arg.startsWith('--')) continue;
      const flag = arg.split('=')[0]!;
      expect(settings.has(flagVariable(flag)), `${where}: ${flag} is a setting of services/${name}`).toBe(
        true,
      );
    }
    checkProbe(`${where} readinessProbe`, container, container.readinessProbe, '/readyz', ports!.http);
    checkProbe(`${where} livenessProbe`, container, container.livenessProbe, '/healthz', ports!.http);
    checkProbe(`${where} startupProbe`, container, container.startupProbe, '/readyz', ports!.http);

    const graceMs = Number(envValue(container, 'SIGHTLINE_SHUTDOWN_GRACE_MS') ?? defaults.graceMs);
    const delayMs = Number(envValue(container, 'SIGHTLINE_SHUTDOWN_DELAY_MS') ?? defaults.delayMs);
    expect(
      delayMs,
      `${where}: SIGHTLINE_SHUTDOWN_DELAY_MS lets endpoints update before draining`,
    ).toBeGreaterThanOrEqual(MIN_SHUTDOWN_DELAY_MS);
    expect(pod.terminationGracePeriodSeconds, `${where}: terminationGracePeriodSeconds`).toBeGreaterThan(
      (graceMs + delayMs) / 1000,
    );
    const annotations = template.metadata.annotations ?? {};
    expect(annotations['prometheus.io/scrape'], `${where}: prometheus.io/scrape`).toBe('true');
    expect(annotations['prometheus.io/port'], `${where}: prometheus.io/port`).toBe(String(ports!.http));
    expect(annotations['prometheus.io/path'], `${where}: prometheus.io/path`).toBe('/metrics');
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(tmp, `${where}: a writable /tmp beside the read-only root`).toBeDefined();
    expect(
      pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir,
      `${where}: /tmp is an emptyDir`,
    ).toBeDefined();
  }
  for (const service of DEPLOYED_SERVICES) workloadOf(objects, service);
}

/**
 * Stateful services keep their data directory on a claim per replica that outlives the
 * pod, behind the headless Service that names each replica.
 */
function checkStatefulSets(objects: readonly K8sObject[]): void {
  for (const set of ofKind(objects, 'StatefulSet')) {
    const name = set.metadata.name;
    const spec = specOf<StatefulSetSpec>(set);
    const governing = specOf<ServiceSpec>(named(objects, 'Service', spec.serviceName));
    expect(governing.clusterIP, `StatefulSet ${name}: serviceName ${spec.serviceName} is headless`).toBe(
      'None',
    );
    expect(
      selects(governing.selector, podTemplate(set).metadata.labels ?? {}),
      `StatefulSet ${name}: ${spec.serviceName} selects its pods`,
    ).toBe(true);
    for (const claim of spec.volumeClaimTemplates ?? []) {
      const where = `StatefulSet ${name} claim ${claim.metadata.name}`;
      expect(claim.spec.accessModes, `${where}: accessModes`).toEqual(['ReadWriteOnce']);
      expect(claim.spec.resources?.requests?.storage, `${where}: a storage request`).toBeDefined();
    }
    if (!isSightline(set)) continue;
    const container = mainContainer(set);
    const dataDir = envValue(container, 'SIGHTLINE_DATA_DIR');
    if (dataDir === undefined) {
      // The metrics service on PostgreSQL keeps nothing on a volume.
      expect(name, `StatefulSet ${name}: only the metrics service runs without a data directory`).toBe(
        'metrics',
      );
      expect(
        spec.volumeClaimTemplates,
        `StatefulSet ${name}: no claims without a data directory`,
      ).toBeUndefined();
      continue;
    }
    const mount = container.volumeMounts?.find((m) => m.mountPath === dataDir);
    expect(
      spec.volumeClaimTemplates?.some((c) => c.metadata.name === mount?.name),
      `StatefulSet ${name}: SIGHTLINE_DATA_DIR (${dataDir}) is on a claim template`,
    ).toBe(true);
    expect(
      spec.persistentVolumeClaimRetentionPolicy,
      `StatefulSet ${name}: claims kept on scale-down and deletion`,
    ).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(
      podTemplate(set).spec.securityContext,
      `StatefulSet ${name}: the volume is writable for the pod's group`,
    ).toMatchObject({ fsGroup: expect.any(Number) });
  }
  for (const service of STATEFUL_SERVICES) {
    expect(
      specOf<StatefulSetSpec>(workloadOf(objects, service)).serviceName,
      `${service}: governed by its headless Service`,
    ).toBe(`${service}-headless`);
  }
}

/** Services select existing pods on existing ports; Sightline's have the named ports. */
function checkServices(objects: readonly K8sObject[]): void {
  const all = workloads(objects);
  for (const service of ofKind(objects, 'Service')) {
    const spec = specOf<ServiceSpec>(service);
    const where = `Service ${service.metadata.name}`;
    const targets = all.filter((w) => selects(spec.selector, podTemplate(w).metadata.labels ?? {}));
    expect(targets.length, `${where}: selects the pods of a Deployment or StatefulSet`).toBeGreaterThan(0);
    for (const port of spec.ports) {
      for (const target of targets) {
        const container = mainContainer(target);
        expect(
          portNumber(container, port.targetPort ?? port.port),
          `${where} port ${port.name}: targetPort exists on ${target.metadata.name}`,
        ).toBeDefined();
      }
    }
    if (!isSightline(service)) continue;
    const grpc = spec.ports.find((p) => p.name === 'grpc');
    expect(grpc?.appProtocol, `${where}: port grpc with appProtocol grpc`).toBe('grpc');
    if (spec.clusterIP !== 'None') {
      expect(spec.type ?? 'ClusterIP', where).toBe('ClusterIP');
      expect(
        spec.ports.map((p) => p.name),
        `${where}: named ports`,
      ).toEqual(['grpc', 'http']);
    }
  }
  for (const name of DEPLOYED_SERVICES) {
    const headless = specOf<ServiceSpec>(named(objects, 'Service', `${name}-headless`));
    expect(headless.clusterIP, `${name}-headless is headless`).toBe('None');
    named(objects, 'Service', name);
  }
}

/** HPAs and PDBs point at what exists; stateless services scale on an HPA, stateful ones do not. */
function checkScaling(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
    const spec = hpa.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { type: string; resource?: { name: string } }[];
    };
    named(objects, spec.scaleTargetRef.kind, spec.scaleTargetRef.name);
    expect(
      STATEFUL_SERVICES.has(spec.scaleTargetRef.name),
      `HPA ${hpa.metadata.name}: a stateful service is scaled by partitioning, not by an HPA`,
    ).toBe(false);
    expect(spec.minReplicas, `HPA ${hpa.metadata.name}`).toBeLessThanOrEqual(spec.maxReplicas);
    expect(
      spec.metrics.some((m) => m.resource?.name === 'cpu'),
      `HPA ${hpa.metadata.name}: scales on CPU`,
    ).toBe(true);
  }
  for (const pdb of ofKind(objects, 'PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(
      workloads(objects).some((w) => selects(selector, podTemplate(w).metadata.labels ?? {})),
      `PDB ${pdb.metadata.name} selects pods`,
    ).toBe(true);
  }
  for (const name of DEPLOYED_SERVICES) {
    if (!STATEFUL_SERVICES.has(name)) named(objects, 'HorizontalPodAutoscaler', name);
    named(objects, 'PodDisruptionBudget', name);
  }
  for (const name of STATEFUL_SERVICES) {
    // Several metrics replicas only share one PostgreSQL store (SQLite has one writer).
    const shared = name === 'metrics' && components.includes('metrics-postgres');
    const replicas = specOf<WorkloadSpec>(workloadOf(objects, name)).replicas;
    if (shared) expect(replicas, `${name}: replicas on PostgreSQL`).toBeGreaterThanOrEqual(2);
    else expect(replicas, `${name}: one replica in the base`).toBe(1);
  }
}

/**
 * The router reaches the drift service: detector nodes without an address call its gRPC
 * port, and both read event history through the same Elasticsearch Secret (optional, or
 * required with the elasticsearch component). Events: helpers/eventing-checks.ts.
 */
function checkRouterToDrift(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  const optional = !components.includes('elasticsearch');
  const router = mainContainer(workloadOf(objects, 'router'));
  const drift = mainContainer(workloadOf(objects, 'drift'));
  const address = envValue(router, 'SIGHTLINE_DRIFT_ADDRESS');
  const target = /^([^:/]+):(\d+)$/.exec(address ?? '');
  expect(target, `router: SIGHTLINE_DRIFT_ADDRESS ${address} is host:port`).not.toBeNull();
  const grpc = specOf<ServiceSpec>(named(objects, 'Service', target?.[1] ?? '')).ports.find(
    (p) => p.port === Number(target?.[2]),
  );
  expect(grpc?.name, `router: ${address} is the drift Service's grpc port`).toBe('grpc');
  expect(target?.[1], 'router: the drift ClusterIP Service, not a balanced headless name').toBe('drift');

  const routerEs = router.env?.find((e) => e.name === 'SIGHTLINE_EVENTS_ELASTICSEARCH_URL');
  const driftEs = drift.env?.find((e) => e.name === 'SIGHTLINE_ELASTICSEARCH_URL');
  expect(
    fromSecret(routerEs, ELASTICSEARCH_SECRET, optional),
    `router: Elasticsearch URL from the Secret (optional: ${optional})`,
  ).toBe(true);
  expect(
    fromSecret(driftEs, ELASTICSEARCH_SECRET, optional),
    `drift: Elasticsearch URL from the Secret (optional: ${optional})`,
  ).toBe(true);
}

/**
 * The router reaches the outlier service: detector nodes without an address call the
 * outlier ClusterIP Service's gRPC port (replicas hold different detectors: nothing to
 * balance over).
 */
function checkRouterToOutlier(objects: readonly K8sObject[]): void {
  const router = mainContainer(workloadOf(objects, 'router'));
  const address = envValue(router, 'SIGHTLINE_OUTLIER_ADDRESS');
  const target = /^([^:/]+):(\d+)$/.exec(address ?? '');
  expect(target, `router: SIGHTLINE_OUTLIER_ADDRESS ${address} is host:port`).not.toBeNull();
  expect(target?.[1], 'router: the outlier ClusterIP Service, not a balanced headless name').toBe('outlier');
  const grpc = specOf<ServiceSpec>(named(objects, 'Service', target?.[1] ?? '')).ports.find(
    (p) => p.port === Number(target?.[2]),
  );
  expect(grpc?.name, `router: ${address} is the outlier Service's grpc port`).toBe('grpc');
}

/**
 * The metrics service keeps SQLite on its claim and takes a PostgreSQL URL from an optional
 * Secret; with the metrics-postgres component the Secret is required and there is no claim.
 */
function checkMetricsStore(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  const postgres = components.includes('metrics-postgres');
  const set = workloadOf(objects, 'metrics');
  const metrics = mainContainer(set);
  expect(
    fromSecret(
      metrics.env?.find((e) => e.name === 'SIGHTLINE_POSTGRES_URL'),
      METRICS_POSTGRES_SECRET,
      !postgres,
    ),
    `metrics: PostgreSQL URL from the Secret (optional: ${!postgres})`,
  ).toBe(true);
  const claims = specOf<StatefulSetSpec>(set).volumeClaimTemplates ?? [];
  expect(claims.length, 'metrics: a claim for SQLite, none on PostgreSQL').toBe(postgres ? 0 : 1);
  expect(envValue(metrics, 'SIGHTLINE_DATA_DIR'), 'metrics: SQLite directory only without PostgreSQL').toBe(
    postgres ? undefined : '/var/lib/sightline/metrics',
  );
}

/** The router loads its graphs from the ConfigMap it mounts. */
function checkRouterGraphs(objects: readonly K8sObject[]): void {
  const router = named(objects, 'Deployment', 'router');
  const container = mainContainer(router);
  const flag = container.args?.indexOf('--graphs') ?? -1;
  expect(flag, 'router: --graphs flag').toBeGreaterThan(0);
  const dir = container.args?.[flag + 1];
  const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
  expect(mount, `router: a volume mounted at ${dir}`).toBeDefined();
  const volume = podTemplate(router).spec.volumes?.find((v) => v.name === mount?.name);
  const configMap = named(objects, 'ConfigMap', volume?.configMap?.name ?? '');
  expect(
    Object.keys((configMap.data as Record<string, string>) ?? {}).length,
    'router graphs',
  ).toBeGreaterThan(0);
}

/** What each component adds (or, when absent, must not be there). */
function checkComponents(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  const has = (c: ComponentName) => components.includes(c);
  // gpu: the model-server and the outlier service (autoencoder training) on GPU nodes
  for (const name of GPU_SERVICES) {
    const workload = workloadOf(objects, name);
    const pod = podTemplate(workload).spec;
    const container = mainContainer(workload);
    const gpuLimit = container.resources?.limits?.['nvidia.com/gpu'];
    if (has('gpu')) {
      expect(quantity(gpuLimit), `gpu: ${name} limits nvidia.com/gpu`).toBe(1);
      expect(pod.nodeSelector?.['nvidia.com/gpu.present'], `gpu: ${name} nodeSelector`).toBe('true');
      expect(
        pod.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'),
        `gpu: ${name} tolerates nvidia.com/gpu NoSchedule`,
      ).toBe(true);
      expect(container.image, `gpu: ${name} runs the GPU image`).toMatch(/sightline-gpu/);
    } else {
      expect(gpuLimit, `no gpu component: no GPU limit on ${name}`).toBeUndefined();
      expect(
        pod.nodeSelector?.['nvidia.com/gpu.present'],
        `no gpu component: ${name} anywhere`,
      ).toBeUndefined();
      expect(container.image).not.toMatch(/sightline-gpu/);
    }
  }
  // gpu, not auto: a pod without a usable GPU fails (model load, autoencoder training,
  // Integrated Gradients): every GPU service has the setting, set either way.
  for (const name of GPU_SERVICES) {
    expect(settingVariables(name).has('SIGHTLINE_DEVICE'), `${name}: has a device setting`).toBe(true);
    const device = envValue(mainContainer(workloadOf(objects, name)), 'SIGHTLINE_DEVICE');
    expect(device, `${name}: SIGHTLINE_DEVICE`).toBe(has('gpu') ? 'gpu' : 'cpu');
  }
  for (const d of sightlineWorkloads(objects).filter((d) => !GPU_SERVICES.has(d.metadata.name))) {
    expect(
      mainContainer(d).resources?.limits?.['nvidia.com/gpu'],
      `${d.metadata.name}: no GPU`,
    ).toBeUndefined();
  }

  // meshes
  const router = mainContainer(named(objects, 'Deployment', 'router'));
  for (const d of sightlineWorkloads(objects)) {
    const meta = podTemplate(d).metadata;
    expect(meta.labels?.['sidecar.istio.io/inject'], `${d.metadata.name}: istio injection`).toBe(
      has('istio') ? 'true' : undefined,
    );
    expect(meta.annotations?.['linkerd.io/inject'], `${d.metadata.name}: linkerd injection`).toBe(
      has('linkerd') ? 'enabled' : undefined,
    );
  }
  const destinationRules = ofKind(objects, 'DestinationRule');
  if (has('istio')) {
    const rule = named(objects, 'DestinationRule', 'model-server').spec as {
      host: string;
      trafficPolicy: { loadBalancer: { simple: string } };
    };
    expect(rule.trafficPolicy.loadBalancer.simple).toBe('LEAST_REQUEST');
    for (const dr of destinationRules) named(objects, 'Service', (dr.spec as { host: string }).host);
    const peer = ofKind(objects, 'PeerAuthentication');
    expect(peer.map((p) => (p.spec as { mtls: { mode: string } }).mtls.mode)).toEqual(['STRICT']);
  } else {
    expect(destinationRules).toEqual([]);
    expect(ofKind(objects, 'PeerAuthentication')).toEqual([]);
  }
  // Without a mesh the router balances per call over the headless Service; with one, the
  // proxy balances calls to the ClusterIP Service.
  for (const variable of ['MODEL_SERVER_ADDRESS', 'SIGHTLINE_DEFAULT_MODEL_SERVER']) {
    const address = envValue(router, variable);
    if (has('istio') || has('linkerd')) expect(address, variable).toBe('model-server:8001');
    else expect(address, variable).toBe('dns:///model-server-headless:8001');
    const host = /^(?:dns:\/\/\/)?([^:]+):(\d+)$/.exec(address ?? '');
    const target = specOf<ServiceSpec>(named(objects, 'Service', host?.[1] ?? ''));
    expect(
      target.ports.some((p) => p.port === Number(host?.[2])),
      `${address} is a port of the Service`,
    ).toBe(true);
  }
  // The router writes its event store under SIGHTLINE_DATA_DIR: it must be a mounted volume.
  const dataDir = envValue(router, 'SIGHTLINE_DATA_DIR');
  expect(
    router.volumeMounts?.some((m) => m.mountPath === dataDir),
    `router: a volume at ${dataDir}`,
  ).toBe(true);

  // prometheus-operator
  if (has('prometheus-operator')) {
    const monitor = named(objects, 'ServiceMonitor', 'sightline').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
    };
    const scraped = ofKind(objects, 'Service').filter((s) =>
      selects(monitor.selector.matchLabels, labelsOf(s)),
    );
    expect(scraped.map((s) => s.metadata.name).sort(), 'ServiceMonitor: each service once').toEqual(
      [...DEPLOYED_SERVICES].sort(),
    );
    for (const s of scraped) {
      for (const e of monitor.endpoints) {
        expect(specOf<ServiceSpec>(s).ports.some((p) => p.name === e.port)).toBe(true);
      }
    }
    named(objects, 'PrometheusRule', 'sightline');
  } else {
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
  }

  // otel
  for (const d of sightlineWorkloads(objects)) {
    const c = mainContainer(d);
    const endpoint = envValue(c, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    if (!has('otel')) {
      expect(endpoint, `${d.metadata.name}: no OTLP endpoint without the otel component`).toBeUndefined();
      continue;
    }
    const url = new URL(endpoint ?? 'invalid:');
    const collector = specOf<ServiceSpec>(named(objects, 'Service', url.hostname));
    expect(collector.ports.some((p) => p.port === Number(url.port))).toBe(true);
    expect(envValue(c, 'OTEL_SERVICE_NAME')).toBe(`sightline-${d.metadata.name}`);
    expect(envValue(c, 'OTEL_RESOURCE_ATTRIBUTES')).toMatch(/k8s\.pod\.name=\$\(POD_NAME\)/);
    const names = (c.env ?? []).map((e) => e.name);
    // $(VAR) only expands variables defined earlier in the list.
    expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
  }
  if (has('otel')) {
    const config = ofKind(objects, 'ConfigMap').find((m) =>
      m.metadata.name.startsWith('otel-collector-config'),
    );
    expect((config?.data as Record<string, string> | undefined)?.['collector.yaml']).toBe(
      readFileSync(deployPath('otel', 'collector.yaml'), 'utf8'),
    );
  }
}

function checkAll(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  checkStructure(objects);
  checkWorkloads(objects);
  checkStatefulSets(objects);
  checkServices(objects);
  checkScaling(objects, components);
  checkRouterGraphs(objects);
  checkRouterToDrift(objects, components);
  checkRouterToOutlier(objects);
  checkMetricsStore(objects, components);
  checkEventing(objects, components);
  checkNetworkPolicies(objects, components);
  checkExplainer(objects, components);
  checkComponents(objects, components);
}

describe('ports', () => {
  it.each(DEPLOYED_SERVICES)("DESIGN_PORTS agrees with %s's defaults in its config", (service) => {
    expect(DESIGN_PORTS[service]).toEqual(servicePorts(service));
  });
});

describe('settings', () => {
  it('the reader finds every service setting in the source (sanity check of the reader)', () => {
    expect(settingVariables('outlier').has('SIGHTLINE_EVENTS_DIR')).toBe(true);
    expect(settingVariables('router').has('SIGHTLINE_OUTLIER_ADDRESS')).toBe(true);
    const drift = settingVariables('drift');
    for (const name of ['SIGHTLINE_GRPC_PORT', 'SIGHTLINE_SHUTDOWN_DELAY_MS', 'SIGHTLINE_DATA_DIR']) {
      expect(drift.has(name), name).toBe(true);
    }
    expect(drift.has('SIGHTLINE_ELASTICSEARCH_URL')).toBe(true);
    expect(drift.has('SIGHTLINE_DRIFT_ADDRESS')).toBe(false);
    expect(settingVariables('router').has('SIGHTLINE_DRIFT_ADDRESS')).toBe(true);
    const explainer = settingVariables('explainer');
    for (const name of [
      'SIGHTLINE_MODEL_SERVER',
      'SIGHTLINE_ROUTER',
      'SIGHTLINE_REPOSITORY',
      'SIGHTLINE_EVENTS_SINK',
    ]) {
      expect(explainer.has(name), name).toBe(true);
    }
    expect(flagVariable('--graphs')).toBe('SIGHTLINE_GRAPHS');
    expect(settingVariables('router').has(flagVariable('--graphs'))).toBe(true);
  });
});

describe('base with every combination of components', () => {
  const combos = componentCombinations();
  it.each(combos.map((c) => [c.length === 0 ? '(none)' : c.join(' + '), c] as const))(
    '%s',
    (_, components) => {
      checkAll(buildBaseWith(components), components);
    },
  );
});

describe('overlays', () => {
  it('local: one CPU replica each, models from a hostPath, the locally built image', () => {
    const objects = buildKustomization('k8s/overlays/local');
    checkAll(objects, ['knative']);
    expect(
      sightlineWorkloads(objects)
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual([...DEPLOYED_SERVICES].sort());
    for (const d of sightlineWorkloads(objects)) {
      expect(d.metadata.namespace).toBe('sightline');
      expect(specOf<WorkloadSpec>(d).replicas, d.metadata.name).toBe(1);
      expect(mainContainer(d).image).toBe('sightline:dev');
      expect(mainContainer(d).imagePullPolicy, d.metadata.name).toBe('Never');
    }
    expect(ofKind(objects, 'PersistentVolumeClaim')).toEqual([]);
    const models = podTemplate(named(objects, 'Deployment', 'model-server')).spec.volumes?.find(
      (v) => v.name === 'models',
    );
    expect(models?.hostPath).toBeDefined();
    expect(models?.persistentVolumeClaim).toBeUndefined();
  });

  it('production: replicated, disruption-budgeted, on GPUs, meshed, monitored and traced', () => {
    const objects = buildKustomization('k8s/overlays/production');
    checkAll(objects, [
      'gpu',
      'istio',
      'prometheus-operator',
      'otel',
      'knative',
      'knative-kafka',
      'elasticsearch',
      'metrics-postgres',
    ]);
    expect(
      sightlineWorkloads(objects)
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual([...DEPLOYED_SERVICES].sort());
    for (const d of sightlineWorkloads(objects)) {
      const name = d.metadata.name;
      expect(d.metadata.namespace).toBe('sightline');
      if (STATEFUL_SERVICES.has(name) && name !== 'metrics') {
        // A live window must see every event of its stream: one replica per partition.
        expect(specOf<WorkloadSpec>(d).replicas, name).toBe(1);
      } else if (STATEFUL_SERVICES.has(name)) {
        // The metrics service on PostgreSQL: replicas share the store; no HPA (a StatefulSet).
        expect(specOf<WorkloadSpec>(d).replicas, name).toBeGreaterThanOrEqual(2);
      } else {
        expect(specOf<WorkloadSpec>(d).replicas, name).toBeGreaterThanOrEqual(2);
        const hpa = named(objects, 'HorizontalPodAutoscaler', name).spec as { minReplicas: number };
        expect(hpa.minReplicas, `${name}: HPA floor`).toBeGreaterThanOrEqual(2);
      }
      const pdb = named(objects, 'PodDisruptionBudget', name).spec as { maxUnavailable?: number };
      expect(pdb.maxUnavailable, `${name}: PDB`).toBe(1);
      expect(mainContainer(d).image).toMatch(/^ghcr\.io\/sightline\/sightline(-gpu)?:\d+\.\d+\.\d+$/);
    }
    const claim = named(objects, 'PersistentVolumeClaim', 'model-repository').spec as {
      accessModes: string[];
    };
    expect(claim.accessModes).toEqual(['ReadOnlyMany']);
  });
});
