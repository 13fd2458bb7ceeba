/**
 * Builds every overlay and every combination of components with `kubectl kustomize` and
 * checks the output against the rules a Sightline deployment must keep (probes, resources,
 * non-root, shutdown timing, ports, selectors, and what each component adds).
 *
 * Schema validation: kubectl has no offline schema validation and no schema bundle can be
 * downloaded here, so `checkStructure` is a lightweight structural check (apiVersion per
 * kind, DNS names, unique objects, references that resolve) rather than a full OpenAPI
 * validation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Container,
  type DeploymentSpec,
  envValue,
  labelsOf,
  type PodTemplate,
  type Probe,
  type ServiceSpec,
  selects,
  specOf,
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
import { deployPath } from './helpers/paths.js';
import { modelServerPorts, shutdownDefaultsMs } from './helpers/source-facts.js';

/** Default ports from DESIGN.md ("Ports and start commands"); only deployed services are listed. */
const DESIGN_PORTS: Readonly<Record<string, { grpc: number; http: number }>> = {
  router: { grpc: 8000, http: 9000 },
  'model-server': { grpc: 8001, http: 9001 },
  drift: { grpc: 8003, http: 9003 },
};

/**
 * Services that own state on a ReadWriteOnce volume: one replica, a Recreate rollout, a
 * mounted PersistentVolumeClaim and no HPA (SERVICE.md: "PVC when stateful; HPA when
 * stateless").
 */
const STATEFUL_SERVICES: ReadonlySet<string> = new Set(['drift']);

/** The services deploy/k8s/base must deploy: the ones that exist. */
const DEPLOYED_SERVICES = Object.keys(DESIGN_PORTS);

/** Shortest drain window worth having: endpoints and client balancers need about 5 s. */
const MIN_SHUTDOWN_DELAY_MS = 1_000;

/** apiVersion per kind, for the structural check. */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
  DestinationRule: 'networking.istio.io/v1',
  PeerAuthentication: 'security.istio.io/v1',
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isSightline(object: K8sObject): boolean {
  return labelsOf(object)['app.kubernetes.io/part-of'] === 'sightline';
}

function sightlineDeployments(objects: readonly K8sObject[]): K8sObject[] {
  return ofKind(objects, 'Deployment').filter(isSightline);
}

function podTemplate(deployment: K8sObject): PodTemplate {
  return specOf<DeploymentSpec>(deployment).template;
}

function mainContainer(deployment: K8sObject): Container {
  const container = podTemplate(deployment).spec.containers[0];
  if (!container) throw new Error(`Deployment ${deployment.metadata.name} has no container`);
  return container;
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
    if (o.kind === 'Service' || o.kind === 'Deployment') expect(o.metadata.name, where).toMatch(DNS_LABEL);
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

/** Rules for every Deployment, Sightline's own stricter. */
function checkDeployments(objects: readonly K8sObject[]): void {
  const defaults = shutdownDefaultsMs();
  for (const deployment of ofKind(objects, 'Deployment')) {
    const name = deployment.metadata.name;
    const template = podTemplate(deployment);
    const pod = template.spec;
    expect(
      selects(specOf<DeploymentSpec>(deployment).selector.matchLabels, template.metadata.labels ?? {}),
      name,
    ).toBe(true);
    const volumeNames = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap) named(objects, 'ConfigMap', volume.configMap.name);
      if (volume.persistentVolumeClaim)
        named(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
    }
    for (const container of pod.containers) {
      const where = `Deployment ${name} container ${container.name}`;
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
      const envNames = (container.env ?? []).map((e) => e.name);
      expect(new Set(envNames).size, `${where}: env names are unique (${envNames.join(', ')})`).toBe(
        envNames.length,
      );
    }

    if (!isSightline(deployment)) continue;
    const ports = DESIGN_PORTS[name];
    expect(ports, `Deployment ${name}: a service in DESIGN_PORTS`).toBeDefined();
    const container = mainContainer(deployment);
    const where = `Deployment ${name}`;
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
  for (const service of DEPLOYED_SERVICES) named(objects, 'Deployment', service);
}

/** Services select existing pods on existing ports; Sightline's have the named ports. */
function checkServices(objects: readonly K8sObject[]): void {
  const deployments = ofKind(objects, 'Deployment');
  for (const service of ofKind(objects, 'Service')) {
    const spec = specOf<ServiceSpec>(service);
    const where = `Service ${service.metadata.name}`;
    const targets = deployments.filter((d) => selects(spec.selector, podTemplate(d).metadata.labels ?? {}));
    expect(targets.length, `${where}: selects the pods of a Deployment`).toBeGreaterThan(0);
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

/** HPAs and PDBs point at what exists. */
function checkScaling(objects: readonly K8sObject[]): void {
  for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
    const spec = hpa.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { type: string; resource?: { name: string } }[];
    };
    named(objects, spec.scaleTargetRef.kind, spec.scaleTargetRef.name);
    expect(spec.minReplicas, `HPA ${hpa.metadata.name}`).toBeLessThanOrEqual(spec.maxReplicas);
    expect(
      spec.metrics.some((m) => m.resource?.name === 'cpu'),
      `HPA ${hpa.metadata.name}: scales on CPU`,
    ).toBe(true);
  }
  for (const pdb of ofKind(objects, 'PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(
      ofKind(objects, 'Deployment').some((d) => selects(selector, podTemplate(d).metadata.labels ?? {})),
      `PDB ${pdb.metadata.name} selects pods`,
    ).toBe(true);
  }
  for (const name of DEPLOYED_SERVICES) {
    named(objects, 'PodDisruptionBudget', name);
    if (!STATEFUL_SERVICES.has(name)) {
      named(objects, 'HorizontalPodAutoscaler', name);
      continue;
    }
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler').filter(
      (h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === name,
    );
    expect(hpas, `${name}: stateful, no HPA`).toEqual([]);
    const deployment = named(objects, 'Deployment', name);
    const spec = specOf<DeploymentSpec>(deployment) as DeploymentSpec & {
      replicas?: number;
      strategy?: { type?: string };
    };
    expect(spec.replicas, `${name}: one replica owns the volume`).toBe(1);
    expect(spec.strategy?.type, `${name}: Recreate rollout`).toBe('Recreate');
    const claims = (podTemplate(deployment).spec.volumes ?? []).filter((v) => v.persistentVolumeClaim);
    expect(claims.length, `${name}: a PersistentVolumeClaim`).toBeGreaterThan(0);
  }
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
  const modelServer = named(objects, 'Deployment', 'model-server');
  const msPod = podTemplate(modelServer).spec;
  const msContainer = mainContainer(modelServer);

  // gpu
  const gpuLimit = msContainer.resources?.limits?.['nvidia.com/gpu'];
  if (has('gpu')) {
    expect(quantity(gpuLimit), 'gpu: model-server limits nvidia.com/gpu').toBe(1);
    expect(msPod.nodeSelector?.['nvidia.com/gpu.present'], 'gpu: nodeSelector').toBe('true');
    expect(
      msPod.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'),
      'gpu: toleration for nvidia.com/gpu NoSchedule',
    ).toBe(true);
    expect(envValue(msContainer, 'SIGHTLINE_DEVICE'), 'gpu: SIGHTLINE_DEVICE').toBe('gpu');
    expect(msContainer.image, 'gpu: the GPU image').toMatch(/sightline-gpu/);
  } else {
    expect(gpuLimit, 'no gpu component: no GPU limit').toBeUndefined();
    expect(envValue(msContainer, 'SIGHTLINE_DEVICE'), 'no gpu component: SIGHTLINE_DEVICE').toBe('cpu');
    expect(msContainer.image).not.toMatch(/sightline-gpu/);
  }
  for (const d of sightlineDeployments(objects).filter((d) => d !== modelServer)) {
    expect(
      mainContainer(d).resources?.limits?.['nvidia.com/gpu'],
      `${d.metadata.name}: no GPU`,
    ).toBeUndefined();
  }

  // meshes
  const router = mainContainer(named(objects, 'Deployment', 'router'));
  for (const d of sightlineDeployments(objects)) {
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
  for (const d of sightlineDeployments(objects)) {
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
  checkDeployments(objects);
  checkServices(objects);
  checkScaling(objects);
  checkRouterGraphs(objects);
  checkComponents(objects, components);
}

describe('ports', () => {
  it("DESIGN_PORTS agrees with the model-server's defaults", () => {
    expect(DESIGN_PORTS['model-server']).toEqual(modelServerPorts());
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
    checkAll(objects, []);
    for (const d of sightlineDeployments(objects)) {
      expect(d.metadata.namespace).toBe('sightline');
      expect(specOf<DeploymentSpec>(d).replicas, d.metadata.name).toBe(1);
      expect(mainContainer(d).image).toBe('sightline:dev');
    }
    // Only the stateful services' ReadWriteOnce claims (a laptop cluster's default storage
    // class serves them); the model repository comes from a hostPath.
    expect(ofKind(objects, 'PersistentVolumeClaim').map((c) => c.metadata.name)).toEqual(['drift-data']);
    const models = podTemplate(named(objects, 'Deployment', 'model-server')).spec.volumes?.find(
      (v) => v.name === 'models',
    );
    expect(models?.hostPath).toBeDefined();
    expect(models?.persistentVolumeClaim).toBeUndefined();
  });

  it('production: replicated, disruption-budgeted, on GPUs, meshed, monitored and traced', () => {
    const objects = buildKustomization('k8s/overlays/production');
    checkAll(objects, ['gpu', 'istio', 'prometheus-operator', 'otel']);
    for (const d of sightlineDeployments(objects)) {
      const name = d.metadata.name;
      expect(d.metadata.namespace).toBe('sightline');
      if (STATEFUL_SERVICES.has(name)) {
        // One pod owns its volume (checked in checkScaling); still disruption-budgeted.
        expect(specOf<DeploymentSpec>(d).replicas, name).toBe(1);
        const pdb = named(objects, 'PodDisruptionBudget', name).spec as { maxUnavailable?: number };
        expect(pdb.maxUnavailable, `${name}: PDB`).toBe(1);
        continue;
      }
      expect(specOf<DeploymentSpec>(d).replicas, name).toBeGreaterThanOrEqual(2);
      const hpa = named(objects, 'HorizontalPodAutoscaler', name).spec as { minReplicas: number };
      expect(hpa.minReplicas, `${name}: HPA floor`).toBeGreaterThanOrEqual(2);
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
