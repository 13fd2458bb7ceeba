/**
 * The --alert-rules file: YAML (or JSON, which YAML reads too) with a `rules` list in the
 * contract's field names (snake_case), durations as `90s`, `5m`, `1h`, `1d` and metrics and
 * comparisons by their lower-case names (see docs/alerts.md). A bad file fails the start with
 * the file, the rule and the field named.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@sightline/errors';
import { parse } from 'yaml';
import {
  ALERT_METRIC_NAMES,
  type AlertComparisonName,
  type AlertDriftDetector,
  type AlertMetricName,
  type AlertRuleInput,
  type AlertRuleLimits,
  type AlertRuleSpec,
  validateAlertRule,
} from './alert-rule.js';

/** Largest rules file read: 4 MiB (a thousand rules take ~0.5 MiB). */
export const MAX_RULES_FILE_BYTES = 4 * 1024 * 1024;

const RULE_FIELDS = new Set([
  'name',
  'series',
  'segment',
  'metric',
  'class_label',
  'comparison',
  'threshold',
  'window',
  'min_samples',
  'for',
  'labels',
  'annotations',
  'use_interval',
  'confidence',
  'reference',
  'concept_drift_detector',
]);
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DETECTORS: Record<string, AlertDriftDetector> = {
  ddm: 'ddm',
  adwin: 'adwin',
  page_hinkley: 'pageHinkley',
};

/** Reads and checks a rules file. @throws InvalidArgumentError naming the file, rule and field. */
export async function loadRulesFile(path: string, limits: AlertRuleLimits): Promise<AlertRuleSpec[]> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_RULES_FILE_BYTES)
      throw new InvalidArgumentError(
        `${path}: ${bytes.length} bytes, more than the ${MAX_RULES_FILE_BYTES} read`,
      );
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`--alert-rules: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseRules(text, path, limits);
}

/** Parses a rules document (YAML or JSON text); `source` names it in errors. */
export function parseRules(text: string, source: string, limits: AlertRuleLimits): AlertRuleSpec[] {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new InvalidArgumentError(`${source}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc) || !Array.isArray(doc.rules))
    throw new InvalidArgumentError(`${source}: expected a document with a "rules" list`);
  const extra = Object.keys(doc).filter((k) => k !== 'rules');
  if (extra.length > 0)
    throw new InvalidArgumentError(`${source}: unknown field ${JSON.stringify(extra[0])}`);
  const seen = new Set<string>();
  return doc.rules.map((raw: unknown, i: number) => {
    const name = isObject(raw) && typeof raw.name === 'string' ? raw.name : '';
    const prefix = `${source}: rules[${i}]${name === '' ? '' : ` (${name})`}`;
    const rule = validateAlertRule(ruleInput(raw, prefix), limits, prefix);
    if (seen.has(rule.name)) throw new InvalidArgumentError(`${prefix}.name: a second rule of this name`);
    seen.add(rule.name);
    return rule;
  });
}

function ruleInput(raw: unknown, prefix: string): AlertRuleInput {
  const fail = (field: string, rule: string): never => {
    throw new InvalidArgumentError(`${prefix}${field === '' ? '' : `.${field}`}: ${rule}`);
  };
  if (!isObject(raw)) return fail('', 'expected a mapping of rule fields');
  for (const key of Object.keys(raw)) if (!RULE_FIELDS.has(key)) fail(key, 'unknown field');
  const string = (field: string, value: unknown): string =>
    typeof value === 'string' ? value : fail(field, `expected a string, got ${JSON.stringify(value)}`);
  const optionalString = (field: string, value: unknown) =>
    value === undefined ? undefined : string(field, value);
  const number = (field: string, value: unknown): number =>
    typeof value === 'number' ? value : fail(field, `expected a number, got ${JSON.stringify(value)}`);
  const duration = (field: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const match = typeof value === 'string' ? DURATION.exec(value) : null;
    return match
      ? Number(match[1]) * UNIT_MS[match[2]!]!
      : fail(field, `expected a duration like 90s, 5m, 1h or 1d, got ${JSON.stringify(value)}`);
  };
  const time = (field: string, value: unknown): number => {
    const ms = typeof value === 'string' || value instanceof Date ? new Date(value).getTime() : Number.NaN;
    return Number.isFinite(ms) ? ms : fail(field, `expected an RFC 3339 time, got ${JSON.stringify(value)}`);
  };
  const stringMap = (field: string, value: unknown): Record<string, string> | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) return fail(field, 'expected a mapping of strings');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, string(`${field}.${k}`, v)]));
  };
  const series = raw.series;
  if (!isObject(series))
    return fail('series', 'expected a mapping with model_name (and optional model_version, node)');
  const segment = raw.segment;
  if (segment !== undefined && !isObject(segment)) fail('segment', 'expected a mapping with name and value');
  const reference = raw.reference;
  if (reference !== undefined && !isObject(reference))
    fail('reference', 'expected a mapping with start and end');
  const metric = string('metric', raw.metric);
  if (!(ALERT_METRIC_NAMES as readonly string[]).includes(metric))
    fail(
      'metric',
      `unknown metric ${JSON.stringify(metric)} (rule "rule.metric"; one of ${ALERT_METRIC_NAMES.join(', ')})`,
    );
  const detector = optionalString('concept_drift_detector', raw.concept_drift_detector);
  if (detector !== undefined && DETECTORS[detector] === undefined)
    fail('concept_drift_detector', `expected ddm, adwin or page_hinkley, got ${JSON.stringify(detector)}`);
  const minSamples = raw.min_samples === undefined ? undefined : number('min_samples', raw.min_samples);
  const windowMs = duration('window', raw.window);
  const forMs = duration('for', raw.for);
  const labels = stringMap('labels', raw.labels);
  const annotations = stringMap('annotations', raw.annotations);
  const classLabel = optionalString('class_label', raw.class_label);
  const confidence = raw.confidence === undefined ? undefined : number('confidence', raw.confidence);
  if (raw.use_interval !== undefined && typeof raw.use_interval !== 'boolean')
    fail('use_interval', `expected true or false, got ${JSON.stringify(raw.use_interval)}`);
  const modelVersion = optionalString('series.model_version', series.model_version);
  const node = optionalString('series.node', series.node);
  return {
    name: string('name', raw.name),
    series: {
      modelName: string('series.model_name', series.model_name),
      ...(modelVersion !== undefined ? { modelVersion } : {}),
      ...(node !== undefined ? { node } : {}),
    },
    ...(isObject(segment)
      ? {
          segment: {
            name: string('segment.name', segment.name),
            value: optionalString('segment.value', segment.value) ?? '',
          },
        }
      : {}),
    metric: metric as AlertMetricName,
    ...(classLabel !== undefined ? { classLabel } : {}),
    comparison: string('comparison', raw.comparison) as AlertComparisonName,
    threshold: number('threshold', raw.threshold),
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(minSamples !== undefined ? { minSamples } : {}),
    ...(forMs !== undefined ? { forMs } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(raw.use_interval !== undefined ? { useInterval: raw.use_interval as boolean } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    ...(isObject(reference)
      ? {
          reference: {
            fromMs: time('reference.start', reference.start),
            toMs: time('reference.end', reference.end),
          },
        }
      : {}),
    ...(detector !== undefined ? { conceptDriftDetector: DETECTORS[detector]! } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
