/**
 * What the data plane needs from an Open Inference Protocol (V2) server, in domain terms:
 * the model's metadata and ModelInfer over tensors. The gRPC adapter is
 * src/upstream/v2-endpoints.ts; tests may pass another.
 */
import type { Cancellation } from '@sightline/errors';
import type { Tensor, TensorSpec } from '@sightline/tensor';

/** How one upstream call runs: its deadline, the caller's cancellation, the trace context passed on. */
export interface UpstreamCallOptions {
  /** Epoch milliseconds. */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  /** W3C `traceparent` / `tracestate` of the caller, sent on the call (empty: the active span's, if any). */
  readonly traceHeaders?: Readonly<Record<string, string>>;
}

/** A model's (or graph's) V2 metadata. */
export interface TargetMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  /** E.g. "onnxruntime_onnx", "tensorflowjs" (empty for a graph). */
  readonly platform: string;
  /** Shapes include the batch dimension (-1) first. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** A ModelInfer answer. */
export interface InferAnswer {
  readonly modelName: string;
  /** The version that answered; empty when the target reports none. */
  readonly modelVersion: string;
  readonly outputs: readonly Tensor[];
}

/** One V2 server. */
export interface V2Endpoint {
  /** @throws NotFoundError for an unknown model, UnavailableError when unreachable. */
  metadata(model: string, version: string, options: UpstreamCallOptions): Promise<TargetMetadata>;
  /**
   * The model's max_batch_size (Triton's ModelConfig), undefined when the server does not
   * say (not every V2 server implements ModelConfig) or it is 0 (no batch dimension).
   */
  maxBatchSize(model: string, version: string, options: UpstreamCallOptions): Promise<number | undefined>;
  infer(
    model: string,
    version: string,
    inputs: readonly Tensor[],
    outputs: readonly string[],
    options: UpstreamCallOptions,
  ): Promise<InferAnswer>;
}

/** V2 servers by address, connected on first use. */
export interface V2Endpoints {
  endpoint(address: string): V2Endpoint;
  close(): void;
}
