/**
 * The shape of a graph document, checked strictly before it becomes a message: every
 * object knows its fields (lowerCamelCase or snake_case, as the protobuf JSON mapping
 * allows), every number is checked against its field's protobuf type (`timeoutMs: fast`
 * or a splitter weight of 50.5 is an error, not a silent 0 or a value the encoder
 * refuses), and a node sets at most one kind. The generated `fromJSON` would coerce or drop
 * all of these without a word.
 */
import { z } from 'zod';
import { NODE_KINDS } from '../graph/graph-spec.js';

/**
 * Default most YAML alias references expanded in one document: enough for any graph
 * written by hand, far below what a "billion laughs" document needs to exhaust memory.
 * (Here, not in graph-document.ts, so the settings schema can name it without loading YAML.)
 */
export const DEFAULT_MAX_DOCUMENT_ALIASES = 100;

/**
 * Default deepest nesting of lists and objects in one graph document or file: a graph
 * written by hand nests about 8 deep; far below what would exhaust the stack of the
 * recursive steps that read a document.
 */
export const DEFAULT_MAX_DOCUMENT_DEPTH = 64;

/** The range of each protobuf integer type a graph uses. */
const INTEGER_RANGES = {
  uint32: [0, 2 ** 32 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

type IntegerType = keyof typeof INTEGER_RANGES;

const INTEGER_TEXT = /^-?\d+$/;

/** A protobuf integer: a JSON number or a decimal string (the JSON mapping allows both). */
function integer(type: IntegerType) {
  const [min, max] = INTEGER_RANGES[type];
  return z.unknown().superRefine((value, ctx) => {
    const n = typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an integer from ${min} to ${max} (${type}), got ${describe(value)}`,
      });
    }
  });
}

/** A protobuf double: a finite JSON number or a numeric string. */
const double = z.unknown().superRefine((value, ctx) => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `must be a number, got ${describe(value)}` });
  }
});

const string = z.string({ error: (issue) => `must be a string, got ${describe(issue.input)}` });
/**
 * A model version: text, or a whole number as YAML reads `modelVersion: 1` (made text
 * as the JSON mapping does; a fraction such as 1.10 is refused, it would read as "1.1").
 */
const version = z.union([z.string(), z.number().int().nonnegative()], {
  error: (issue) => `must be a version string such as "1", got ${describe(issue.input)}`,
});
const bool = z.boolean({ error: (issue) => `must be true or false, got ${describe(issue.input)}` });
/** Enum fields hold the full value name once the reader has expanded short names, or a number. */
const enumValue = z.union([z.string(), z.number().int()], {
  error: (issue) => `must be an enum value name, got ${describe(issue.input)}`,
});
const strings = z.array(string, { error: (issue) => `must be a list, got ${describe(issue.input)}` });
const stringMap = z.record(z.string(), string, {
  error: (issue) => `must be a map of strings, got ${describe(issue.input)}`,
});

function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: (issue) => `must be a list, got ${describe(issue.input)}` });
}

/** `timeoutMs` -> `timeout_ms`. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A strict object whose fields may also be written in snake_case (each optional, as every
 * proto3 field is).
 */
function message(shape: Record<string, z.ZodType>) {
  const both: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    both[key] = field.optional();
    const snake = snakeCase(key);
    if (snake !== key) both[snake] = field.optional();
  }
  return z.strictObject(both, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.map((k) => `"${k}"`).join(', ')} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} here`
        : `must be an object, got ${describe(issue.input)}`,
  });
}

/** A short description of a value for messages (never the whole of a large value). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

const inferParameter = message({
  boolParam: bool,
  int64Param: integer('int64'),
  stringParam: string,
  doubleParam: double,
  uint64Param: integer('uint64'),
});

const tensorMetadata = message({ name: string, datatype: string, shape: list(integer('int64')) });

const policy = message({
  dependency: enumValue,
  timeoutMs: integer('uint32'),
  retry: message({
    maxAttempts: integer('uint32'),
    initialBackoffMs: integer('uint32'),
    maxBackoffMs: integer('uint32'),
    backoffMultiplier: double,
    retryableCodes: strings,
  }),
  circuitBreaker: message({ failureThreshold: integer('uint32'), openDurationMs: integer('uint32') }),
});

/** The node kinds, each the name of one field of the `kind` oneof (the domain's list). */
export const NODE_KIND_FIELDS = NODE_KINDS;

const kinds = {
  model: message({
    address: string,
    modelName: string,
    modelVersion: version,
    outputs: strings,
    parameters: z.record(z.string(), inferParameter),
    declaredInputs: list(tensorMetadata),
    declaredOutputs: list(tensorMetadata),
  }),
  sequence: message({
    steps: list(
      message({
        node: string,
        input: enumValue,
        mapping: message({ select: strings, rename: stringMap }),
      }),
    ),
  }),
  switch: message({
    cases: list(
      message({
        condition: message({
          tensor: message({ name: string, index: integer('uint64') }),
          parameter: string,
          header: string,
          operator: enumValue,
          values: list(inferParameter),
        }),
        node: string,
      }),
    ),
    defaultNode: string,
  }),
  ensemble: message({
    members: list(message({ node: string, weight: double })),
    combiner: enumValue,
    combinerNode: string,
    tensors: strings,
    concatAxis: integer('int32'),
    minMembers: integer('uint32'),
  }),
  splitter: message({
    branches: list(message({ node: string, weight: integer('uint32') })),
    stickyKey: message({ parameter: string, header: string }),
  }),
  shadow: message({ primary: string, mirrors: strings, sampleRate: double }),
  detector: message({
    kind: enumValue,
    address: string,
    detector: string,
    mode: enumValue,
    addVerdictToResponse: bool,
    tensors: strings,
  }),
} satisfies Record<(typeof NODE_KIND_FIELDS)[number], z.ZodType>;

const node = message({ name: string, policy, ...kinds }).superRefine((value, ctx) => {
  const set = NODE_KIND_FIELDS.filter((kind) => value[kind] !== undefined);
  if (set.length > 1) {
    ctx.addIssue({
      code: 'custom',
      message: `sets ${set.join(' and ')}; a node has exactly one kind`,
      params: { rule: 'node.kind_one' },
    });
  }
});

/** A graph document after short names are expanded (see graph-document.ts). */
export const graphDocumentSchema = message({
  name: string,
  description: string,
  root: string,
  nodes: list(node),
  timeoutMs: integer('uint32'),
  defaults: policy,
  labels: stringMap,
});

/** Drops `null` members of objects: the protobuf JSON mapping reads null as "not set". */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  // fromEntries defines own properties, so a `__proto__` key stays data.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== null)
      .map(([key, member]) => [key, withoutNulls(member)]),
  );
}
