/** A decoded `ModelInferResponse`: outputs as `InferOutput`s, parameters as plain values. */
import type { inference } from '@sightline/contracts';
import { NotFoundError, quoteName } from '@sightline/errors';
import { decodeInferOutputs, type ParameterRecord, parametersToRecord } from '@sightline/tensor';
import { InferOutput } from './infer-output.js';

/** The response parameter the router answers the request's trace id in. */
export const TRACE_ID_PARAMETER = 'sightline.trace_id';

/** An infer call's answer. */
export interface InferResult {
  /** The model (or graph) that answered. */
  readonly model: string;
  /** Its version; empty when the server names none. */
  readonly version: string;
  /** The request id, as sent. */
  readonly id: string;
  /** The answer's parameters (the router's `sightline.trace_id`, `sightline.path`, ...). */
  readonly parameters: ParameterRecord;
  /** The outputs, in the server's order. */
  readonly outputs: readonly InferOutput[];
  /** The trace id of the request, when the server answered one (the router does). */
  readonly traceId: string | undefined;
  /**
   * The output named `name`.
   *
   * @throws NotFoundError naming the output and those the answer has.
   */
  output(name: string): InferOutput;
}

/**
 * Decodes a response.
 *
 * @throws InvalidArgumentError when the server's answer breaks the protocol (naming the output).
 */
export function decodeInferResult(response: inference.ModelInferResponse): InferResult {
  const tensors = decodeInferOutputs(response);
  const outputs = tensors.map(
    (tensor, i) =>
      new InferOutput(
        tensor,
        parametersToRecord(response.outputs[i]?.parameters, `output ${quoteName(tensor.name)}`),
      ),
  );
  const parameters = parametersToRecord(response.parameters, 'response');
  const traceId = parameters[TRACE_ID_PARAMETER];
  return {
    model: response.modelName,
    version: response.modelVersion,
    id: response.id,
    parameters,
    outputs,
    traceId: typeof traceId === 'string' ? traceId : undefined,
    output(name: string): InferOutput {
      const output = outputs.find((candidate) => candidate.name === name);
      if (output === undefined) {
        const names = outputs.map((candidate) => quoteName(candidate.name)).join(', ');
        throw new NotFoundError(`output ${quoteName(name)}: not in the answer (it has ${names || 'none'})`);
      }
      return output;
    },
  };
}
