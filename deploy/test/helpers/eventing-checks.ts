/**
 * Where Sightline's CloudEvents go, in every combination of components. Without the knative
 * component the router posts each InferenceEvent to every consumer's POST /events itself;
 * with it, to the Broker, whose Triggers deliver each event type to the services that take
 * it (read from their source), with retries, exponential backoff and a dead-letter sink.
 */
import { routerConfigSchema } from '@sightline/router';
import { expect } from 'vitest';
import {
  type Container,
  envValue,
  labelsOf,
  podTemplateOf,
  type ServiceSpec,
  selects,
  specOf,
} from './k8s-shapes.js';
import { type ComponentName, type K8sObject, named, ofKind } from './kustomize.js';
import { acceptedEventTypes, cloudEventType } from './source-facts.js';

/** Deployed services whose POST /events takes some event type (the monitors). */
const SERVICES = ['model-server', 'router', 'drift', 'outlier', 'metrics', 'explainer'];

/** Each service's own event sink setting (CloudEvents of its own types out), by service. */
const OWN_EVENT_SINKS: Readonly<Record<string, string>> = {
  drift: 'SIGHTLINE_DRIFT_EVENT_SINK_URL',
  outlier: 'SIGHTLINE_OUTLIER_EVENT_SINK_URL',
  metrics: 'SIGHTLINE_METRICS_EVENT_SINK_URL',
  explainer: 'SIGHTLINE_EVENTS_SINK',
};

/** The namespace the checks expand $(BROKER_NAMESPACE) with. */
const SAMPLE_NAMESPACE = 'sightline-test';

/** The Knative Broker's ingress hosts, by broker class. */
const BROKER_INGRESS: Readonly<Record<string, string>> = {
  MTChannelBasedBroker: 'broker-ingress.knative-eventing.svc.cluster.local',
  Kafka: 'kafka-broker-ingress.knative-eventing.svc.cluster.local',
};

interface Destination {
  readonly ref?: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly uri?: string;
}

interface DeliverySpec {
  readonly retry?: number;
  readonly backoffPolicy?: string;
  readonly backoffDelay?: string;
  readonly deadLetterSink?: Destination;
}

interface TriggerSpec {
  readonly broker: string;
  readonly filter?: { readonly attributes?: Record<string, string> };
  readonly subscriber: Destination;
  readonly delivery?: DeliverySpec;
}

function container(objects: readonly K8sObject[], service: string): Container {
  const workload = objects.find(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === service,
  );
  const first = workload && podTemplateOf(workload).spec.containers[0];
  if (!first) throw new Error(`no workload ${service}`);
  return first;
}

/** The Sightline service whose pods a Service selects, and the container port number it reaches. */
function serviceTarget(
  objects: readonly K8sObject[],
  serviceName: string,
  port: number | undefined,
): { service: string; containerPort: number | undefined } {
  const spec = specOf<ServiceSpec>(named(objects, 'Service', serviceName));
  const servicePort = port === undefined ? spec.ports[0] : spec.ports.find((p) => p.port === port);
  const workload = SERVICES.map((s) => ({ s, c: container(objects, s) })).find(({ s }) => {
    const w = objects.find(
      (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === s,
    );
    return w !== undefined && selects(spec.selector, podTemplateOf(w).metadata.labels ?? {});
  });
  const target = servicePort?.targetPort ?? servicePort?.port;
  const containerPort =
    typeof target === 'number' ? target : workload?.c.ports?.find((p) => p.name === target)?.containerPort;
  return { service: workload?.s ?? `(no Sightline pods behind ${serviceName})`, containerPort };
}

/** A delivery spec that retries with exponential backoff and ends in an existing dead-letter Service. */
function checkDelivery(
  objects: readonly K8sObject[],
  where: string,
  delivery: DeliverySpec | undefined,
): void {
  expect(delivery?.retry, `${where}: retries`).toBeGreaterThanOrEqual(3);
  expect(delivery?.backoffPolicy, `${where}: backoff`).toBe('exponential');
  expect(delivery?.backoffDelay, `${where}: an ISO 8601 backoff delay`).toMatch(/^PT\d+(\.\d+)?S$/);
  const sink = delivery?.deadLetterSink?.ref;
  expect(sink?.kind, `${where}: a dead-letter sink`).toBe('Service');
  const dead = specOf<ServiceSpec>(named(objects, 'Service', sink?.name ?? ''));
  expect(
    ofKind(objects, 'Deployment').some((d) => selects(dead.selector, podTemplateOf(d).metadata.labels ?? {})),
    `${where}: the dead-letter Service has pods`,
  ).toBe(true);
}

/** Without Knative: the router posts to every consumer's POST /events, one URL each. */
function checkDirectEvents(objects: readonly K8sObject[]): void {
  const router = container(objects, 'router');
  const list = envValue(router, 'SIGHTLINE_EVENTS_CLOUDEVENTS_URL') ?? '';
  const parsed = routerConfigSchema.shape.eventsCloudeventsUrl.safeParse(list);
  expect(parsed.error?.issues.map((i) => i.message) ?? [], `router: ${list} is a URL list`).toEqual([]);
  const consumers: string[] = [];
  for (const entry of list.split(',')) {
    const url = new URL(entry.trim());
    const target = serviceTarget(objects, url.hostname, Number(url.port));
    const ports = podTemplateOf(named(objects, workloadKind(objects, target.service), target.service)).spec
      .containers[0]?.ports;
    expect(
      ports?.find((p) => p.containerPort === target.containerPort)?.name,
      `router: ${url} reaches the http port of ${target.service}`,
    ).toBe('http');
    expect(url.pathname, 'router: CloudEvents go to POST /events').toBe('/events');
    consumers.push(target.service);
  }
  expect(
    consumers.sort(),
    'router: events go to every service whose POST /events takes InferenceEvents',
  ).toEqual(inferenceConsumers());
  for (const [service, variable] of Object.entries(OWN_EVENT_SINKS)) {
    expect(
      envValue(container(objects, service), variable),
      `${service}: ${variable} unset without a Broker`,
    ).toBe(undefined);
  }
}

function workloadKind(objects: readonly K8sObject[], service: string): string {
  return objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === service)
    ? 'StatefulSet'
    : 'Deployment';
}

/** The services whose POST /events takes InferenceEvents, from their source. */
function inferenceConsumers(): string[] {
  const inference = cloudEventType('INFERENCE_CLOUD_EVENT_TYPE');
  return SERVICES.filter((s) => acceptedEventTypes(s).includes(inference)).sort();
}

/** With Knative: one Broker, every sender on it, a Trigger per consumer and type it takes. */
function checkBroker(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  const brokers = ofKind(objects, 'Broker');
  expect(
    brokers.map((b) => b.metadata.name),
    'knative: one Broker',
  ).toEqual(['sightline']);
  const broker = brokers[0]!;
  const brokerClass = (broker.metadata.annotations as Record<string, string> | undefined)?.[
    'eventing.knative.dev/broker.class'
  ];
  expect(brokerClass, 'knative: broker class').toBe(
    components.includes('knative-kafka') ? 'Kafka' : 'MTChannelBasedBroker',
  );
  checkDelivery(objects, 'Broker sightline', (broker.spec as { delivery?: DeliverySpec }).delivery);

  const brokerUrl = `http://${BROKER_INGRESS[brokerClass ?? '']}/${SAMPLE_NAMESPACE}/${broker.metadata.name}`;
  const router = container(objects, 'router');
  expect(
    envValue(router, 'SIGHTLINE_EVENTS_CLOUDEVENTS_URL', SAMPLE_NAMESPACE),
    'router: events to the Broker',
  ).toBe(brokerUrl);
  for (const [service, variable] of Object.entries(OWN_EVENT_SINKS)) {
    expect(envValue(container(objects, service), variable, SAMPLE_NAMESPACE), `${service}: ${variable}`).toBe(
      brokerUrl,
    );
  }

  // Every consumer gets every type it takes, and nothing it does not take (it would answer 400).
  const delivered = new Map<string, Set<string>>();
  for (const trigger of ofKind(objects, 'Trigger')) {
    const where = `Trigger ${trigger.metadata.name}`;
    const spec = specOf<TriggerSpec>(trigger);
    expect(spec.broker, `${where}: on the Broker`).toBe(broker.metadata.name);
    const type = spec.filter?.attributes?.type;
    expect(type, `${where}: filters on type`).toBeDefined();
    expect(spec.subscriber.ref?.kind, `${where}: subscriber is a Service`).toBe('Service');
    expect(spec.subscriber.uri, `${where}: POST /events`).toBe('/events');
    // A Service reference resolves to http://<name>.<namespace>.svc.cluster.local, port 80.
    const target = serviceTarget(objects, spec.subscriber.ref?.name ?? '', 80);
    const ports = container(objects, target.service).ports;
    expect(
      ports?.find((p) => p.containerPort === target.containerPort)?.name,
      `${where}: port 80 of ${spec.subscriber.ref?.name} reaches ${target.service}'s http port`,
    ).toBe('http');
    expect(acceptedEventTypes(target.service), `${where}: ${target.service} takes ${type}`).toContain(type);
    checkDelivery(objects, where, spec.delivery);
    const types = delivered.get(target.service) ?? new Set<string>();
    types.add(type ?? '');
    delivered.set(target.service, types);
  }
  for (const service of SERVICES) {
    expect(
      [...(delivered.get(service) ?? [])].sort(),
      `knative: ${service} gets every event type its POST /events takes`,
    ).toEqual(acceptedEventTypes(service).sort());
  }
}

/** The event routing of one build. */
export function checkEventing(objects: readonly K8sObject[], components: readonly ComponentName[]): void {
  if (components.includes('knative')) {
    checkBroker(objects, components);
  } else {
    expect(ofKind(objects, 'Broker'), 'no Broker without the knative component').toEqual([]);
    expect(ofKind(objects, 'Trigger'), 'no Trigger without the knative component').toEqual([]);
    checkDirectEvents(objects);
  }
  // Subscribers and receivers are cluster-internal names; none of them is a Sightline Service
  // meant for clients (those carry the scrape label).
  for (const service of ofKind(objects, 'Service').filter((s) => s.metadata.name.endsWith('-events'))) {
    expect(
      labelsOf(service)['sightline.io/scrape'],
      `${service.metadata.name}: not scraped twice`,
    ).toBeUndefined();
  }
}
