/**
 * The engine's {@link DetectorClient} over gRPC: `Predict` of sightline.outlier.v1 or
 * sightline.drift.v1, reduced to a verdict (any row an outlier, the highest score, the
 * threshold and the fitted version that answered; drift or not and the p-value).
 */
import { Metadata, status } from '@grpc/grpc-js';
import { driftV1, outlierV1 } from '@sightline/contracts';
import { COALESCED_TRACEPARENTS_KEY } from '@sightline/service-kit';
import type { CallOptions, DetectorCall, DetectorClient, DetectorVerdict } from '../engine/ports.js';
import {
  encodeDriftPredict,
  encodeOutlierPredict,
  encodeOutlierPredictStacked,
} from './detector-request-wire.js';
import { fromServiceError } from './grpc-status-error.js';
import {
  type CoalescedPredict,
  type OutlierRows,
  type OutlierRowsTransport,
  verdictOfRows,
} from './outlier-call-coalescer.js';
import type { UpstreamClients } from './upstream-clients.js';

/**
 * An outlier Predict answer as a verdict: any row an outlier, the highest row score, the
 * threshold, and the fitted version (0, before the service reported versions, is left out).
 */
export function outlierVerdict(response: outlierV1.PredictResponse): DetectorVerdict {
  const rows = outlierRows(response);
  return verdictOfRows(rows, 0, Math.max(rows.isOutlier.length, rows.instanceScore.length));
}

/** An outlier Predict answer's per-row verdicts. */
function outlierRows(response: outlierV1.PredictResponse): OutlierRows {
  return {
    isOutlier: response.data?.isOutlier ?? [],
    instanceScore: response.data?.instanceScore ?? [],
    ...(response.data !== undefined ? { threshold: response.data.threshold } : {}),
    ...(response.meta?.version ? { version: response.meta.version } : {}),
  };
}

const OUTLIER_PREDICT_PATH = outlierV1.OutlierServiceService.predict.path;
const DRIFT_PREDICT_PATH = driftV1.DriftServiceService.predict.path;

export class GrpcDetectorClient implements DetectorClient, OutlierRowsTransport {
  constructor(private readonly clients: UpstreamClients) {}

  /** One Predict of several calls' stacked rows (outlier-call-coalescer.ts), per-row verdicts back. */
  async predictRows(call: CoalescedPredict): Promise<OutlierRows> {
    const request = encodeOutlierPredictStacked(call.detector, call.tensors);
    const headers =
      call.coalescedTraceparents.length > 0
        ? { ...call.traceHeaders, [COALESCED_TRACEPARENTS_KEY]: call.coalescedTraceparents.join(',') }
        : call.traceHeaders;
    const response = await this.callBytes(call.address, OUTLIER_PREDICT_PATH, request, {
      deadlineMs: call.deadlineMs,
      cancellation: call.cancellation,
      traceHeaders: headers ?? {},
    });
    return outlierRows(decodeAnswer(() => outlierV1.PredictResponse.decode(response)));
  }

  activeTraceHeaders(): Readonly<Record<string, string>> | undefined {
    return this.clients.activeTraceHeaders();
  }

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
