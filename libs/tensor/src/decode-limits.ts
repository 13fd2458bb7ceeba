/**
 * Limits on what one request or response may declare, checked before anything is
 * allocated. Exceeding one is RESOURCE_EXHAUSTED naming the limit and its value.
 */

/** Default most tensors in one request or response. */
export const DEFAULT_MAX_TENSORS = 1024;

/** Default most dimensions in one shape. */
export const DEFAULT_MAX_RANK = 32;

/**
 * Default most elements in one tensor. 2^31 - 1 keeps every decoded tensor within the
 * length a JS array or typed array can have on every supported Node version, so a huge
 * declared shape fails with a clear message rather than a RangeError mid-decode.
 */
export const DEFAULT_MAX_ELEMENTS_PER_TENSOR = 2 ** 31 - 1;

/**
 * How messages name each limit: by the flag that sets it (the router and the model-server
 * both take `--max-tensors-per-request` and `--max-elements-per-tensor`), so a caller or
 * operator who hits one knows what to change. The rank limit has no flag.
 */
export const DECODE_LIMIT_NAMES: Readonly<Record<keyof TensorDecodeLimits, string>> = Object.freeze({
  maxTensors: '--max-tensors-per-request',
  maxRank: 'the rank limit, not configurable',
  maxElementsPerTensor: '--max-elements-per-tensor',
});

/** Resolved decode limits. */
export interface TensorDecodeLimits {
  /** Most tensors (inputs or outputs) in one message. */
  readonly maxTensors: number;
  /** Most dimensions in one shape. */
  readonly maxRank: number;
  /** Most elements in one tensor. */
  readonly maxElementsPerTensor: number;
}

/** The defaults, written out. */
export const DEFAULT_TENSOR_DECODE_LIMITS: TensorDecodeLimits = Object.freeze({
  maxTensors: DEFAULT_MAX_TENSORS,
  maxRank: DEFAULT_MAX_RANK,
  maxElementsPerTensor: DEFAULT_MAX_ELEMENTS_PER_TENSOR,
});

/** Fills unset limits with the defaults and freezes the result. */
export function resolveDecodeLimits(limits?: Partial<TensorDecodeLimits>): TensorDecodeLimits {
  // Every request decodes through here: skip the allocation in the common, default case.
  if (limits === undefined) return DEFAULT_TENSOR_DECODE_LIMITS;
  // Already complete (a service resolves its limits once at start): use them as they are.
  if (
    limits.maxTensors !== undefined &&
    limits.maxRank !== undefined &&
    limits.maxElementsPerTensor !== undefined
  ) {
    return limits as TensorDecodeLimits;
  }
  return Object.freeze({ ...DEFAULT_TENSOR_DECODE_LIMITS, ...limits });
}
