/**
 * Facts the deploy artefacts must agree with, read from the services' source text so a
 * rename or a changed default there breaks these tests instead of a deployment.
 */
import { readFileSync } from 'node:fs';
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

/** The model-server's default ports from its config (`MODEL_SERVER_PORTS`). */
export function modelServerPorts(): { readonly grpc: number; readonly http: number } {
  const file = 'services/model-server/src/config.ts';
  const match = /MODEL_SERVER_PORTS\s*=\s*\{\s*grpcPort:\s*(\d+),\s*httpPort:\s*(\d+)\s*\}/.exec(
    readSource(file),
  );
  if (!match?.[1] || !match[2]) throw new Error(`${file}: MODEL_SERVER_PORTS not found`);
  return { grpc: Number(match[1]), http: Number(match[2]) };
}

/** A metric a service defines, with its prom-client type. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'Counter' | 'Gauge' | 'Histogram' | 'Summary';
  readonly file: string;
}

/** Where the model-server's metrics are defined. */
export const MODEL_SERVER_METRIC_FILES = [
  'services/model-server/src/observability/model-metrics.ts',
  'libs/service-kit/src/calls/grpc-server-metrics.ts',
] as const;

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
