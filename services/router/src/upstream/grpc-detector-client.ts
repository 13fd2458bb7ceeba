/**
 * The engine's {@link DetectorClient} over gRPC: `Predict` of sightline.outlier.v1 or
 * sightline.drift.v1, reduced to a verdict (any row an outlier, the highest score, the
 * threshold and the fitted version that answered; drift or not and the p-value).
 */
import type { driftV1, outlierV1 } from '@sightline/contracts';
import { encodeTensorMessages } from '@sightline/tensor';
import type { CallOptions, DetectorCall, DetectorClient, DetectorVerdict } from '../engine/ports.js';
import { callUnary } from './grpc-model-inferer.js';
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

export class GrpcDetectorClient implements DetectorClient {
  constructor(private readonly clients: UpstreamClients) {}

  async predict(call: DetectorCall, options: CallOptions): Promise<DetectorVerdict> {
    const data = encodeTensorMessages(call.tensors, 'raw');
    if (call.kind === 'outlier') {
      const client = this.clients.outlier(call.address);
      const request: outlierV1.PredictRequest = {
        name: call.detector,
        data,
        returnInstanceScore: true,
        // A verdict is scalars (the highest score): per-feature scores (the autoencoder's)
        // would be computed, sent and dropped.
        returnFeatureScore: false,
        requestId: call.requestId,
      };
      const response = await callUnary<outlierV1.PredictResponse>(
        (metadata, callOptions, callback) => client.predict(request, metadata, callOptions, callback),
        options,
      );
      return outlierVerdict(response);
    }
    const client = this.clients.drift(call.address);
    const request: driftV1.PredictRequest = {
      name: call.detector,
      data,
      driftType: 0,
      returnPVal: true,
      returnDistance: false,
    };
    const response = await callUnary<driftV1.PredictResponse>(
      (metadata, callOptions, callback) => client.predict(request, metadata, callOptions, callback),
      options,
    );
    return {
      isDrift: response.data?.isDrift ?? false,
      ...(response.data?.pVal !== undefined ? { pValue: response.data.pVal } : {}),
    };
  }
}
