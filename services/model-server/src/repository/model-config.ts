import { InvalidArgumentError } from '@sightline/errors';
import { DATATYPES, type TensorSpec } from '@sightline/tensor';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { DynamicBatchingConfig, ModelConfig, VersionPolicy } from '../model/types.js';
import { flattenLineage, lineageSchema } from './lineage.js';
import { modelNameProblem } from './model-name.js';

/**
 * Defaults written out when `dynamic_batching` is present but a field is missing. The queue
 * delay is short (100 µs) so an idle server adds almost no latency; the queue bound keeps a
 * burst from growing memory without limit (a full queue answers RESOURCE_EXHAUSTED).
 */
export const DYNAMIC_BATCHING_DEFAULTS: DynamicBatchingConfig = Object.freeze({
  maxQueueDelayUs: 100,
  preferredBatchSizes: Object.freeze([]) as readonly number[],
  maxQueueSize: 1024,
});

/** Upper bounds on config values; a larger value is refused as a likely typo. */
export const MODEL_CONFIG_LIMITS = Object.freeze({
  /** Runtime instances per version. */
  maxInstanceCount: 64,
  /** Largest max_batch_size accepted. */
  maxBatchSize: 1 << 20,
  /** Longest max_queue_delay_us accepted: 10 s. */
  maxQueueDelayUs: 10_000_000,
  /** Largest max_queue_size accepted. */
  maxQueueSize: 1 << 20,
  /** Most intra-op threads per ONNX execution. */
  maxIntraOpThreads: 256,
});

/** The config file names looked for in a model directory, in this order. */
export const CONFIG_FILE_NAMES = ['config.yaml', 'config.yml', 'config.json'] as const;

const int = (rule: string, min: number, max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : rule) })
    .int({ error: rule })
    .min(min, { error: rule })
    .max(max, { error: `must be at most ${max}` });

const positiveInt = (max: number) => int('must be a positive integer', 1, max);

const tensorSpecSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  datatype: z.enum(DATATYPES, { error: `must be one of ${DATATYPES.join(', ')}` }),
  shape: z
    .array(int('must be -1 (variable) or a positive integer', -1, Number.MAX_SAFE_INTEGER), {
      error: 'must be a list of dimensions',
    })
    .refine((dims) => dims.every((dim) => dim !== 0), { error: 'dimensions must be -1 or positive' }),
});

// Triton's label_filename: a classification output's labels file in the model directory.
const outputSpecSchema = tensorSpecSchema.extend({
  label_filename: z
    .string({ error: 'must be a string' })
    .refine((file) => modelNameProblem(file) === undefined, {
      error:
        'must be a file name in the model directory (letters, digits, "_", "." and "-", not starting with ".")',
    })
    .optional(),
});

const dynamicBatchingSchema = z.strictObject({
  max_queue_delay_us: int(
    'must be a non-negative integer',
    0,
    MODEL_CONFIG_LIMITS.maxQueueDelayUs,
  ).optional(),
  preferred_batch_sizes: z
    .array(positiveInt(MODEL_CONFIG_LIMITS.maxBatchSize), { error: 'must be a list of positive integers' })
    .optional(),
  max_queue_size: positiveInt(MODEL_CONFIG_LIMITS.maxQueueSize).optional(),
});

const versionPolicySchema = z
  .strictObject({
    latest: z.strictObject({ num_versions: positiveInt(Number.MAX_SAFE_INTEGER) }).optional(),
    all: z.strictObject({}).optional(),
    specific: z
      .strictObject({
        versions: z
          .array(positiveInt(Number.MAX_SAFE_INTEGER), { error: 'must be a list of positive integers' })
          .min(1, { error: 'must list at least one version' }),
      })
      .optional(),
  })
  .refine((policy) => Object.values(policy).filter((value) => value !== undefined).length === 1, {
    error: 'must hold exactly one of latest, all, specific',
  });

const configFileSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).optional(),
  platform: z.enum(['onnx', 'tfjs'], { error: 'must be one of onnx, tfjs' }).optional(),
  max_batch_size: int('must be a non-negative integer', 0, MODEL_CONFIG_LIMITS.maxBatchSize).optional(),
  inputs: z.array(tensorSpecSchema, { error: 'must be a list of tensor specs' }).optional(),
  outputs: z.array(outputSpecSchema, { error: 'must be a list of tensor specs' }).optional(),
  // `null` (a bare `dynamic_batching:` in YAML) turns batching on with every default.
  dynamic_batching: dynamicBatchingSchema.nullable().optional(),
  instance_count: positiveInt(MODEL_CONFIG_LIMITS.maxInstanceCount).optional(),
  device: z.enum(['auto', 'cpu', 'gpu'], { error: 'must be one of auto, cpu, gpu' }).optional(),
  execution_mode: z
    .enum(['auto', 'inline', 'worker'], { error: 'must be one of auto, inline, worker' })
    .optional(),
  intra_op_threads: int(
    'must be a non-negative integer',
    0,
    MODEL_CONFIG_LIMITS.maxIntraOpThreads,
  ).optional(),
  version_policy: versionPolicySchema.optional(),
  // Provenance of the model's versions (a version's own lineage.yaml replaces it).
  lineage: lineageSchema.optional(),
});

type ConfigFile = z.infer<typeof configFileSchema>;

/** Where a config came from and what the directory says, for defaults and messages. */
export interface ConfigSource {
  /** The model's name: its directory's name. */
  readonly modelName: string;
  /** Names the source in messages, e.g. `models/iris/config.yaml`. */
  readonly label: string;
  /** The platform the files on disk imply (model.onnx -> onnx), used when `platform` is absent. */
  readonly inferredPlatform?: 'onnx' | 'tfjs' | undefined;
}

/**
 * Parses config text (YAML or JSON by `format`) into a resolved, frozen {@link ModelConfig}.
 *
 * @throws InvalidArgumentError listing every problem as `<label>: <key path>: <rule>`.
 */
export function parseModelConfigText(
  text: string,
  format: 'yaml' | 'json',
  source: ConfigSource,
): ModelConfig {
  let raw: unknown;
  try {
    raw = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(`${source.label}: not valid ${format.toUpperCase()}: ${reason}`, {
      cause: error,
    });
  }
  // An empty file means "all defaults", as no file at all does.
  return parseModelConfig(raw ?? {}, source);
}

/**
 * Validates an already parsed config object (snake_case keys) and resolves every default.
 *
 * @throws InvalidArgumentError listing every problem as `<label>: <key path>: <rule>`.
 */
export function parseModelConfig(raw: unknown, source: ConfigSource): ModelConfig {
  const parsed = configFileSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue));
  } else {
    problems.push(...crossFieldProblems(parsed.data, source));
  }
  if (problems.length > 0 || !parsed.success) {
    const lines = problems.map((problem) => `${source.label}: ${problem}`);
    throw new InvalidArgumentError(lines.join('\n'));
  }
  return resolve(parsed.data, source);
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** `inputs[0].shape` style key paths; the root is `(root)`. */
function formatPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Rules that span several keys: each returns `<key path>: <rule>`. */
function crossFieldProblems(file: ConfigFile, source: ConfigSource): string[] {
  const problems: string[] = [];
  const maxBatchSize = file.max_batch_size ?? 0;
  if (file.name !== undefined && file.name !== source.modelName) {
    problems.push(`name: must match the model directory name "${source.modelName}", got "${file.name}"`);
  }
  const platform = file.platform ?? source.inferredPlatform;
  if (platform === undefined) {
    problems.push(
      'platform: is required (no version directory holds a model.onnx or model.json to infer it from)',
    );
  }
  if (platform === 'tfjs') {
    if (file.inputs === undefined) problems.push('inputs: is required for platform tfjs');
    if (file.outputs === undefined) problems.push('outputs: is required for platform tfjs');
  }
  if (platform === 'tfjs' && file.intra_op_threads !== undefined) {
    problems.push('intra_op_threads: applies to platform onnx only');
  }
  if (platform === 'tfjs' && file.execution_mode === 'worker') {
    problems.push('execution_mode: worker is supported for platform onnx only; use inline or auto for tfjs');
  }
  if (file.dynamic_batching !== undefined && maxBatchSize === 0) {
    problems.push('dynamic_batching: needs max_batch_size > 0 (the model has no batch dimension)');
  }
  file.dynamic_batching?.preferred_batch_sizes?.forEach((size, index) => {
    if (size > maxBatchSize) {
      problems.push(
        `dynamic_batching.preferred_batch_sizes[${index}]: must be at most max_batch_size (${maxBatchSize}), got ${size}`,
      );
    }
  });
  for (const key of ['inputs', 'outputs'] as const) {
    const seen = new Set<string>();
    file[key]?.forEach((spec, index) => {
      if (seen.has(spec.name)) problems.push(`${key}[${index}].name: duplicate name "${spec.name}"`);
      seen.add(spec.name);
      if (maxBatchSize > 0 && spec.shape[0] !== -1) {
        problems.push(
          `${key}[${index}].shape: must start with -1 (the batch dimension) when max_batch_size > 0`,
        );
      }
    });
  }
  const versions = file.version_policy?.specific?.versions;
  if (versions !== undefined && new Set(versions).size !== versions.length) {
    problems.push('version_policy.specific.versions: must not repeat a version');
  }
  return problems;
}

function resolve(file: ConfigFile, source: ConfigSource): ModelConfig {
  const platform = file.platform ?? source.inferredPlatform;
  // crossFieldProblems has refused a missing platform already.
  if (platform === undefined) throw new InvalidArgumentError(`${source.label}: platform: is required`);
  const batching = file.dynamic_batching;
  const dynamicBatching: DynamicBatchingConfig | undefined =
    batching === undefined
      ? undefined
      : Object.freeze({
          maxQueueDelayUs: batching?.max_queue_delay_us ?? DYNAMIC_BATCHING_DEFAULTS.maxQueueDelayUs,
          preferredBatchSizes: Object.freeze(
            [...(batching?.preferred_batch_sizes ?? DYNAMIC_BATCHING_DEFAULTS.preferredBatchSizes)].sort(
              (a, b) => a - b,
            ),
          ),
          maxQueueSize: batching?.max_queue_size ?? DYNAMIC_BATCHING_DEFAULTS.maxQueueSize,
        });
  return Object.freeze({
    name: source.modelName,
    platform,
    maxBatchSize: file.max_batch_size ?? 0,
    inputs: freezeSpecs(file.inputs),
    outputs: freezeSpecs(file.outputs),
    dynamicBatching,
    instanceCount: file.instance_count ?? 1,
    device: file.device ?? 'auto',
    // auto: ONNX sessions block their thread while they compute, so they get a worker;
    // TF.js runs inline (its backends are process-wide).
    executionMode:
      file.execution_mode === undefined || file.execution_mode === 'auto'
        ? platform === 'onnx'
          ? 'worker'
          : 'inline'
        : file.execution_mode,
    intraOpThreads: file.intra_op_threads ?? 0,
    versionPolicy: resolveVersionPolicy(file.version_policy),
    labelFiles: resolveLabelFiles(file.outputs),
    lineage: flattenLineage(file.lineage),
  });
}

function resolveLabelFiles(outputs: ConfigFile['outputs']): Readonly<Record<string, string>> | undefined {
  const entries = (outputs ?? []).flatMap((spec) =>
    spec.label_filename === undefined ? [] : [[spec.name, spec.label_filename] as const],
  );
  return entries.length === 0 ? undefined : Object.freeze(Object.fromEntries(entries));
}

function freezeSpecs(specs: ConfigFile['inputs']): readonly TensorSpec[] | undefined {
  if (specs === undefined) return undefined;
  return Object.freeze(
    specs.map((spec) =>
      Object.freeze({ name: spec.name, datatype: spec.datatype, shape: Object.freeze([...spec.shape]) }),
    ),
  );
}

function resolveVersionPolicy(policy: ConfigFile['version_policy']): VersionPolicy {
  if (policy?.all !== undefined) return Object.freeze({ kind: 'all' });
  if (policy?.specific !== undefined) {
    return Object.freeze({
      kind: 'specific',
      versions: Object.freeze([...policy.specific.versions].sort((a, b) => a - b)),
    });
  }
  return Object.freeze({ kind: 'latest', numVersions: policy?.latest?.num_versions ?? 1 });
}
