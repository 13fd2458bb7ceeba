/**
 * What the engine needs from the outside, as small interfaces: the gRPC adapters in
 * src/upstream/ implement them, tests pass in-process implementations.
 */
import type { Cancellation } from '@sightline/errors';
import type { ParameterRecord, Tensor } from '@sightline/tensor';
import type { RoutedTensor } from './routed-tensor.js';

/** Where a model lives. */
export interface ModelTarget {
  readonly address: string;
  readonly modelName: string;
  readonly modelVersion: string;
}

/** Per-call limits: the absolute deadline and the caller's cancellation. */
export interface CallOptions {
  /** Epoch milliseconds. */
  readonly deadlineMs: number;
  /** The caller's cancellation (its cancel or passed deadline). */
  readonly cancellation: Cancellation;
  /**
   * Trace headers to send as they are (a router that records no spans passes the caller's
   * on); undefined when the upstream clients inject the active span's context themselves.
   */
  readonly traceHeaders?: Readonly<Record<string, string>> | undefined;
}

/** One model call's request. */
export interface ModelCall {
  readonly id: string;
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: Readonly<ParameterRecord>;
  /** Outputs to ask for; empty asks for all. */
  readonly outputs: readonly string[];
}

/** One model call's answer. */
export interface ModelAnswer {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: Readonly<ParameterRecord>;
}

/**
 * One model call of the byte path: the caller's encoded ModelInferRequest, forwarded with
 * the target's name and version and the request id set (see docs/design/router-byte-path.md).
 */
export interface ByteModelCall {
  /** The id the upstream sees: the caller's, or the router's own when the caller sent none. */
  readonly id: string;
  /** The caller's encoded request. */
  readonly request: Uint8Array;
  /** How many bytes of `request` make up the message (what follows is dropped). */
  readonly length: number;
}

/** The upstream's answer to a {@link ByteModelCall}, with what the router read of it. */
export interface ByteModelAnswer {
  readonly modelName: string;
  readonly modelVersion: string;
  /** The output tensors, checked as a decoded answer's are (raw ones are views of `response`). */
  readonly tensors: readonly RoutedTensor[];
  /** The upstream's encoded ModelInferResponse. */
  readonly response: Uint8Array;
  /** How many bytes of `response` make up the message. */
  readonly length: number;
  /**
   * Whether `response` can be answered with as it is, fields appended: raw contents for
   * every output and no parameters (the decoded path drops the upstream's response
   * parameters and re-encodes tensor parameters); otherwise the answer is re-encoded
   * from `tensors` exactly as the decoded path encodes it.
   */
  readonly forwardable: boolean;
}

/**
 * Calls models over the Open Inference Protocol. Failures are SightlineErrors carrying the
 * upstream's status code (UNAVAILABLE for a down server, DEADLINE_EXCEEDED past the deadline).
 */
export interface ModelInferer {
  infer(target: ModelTarget, call: ModelCall, options: CallOptions): Promise<ModelAnswer>;
  /**
   * The byte path's call: the same RPC and failures as {@link infer}, the request and the
   * answer kept encoded. Absent: every request takes the decoded path.
   */
  inferBytes?(target: ModelTarget, call: ByteModelCall, options: CallOptions): Promise<ByteModelAnswer>;
}

/** A detector's verdict, reduced to what a graph can use. */
export interface DetectorVerdict {
  /** Outlier detectors: whether any row is an outlier. */
  readonly isOutlier?: boolean;
  /** Outlier detectors: the highest instance score. */
  readonly score?: number;
  /** Drift detectors: whether the batch drifts. */
  readonly isDrift?: boolean;
  /** Drift detectors: the p-value when the detector gives one. */
  readonly pValue?: number;
}

/** One detector call. */
export interface DetectorCall {
  readonly kind: 'outlier' | 'drift';
  readonly address: string;
  readonly detector: string;
  readonly tensors: readonly Tensor[];
  readonly requestId: string;
}

/** Calls outlier and drift services (their `Predict` RPC). */
export interface DetectorClient {
  predict(call: DetectorCall, options: CallOptions): Promise<DetectorVerdict>;
}

/** Circuit breaker states, with the gauge values the metrics export. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
export type BreakerState = keyof typeof BREAKER_STATE_VALUE;

/** Receives what happened while a graph ran (metrics implement it). */
export interface ExecutionObserver {
  nodeFinished(graph: string, node: string, kind: string, code: string, seconds: number): void;
  retried(graph: string, node: string, code: string): void;
  breakerChanged(graph: string, node: string, address: string, state: BreakerState): void;
  /** A mirror or async detector call was dropped because too many were in flight. */
  offPathDropped(graph: string, node: string): void;
}
