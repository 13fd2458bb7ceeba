/**
 * A ModelInfer request travelling through the router. Like a `RoutedTensor` it keeps
 * the form it arrived in: the caller's encoded message stays as it is (raw tensors are
 * views of it, decoded only when a node inspects them), so the one model call that sends
 * the request on unchanged can forward those bytes instead of encoding a new request
 * (docs/design/router-byte-path.md; the executor decides, in one place).
 */
import type { ParameterRecord } from '@sightline/tensor';
import type { EncodedMessage } from './ports.js';
import type { Payload } from './routed-tensor.js';

/** A ModelInfer request in domain terms, with its wire form. It is its graph root's input. */
export interface RoutedRequest extends Payload {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: Readonly<ParameterRecord>;
  /** Requested outputs; empty returns all. */
  readonly outputs: readonly string[];
  /**
   * Parameters of requested outputs that the model-server applies (Triton's
   * `classification`), by output name; only outputs that carry such parameters
   * (`binary_data`, which the router applies itself, is left out). Absent or empty: none.
   */
  readonly outputParameters?: Readonly<Record<string, Readonly<ParameterRecord>>> | undefined;
  /** Whether the inputs came in `raw_input_contents` (then `tensors` are views of `encoded`). */
  readonly rawContents: boolean;
  /** The caller's encoded ModelInferRequest; undefined for a request that came in another form. */
  readonly encoded: EncodedMessage | undefined;
}
