/**
 * The explainer's settings: the shared server settings plus its own, each settable by flag
 * (`--model-server`) or environment (`SIGHTLINE_MODEL_SERVER`). Defaults are the limits the
 * contract names (docs/design/explainer-contract.md, "Limits named by the contract"). This
 * module loads no domain code, so the CLI can read the settings (and `--help`) cheaply.
 */
import { serverConfigSchema } from '@sightline/service-kit';
import { z } from 'zod';

/** Default ports of the explainer (see DESIGN.md). */
export const EXPLAINER_PORTS = { grpcPort: 8005, httpPort: 9005 } as const;
/** Default model-server address (the local stack's). */
export const DEFAULT_MODEL_SERVER = '127.0.0.1:8001';
/** Default router address (the local stack's). */
export const DEFAULT_ROUTER = '127.0.0.1:8000';
/** Default most instance rows per Explain. */
export const DEFAULT_MAX_INSTANCES = 100;
/** Default most features per row for the tabular methods (Kernel SHAP, Anchors, counterfactuals). */
export const DEFAULT_MAX_TABULAR_FEATURES = 1_000;
/** Default most elements per row for Integrated Gradients and occlusion. */
export const DEFAULT_MAX_IMAGE_ELEMENTS = 4_194_304;
/** Default most background rows given in a request, and kept after reduction. */
export const DEFAULT_MAX_BACKGROUND_ROWS = 10_000;
/** Default most ModelInfer calls of one explanation (Budget.max_model_calls 0). */
export const DEFAULT_MAX_MODEL_CALLS = 1_000;
/** Default most rows per ModelInfer call (Budget.max_rows_per_call 0). */
/**
 * Rows per ModelInfer call when the budget sets none: 4,096, because the V2 path (encode, send,
 * decode, batch) is the cost of a served explanation, not the method — Kernel SHAP's 2,048
 * coalitions × 100 background rows took 704-713 ms in 128 calls at 1,000 rows a call and
 * 328-338 ms in 27 calls at 4,096 (docs/benchmarks.md). Wide rows are held to
 * --max-call-bytes instead, and every call to the model's max_batch_size.
 */
export const DEFAULT_MAX_ROWS_PER_CALL = 4_096;
/** Bytes of input one ModelInfer call may carry (elements counted at 8 bytes, the widest numeric type). */
export const DEFAULT_MAX_CALL_BYTES = 16 * 1024 * 1024;
/** Default time kept back from the caller's deadline so a partial answer still reaches it, in ms. */
export const DEFAULT_DEADLINE_MARGIN_MS = 50;
/** Default time budget of an Explain without timeout_ms or deadline, in ms. */
export const DEFAULT_BUDGET_MS = 30_000;
/** Default time budget of a job without timeout_ms, in ms. */
export const DEFAULT_JOB_BUDGET_MS = 600_000;
/** Default jobs running at once. */
export const DEFAULT_MAX_RUNNING_EXPLANATIONS = 2;
/** Default jobs waiting for a slot; more is RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_QUEUED_EXPLANATIONS = 100;
/** Default time a job is kept after it ends, in ms (1 hour). */
export const DEFAULT_JOB_TTL_MS = 3_600_000;
/** Default most complete explanations kept in the in-memory LRU cache. */
export const DEFAULT_CACHE_ENTRIES = 1_000;
/** Default timeout of a V2 ModelMetadata call, in ms. */
export const DEFAULT_METADATA_TIMEOUT_MS = 5_000;
/** Default timeout of one POST to --events-sink, in ms. */
export const DEFAULT_EVENTS_SINK_TIMEOUT_MS = 5_000;
/** Default most ExplanationEvents waiting for --events-sink; more are dropped and counted. */
export const DEFAULT_EVENTS_SINK_QUEUE = 10_000;

const positiveInt = () => z.coerce.number().int().positive();

/** The addresses of a comma-separated --allowed-targets value. */
export function addressList(text: string): string[] {
  return text
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address.length > 0);
}

/** The explainer's settings: the shared server settings and its own (flags, SIGHTLINE_* variables). */
export const explainerConfigSchema = serverConfigSchema(EXPLAINER_PORTS).extend({
  modelServer: z
    .string()
    .min(1)
    .default(DEFAULT_MODEL_SERVER)
    .describe('gRPC address of the model-server: the target of kind MODEL when no address is given'),
  router: z
    .string()
    .min(1)
    .default(DEFAULT_ROUTER)
    .describe(
      'gRPC address of the router: the target of kind GRAPH when no address is given, and the EventService read for background and global explanations',
    ),
  repository: z
    .string()
    .min(1)
    .optional()
    .describe(
      "the model-server's model repository, read for white-box methods (TF.js model files); unset: white-box methods are FAILED_PRECONDITION",
    ),
  device: z
    .enum(['auto', 'cpu', 'gpu'])
    .default('auto')
    .describe(
      "where Integrated Gradients computes a TF.js target's own gradients: auto takes the GPU where tfjs-node-gpu loads and one is present, cpu never does, gpu must (FAILED_PRECONDITION naming tfjs-node-gpu where it cannot)",
    ),
  allowedTargets: z
    .string()
    .default('')
    .describe(
      'comma-separated addresses an explicit Target.address may name besides --model-server and --router; empty allows any',
    ),
  maxInstances: positiveInt()
    .default(DEFAULT_MAX_INSTANCES)
    .describe('most instance rows per Explain; more is RESOURCE_EXHAUSTED'),
  maxTabularFeatures: positiveInt()
    .default(DEFAULT_MAX_TABULAR_FEATURES)
    .describe(
      'most features per row for kernel_shap, anchors and counterfactual; more is RESOURCE_EXHAUSTED',
    ),
  maxImageElements: positiveInt()
    .default(DEFAULT_MAX_IMAGE_ELEMENTS)
    .describe('most elements per row for integrated_gradients and occlusion; more is RESOURCE_EXHAUSTED'),
  maxBackgroundRows: positiveInt()
    .default(DEFAULT_MAX_BACKGROUND_ROWS)
    .describe(
      'most background rows given in a request, and kept after reduction; more is RESOURCE_EXHAUSTED',
    ),
  defaultMaxModelCalls: positiveInt()
    .default(DEFAULT_MAX_MODEL_CALLS)
    .describe('ModelInfer calls of one explanation when its budget sets none'),
  defaultMaxRowsPerCall: positiveInt()
    .default(DEFAULT_MAX_ROWS_PER_CALL)
    .describe('rows per ModelInfer call when the budget sets none'),
  maxCallBytes: positiveInt()
    .default(DEFAULT_MAX_CALL_BYTES)
    .describe(
      'input bytes per ModelInfer call (elements counted at 8 bytes); caps the rows per call for wide rows such as images',
    ),
  deadlineMarginMs: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_DEADLINE_MARGIN_MS)
    .describe("time kept back from the caller's deadline to answer a partial result in, in ms"),
  defaultBudgetMs: positiveInt()
    .default(DEFAULT_BUDGET_MS)
    .describe('time budget of an Explain without timeout_ms or deadline, in ms'),
  defaultJobBudgetMs: positiveInt()
    .default(DEFAULT_JOB_BUDGET_MS)
    .describe('time budget of a job without timeout_ms, in ms'),
  metadataTimeoutMs: positiveInt()
    .default(DEFAULT_METADATA_TIMEOUT_MS)
    .describe("timeout of the target's ModelMetadata call, in ms (the caller's deadline when sooner)"),
  maxRunningExplanations: positiveInt()
    .default(DEFAULT_MAX_RUNNING_EXPLANATIONS)
    .describe('jobs running at once'),
  maxQueuedExplanations: positiveInt()
    .default(DEFAULT_MAX_QUEUED_EXPLANATIONS)
    .describe('jobs waiting for a slot; more is RESOURCE_EXHAUSTED'),
  jobTtlMs: positiveInt()
    .default(DEFAULT_JOB_TTL_MS)
    .describe('how long a job is kept after it ends, in ms (jobs live in memory)'),
  cacheEntries: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_CACHE_ENTRIES)
    .describe('complete explanations kept in the in-memory LRU cache; 0 turns the cache off'),
  eventsSink: z
    .string()
    .url()
    .optional()
    .describe('POST every ExplanationEvent as a CloudEvent (type io.sightline.explanation) to this URL'),
  eventsSinkTimeoutMs: positiveInt()
    .default(DEFAULT_EVENTS_SINK_TIMEOUT_MS)
    .describe('timeout of one POST to --events-sink, in ms'),
  eventsSinkQueue: positiveInt()
    .default(DEFAULT_EVENTS_SINK_QUEUE)
    .describe('ExplanationEvents waiting for --events-sink; more are dropped and counted'),
});

/** The resolved settings. */
export type ExplainerConfig = z.output<typeof explainerConfigSchema>;
