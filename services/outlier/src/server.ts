/**
 * The gRPC adapter of `sightline.outlier.v1.OutlierService`: each handler converts the
 * message, makes one data-plane call and converts the answer; the service-kit's wrappers
 * add spans, metrics, logs and the mapping of errors to statuses.
 */
import type { Server } from '@grpc/grpc-js';
import { outlierV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import {
  type CallKit,
  decoded,
  rangeFromMessage,
  selectionFromMessage,
  serverStream,
  tolerantDefinition,
  unary,
} from '@sightline/service-kit';
import { decodeTensorMessages, resolveDecodeLimits, type TensorDecodeLimits } from '@sightline/tensor';
import {
  detectorToMessage,
  featureScoresToMessage,
  historyPageToMessage,
  lineageToMessage,
  outlierEventToMessage,
  predictionToMessage,
  specFromCreate,
} from './contract/outlier-messages.js';
import { encodePredictResponse } from './contract/predict-response-wire.js';
import type { OutlierDataPlane } from './data-plane/outlier-data-plane.js';

const SERVICE = 'sightline.outlier.v1.OutlierService';

/** A Fit request's reference, decoded (rule "fit.reference_set": exactly one of data and reference_events). */
function fitInput(
  req: outlierV1.FitRequest,
  tensors: (data: outlierV1.FitRequest['data']) => ReturnType<typeof decodeTensorMessages>,
) {
  const events = req.referenceEvents
    ? {
        ...rangeFromMessage(req.referenceEvents.range, 'reference_events.range', Date.now()),
        selector: selectionFromMessage(req.referenceEvents.selector, 'reference_events.selector'),
      }
    : undefined;
  if (req.data.length > 0 === (events !== undefined))
    throw new InvalidArgumentError(
      'exactly one of data and reference_events is required (rule "fit.reference_set")',
    );
  return {
    name: req.name,
    ...(events ? { referenceEvents: events } : { data: tensors(req.data) }),
    creator: req.creator,
    referenceSource: req.referenceSource,
  };
}

/** Adds OutlierService to `server`. */
export function registerOutlierService(
  server: Server,
  kit: CallKit,
  plane: OutlierDataPlane,
  tensorLimits: Partial<TensorDecodeLimits>,
): void {
  const m = (name: string) => `${SERVICE}/${name}`;
  // Resolved once, not on every request's decode.
  const limits = resolveDecodeLimits(tensorLimits);
  const tensors = (data: outlierV1.ScoreRequest['data']) => decodeTensorMessages(data, 'tensor', limits);
  const implementation: outlierV1.OutlierServiceServer = {
    createDetector: unary(kit, m('CreateDetector'), async (req: outlierV1.CreateDetectorRequest) => ({
      detector: detectorToMessage(
        await plane.createDetector(specFromCreate(decoded(req, 'CreateDetectorRequest'))),
      ),
    })),
    fit: unary(kit, m('Fit'), async (message: outlierV1.FitRequest, call) => ({
      detector: detectorToMessage(await plane.fit(fitInput(decoded(message, 'FitRequest'), tensors), call)),
    })),
    fitWithProgress: serverStream(
      kit,
      m('FitWithProgress'),
      async (message: outlierV1.FitWithProgressRequest, call, send) => {
        const req = decoded(message, 'FitWithProgressRequest');
        if (!req.fit) throw new InvalidArgumentError('fit: required');
        const sent: Promise<void>[] = [];
        const view = await plane.fit(fitInput(req.fit, tensors), call, (progress) => {
          sent.push(send({ progress }));
        });
        await Promise.all(sent);
        await send({ detector: detectorToMessage(view) });
      },
    ),
    inferThreshold: unary(kit, m('InferThreshold'), async (message: outlierV1.InferThresholdRequest) => {
      const req = decoded(message, 'InferThresholdRequest');
      const { threshold, detector } = await plane.inferThreshold(req.name, tensors(req.data), {
        ...(req.thresholdPercentile === undefined ? {} : { thresholdPercentile: req.thresholdPercentile }),
        ...(req.expectedFalsePositiveRate === undefined
          ? {}
          : { expectedFalsePositiveRate: req.expectedFalsePositiveRate }),
      });
      return { threshold, detector: detectorToMessage(detector) };
    }),
    score: unary(kit, m('Score'), async (message: outlierV1.ScoreRequest) => {
      const req = decoded(message, 'ScoreRequest');
      const scores = plane.score(req.name, tensors(req.data));
      return {
        instanceScore: Array.from(scores.instanceScores),
        featureScore: featureScoresToMessage(scores.featureScores ?? []),
        ...(scores.threshold === undefined ? {} : { threshold: scores.threshold }),
      };
    }),
    predict: unary(kit, m('Predict'), async (message: outlierV1.PredictRequest) => {
      const req = decoded(message, 'PredictRequest');
      const prediction = await plane.predict(req.name, tensors(req.data), {
        returnInstanceScore: req.returnInstanceScore ?? true,
        returnFeatureScore: req.returnFeatureScore ?? true,
      });
      return predictionToMessage(prediction);
    }),
    scoreHistory: serverStream(
      kit,
      m('ScoreHistory'),
      async (message: outlierV1.ScoreHistoryRequest, call, send) => {
        const req = decoded(message, 'ScoreHistoryRequest');
        const range = rangeFromMessage(req.range, 'range', Date.now());
        await plane.scoreHistory(
          {
            name: req.name,
            ...range,
            ...(req.selector ? { selector: selectionFromMessage(req.selector, 'selector') } : {}),
            pageSize: req.pageSize,
            outliersOnly: req.outliersOnly,
          },
          call,
          (page) => send(historyPageToMessage(page)),
        );
      },
    ),
    attachDetector: unary(kit, m('AttachDetector'), async (message: outlierV1.AttachDetectorRequest) => {
      const req = decoded(message, 'AttachDetectorRequest');
      const selector = req.selector ? selectionFromMessage(req.selector, 'selector') : undefined;
      return { detector: detectorToMessage(await plane.attach(req.name, selector)) };
    }),
    detachDetector: unary(kit, m('DetachDetector'), async (message: outlierV1.DetachDetectorRequest) => ({
      detector: detectorToMessage(await plane.detach(decoded(message, 'DetachDetectorRequest').name)),
    })),
    listOutlierEvents: unary(
      kit,
      m('ListOutlierEvents'),
      async (message: outlierV1.ListOutlierEventsRequest) => {
        const req = decoded(message, 'ListOutlierEventsRequest');
        const range = req.range ? rangeFromMessage(req.range, 'range', Date.now()) : undefined;
        const page = await plane.listOutlierEvents({
          detector: req.name,
          ...(range ? { fromUnixMs: range.fromUnixMs, toUnixMs: range.toUnixMs } : {}),
          outliersOnly: req.outliersOnly,
          requestId: req.requestId,
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        });
        return { events: page.events.map(outlierEventToMessage), nextPageToken: page.nextPageToken };
      },
    ),
    getDetector: unary(kit, m('GetDetector'), async (message: outlierV1.GetDetectorRequest) => {
      const { detector, versions } = await plane.getDetector(decoded(message, 'GetDetectorRequest').name);
      return {
        detector: detectorToMessage(detector),
        versions: versions.map((lineage) => lineageToMessage(lineage, detector.spec)),
      };
    }),
    listDetectors: unary(kit, m('ListDetectors'), async (message: outlierV1.ListDetectorsRequest) => {
      const req = decoded(message, 'ListDetectorsRequest');
      const page = plane.listDetectors(req.pageSize, req.pageToken);
      return { detectors: page.detectors.map(detectorToMessage), nextPageToken: page.nextPageToken };
    }),
    deleteDetector: unary(kit, m('DeleteDetector'), async (message: outlierV1.DeleteDetectorRequest) => {
      await plane.deleteDetector(decoded(message, 'DeleteDetectorRequest').name);
      return {};
    }),
  };
  const definition = tolerantDefinition(outlierV1.OutlierServiceService);
  // Predict answers every call of a router's detector node: its own encoder writes the
  // generated encoder's bytes without its copies (contract/predict-response-wire.ts).
  server.addService(
    { ...definition, predict: { ...definition.predict!, responseSerialize: encodePredictResponse } },
    implementation,
  );
}
