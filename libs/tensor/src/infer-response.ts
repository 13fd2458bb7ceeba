/**
 * `ModelInferResponse` <-> tensors. The server side encodes outputs (model-server,
 * router); the client side decodes them (SDK, router hops, benchmarks).
 */
import type { inference } from '@sightline/contracts';
import type { TensorDecodeLimits } from './decode-limits.js';
import type { Tensor } from './types.js';
import { type ContentsMode, decodeWireTensors, encodeWireTensors } from './wire-tensors.js';

/**
 * A response's `outputs` and `rawOutputContents`, ready to spread into a
 * `ModelInferResponse`. The raw buffers are Buffers (so the generated type accepts them)
 * and therefore also `Uint8Array`s.
 */
export interface EncodedInferOutputs {
  outputs: inference.ModelInferResponse_InferOutputTensor[];
  rawOutputContents: Buffer[];
}

/**
 * Encodes tensors as response outputs. In `typed` mode each output carries typed
 * contents, unless any tensor is FP16 or BF16: those have no typed field and the protocol
 * forbids mixing typed and raw contents in one response, so the whole response then goes
 * raw. Raw fixed-width outputs are views on the tensors' memory (no copies).
 *
 * @throws InvalidArgumentError for a malformed tensor or a duplicate name.
 */
export function encodeInferOutputs(tensors: readonly Tensor[], mode: ContentsMode): EncodedInferOutputs {
  const { headers, raw } = encodeWireTensors(tensors, mode, 'output');
  return { outputs: headers, rawOutputContents: raw };
}

/**
 * Decodes a response's outputs with the same wire rules as `decodeInferInputs`, against
 * `raw_output_contents`. Errors name the output (`output "y": ...`).
 */
export function decodeInferOutputs(
  response: inference.ModelInferResponse,
  limits?: Partial<TensorDecodeLimits>,
): Tensor[] {
  return decodeWireTensors(
    response.outputs,
    response.rawOutputContents,
    'output',
    'raw_output_contents',
    limits,
  );
}

/**
 * The contents mode a response should use for `request`: raw answers a request that sent
 * raw contents, or that asks `binary_data: true` on any requested output (the parameter
 * Triton's clients send); typed answers the rest. One mode per response, since the
 * protocol forbids mixing the two in one message.
 */
export function responseContentsMode(
  request: Pick<inference.ModelInferRequest, 'outputs'> & {
    readonly rawInputContents: readonly Uint8Array[];
  },
): ContentsMode {
  if (request.rawInputContents.length > 0) return 'raw';
  return request.outputs.some((o) => o.parameters.binary_data?.boolParam === true) ? 'raw' : 'typed';
}
