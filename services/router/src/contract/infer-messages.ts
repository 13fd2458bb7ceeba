/**
 * ModelInfer messages <-> the data plane's requests and answers. Every request is read off
 * the wire by the scanner and keeps its bytes (the executor may forward them); every answer
 * is either the upstream's bytes with the router's fields appended or encoded from its
 * tensors, decided in {@link encodeInferResponse} alone (docs/design/router-byte-path.md).
 */
import { inference } from '@sightline/contracts';
import {
  type ContentsMode,
  type ParameterRecord,
  parametersToRecord,
  recordToParameters,
  type TensorDecodeLimits,
} from '@sightline/tensor';
import type { RoutedRequest } from '../engine/routed-request.js';
import type { RouterInferResponse } from '../inference/router-data-plane.js';
import { appendInferFields, type ScannedInferRequest } from './infer-wire.js';
import { routedFromWire, routedToWire } from './routed-wire.js';

/** Requested-output parameters the router applies itself (the answer's contents form). */
const ROUTER_OUTPUT_PARAMETERS: ReadonlySet<string> = new Set(['binary_data']);

/**
 * The requested outputs' parameters that only the model-server can apply (Triton's
 * `classification`), by output name; outputs without such parameters are left out.
 */
function upstreamOutputParameters(
  outputs: ScannedInferRequest['outputs'],
): Record<string, ParameterRecord> | undefined {
  let found: Record<string, ParameterRecord> | undefined;
  for (const output of outputs) {
    const record = parametersToRecord(output.parameters, `output ${JSON.stringify(output.name)}`);
    for (const name of ROUTER_OUTPUT_PARAMETERS) delete record[name];
    if (Object.keys(record).length === 0) continue;
    found ??= {};
    found[output.name] = record;
  }
  return found;
}

/**
 * A scanned request in the data plane's terms, checked against the limits (parameters,
 * then tensor headers; raw contents stay views of `bytes`), with the bytes it came in.
 */
export function requestFromScan(
  bytes: Uint8Array,
  scan: ScannedInferRequest,
  limits: TensorDecodeLimits,
): RoutedRequest {
  return {
    modelName: scan.modelName,
    modelVersion: scan.modelVersion,
    id: scan.id,
    parameters: parametersToRecord(scan.parameters),
    tensors: routedFromWire(scan.inputs, scan.rawInputContents, 'input', 'raw_input_contents', limits),
    outputs: scan.outputs.map((o) => o.name),
    outputParameters: upstreamOutputParameters(scan.outputs),
    rawContents: scan.rawInputContents.length > 0,
    encoded: { bytes, length: scan.length },
  };
}

/** The data plane's answer as a message, tensors in `mode`. */
function responseToMessage(response: RouterInferResponse, mode: ContentsMode): inference.ModelInferResponse {
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
 * The answer's bytes: the upstream's answer with the router's name, version, id and
 * parameters appended when the data plane kept it (RouterInferResponse.encoded: the
 * caller's raw request was forwarded, so the answer is raw, as `mode` says), else the
 * answer encoded from its tensors in `mode`.
 */
export function encodeInferResponse(response: RouterInferResponse, mode: ContentsMode): Buffer {
  const upstream = response.encoded;
  if (upstream && mode === 'raw') {
    return appendInferFields(upstream.bytes, upstream.length, {
      modelName: response.modelName,
      modelVersion: response.modelVersion,
      id: response.id,
      parameters: recordToParameters(response.parameters),
    });
  }
  const encoded = inference.ModelInferResponse.encode(responseToMessage(response, mode)).finish();
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}
