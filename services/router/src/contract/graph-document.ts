/**
 * Graph documents: YAML or JSON text holding one Graph in the protobuf JSON mapping
 * (lowerCamelCase or snake_case names). For people writing files by hand it also accepts
 * short enum names (`combiner: mean` for `ENSEMBLE_COMBINER_MEAN`), plain scalars where an
 * InferParameter is expected (`values: [setosa]`), and `${VAR}` / `${VAR:-default}`
 * environment substitution so addresses can differ per deployment and per test.
 */
import { routerV1 } from '@sightline/contracts';
import { isSightlineError } from '@sightline/errors';
import { LineCounter, parseDocument } from 'yaml';
import type { GraphProblem, GraphSpec } from '../graph/graph-spec.js';
import { ownValue } from '../graph/own-value.js';
import { graphFromMessage } from './graph-message.js';

/** A document's format; `auto` detects (JSON when the text starts with `{`). */
export type DocumentFormat = 'auto' | 'yaml' | 'json';

/** The result of parsing: the graph when the text could be read, and every problem found on the way. */
export interface ParsedDocument {
  readonly graph?: GraphSpec;
  readonly problems: GraphProblem[];
}

const NODE_KEYS = new Set([
  'name',
  'policy',
  'model',
  'sequence',
  'switch',
  'ensemble',
  'splitter',
  'shadow',
  'detector',
]);
const GRAPH_KEYS = new Set([
  'name',
  'description',
  'root',
  'nodes',
  'timeoutMs',
  'timeout_ms',
  'defaults',
  'labels',
]);

/** Enum fields by their JSON path shape, with the enum and its value prefix. */
const ENUMS = {
  dependency: { values: routerV1.Dependency, prefix: 'DEPENDENCY_' },
  input: { values: routerV1.StepInput, prefix: 'STEP_INPUT_' },
  operator: { values: routerV1.ConditionOperator, prefix: 'CONDITION_OPERATOR_' },
  combiner: { values: routerV1.EnsembleCombiner, prefix: 'ENSEMBLE_COMBINER_' },
  detectorKind: { values: routerV1.DetectorKind, prefix: 'DETECTOR_KIND_' },
  mode: { values: routerV1.DetectorMode, prefix: 'DETECTOR_MODE_' },
} as const;

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}`; an unset variable without default is a problem. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, problems: GraphProblem[]): string {
  return text.replace(ENV_REFERENCE, (whole, name: string, fallback: string | undefined) => {
    const value = ownValue(env, name);
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    problems.push({
      severity: 'error',
      node: '',
      field: '',
      rule: 'document.env_set',
      message: `${whole}: environment variable ${name} is not set and has no default (write \${${name}:-default})`,
    });
    return '';
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalizeEnum(
  holder: Record<string, unknown>,
  key: string,
  which: keyof typeof ENUMS,
  problems: GraphProblem[],
  node: string,
  field: string,
): void {
  const value = holder[key];
  if (typeof value !== 'string') return;
  const { values, prefix } = ENUMS[which];
  const upper = value.toUpperCase();
  const full = upper.startsWith(prefix) ? upper : `${prefix}${upper}`;
  if (typeof (values as Record<string, unknown>)[full] === 'number') {
    holder[key] = full;
    return;
  }
  const allowed = Object.keys(values)
    .filter((k) => k.startsWith(prefix) && !k.endsWith('UNSPECIFIED'))
    .map((k) => k.slice(prefix.length).toLowerCase());
  problems.push({
    severity: 'error',
    node,
    field,
    rule: 'enum.known',
    message: `${node ? `node "${node}": ` : ''}${field} "${value}" is not one of ${allowed.join(', ')}`,
  });
  delete holder[key];
}

/** Wraps plain scalars as InferParameter JSON. */
function toParameterJson(value: unknown): unknown {
  if (typeof value === 'string') return { stringParam: value };
  if (typeof value === 'boolean') return { boolParam: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { int64Param: String(value) } : { doubleParam: value };
  return value;
}

function normalizePolicy(policy: unknown, problems: GraphProblem[], node: string, field: string): void {
  if (isObject(policy))
    normalizeEnum(policy, 'dependency', 'dependency', problems, node, `${field}.dependency`);
}

function normalizeNode(raw: Record<string, unknown>, index: number, problems: GraphProblem[]): void {
  const name = typeof raw.name === 'string' ? raw.name : '';
  const field = `nodes[${index}]`;
  for (const key of Object.keys(raw)) {
    if (!NODE_KEYS.has(key)) {
      problems.push({
        severity: 'error',
        node: name,
        field: `${field}.${key}`,
        rule: 'node.kind_known',
        message: `node "${name}": "${key}" is not a node kind or field; kinds are model, sequence, switch, ensemble, splitter, shadow, detector`,
      });
    }
  }
  normalizePolicy(raw.policy, problems, name, `${field}.policy`);
  const model = raw.model;
  if (isObject(model) && isObject(model.parameters)) {
    for (const [k, v] of Object.entries(model.parameters)) model.parameters[k] = toParameterJson(v);
  }
  const sequence = raw.sequence;
  if (isObject(sequence) && Array.isArray(sequence.steps)) {
    sequence.steps.forEach((step, i) => {
      if (isObject(step))
        normalizeEnum(step, 'input', 'input', problems, name, `${field}.sequence.steps[${i}].input`);
    });
  }
  const sw = raw.switch;
  if (isObject(sw) && Array.isArray(sw.cases)) {
    sw.cases.forEach((c, i) => {
      if (!isObject(c) || !isObject(c.condition)) return;
      normalizeEnum(
        c.condition,
        'operator',
        'operator',
        problems,
        name,
        `${field}.switch.cases[${i}].condition.operator`,
      );
      if (Array.isArray(c.condition.values)) c.condition.values = c.condition.values.map(toParameterJson);
    });
  }
  const ensemble = raw.ensemble;
  if (isObject(ensemble))
    normalizeEnum(ensemble, 'combiner', 'combiner', problems, name, `${field}.ensemble.combiner`);
  const detector = raw.detector;
  if (isObject(detector)) {
    normalizeEnum(detector, 'kind', 'detectorKind', problems, name, `${field}.detector.kind`);
    normalizeEnum(detector, 'mode', 'mode', problems, name, `${field}.detector.mode`);
  }
}

/**
 * Parses a graph document. Problems in the text (syntax with line and column, unknown
 * kinds, unknown enum names, unset variables) are returned, not thrown; the graph is
 * returned whenever the text could be read, so validation can add its own problems.
 *
 * @param source - names the document in messages (a file name, or `document`).
 */
export function parseGraphDocument(
  text: string,
  options: {
    readonly format?: DocumentFormat;
    readonly env?: NodeJS.ProcessEnv;
    readonly source?: string;
  } = {},
): ParsedDocument {
  const problems: GraphProblem[] = [];
  const source = options.source ?? 'document';
  const substituted = substituteEnv(text, options.env ?? {}, problems);
  const format =
    options.format && options.format !== 'auto'
      ? options.format
      : substituted.trimStart().startsWith('{')
        ? 'json'
        : 'yaml';
  let raw: unknown;
  if (format === 'json') {
    try {
      raw = JSON.parse(substituted);
    } catch (error) {
      problems.push({
        severity: 'error',
        node: '',
        field: '',
        rule: 'document.syntax',
        message: `${source}: invalid JSON: ${(error as Error).message}`,
      });
      return { problems };
    }
  } else {
    const lineCounter = new LineCounter();
    const doc = parseDocument(substituted, { lineCounter, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const at = lineCounter.linePos(error.pos[0]);
        problems.push({
          severity: 'error',
          node: '',
          field: '',
          rule: 'document.syntax',
          message: `${source}: invalid YAML at line ${at.line}, column ${at.col}: ${error.message.split('\n')[0]}`,
        });
      }
      return { problems };
    }
    raw = doc.toJS();
  }
  if (!isObject(raw)) {
    problems.push({
      severity: 'error',
      node: '',
      field: '',
      rule: 'document.syntax',
      message: `${source}: expected one graph object at the top level`,
    });
    return { problems };
  }
  for (const key of Object.keys(raw)) {
    if (!GRAPH_KEYS.has(key)) {
      problems.push({
        severity: 'error',
        node: '',
        field: key,
        rule: 'document.field_known',
        message: `${source}: "${key}" is not a field of a graph`,
      });
    }
  }
  normalizePolicy(raw.defaults, problems, '', 'defaults');
  if (Array.isArray(raw.nodes)) {
    raw.nodes.forEach((node, i) => {
      if (isObject(node)) normalizeNode(node, i, problems);
    });
  }
  try {
    return { graph: graphFromMessage(routerV1.Graph.fromJSON(raw)), problems };
  } catch (error) {
    const message = isSightlineError(error) || error instanceof Error ? error.message : String(error);
    problems.push({
      severity: 'error',
      node: '',
      field: '',
      rule: 'document.schema',
      message: `${source}: ${message}`,
    });
    return { problems };
  }
}
