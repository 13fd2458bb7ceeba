/**
 * `ModelInferRequest` <-> tensors. The server side decodes inputs (model-server, router);
 * the client side encodes them (SDK, router hops, benchmarks).
 */
import type { inference } from '@sightline/contracts';
import type { TensorDecodeLimits } from './decode-limits.js';
import type { Tensor } from './types.js';
import { type ContentsMode, decodeWireTensors, encodeWireTensors } from './wire-tensors.js';

/**
 * Decodes a request's inputs, enforcing the protocol's wire rules: raw_input_contents and
 * typed contents never both, one raw entry per input, unique non-empty names, known
 * datatypes, concrete shapes (no -1, no negative dims, at most Number.MAX_SAFE_INTEGER
 * elements) and the `limits`. Raw fixed-width inputs are views on the request's buffers
 * where aligned: treat their data as read-only.
 *
 * @throws InvalidArgumentError naming the input (`input "x": ...`), or
 *   ResourceExhaustedError when a limit is exceeded.
 */
export function decodeInferInputs(
  request: inference.ModelInferRequest,
  limits?: Partial<TensorDecodeLimits>,
): Tensor[] {
  return decodeWireTensors(request.inputs, request.rawInputContents, 'input', 'raw_input_contents', limits);
}

/** A request's `inputs` and `rawInputContents`, ready to spread into a `ModelInferRequest`. */
export interface EncodedInferInputs {
  inputs: inference.ModelInferRequest_InferInputTensor[];
  rawInputContents: Buffer[];
}

/**
 * Encodes tensors as request inputs. In `typed` mode each input carries typed contents,
 * unless any tensor is FP16 or BF16: those have no typed field and the protocol forbids
 * mixing, so the whole request then goes raw. `rawInputContents` is empty in typed mode.
 */
export function encodeInferInputs(tensors: readonly Tensor[], mode: ContentsMode): EncodedInferInputs {
  const { headers, raw } = encodeWireTensors(tensors, mode, 'input');
  return { inputs: headers, rawInputContents: raw };
}
