/**
 * SendFeedback's first step, the form of every item (contract: "checked first: any failure is
 * INVALID_ARGUMENT naming `items[i].<field>` and nothing is stored"), and the expansion of each
 * item into one FeedbackRecord per row (a label list or a tensor judges rows row .. row + n - 1).
 * Transport-free: the gRPC adapter decodes tensors into @sightline/tensor's form first.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import type { FeedbackRecord, Truth } from '../domain/records.js';

/** One item's truth as sent. */
export type TruthInput =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'values'; readonly values: readonly number[] }
  | { readonly kind: 'reward'; readonly reward: number }
  | { readonly kind: 'labels'; readonly labels: readonly string[] }
  | { readonly kind: 'tensor'; readonly tensor: Tensor };

/** One SendFeedback item, decoded. */
export interface FeedbackItemInput {
  readonly requestId: string;
  /** The first row judged; undefined means 0. */
  readonly row?: number;
  /** '' judges every prediction of the request. */
  readonly modelName: string;
  /** Undefined when no truth was set. */
  readonly truth?: TruthInput;
  /** When the truth was observed; undefined means when it arrived. */
  readonly observeTimeMs?: number;
}

/** The limits of the form. */
export interface FeedbackFormLimits {
  /** Characters of a request id or model name (the store's). */
  readonly maxIdLength: number;
  /** Rows of one prediction: a row index must be below it (the store's). */
  readonly maxRowsPerPrediction: number;
  /** Feedback rows one call may carry (--max-feedback-per-call). */
  readonly maxFeedbackPerCall: number;
  /** How far after arrival an observe time may lie (clock skew), in ms. */
  readonly maxObserveSkewMs: number;
}

/** Contract defaults. */
export const DEFAULT_FEEDBACK_FORM_LIMITS: FeedbackFormLimits = Object.freeze({
  maxIdLength: 256,
  maxRowsPerPrediction: 4096,
  maxFeedbackPerCall: 10_000,
  maxObserveSkewMs: 5 * 60_000,
});

/** A feedback row and where it came from. */
export interface ExpandedFeedback {
  readonly record: FeedbackRecord;
  /** Its item's index in the call. */
  readonly item: number;
}

/** A UTF-16 surrogate not in a pair (String.prototype.isWellFormed is not in the ES2022 lib). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const invalid = (field: string, rule: string): never => {
  throw new InvalidArgumentError(`${field}: ${rule}`, { field });
};

function checkId(field: string, value: string, limits: FeedbackFormLimits, required: boolean): void {
  if (required && value === '') invalid(field, 'required');
  if (value.length > limits.maxIdLength)
    invalid(field, `must have at most ${limits.maxIdLength} characters, got ${value.length}`);
  // A lone surrogate would be stored as U+FFFD by PostgreSQL: two ids would collide.
  if (LONE_SURROGATE.test(value)) invalid(field, 'must be well-formed Unicode (no lone surrogate)');
  if (value.includes('\u0000')) invalid(field, 'must not contain NUL characters');
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

/** The truths of a tensor's rows: labels of a BYTES or integer [n], values of an FP [n, ...]. */
function tensorTruths(tensor: Tensor, field: string): Truth[] {
  const n = tensor.shape[0];
  if (n === undefined || n === 0)
    invalid(field, `must have a first dimension of at least 1 row, got shape [${tensor.shape.join(', ')}]`);
  const width = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  if (tensor.datatype === 'BYTES' || /^U?INT(8|16|32|64)$/.test(tensor.datatype)) {
    if (width !== 1) invalid(field, `labels must have shape [n], got [${tensor.shape.join(', ')}]`);
    if (tensor.datatype === 'BYTES') {
      return tensor.data.map((bytes, r) => {
        let label: string;
        try {
          label = TEXT.decode(bytes);
        } catch {
          return invalid(`${field}[${r}]`, 'must be UTF-8 text');
        }
        return { kind: 'label' as const, label };
      });
    }
    const data = tensor.data as ArrayLike<number | bigint>;
    return Array.from({ length: n! }, (_, r) => ({ kind: 'label' as const, label: String(data[r]) }));
  }
  if (tensor.datatype === 'FP32' || tensor.datatype === 'FP64') {
    const data = tensor.data;
    return Array.from({ length: n! }, (_, r) => {
      const values = Array.from(data.subarray(r * width, (r + 1) * width));
      if (!values.every(Number.isFinite)) invalid(`${field}[${r}]`, 'values must be finite');
      return { kind: 'value' as const, values };
    });
  }
  return invalid(
    field,
    `datatype ${tensor.datatype} is not a truth: BYTES or integer labels of shape [n], or FP32/FP64 values of shape [n, ...]`,
  );
}

/**
 * Checks every item's form and expands the call into feedback rows, in request order.
 * @throws InvalidArgumentError naming `items[i].<field>`; ResourceExhaustedError naming
 *   --max-feedback-per-call. Nothing is stored by the caller when this throws.
 */
export function expandFeedback(
  items: readonly FeedbackItemInput[],
  nowMs: number,
  limits: FeedbackFormLimits = DEFAULT_FEEDBACK_FORM_LIMITS,
): ExpandedFeedback[] {
  if (items.length === 0) invalid('items', 'at least one item is required (rule "items.set")');
  const out: ExpandedFeedback[] = [];
  for (const [i, item] of items.entries()) {
    const at = (name: string) => `items[${i}].${name}`;
    checkId(at('request_id'), item.requestId, limits, true);
    checkId(at('model_name'), item.modelName, limits, false);
    const first = item.row ?? 0;
    if (!Number.isSafeInteger(first) || first < 0)
      invalid(at('row'), `must be a whole number of 0 or more, got ${first}`);
    const observedMs = item.observeTimeMs ?? nowMs;
    if (!Number.isFinite(observedMs)) invalid(at('observe_time'), 'must be a valid time');
    if (observedMs > nowMs + limits.maxObserveSkewMs) {
      invalid(
        at('observe_time'),
        `must not be after arrival + ${limits.maxObserveSkewMs / 60_000} minutes (rule "items.observe_time_future")`,
      );
    }
    const truth = item.truth;
    if (truth === undefined)
      return invalid(
        at('truth'),
        'exactly one of label, values, reward, tensor and labels is required (rule "items.truth_set")',
      );
    let truths: Truth[];
    switch (truth.kind) {
      case 'label':
        if (truth.label === '') invalid(at('label'), 'must not be empty');
        truths = [{ kind: 'label', label: truth.label }];
        break;
      case 'labels':
        if (truth.labels.length === 0) invalid(at('labels'), 'at least one label is required');
        truth.labels.forEach((label, r) => {
          if (label === '') invalid(`${at('labels')}[${r}]`, 'must not be empty');
        });
        truths = truth.labels.map((label) => ({ kind: 'label', label }));
        break;
      case 'values':
        if (truth.values.length === 0) invalid(at('values'), 'at least one value is required');
        truth.values.forEach((v, k) => {
          if (!Number.isFinite(v)) invalid(`${at('values')}[${k}]`, `must be finite, got ${v}`);
        });
        truths = [{ kind: 'value', values: [...truth.values] }];
        break;
      case 'reward':
        if (!Number.isFinite(truth.reward)) invalid(at('reward'), `must be finite, got ${truth.reward}`);
        truths = [{ kind: 'reward', reward: truth.reward }];
        break;
      case 'tensor':
        truths = tensorTruths(truth.tensor, at('tensor'));
        break;
    }
    for (const label of truths) {
      if (label.kind === 'label' && label.label.length > limits.maxIdLength) {
        invalid(
          at(truth.kind === 'label' ? 'label' : truth.kind),
          `a label must have at most ${limits.maxIdLength} characters`,
        );
      }
    }
    const last = first + truths.length - 1;
    if (last >= limits.maxRowsPerPrediction) {
      invalid(at('row'), `must be below ${limits.maxRowsPerPrediction}, got ${last}`);
    }
    truths.forEach((t, k) => {
      out.push({
        item: i,
        record: {
          requestId: item.requestId,
          modelName: item.modelName,
          row: first + k,
          truth: t,
          observedMs,
          receivedMs: nowMs,
        },
      });
    });
    if (out.length > limits.maxFeedbackPerCall) {
      throw new ResourceExhaustedError(
        `items: more than ${limits.maxFeedbackPerCall} feedback rows in one call (--max-feedback-per-call); send them in smaller calls`,
      );
    }
  }
  return out;
}
