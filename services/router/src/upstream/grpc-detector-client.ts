/**
 * The engine's {@link DetectorClient} over gRPC: `Predict` of sightline.outlier.v1 or
 * sightline.drift.v1, reduced to a verdict (any row an outlier, the highest score, the
 * threshold and the fitted version that answered; drift or not and the p-value).
 */
import { Metadata, status } from '@grpc/grpc-js';
import { driftV1, outlierV1 } from '@sightline/contracts';
import type { CallOptions, DetectorCall, DetectorClient, DetectorVerdict } from '../engine/ports.js';
import { encodeDriftPredict, encodeOutlierPredict } from './detector-request-wire.js';
import { fromServiceError } from './grpc-status-error.js';
import type { UpstreamClients } from './upstream-clients.js';

/**
 * An outlier Predict answer as a verdict: any row an outlier, the highest row score, the
 * threshold, and the fitted version (0, before the service reported versions, is left out).
 */
export function outlierVerdict(response: outlierV1.PredictResponse): DetectorVerdict {
  const scores = response.data?.instanceScore ?? [];
  let highest = Number.NEGATIVE_INFINITY;
  for (const score of scores) if (score > highest) highest = score;
  const version = response.meta?.version ?? 0;
  return {
    isOutlier: (response.data?.isOutlier ?? []).some(Boolean),
    ...(scores.length > 0 ? { score: highest } : {}),
    ...(response.data !== undefined ? { threshold: response.data.threshold } : {}),
    ...(version > 0 ? { version } : {}),
  };
}

const OUTLIER_PREDICT_PATH = outlierV1.OutlierServiceService.predict.path;
const DRIFT_PREDICT_PATH = driftV1.DriftServiceService.predict.path;

export class GrpcDetectorClient implements DetectorClient {
  constructor(private readonly clients: UpstreamClients) {}

  async predict(call: DetectorCall, options: CallOptions): Promise<DetectorVerdict> {
    if (call.kind === 'outlier') {
      // A verdict is scalars (the highest score): per-feature scores (the autoencoder's)
      // would be computed, sent and dropped, so the request asks for none.
      const request = encodeOutlierPredict(call.detector, call.tensors, call.requestId);
      const response = await this.callBytes(call.address, OUTLIER_PREDICT_PATH, request, options);
      return outlierVerdict(decodeAnswer(() => outlierV1.PredictResponse.decode(response)));
    }
    const request = encodeDriftPredict(call.detector, call.tensors);
    const response = await this.callBytes(call.address, DRIFT_PREDICT_PATH, request, options);
    const answer = decodeAnswer(() => driftV1.PredictResponse.decode(response));
    return {
      isDrift: answer.data?.isDrift ?? false,
      ...(answer.data?.pVal !== undefined ? { pValue: answer.data.pVal } : {}),
    };
  }

  /**
   * One Predict over the address's unary transport, the one its ModelInfer calls take
   * (`--upstream-client`; the lean HTTP/2 client by default): a detector node costs a
   * model hop's transport, not grpc-js's per-call machinery.
   */
  private async callBytes(
    address: string,
    path: string,
    request: Buffer,
    options: CallOptions,
  ): Promise<Buffer> {
    try {
      return await this.clients.inferenceTransport(address).call(path, request, {
        deadlineMs: options.deadlineMs,
        cancellation: options.cancellation,
        headers: options.traceHeaders ?? this.clients.activeTraceHeaders(),
      });
    } catch (error) {
      throw fromServiceError(error);
    }
  }
}

/** Decodes an answer; a malformed one is INTERNAL, worded as grpc-js words it. */
function decodeAnswer<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw fromServiceError({
      code: status.INTERNAL,
      details: `Response message parsing error: ${error instanceof Error ? error.message : String(error)}`,
      metadata: new Metadata(),
    });
  }
}
