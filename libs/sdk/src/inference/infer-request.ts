/**
 * An infer call's options, and the `ModelInferRequest` they make. Exported on its own so a
 * caller that sends one request many times (a load generator) can build it once.
 */
import { inference } from '@sightline/contracts';
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  type ContentsMode,
  encodeInferInputs,
  type ParameterRecord,
  recordToParameters,
} from '@sightline/tensor';
import type { CallOptions } from '../core/call-options.js';
import { type InferInputs, toTensors } from './infer-input.js';

/** An output the caller asks for, with its parameters. */
export interface RequestedOutput {
  /** The output's name. */
  readonly name: string;
  /**
   * Ask for the output's raw bytes (`binary_data: true`, Triton's parameter). Unset: true
   * when the request is sent raw, so the answer comes raw too.
   */
  readonly binaryData?: boolean;
  /** Ask for the top N classes instead of the tensor (`classification: N`). */
  readonly classification?: number;
  /** Any other parameters of this output. */
  readonly parameters?: ParameterRecord;
}

/** The request-level settings of an infer call. */
export interface InferRequestOptions {
  /** The model version; unset or empty: the server's choice (the latest). */
  readonly version?: string;
  /** The request id, echoed in the answer and the router's events. */
  readonly id?: string;
  /** Request parameters (e.g. `runtime: 'tfjs'` for a switch graph). */
  readonly parameters?: ParameterRecord;
  /** The outputs to return; unset: every output. */
  readonly outputs?: readonly (string | RequestedOutput)[];
  /**
   * `raw` (the default): elements as raw bytes in raw_input_contents, so the answer comes
   * raw too (the cheaper encoding on both ends). `typed`: elements in each tensor's typed
   * contents (FP16 and BF16 inputs still go raw: they have no typed field).
   */
  readonly contents?: ContentsMode;
}

/** An infer call's options: the request's and the call's. */
export interface InferOptions extends InferRequestOptions, CallOptions {
  /**
   * Retry this call on UNAVAILABLE like an idempotent one. Off by default: a model call may
   * have effects (events logged, feedback joined) the caller does not want twice.
   */
  readonly idempotent?: boolean;
}

/**
 * The `ModelInferRequest` for `model` and `inputs`.
 *
 * @throws InvalidArgumentError naming the input, output or parameter at fault.
 */
export function buildInferRequest(
  model: string,
  inputs: InferInputs,
  options: InferRequestOptions = {},
): inference.ModelInferRequest {
  if (model === '') throw new InvalidArgumentError('model: must name a model or graph');
  const mode = options.contents ?? 'raw';
  const encoded = encodeInferInputs(toTensors(inputs), mode);
  const raw = encoded.rawInputContents.length > 0;
  return inference.ModelInferRequest.fromPartial({
    modelName: model,
    modelVersion: options.version ?? '',
    id: options.id ?? '',
    parameters: recordToParameters(options.parameters ?? {}),
    inputs: encoded.inputs,
    outputs: (options.outputs ?? []).map((output) => requestedOutput(output, raw)),
    rawInputContents: encoded.rawInputContents,
  });
}

function requestedOutput(
  output: string | RequestedOutput,
  raw: boolean,
): inference.ModelInferRequest_InferRequestedOutputTensor {
  const spec = typeof output === 'string' ? { name: output } : output;
  if (spec.name === '') throw new InvalidArgumentError('outputs: an output name must not be empty');
  const parameters: ParameterRecord = { ...spec.parameters };
  const binaryData = spec.binaryData ?? (raw ? true : undefined);
  if (binaryData !== undefined) parameters.binary_data = binaryData;
  if (spec.classification !== undefined) {
    if (!Number.isInteger(spec.classification) || spec.classification < 1) {
      throw new InvalidArgumentError(
        `output ${quoteName(spec.name)}: classification must be a positive integer, got ${spec.classification}`,
      );
    }
    parameters.classification = BigInt(spec.classification);
  }
  return { name: spec.name, parameters: recordToParameters(parameters) };
}
