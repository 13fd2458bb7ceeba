/**
 * What the engine needs from the outside, as small interfaces: the gRPC adapters in
 * src/upstream/ implement them, tests pass in-process implementations.
 */
import type { Cancellation } from '@sightline/errors';
import type { ParameterRecord } from '@sightline/tensor';
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

/** An encoded protobuf message: its first `length` bytes are the message (what follows is dropped). */
export interface EncodedMessage {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** One model call's request. */
export interface ModelCall {
  readonly id: string;
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: Readonly<ParameterRecord>;
  /** Outputs to ask for; empty asks for all. */
  readonly outputs: readonly string[];
  /** Parameters to send with some of `outputs`, by name (e.g. `classification`); absent: none. */
  readonly outputParameters?: Readonly<Record<string, Readonly<ParameterRecord>>> | undefined;
  /**
   * The caller's encoded ModelInferRequest, to send as it is with the target's name and
   * version and `id` set, instead of a request encoded from the fields above (which it
   * holds: docs/design/router-byte-path.md). Only the executor sets it, when the call sends
   * the caller's request on unchanged (GraphExecutor.forwardsCallerBytes).
   */
  readonly forward?: EncodedMessage | undefined;
}

/** One model call's answer. */
export interface ModelAnswer {
  readonly modelName: string;
  readonly modelVersion: string;
  /** The output tensors, checked as the contract requires (raw ones are views of the answer's bytes). */
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: Readonly<ParameterRecord>;
  /**
   * The upstream's encoded ModelInferResponse, for a call that forwarded the caller's bytes
   * and an answer that can be passed on as it is, fields appended: raw contents for every
   * output and no parameters (an encoded answer drops the upstream's response parameters
   * and re-encodes tensor parameters). Otherwise undefined: the answer is encoded from
   * `tensors`.
   */
  readonly encoded?: EncodedMessage | undefined;
}

/**
 * Calls models over the Open Inference Protocol. Failures are SightlineErrors carrying the
 * upstream's status code (UNAVAILABLE for a down server, DEADLINE_EXCEEDED past the deadline).
 */
export interface ModelInferer {
  infer(target: ModelTarget, call: ModelCall, options: CallOptions): Promise<ModelAnswer>;
}

/** A detector's verdict, reduced to what a graph can use. */
export interface DetectorVerdict {
  /** Outlier detectors: whether any row is an outlier. */
  readonly isOutlier?: boolean;
  /** Outlier detectors: the highest instance score. */
  readonly score?: number;
  /** Outlier detectors: the threshold the scores were compared with. */
  readonly threshold?: number;
  /**
   * Outlier detectors: the fitted version that answered (its lineage), so a verdict in a
   * response can be traced to the reference it was judged against.
   */
  readonly version?: number;
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
  /** As they travel: a raw tensor's bytes go to the detector as they are. */
  readonly tensors: readonly RoutedTensor[];
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
