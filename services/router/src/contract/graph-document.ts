/**
 * Graph documents: YAML or JSON text holding one Graph in the protobuf JSON mapping
 * (lowerCamelCase or snake_case names). For people writing files by hand it also accepts
 * short enum names (`combiner: mean` for `ENSEMBLE_COMBINER_MEAN`), plain scalars where an
 * InferParameter is expected (`values: [setosa]`), and `${VAR}` / `${VAR:-default}`
 * environment substitution so addresses can differ per deployment and per test.
 */
import { routerV1 } from '@sightline/contracts';
import { isSightlineError, quoteName, ResourceExhaustedError } from '@sightline/errors';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { GraphProblem, ParsedDocument } from '../graph/graph-spec.js';
import { ownValue } from '../graph/own-value.js';
import {
  DEFAULT_MAX_DOCUMENT_ALIASES,
  DEFAULT_MAX_DOCUMENT_DEPTH,
  graphDocumentSchema,
  NODE_KIND_FIELDS,
  withoutNulls,
} from './graph-document-schema.js';
import { graphFromMessage } from './graph-message.js';

export { DEFAULT_MAX_DOCUMENT_ALIASES, DEFAULT_MAX_DOCUMENT_DEPTH } from './graph-document-schema.js';

/** A document's format; `auto` detects (JSON when the text starts with `{`). */
export type DocumentFormat = 'auto' | 'yaml' | 'json';

export type { ParsedDocument } from '../graph/graph-spec.js';

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

/**
 * Where `${VAR}` in a document may read from: `values`, limited to the names in `allowed`
 * when set (documents sent over the network must not read the router's secrets).
 */
export interface DocumentEnvironment {
  readonly values: NodeJS.ProcessEnv;
  /** The only names a document may read; undefined: any (operator-controlled files). */
  readonly allowed?: ReadonlySet<string>;
  /** Names the setting that lists `allowed`, for the problem's sentence. */
  readonly allowedBy?: string;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}`; an unset variable without default is a problem,
 * as is any variable outside `allowed` (default or not: its value is never read).
 */
export function substituteEnv(
  text: string,
  env: NodeJS.ProcessEnv | DocumentEnvironment,
  problems: GraphProblem[],
): string {
  const { values, allowed, allowedBy } = isDocumentEnvironment(env) ? env : { values: env };
  return text.replace(ENV_REFERENCE, (whole, name: string, fallback: string | undefined) => {
    if (allowed && !allowed.has(name)) {
      const list = allowed.size > 0 ? [...allowed].join(', ') : 'none';
      problems.push({
        severity: 'error',
        node: '',
        field: '',
        rule: 'document.env_allowed',
        message: `${whole}: environment variable ${name} may not be read by a graph sent over GraphService; allowed: ${list} (${allowedBy ?? 'the allowlist'})`,
      });
      return '';
    }
    const value = ownValue(values, name);
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

function isDocumentEnvironment(env: NodeJS.ProcessEnv | DocumentEnvironment): env is DocumentEnvironment {
  // An environment's own values are strings; a DocumentEnvironment's `values` is an object.
  return typeof ownValue(env as Record<string, unknown>, 'values') === 'object';
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
    message: `${node ? `node ${quoteName(node)}: ` : ''}${field} ${quoteName(value)} is not one of ${allowed.join(', ')}`,
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

/** A zod issue's path as a field path: `nodes[3].splitter.branches[1].weight`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** One problem per zod issue, naming the node (by its name where it has one) and the field. */
function schemaProblems(raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[], source: string) {
  const problems: GraphProblem[] = [];
  const nodes = Array.isArray(raw.nodes) ? raw.nodes : [];
  for (const issue of issues) {
    const index = issue.path[0] === 'nodes' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    const rawNode: unknown = index === undefined ? undefined : nodes[index];
    const node =
      typeof rawNode === 'object' &&
      rawNode !== null &&
      typeof (rawNode as { name?: unknown }).name === 'string'
        ? (rawNode as { name: string }).name
        : '';
    const at = (path: readonly PropertyKey[]) =>
      `${node ? `node ${quoteName(node)}` : source}: ${fieldPath(path)}`;
    if (issue.code === 'unrecognized_keys') {
      const onNode = index !== undefined && issue.path.length === 2;
      for (const key of issue.keys) {
        const field = fieldPath([...issue.path, key]);
        problems.push({
          severity: 'error',
          node,
          field,
          rule: onNode ? 'node.kind_known' : 'document.field_known',
          message: onNode
            ? `node ${quoteName(node)}: ${quoteName(key)} is not a node kind or field; kinds are ${NODE_KIND_FIELDS.join(', ')}`
            : issue.path.length === 0
              ? `${source}: ${quoteName(key)} is not a field of a graph`
              : `${at(issue.path)}: ${quoteName(key)} is not a field here`,
        });
      }
      continue;
    }
    const rule =
      issue.code === 'custom' && typeof issue.params?.rule === 'string' ? issue.params.rule : 'field.type';
    problems.push({
      severity: 'error',
      node,
      field: fieldPath(issue.path),
      rule,
      message: `${issue.path.length === 0 ? `${source}:` : at(issue.path)} ${issue.message}`,
    });
  }
  return problems;
}

/** Removes what `issue` is about from `raw`: the field holding a bad value, unknown keys, extra kinds. */
function dropOffending(raw: Record<string, unknown>, issue: z.core.$ZodIssue): void {
  const holderAt = (path: readonly PropertyKey[]): Record<string, unknown> | undefined => {
    let at: unknown = raw;
    for (const part of path)
      at = isObject(at) || Array.isArray(at) ? (at as Record<PropertyKey, unknown>)[part] : undefined;
    return isObject(at) ? at : undefined;
  };
  if (issue.code === 'unrecognized_keys') {
    const holder = holderAt(issue.path);
    for (const key of issue.keys) if (holder) delete holder[key];
    return;
  }
  if (issue.code === 'custom' && issue.params?.rule === 'node.kind_one') {
    const holder = holderAt(issue.path);
    const [, ...extra] = NODE_KIND_FIELDS.filter((kind) => holder?.[kind] !== undefined);
    for (const kind of extra) if (holder) delete holder[kind];
    return;
  }
  // The nearest named field: a bad list element drops the whole list.
  const last = issue.path.findLastIndex((part) => typeof part === 'string');
  if (last < 0) return;
  const holder = holderAt(issue.path.slice(0, last));
  if (holder) delete holder[issue.path[last] as string];
}

/**
 * Reads YAML text into plain values; alias expansion is capped by `maxAliases`.
 *
 * @throws ResourceExhaustedError when the document expands more aliases than that.
 */
function readYaml(
  text: string,
  source: string,
  maxAliases: number,
  problems: GraphProblem[],
): { value: unknown } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The parser reports its own stack overflow as an error per level; it is the depth limit.
    if (doc.errors.some((e) => /maximum call stack/i.test(e.message))) throw new RangeError('too deep');
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
    return undefined;
  }
  try {
    return { value: doc.toJS({ maxAliasCount: maxAliases }) };
  } catch (error) {
    // The yaml package signals an alias bomb with a ReferenceError of this wording.
    if (error instanceof ReferenceError && /alias count/i.test(error.message)) {
      throw new ResourceExhaustedError(
        `${source}: expands more than ${maxAliases} YAML aliases (--max-graph-document-aliases); a graph needs few`,
      );
    }
    problems.push({
      severity: 'error',
      node: '',
      field: '',
      rule: 'document.syntax',
      message: `${source}: not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`,
    });
    return undefined;
  }
}

/**
 * Parses a graph document. Problems in the text (syntax with line and column, unknown
 * fields and kinds, values of the wrong type, two kinds on one node, unknown enum names,
 * unset variables) are returned, not thrown; the graph is returned whenever the text is
 * one object, without the offending values, so validation can add its own problems.
 *
 * @param source - names the document in messages (a file name, or `document`).
 * @throws ResourceExhaustedError when YAML aliases expand past `maxAliases`.
 */
export function parseGraphDocument(text: string, options: GraphDocumentOptions = {}): ParsedDocument {
  const problems: GraphProblem[] = [];
  const source = options.source ?? 'document';
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DOCUMENT_DEPTH;
  const tooDeep = (): ParsedDocument => ({
    problems: [
      ...problems,
      {
        severity: 'error',
        node: '',
        field: '',
        rule: 'document.max_depth',
        message: `${source}: lists and objects nested deeper than ${maxDepth} levels (--max-graph-document-depth); a graph nests about 8`,
      },
    ],
  });
  const substituted = substituteEnv(text, options.env ?? {}, problems);
  // Reading, normalising and checking a document recurse once per level: the depth is
  // measured first, without recursion, so no document can exhaust the stack.
  if (flowDepthExceeds(substituted, maxDepth)) return tooDeep();
  try {
    return readDocument(substituted, options, source, maxDepth, problems) ?? tooDeep();
  } catch (error) {
    if (error instanceof RangeError) return tooDeep();
    throw error;
  }
}

/** Options of {@link parseGraphDocument}. */
export interface GraphDocumentOptions {
  readonly format?: DocumentFormat;
  /** Variables `${VAR}` reads: all of them, or a {@link DocumentEnvironment} that limits them. */
  readonly env?: NodeJS.ProcessEnv | DocumentEnvironment;
  readonly source?: string;
  /** Most YAML aliases expanded; default {@link DEFAULT_MAX_DOCUMENT_ALIASES}. */
  readonly maxAliases?: number;
  /** Deepest nesting of lists and objects; default {@link DEFAULT_MAX_DOCUMENT_DEPTH}. */
  readonly maxDepth?: number;
}

/**
 * Whether the flow collections of `text` (`[`/`{`, JSON's and YAML's) nest deeper than
 * `maxDepth`, outside quoted strings. A bracket inside a plain YAML scalar may count too:
 * only an unbalanced run of `maxDepth` of them could refuse a document.
 */
function flowDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > maxDepth) return true;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return false;
}

/** Whether `value`'s lists and objects nest deeper than `maxDepth` (YAML block nesting). */
function valueDepthExceeds(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const member of Object.values(item)) pending.push([member, depth + 1]);
  }
  return false;
}

/** {@link parseGraphDocument} after substitution; undefined when the value nests too deep. */
function readDocument(
  substituted: string,
  options: GraphDocumentOptions,
  source: string,
  maxDepth: number,
  problems: GraphProblem[],
): ParsedDocument | undefined {
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
    const read = readYaml(substituted, source, options.maxAliases ?? DEFAULT_MAX_DOCUMENT_ALIASES, problems);
    if (!read) return { problems };
    raw = read.value;
  }
  if (valueDepthExceeds(raw, maxDepth)) return undefined;
  raw = withoutNulls(raw);
  if (!isObject(raw)) {
    problems.push({
      severity: 'error',
      node: '',
      field: '',
      rule: 'document.syntax',
      message: `${source}: not valid YAML/JSON: expected one graph object at the top level`,
    });
    return { problems };
  }
  normalizePolicy(raw.defaults, problems, '', 'defaults');
  if (Array.isArray(raw.nodes)) {
    raw.nodes.forEach((node, i) => {
      if (isObject(node)) normalizeNode(node, i, problems);
    });
  }
  const checked = graphDocumentSchema.safeParse(raw);
  if (!checked.success) {
    problems.push(...schemaProblems(raw, checked.error.issues, source));
    // The graph goes on without each offending value (never a coerced one), so validation
    // can report the rest of the file's problems in the same round trip.
    for (const issue of checked.error.issues) dropOffending(raw, issue);
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
