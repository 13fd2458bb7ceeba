/**
 * ModelInfer messages <-> the data plane's requests and answers, on both paths: the
 * decoded one (ts-proto messages) and the byte path (a scanned request forwarded as its
 * bytes; the upstream's answer re-addressed by appending fields). Both paths check and
 * answer with the same functions, so a request gets the same answer or error either way.
 */
import { inference } from '@sightline/contracts';
import {
  type ContentsMode,
  parametersToRecord,
  recordToParameters,
  type TensorDecodeLimits,
} from '@sightline/tensor';
import type {
  RouterByteInferRequest,
  RouterByteInferResponse,
  RouterInferRequest,
  RouterInferResponse,
} from '../inference/router-data-plane.js';
import { appendInferFields, type ScannedInferRequest } from './infer-wire.js';
import { routedFromWire, routedToWire } from './routed-wire.js';

/**
 * The ModelInferRequest fields the data plane reads: a decoded message, or a
 * {@link ScannedInferRequest} (every field `decode` gives, raw contents as views).
 */
export type InferRequestFields = Omit<inference.ModelInferRequest, 'rawInputContents'> & {
  readonly rawInputContents: readonly Uint8Array[];
};

/** A request in the data plane's terms, checked against the limits. */
export function requestFromMessage(
  message: InferRequestFields,
  limits: TensorDecodeLimits,
): RouterInferRequest {
  return {
    modelName: message.modelName,
    modelVersion: message.modelVersion,
    id: message.id,
    parameters: parametersToRecord(message.parameters),
    tensors: routedFromWire(message.inputs, message.rawInputContents, 'input', 'raw_input_contents', limits),
    outputs: message.outputs.map((o) => o.name),
  };
}

/** The data plane's answer as a message, tensors in `mode`. */
export function responseToMessage(
  response: RouterInferResponse,
  mode: ContentsMode,
): inference.ModelInferResponse {
  const { headers, raw } = routedToWire(response.tensors, mode);
  return {
    modelName: response.modelName,
    modelVersion: response.modelVersion,
    id: response.id,
    parameters: recordToParameters(response.parameters),
    outputs: headers,
    rawOutputContents: raw,
  };
}

/**
 * Whether a scanned request can be forwarded as its bytes whatever its graph: every input
 * in `raw_input_contents` (so the answer is raw either way: `responseContentsMode`) and no
 * requested outputs (the decoded path selects them itself, with its own error, and asks
 * the upstream for the node's outputs instead). Typed contents are decoded and re-sent as
 * raw by the decoded path, with its own checks, so they go that way.
 */
export function isForwardableRequest(scan: ScannedInferRequest): boolean {
  return scan.rawInputContents.length > 0 && scan.outputs.length === 0;
}

/**
 * A scanned request in the data plane's terms, checked exactly as {@link requestFromMessage}
 * checks a decoded one (it is that function), with the bytes to forward.
 */
export function byteRequestFromScan(
  bytes: Uint8Array,
  scan: ScannedInferRequest,
  limits: TensorDecodeLimits,
): RouterByteInferRequest {
  return { ...requestFromMessage(scan, limits), bytes, length: scan.length };
}

/**
 * The byte path's answer: the upstream's bytes with the router's name, version, id and
 * parameters appended; or, for an upstream answer that cannot be passed on as it is (see
 * ByteModelAnswer.forwardable), the message the decoded path would encode (raw contents:
 * byte-path requests are raw).
 */
export function encodeByteResponse(response: RouterByteInferResponse): Buffer {
  const { upstream } = response;
  const parameters = recordToParameters(response.parameters);
  if (upstream.forwardable) {
    return appendInferFields(upstream.response, upstream.length, {
      modelName: response.modelName,
      modelVersion: response.modelVersion,
      id: response.id,
      parameters,
    });
  }
  const message = responseToMessage({ ...response, tensors: upstream.tensors }, 'raw');
  return Buffer.from(inference.ModelInferResponse.encode(message).finish());
}
