/**
 * The network-policies component allows exactly the calls the manifests make. Calls inside
 * the namespace are derived from the addresses in each workload's env (host:port, dns:///,
 * URLs, comma-separated lists) resolved through the Services to pods and container ports;
 * each must be allowed on both ends, and every pod-to-pod rule must be one of them. Rules
 * that leave the namespace (DNS, Prometheus, Knative Eventing, Elasticsearch, PostgreSQL)
 * and rules open to any client are each matched against the setting or port that needs them.
 */
import { expect } from 'vitest';
import {
  type Container,
  envValue,
  isWorkload,
  labelsOf,
  podTemplateOf,
  type ServiceSpec,
  selects,
  specOf,
} from './k8s-shapes.js';
import { type ComponentName, type K8sObject, ofKind } from './kustomize.js';
import { acceptedEventTypes } from './source-facts.js';

/** The Sightline services, each with one NetworkPolicy of its own. */
const SERVICES = ['model-server', 'router', 'drift', 'outlier', 'metrics', 'explainer'];

/** Services whose gRPC port is an entry point for clients (predictions, explanations, feedback). */
const CLIENT_FACING: Readonly<Record<string, number>> = { router: 8000, explainer: 8005, metrics: 8004 };

/** Pods another component brings, which a rule may name before that component is used. */
const OPTIONAL_TARGETS: Readonly<Record<string, ComponentName>> = { 'otel-collector': 'otel' };

/** Env vars whose value is a Secret reference to a store outside the cluster, and the ports allowed for it. */
const EXTERNAL_STORES: readonly { variables: readonly string[]; ports: readonly number[] }[] = [
  { variables: ['SIGHTLINE_EVENTS_ELASTICSEARCH_URL', 'SIGHTLINE_ELASTICSEARCH_URL'], ports: [443, 9200] },
  { variables: ['SIGHTLINE_POSTGRES_URL'], ports: [5432] },
];

interface PolicyPort {
  readonly protocol?: string;
  readonly port: number;
}

interface Peer {
  readonly podSelector?: { readonly matchLabels?: Record<string, string> };
  readonly namespaceSelector?: { readonly matchLabels?: Record<string, string> };
  readonly ipBlock?: unknown;
}

interface Rule {
  readonly to?: readonly Peer[];
  readonly from?: readonly Peer[];
  readonly ports?: readonly PolicyPort[];
}

interface PolicySpec {
  readonly podSelector: { readonly matchLabels: Record<string, string> };
  readonly policyTypes: readonly string[];
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
}

function workloadsOf(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter(isWorkload);
}

function containerOf(workload: K8sObject): Container {
  const container = podTemplateOf(workload).spec.containers[0];
  if (!container) throw new Error(`${workload.metadata.name} has no container`);
  return container;
}

/** Names of the workloads whose pods `labels` select. */
function podsSelected(objects: readonly K8sObject[], labels: Record<string, string> | undefined): string[] {
  return workloadsOf(objects)
    .filter((w) => selects(labels, podTemplateOf(w).metadata.labels ?? {}))
    .map((w) => w.metadata.name);
}

/** `host:port` addresses in a setting's value: URLs, dns:/// targets and plain host:port, comma-separated. */
function addressesIn(value: string): { host: string; port: number }[] {
  const found: { host: string; port: number }[] = [];
  for (const entry of value.split(',')) {
    const match = /^(?:[a-z]+:\/\/\/?)?([a-z0-9.-]+):(\d+)(?:\/.*)?$/.exec(entry.trim());
    if (match) found.push({ host: match[1]!, port: Number(match[2]) });
  }
  return found;
}

/**
 * The workload and container port an in-namespace address reaches: `svc`, `svc.ns.svc...`,
 * or `pod.svc` (a StatefulSet pod through its headless Service). Undefined for other hosts.
 */
function resolve(
  objects: readonly K8sObject[],
  host: string,
  port: number,
): { workload: string; port: number } | undefined {
  const labels = host.split('.');
  for (const name of [labels[0], labels[1]]) {
    const service = ofKind(objects, 'Service').find((s) => s.metadata.name === name);
    if (!service) continue;
    const spec = specOf<ServiceSpec>(service);
    const servicePort = spec.ports.find((p) => p.port === port);
    if (!servicePort) continue;
    const workload = workloadsOf(objects).find((w) =>
      selects(spec.selector, podTemplateOf(w).metadata.labels ?? {}),
    );
    if (!workload) continue;
    const target = servicePort.targetPort ?? servicePort.port;
    const containerPort =
      typeof target === 'number'
        ? target
        : containerOf(workload).ports?.find((p) => p.name === target)?.containerPort;
    if (containerPort !== undefined) return { workload: workload.metadata.name, port: containerPort };
  }
  return undefined;
}

/** Calls inside the namespace that the Sightline workloads' settings make, as `from -> to:port`. */
function callsFromSettings(objects: readonly K8sObject[]): Set<string> {
  const calls = new Set<string>();
  for (const service of SERVICES) {
    const workload = workloadsOf(objects).find((w) => w.metadata.name === service);
    if (!workload) continue;
    const container = containerOf(workload);
    const values = [
      ...(container.env ?? []).map((e) => envValue(container, e.name) ?? ''),
      ...(container.args ?? []),
    ];
    for (const value of values) {
      for (const { host, port } of addressesIn(value)) {
        const target = resolve(objects, host, port);
        if (target) calls.add(`${service} -> ${target.workload}:${target.port}`);
      }
    }
  }
  return calls;
}

function isPodPeer(peer: Peer): boolean {
  return peer.podSelector !== undefined && peer.namespaceSelector === undefined && peer.ipBlock === undefined;
}

/** Where a rule was found, for messages. */
function describeRule(policy: string, direction: string, rule: Rule): string {
  return `NetworkPolicy ${policy} ${direction} ${JSON.stringify(rule)}`;
}

export function checkNetworkPolicies(
  objects: readonly K8sObject[],
  components: readonly ComponentName[],
): void {
  const policies = ofKind(objects, 'NetworkPolicy');
  if (!components.includes('network-policies')) {
    expect(policies, 'no NetworkPolicy without the network-policies component').toEqual([]);
    return;
  }
  const has = (c: ComponentName) => components.includes(c);
  const egressCalls = new Set<string>();
  const ingressCalls = new Set<string>();
  for (const service of SERVICES) {
    const own = policies.filter((p) =>
      podsSelected(objects, specOf<PolicySpec>(p).podSelector.matchLabels).includes(service),
    );
    expect(own.length, `${service}: exactly one NetworkPolicy selects its pods`).toBe(1);
    const policy = own[0]!;
    const name = policy.metadata.name;
    const spec = specOf<PolicySpec>(policy);
    expect(podsSelected(objects, spec.podSelector.matchLabels), `${name}: selects only ${service}`).toEqual([
      service,
    ]);
    expect([...spec.policyTypes].sort(), `${name}: default deny both ways`).toEqual(['Egress', 'Ingress']);
    const container = containerOf(workloadsOf(objects).find((w) => w.metadata.name === service)!);
    const httpPort = container.ports?.find((p) => p.name === 'http')?.containerPort;
    const envNames = new Set((container.env ?? []).map((e) => e.name));

    for (const rule of spec.egress ?? []) {
      const where = describeRule(name, 'egress', rule);
      const ports = (rule.ports ?? []).map((p) => p.port).sort((a, b) => a - b);
      const peers = rule.to ?? [];
      if (peers.length > 0 && peers.every(isPodPeer)) {
        for (const peer of peers) {
          const targets = podsSelected(objects, peer.podSelector?.matchLabels);
          const label = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '';
          if (targets.length === 0) {
            const component = OPTIONAL_TARGETS[label];
            expect(component, `${where}: names pods that exist or that a component brings`).toBeDefined();
            expect(has(component!), `${where}: ${label} is absent only without ${component}`).toBe(false);
          }
          for (const target of targets)
            for (const port of ports) egressCalls.add(`${service} -> ${target}:${port}`);
        }
        continue;
      }
      const namespace = peers[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
      if (namespace === 'kube-system') {
        expect(peers[0]?.podSelector?.matchLabels, `${where}: kube-dns`).toEqual({ 'k8s-app': 'kube-dns' });
        expect(ports, `${where}: DNS`).toEqual([53, 53]);
      } else if (namespace === 'knative-eventing') {
        // Only a service that sends CloudEvents of its own (or the router's stream) talks to the Broker.
        const sends = has('knative')
          ? [...envNames].some((e) =>
              (container.env?.find((v) => v.name === e)?.value ?? '').includes('$(BROKER_INGRESS)'),
            )
          : ['router', 'drift', 'outlier', 'metrics', 'explainer'].includes(service);
        expect(sends, `${where}: ${service} posts to the Broker`).toBe(true);
        expect(ports, `${where}: the broker ingress's container port`).toEqual([8080]);
      } else if (peers.length === 0) {
        const store = EXTERNAL_STORES.find(
          (s) => s.variables.some((v) => envNames.has(v)) && s.ports.join() === ports.join(),
        );
        expect(
          store,
          `${where}: a store ${service} has a setting for (Elasticsearch, PostgreSQL)`,
        ).toBeDefined();
      } else {
        throw new Error(`${where}: a rule this check does not know`);
      }
    }

    for (const rule of spec.ingress ?? []) {
      const where = describeRule(name, 'ingress', rule);
      const ports = (rule.ports ?? []).map((p) => p.port).sort((a, b) => a - b);
      const peers = rule.from ?? [];
      if (peers.length === 0) {
        expect(ports, `${where}: open to any client only on a client-facing gRPC port`).toEqual(
          CLIENT_FACING[service] === undefined ? ['(none)'] : [CLIENT_FACING[service]],
        );
      } else if (peers.every(isPodPeer)) {
        for (const peer of peers) {
          for (const source of podsSelected(objects, peer.podSelector?.matchLabels)) {
            for (const port of ports) ingressCalls.add(`${source} -> ${service}:${port}`);
          }
        }
      } else if (peers[0]?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus') {
        expect(ports, `${where}: Prometheus scrapes the http port only`).toEqual([httpPort]);
        expect(
          podTemplateOf(workloadsOf(objects).find((w) => w.metadata.name === service)!).metadata
            .annotations?.['prometheus.io/port'],
        ).toBe(String(httpPort));
      } else if (
        peers[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'knative-eventing'
      ) {
        expect(
          acceptedEventTypes(service).length,
          `${where}: ${service} takes events on POST /events`,
        ).toBeGreaterThan(0);
        expect(ports, `${where}: the http port (POST /events)`).toEqual([httpPort]);
      } else {
        throw new Error(`${where}: a rule this check does not know`);
      }
    }
  }

  // Pod to pod: exactly the calls the settings make, allowed on both ends. A client-facing
  // port is open to every pod already.
  const expected = callsFromSettings(objects);
  if (has('knative')) {
    // The policies are the same with and without the Broker: with it the router's direct
    // posts to each consumer's POST /events (the base's setting) stay allowed, unused.
    for (const consumer of SERVICES.filter((s) => acceptedEventTypes(s).length > 0)) {
      const workload = workloadsOf(objects).find((w) => w.metadata.name === consumer)!;
      const http = containerOf(workload).ports?.find((p) => p.name === 'http')?.containerPort;
      expected.add(`router -> ${consumer}:${http}`);
    }
  }
  const ownCalls = [...egressCalls].filter((c) => SERVICES.includes(c.split(' -> ')[0]!));
  expect(ownCalls.sort(), 'egress between pods: exactly the addresses in the settings').toEqual(
    [...expected].sort(),
  );
  for (const call of expected) {
    const [, target] = call.split(' -> ');
    const [to, port] = target!.split(':');
    if (!SERVICES.includes(to!)) continue;
    const open = CLIENT_FACING[to!] === Number(port);
    expect(open || ingressCalls.has(call), `${call}: allowed in by ${to}'s NetworkPolicy`).toBe(true);
  }
  for (const call of ingressCalls) {
    expect(expected.has(call), `${call}: an ingress rule some setting needs`).toBe(true);
  }
  // Nothing outside Sightline's own pods is selected (the collector, the dead-letter sink).
  for (const policy of policies) {
    for (const pod of podsSelected(objects, specOf<PolicySpec>(policy).podSelector.matchLabels)) {
      expect(SERVICES, `${policy.metadata.name} selects ${pod}`).toContain(pod);
    }
    expect(labelsOf(policy)['app.kubernetes.io/name'], policy.metadata.name).toBeDefined();
  }
}
