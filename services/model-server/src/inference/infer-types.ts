/**
 * One inference in domain terms: what the gRPC handlers decode requests into and encode
 * responses from. Tensors, not protobuf messages.
 */

import type { Cancellation } from '@sightline/errors';
import type { ParameterRecord, Tensor } from '@sightline/tensor';

/** An output the caller wants, with its parameters (e.g. `binary_data`). */
export interface RequestedOutput {
  readonly name: string;
  readonly parameters: ParameterRecord;
}

/** An input's declared name and datatype. */
export interface InputHeader {
  readonly name: string;
  readonly datatype: string;
}

/** A decoded inference request. */
export interface InferRequest {
  readonly modelName: string;
  /** Empty: the newest ready version. */
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: ParameterRecord;
  /**
   * Each input's name and datatype as the request declares them. They are checked against
   * the model before any contents are decoded, so a request whose datatype is wrong hears
   * that, not a complaint about an element its bytes do not make in the wrong datatype.
   */
  readonly inputHeaders: readonly InputHeader[];
  /** Decodes the inputs' contents (the wire rules and size limits apply here). */
  decodeInputs(): readonly Tensor[];
  /** Empty: every output of the model. */
  readonly outputs: readonly RequestedOutput[];
}

/** An inference result, before encoding. */
export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: ParameterRecord;
  readonly outputs: readonly Tensor[];
}

/** What the data plane needs to know about the call it serves. */
export interface InferCall {
  /**
   * Hears of the caller's cancel or passed deadline (the service-kit's CallContext is one;
   * `cancellationOf` adapts an AbortSignal).
   */
  readonly cancellation?: Cancellation;
  /** The caller's deadline, epoch milliseconds. */
  readonly deadlineMs?: number | undefined;
}
