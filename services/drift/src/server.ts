/**
 * The gRPC adapter of `sightline.drift.v1.DriftService`: each handler converts the message,
 * makes one data-plane call and converts the answer; the service-kit's wrappers add spans,
 * metrics, logs and the mapping of errors to statuses.
 */
import type { Server } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
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
import { decodeTensorMessages, type TensorDecodeLimits } from '@sightline/tensor';
import {
  detectorToMessage,
  driftEventToMessage,
  historyItemToMessage,
  lineageToMessage,
  specFromCreate,
  verdictToMessage,
  windowFromMessage,
  windowShareFromMessage,
} from './contract/drift-messages.js';
import type { DriftDataPlane } from './data-plane/drift-data-plane.js';

const SERVICE = 'sightline.drift.v1.DriftService';

/** Adds DriftService to `server`. */
export function registerDriftService(
  server: Server,
  kit: CallKit,
  plane: DriftDataPlane,
  tensorLimits: Partial<TensorDecodeLimits>,
): void {
  const m = (name: string) => `${SERVICE}/${name}`;
  const tensors = (data: driftV1.ScoreRequest['data']) => decodeTensorMessages(data, 'tensor', tensorLimits);
  const implementation: driftV1.DriftServiceServer = {
    createDetector: unary(kit, m('CreateDetector'), async (req: driftV1.CreateDetectorRequest) => ({
      detector: detectorToMessage(
        await plane.createDetector(specFromCreate(decoded(req, 'CreateDetectorRequest'))),
      ),
    })),
    fit: unary(kit, m('Fit'), async (message: driftV1.FitRequest, call) => {
      const req = decoded(message, 'FitRequest');
      const events = req.referenceEvents
        ? {
            ...rangeFromMessage(req.referenceEvents.range, 'reference_events.range', Date.now()),
            selection: selectionFromMessage(req.referenceEvents.selector, 'reference_events.selector'),
          }
        : undefined;
      if (req.data.length > 0 === (events !== undefined))
        throw new InvalidArgumentError(
          'exactly one of data and reference_events is required (rule "fit.reference_set")',
        );
      const view = await plane.fit(
        {
          name: req.name,
          ...(events ? { referenceEvents: events } : { data: tensors(req.data) }),
          creator: req.creator,
          referenceSource: req.referenceSource,
        },
        call,
      );
      return { detector: detectorToMessage(view) };
    }),
    inferThreshold: unary(kit, m('InferThreshold'), async (message: driftV1.InferThresholdRequest, call) => {
      const req = decoded(message, 'InferThresholdRequest');
      const seed = req.seed === undefined ? undefined : Number(req.seed);
      const { threshold, detector } = await plane.inferThreshold(req.name, req.ert, seed, call);
      return { threshold, detector: detectorToMessage(detector) };
    }),
    score: unary(kit, m('Score'), async (message: driftV1.ScoreRequest) => {
      const req = decoded(message, 'ScoreRequest');
      const verdict = await plane.score(req.name, tensors(req.data));
      const data = verdictToMessage(verdict);
      return {
        features: data.features.map((feature) => ({ ...feature, isDrift: false })),
        pVal: data.pVal,
        distance: data.distance,
        testStat: verdict.online?.rows.map((row) => row.testStat) ?? [],
      };
    }),
    predict: unary(kit, m('Predict'), async (message: driftV1.PredictRequest) => {
      const req = decoded(message, 'PredictRequest');
      const outcome = await plane.predict(req.name, tensors(req.data), {
        driftType: req.driftType === driftV1.DriftType.DRIFT_TYPE_FEATURE ? 'feature' : 'batch',
        returnPValue: req.returnPVal ?? true,
        returnDistance: req.returnDistance ?? true,
      });
      return {
        meta: {
          name: outcome.meta.name,
          kind: outcome.meta.kind,
          detectorType: 'drift',
          online: outcome.meta.online,
          dataType: 'tabular',
          schemaVersion: outcome.meta.schemaVersion,
        },
        data: verdictToMessage(outcome.verdict),
      };
    }),
    scoreHistory: serverStream(
      kit,
      m('ScoreHistory'),
      async (message: driftV1.ScoreHistoryRequest, call, send) => {
        const req = decoded(message, 'ScoreHistoryRequest');
        const range = rangeFromMessage(req.range, 'range', Date.now());
        const window = windowFromMessage(req.window);
        await plane.scoreHistory(
          {
            name: req.name,
            ...range,
            selection: selectionFromMessage(req.selector, 'selector'),
            ...(window ? { window } : {}),
          },
          call,
          (item) => send(historyItemToMessage(item)),
        );
      },
    ),
    attachDetector: unary(kit, m('AttachDetector'), async (message: driftV1.AttachDetectorRequest) => {
      const req = decoded(message, 'AttachDetectorRequest');
      const view = await plane.attach(
        req.name,
        selectionFromMessage(req.selector, 'selector'),
        windowFromMessage(req.window),
      );
      return { detector: detectorToMessage(view) };
    }),
    detachDetector: unary(kit, m('DetachDetector'), async (message: driftV1.DetachDetectorRequest) => ({
      detector: detectorToMessage(await plane.detach(decoded(message, 'DetachDetectorRequest').name)),
    })),
    listDriftEvents: unary(kit, m('ListDriftEvents'), async (message: driftV1.ListDriftEventsRequest) => {
      const req = decoded(message, 'ListDriftEventsRequest');
      const range = req.range ? rangeFromMessage(req.range, 'range', Date.now()) : undefined;
      const page = await plane.listDriftEvents({
        detector: req.name,
        ...(range ? { fromUnixMs: range.fromUnixMs, toUnixMs: range.toUnixMs } : {}),
        driftOnly: req.driftOnly,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { events: page.events.map(driftEventToMessage), nextPageToken: page.nextPageToken };
    }),
    resetDetector: unary(kit, m('ResetDetector'), async (message: driftV1.ResetDetectorRequest) => ({
      detector: detectorToMessage(await plane.reset(decoded(message, 'ResetDetectorRequest').name)),
    })),
    getDetector: unary(kit, m('GetDetector'), async (message: driftV1.GetDetectorRequest) => {
      const { detector, versions } = await plane.getDetector(decoded(message, 'GetDetectorRequest').name);
      return { detector: detectorToMessage(detector), versions: versions.map(lineageToMessage) };
    }),
    listDetectors: unary(kit, m('ListDetectors'), async (message: driftV1.ListDetectorsRequest) => {
      const req = decoded(message, 'ListDetectorsRequest');
      const page = await plane.listDetectors(req.pageSize, req.pageToken);
      return { detectors: page.detectors.map(detectorToMessage), nextPageToken: page.nextPageToken };
    }),
    deleteDetector: unary(kit, m('DeleteDetector'), async (message: driftV1.DeleteDetectorRequest) => {
      await plane.deleteDetector(decoded(message, 'DeleteDetectorRequest').name);
      return {};
    }),
    mergeWindowShare: unary(kit, m('MergeWindowShare'), async (message: driftV1.MergeWindowShareRequest) => ({
      outcome: plane.mergeWindowShare(() =>
        windowShareFromMessage(decoded(message, 'MergeWindowShareRequest')),
      ),
    })),
  };
  server.addService(tolerantDefinition(driftV1.DriftServiceService), implementation);
}
