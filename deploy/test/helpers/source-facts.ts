/**
 * Facts the deploy artefacts must agree with, read from the services' source text so a
 * rename or a changed default there breaks these tests instead of a deployment.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

function readSource(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

function numberConstant(source: string, file: string, name: string): number {
  const match = new RegExp(`export const ${name}\\s*=\\s*([0-9_]+)\\s*;`).exec(source);
  if (!match?.[1]) throw new Error(`${file}: no numeric constant ${name}`);
  return Number(match[1].replaceAll('_', ''));
}

/** The service-kit's default shutdown timings, in ms. */
export function shutdownDefaultsMs(): { readonly graceMs: number; readonly delayMs: number } {
  const file = 'libs/service-kit/src/config/server-config.ts';
  const source = readSource(file);
  return {
    graceMs: numberConstant(source, file, 'DEFAULT_SHUTDOWN_GRACE_MS'),
    delayMs: numberConstant(source, file, 'DEFAULT_SHUTDOWN_DELAY_MS'),
  };
}

/** Where a service's settings schema lives. */
function configFile(service: string): string {
  return `services/${service}/src/config.ts`;
}

/**
 * A service's default ports from its config, e.g. `MODEL_SERVER_PORTS` in
 * services/model-server/src/config.ts, `DRIFT_PORTS` in services/drift/src/config.ts.
 */
export function servicePorts(service: string): { readonly grpc: number; readonly http: number } {
  const file = configFile(service);
  const constant = `${service.toUpperCase().replaceAll('-', '_')}_PORTS`;
  const match = new RegExp(
    `export const ${constant}\\s*=\\s*\\{\\s*grpcPort:\\s*(\\d+),\\s*httpPort:\\s*(\\d+)\\s*\\}`,
  ).exec(readSource(file));
  if (!match?.[1] || !match[2]) throw new Error(`${file}: ${constant} not found`);
  return { grpc: Number(match[1]), http: Number(match[2]) };
}

/** `grpcPort` -> `SIGHTLINE_GRPC_PORT`, as libs/service-kit's toEnvName. */
function envName(key: string): string {
  return `SIGHTLINE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The keys of the object literal that starts right after `opening` in `source` (at `indent`). */
function objectKeys(source: string, file: string, opening: string, indent: number): string[] {
  const start = source.indexOf(opening);
  if (start < 0) throw new Error(`${file}: "${opening}" not found`);
  const close = `\n${' '.repeat(indent - 2)}})`;
  const end = source.indexOf(close, start);
  if (end < 0) throw new Error(`${file}: the object after "${opening}" does not end`);
  const body = source.slice(start + opening.length, end);
  const keys = [...body.matchAll(new RegExp(`^ {${indent}}([a-z][A-Za-z0-9]*):`, 'gm'))].map((m) => m[1]!);
  if (keys.length === 0) throw new Error(`${file}: no settings found after "${opening}"`);
  return keys;
}

/**
 * The `SIGHTLINE_*` variables a service reads: the shared server settings of
 * libs/service-kit plus the keys of the service's `serverConfigSchema(...).extend({ ... })`,
 * each `fooBar` read from `SIGHTLINE_FOO_BAR`.
 */
export function settingVariables(service: string): Set<string> {
  const shared = 'libs/service-kit/src/config/server-config.ts';
  const own = configFile(service);
  const keys = [
    ...objectKeys(readSource(shared), shared, 'return z.object({', 4),
    ...objectKeys(readSource(own), own, '.extend({', 2),
  ];
  return new Set(keys.map(envName));
}

/** A metric a service defines, with its prom-client type. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'Counter' | 'Gauge' | 'Histogram' | 'Summary';
  readonly file: string;
}

/** The gRPC server metrics every service registers through libs/service-kit. */
export const GRPC_SERVER_METRIC_FILE = 'libs/service-kit/src/calls/grpc-server-metrics.ts';

/** Where the model-server's metrics are defined. */
export const MODEL_SERVER_METRIC_FILES = [
  'services/model-server/src/observability/model-metrics.ts',
  GRPC_SERVER_METRIC_FILE,
] as const;

/** Where the drift service's metrics are defined (its `sightline_drift_*` series). */
export const DRIFT_METRIC_FILES = [
  'services/drift/src/observability/drift-metrics.ts',
  GRPC_SERVER_METRIC_FILE,
] as const;

/** Where the outlier service's metrics are defined (its `sightline_outlier_*` series). */
export const OUTLIER_METRIC_FILES = [
  'services/outlier/src/observability/outlier-metrics.ts',
  GRPC_SERVER_METRIC_FILE,
] as const;

/** Where the router's metrics are defined (its `sightline_router_*` series, the event pipeline's included). */
export const ROUTER_METRIC_FILES = [
  'services/router/src/observability/router-metrics.ts',
  GRPC_SERVER_METRIC_FILE,
] as const;

/** Where the explainer's metrics are defined (its `sightline_explainer_*` series). */
export const EXPLAINER_METRIC_FILES = [
  'services/explainer/src/observability/explainer-metrics.ts',
  GRPC_SERVER_METRIC_FILE,
] as const;

/**
 * The bucket bounds (seconds) of every latency histogram built on @sightline/telemetry's
 * LATENCY_BUCKETS_SECONDS (the router's request and node durations, gRPC handling time).
 */
export function latencyBucketsSeconds(): number[] {
  const file = 'libs/telemetry/src/metrics.ts';
  const match = /export const LATENCY_BUCKETS_SECONDS[^=]*=\s*\[([^\]]*)\]/.exec(readSource(file));
  if (!match?.[1]) throw new Error(`${file}: LATENCY_BUCKETS_SECONDS not found`);
  return match[1]
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '')
    .map(Number);
}

/**
 * Where the metrics service's metrics are defined (its `sightline_metrics_*` series): the
 * alert series in src/alerts and every file under src/observability (the windowed metrics,
 * feedback and concept-drift gauges), whatever their names.
 */
export function metricsServiceMetricFiles(): string[] {
  const observability = 'services/metrics/src/observability';
  const files = existsSync(repoPath(observability))
    ? readdirSync(repoPath(observability))
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .sort()
        .map((f) => `${observability}/${f}`)
    : [];
  return ['services/metrics/src/alerts/alert-series.ts', ...files, GRPC_SERVER_METRIC_FILE];
}

/**
 * The metrics defined in `files`: every `new Counter|Gauge|Histogram|Summary({ name: '...'`
 * (or the hot-path `FastCounter` / `FastHistogram` of @sightline/telemetry) in the source text.
 */
export function metricDefinitions(files: readonly string[] = MODEL_SERVER_METRIC_FILES): MetricDefinition[] {
  const definitions: MetricDefinition[] = [];
  for (const file of files) {
    const source = readSource(file);
    const pattern =
      /new (?:Fast)?(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g;
    for (const match of source.matchAll(pattern)) {
      definitions.push({ type: match[1] as MetricDefinition['type'], name: match[2]!, file });
    }
    if (!definitions.some((d) => d.file === file)) throw new Error(`${file}: no metric definitions found`);
  }
  return definitions;
}

/**
 * The series names a scrape exposes for `definitions`: counters and gauges as named,
 * histograms with _bucket, _sum and _count (and the bare name, which PromQL never sees but
 * Grafana's metric browser does not use either, so it is left out).
 */
export function exposedSeriesNames(definitions: readonly MetricDefinition[]): Map<string, MetricDefinition> {
  const names = new Map<string, MetricDefinition>();
  for (const d of definitions) {
    if (d.type === 'Histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.set(d.name + suffix, d);
    } else if (d.type === 'Summary') {
      for (const suffix of ['', '_sum', '_count']) names.set(d.name + suffix, d);
    } else {
      names.set(d.name, d);
    }
  }
  return names;
}

/** Where libs/events names the CloudEvents types of the event stream. */
const CLOUD_EVENT_TYPES_FILE = 'libs/events/src/cloudevents/cloud-event-mapping.ts';

/** A CloudEvents type constant of libs/events, e.g. `INFERENCE_CLOUD_EVENT_TYPE` -> `io.sightline.inference`. */
export function cloudEventType(constant: string): string {
  const match = new RegExp(`export const ${constant}\\s*=\\s*'([^']+)'`).exec(
    readSource(CLOUD_EVENT_TYPES_FILE),
  );
  if (!match?.[1]) throw new Error(`${CLOUD_EVENT_TYPES_FILE}: no string constant ${constant}`);
  return match[1];
}

/**
 * The CloudEvents types a service's `POST /events` takes, read from its main module: a
 * service that mounts libs/events' createEventsRoute (at `/events`, or this throws) takes InferenceEvents, plus the types
 * its `otherTypes` handlers name; one that does not mount it takes none.
 */
export function acceptedEventTypes(service: string): string[] {
  const file = `services/${service}/src/${service}.ts`;
  if (!existsSync(repoPath(file))) return [];
  const source = readSource(file);
  if (!source.includes('createEventsRoute(')) return [];
  // The path the manifests post to (Triggers' `uri`, the router's URL list).
  if (!/'\/events':\s*createEventsRoute\(/.test(source)) {
    throw new Error(`${file}: createEventsRoute is not mounted at /events`);
  }
  const others = /otherTypes:\s*\{([\s\S]*?)\n\s{8}\}/.exec(source)?.[1] ?? '';
  const constants = [...others.matchAll(/\[([A-Z_]+_CLOUD_EVENT_TYPE)\]\s*:/g)].map((m) => m[1]!);
  return [cloudEventType('INFERENCE_CLOUD_EVENT_TYPE'), ...constants.map(cloudEventType)];
}
