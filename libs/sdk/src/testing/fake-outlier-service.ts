/**
 * An OutlierService test double: a real grpc-js server on 127.0.0.1 that keeps detectors in
 * memory and answers every RPC of outlier.proto with the contract's shapes and error codes
 * (FitWithProgress's epochs, ScoreHistory's pages, paging, NOT_FOUND, FAILED_PRECONDITION
 * naming the call to make), so the SDK's and the CLI's tests exercise the wire, the streams
 * and the errors without the outlier service.
 *
 * Its numbers are not the service's: every kind scores a row as the mean over features of
 * its squared z-score against the reference (the autoencoder's feature scores are those
 * squares), and a percentile threshold is numpy's linear percentile of the reference's own
 * scores. Fidelity belongs to libs/detect and the service's tests.
 */
import { Server, type ServerWritableStream, status } from '@grpc/grpc-js';
import { outlierV1 } from '@sightline/contracts';
import { decodeTensorMessages } from '@sightline/tensor';
import { errorOf, FakeCalls, FakeStatus, listenOnLoopback, pageOf } from './fake-server.js';

/** Detector names as the contract allows them (a DNS label). */
const NAME = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The seed saved when a detector is created without one. */
export const FAKE_OUTLIER_SEED = 42n;
/** The producer version the fake records in lineage. */
export const FAKE_OUTLIER_VERSION = '0.0.0-fake';
/** The backend the fake's autoencoder "trains" on. */
export const FAKE_TRAINING_BACKEND = 'tfjs-cpu';

/** Rows of features with their names. */
interface Matrix {
  readonly names: string[];
  readonly rows: number[][];
}

interface StoredDetector {
  detector: outlierV1.Detector;
  versions: outlierV1.DetectorLineage[];
  mean: number[];
  std: number[];
}

/** The running double. */
export interface FakeOutlierService {
  /** 127.0.0.1:port. */
  readonly address: string;
  /** Every request received, by method name (`fit`, `predict`, ...), in order. */
  readonly requests: Map<string, unknown[]>;
  /** Answers the next `count` calls of `method` with UNAVAILABLE, to test retries. */
  failNext(method: string, count: number): void;
  /** Events each ScoreHistory call scores (4 by default); every fourth is an outlier. */
  historyEvents: number;
  /** Stores OutlierEvents for ListOutlierEvents (the live stream's, in a real service). */
  addEvents(events: readonly outlierV1.DeepPartial<outlierV1.OutlierEvent>[]): void;
  /** Stops the server at once. */
  stop(): Promise<void>;
}

function matrixOf(data: outlierV1.FitRequest['data']): Matrix {
  const tensors = decodeTensorMessages(data);
  if (tensors.length === 0) throw new FakeStatus(status.INVALID_ARGUMENT, 'data: the batch is empty');
  const names: string[] = [];
  const columns: number[][] = [];
  const rows = tensors[0]!.shape[0] ?? 0;
  for (const tensor of tensors) {
    if (tensor.datatype === 'BYTES') {
      throw new FakeStatus(
        status.INVALID_ARGUMENT,
        `tensor "${tensor.name}": BYTES is not a numeric datatype; outlier detectors score numbers`,
      );
    }
    if ((tensor.shape[0] ?? 0) !== rows) {
      throw new FakeStatus(status.INVALID_ARGUMENT, `tensor "${tensor.name}": has another row count`);
    }
    const width = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    const values = tensor.data as ArrayLike<number | bigint>;
    for (let f = 0; f < width; f++) {
      const name = tensor.shape.length === 1 ? tensor.name : `${tensor.name}[${f}]`;
      const column = Array.from({ length: rows }, (_, r) => Number(values[r * width + f]));
      column.forEach((value, r) => {
        if (!Number.isFinite(value))
          throw new FakeStatus(
            status.INVALID_ARGUMENT,
            `column "${name}", row ${r}: ${value} is not allowed`,
          );
      });
      names.push(name);
      columns.push(column);
    }
  }
  if (rows === 0) throw new FakeStatus(status.INVALID_ARGUMENT, 'data: the batch is empty: 0 rows');
  return { names, rows: Array.from({ length: rows }, (_, r) => columns.map((c) => c[r]!)) };
}

/** numpy's percentile (linear interpolation). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (p / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

function kindName(config: outlierV1.OutlierDetectorConfig): string {
  if (config.mahalanobis) return 'Mahalanobis';
  if (config.autoencoder) return 'OutlierAE';
  return 'IForest';
}

/** The config with the defaults the service fills in (enough of them for the tests). */
function withDefaults(config: outlierV1.OutlierDetectorConfig): outlierV1.OutlierDetectorConfig {
  const c = outlierV1.OutlierDetectorConfig.fromPartial(config);
  if (c.iforest) {
    c.iforest.nEstimators ??= 100;
    c.iforest.maxFeatures ??= 1;
    c.iforest.seed ??= FAKE_OUTLIER_SEED;
  } else if (c.mahalanobis) {
    c.mahalanobis.seed ??= FAKE_OUTLIER_SEED;
  } else if (c.autoencoder) {
    c.autoencoder.epochs ??= 50;
    c.autoencoder.batchSize ??= 64;
    c.autoencoder.learningRate ??= 0.001;
    c.autoencoder.maxTrainingSeconds ??= 600;
    c.autoencoder.seed ??= FAKE_OUTLIER_SEED;
  }
  return c;
}

/** Starts the double on an ephemeral port. */
export async function startFakeOutlierService(): Promise<FakeOutlierService> {
  const detectors = new Map<string, StoredDetector>();
  const events: outlierV1.OutlierEvent[] = [];
  const calls = new FakeCalls();
  const { requests, failures } = calls;

  const record = calls.record.bind(calls);
  const find = (name: string): StoredDetector => {
    const stored = detectors.get(name);
    if (!stored) throw new FakeStatus(status.NOT_FOUND, `detector "${name}": not found`);
    return stored;
  };
  const fitted = (name: string): StoredDetector => {
    const stored = find(name);
    if (stored.detector.state === outlierV1.DetectorState.DETECTOR_STATE_CREATED) {
      throw new FakeStatus(status.FAILED_PRECONDITION, `detector "${name}": not fitted, call Fit first`);
    }
    return stored;
  };
  const withThreshold = (name: string): StoredDetector => {
    const stored = fitted(name);
    if (stored.detector.threshold === undefined) {
      throw new FakeStatus(
        status.FAILED_PRECONDITION,
        `detector "${name}": no threshold, call InferThreshold first (or fit with a threshold_percentile)`,
      );
    }
    return stored;
  };
  const batchOf = (stored: StoredDetector, data: outlierV1.ScoreRequest['data']): Matrix => {
    const batch = matrixOf(data);
    if (batch.names.length !== stored.detector.featureCount) {
      throw new FakeStatus(
        status.INVALID_ARGUMENT,
        `data: expected ${stored.detector.featureCount} features per row (${stored.detector.featureNames.join(', ')}), got ${batch.names.length}`,
      );
    }
    return batch;
  };
  const featureScores = (stored: StoredDetector, row: readonly number[]) =>
    row.map((value, f) => ((value - stored.mean[f]!) / stored.std[f]!) ** 2);
  const scoreRow = (stored: StoredDetector, row: readonly number[]) => {
    const squares = featureScores(stored, row);
    return squares.reduce((a, b) => a + b, 0) / squares.length;
  };
  const hasFeatureScores = (stored: StoredDetector) => stored.detector.config?.autoencoder !== undefined;

  function doFit(request: outlierV1.FitRequest, progress?: (p: outlierV1.TrainingProgress) => void) {
    const stored = find(request.name);
    if (request.referenceEvents !== undefined) {
      throw new FakeStatus(
        status.FAILED_PRECONDITION,
        'reference_events: no event store configured (--events-dir)',
      );
    }
    const reference = matrixOf(request.data);
    if (reference.rows.length < 2) {
      throw new FakeStatus(
        status.INVALID_ARGUMENT,
        `data: ${reference.rows.length} rows; the kind needs at least 2`,
      );
    }
    const config = stored.detector.config!;
    const n = reference.rows.length;
    stored.mean = reference.names.map((_, f) => reference.rows.reduce((a, r) => a + r[f]!, 0) / n);
    stored.std = reference.names.map((_, f) => {
      const variance = reference.rows.reduce((a, r) => a + (r[f]! - stored.mean[f]!) ** 2, 0) / (n - 1);
      return Math.sqrt(variance) || 1;
    });
    let training: outlierV1.TrainingProgress | undefined;
    if (config.autoencoder) {
      const epochs = config.autoencoder.epochs ?? 50;
      for (let epoch = 1; epoch <= epochs; epoch++) {
        training = {
          epoch,
          epochs,
          loss: 1 / epoch,
          elapsedSeconds: epoch / 100,
          backend: FAKE_TRAINING_BACKEND,
        };
        progress?.(training);
      }
    }
    const scores = reference.rows.map((row) => scoreRow(stored, row));
    const rule =
      config.thresholdPercentile ??
      (config.iforest?.contamination === undefined ? undefined : 100 * (1 - config.iforest.contamination));
    const threshold = config.threshold ?? (rule === undefined ? undefined : percentile(scores, rule));
    const d = stored.detector;
    const version = d.version + 1;
    const lineage = outlierV1.DetectorLineage.fromPartial({
      name: d.name,
      version,
      kind: kindName(config),
      config,
      referenceSha256: '0'.repeat(64),
      referenceRows: BigInt(n),
      featureNames: reference.names,
      createTime: new Date(),
      sightlineVersion: FAKE_OUTLIER_VERSION,
      creator: request.creator || 'unknown',
      referenceSource: request.referenceSource,
      seed: config.iforest?.seed ?? config.mahalanobis?.seed ?? config.autoencoder?.seed ?? 0n,
      ...(training !== undefined && { training }),
    });
    Object.assign(d, {
      state:
        threshold === undefined
          ? outlierV1.DetectorState.DETECTOR_STATE_FITTED
          : outlierV1.DetectorState.DETECTOR_STATE_THRESHOLD_SET,
      threshold,
      thresholdSource:
        config.threshold !== undefined ? 'config' : threshold === undefined ? '' : 'fit_percentile',
      thresholdPercentile: config.threshold === undefined ? rule : undefined,
      version,
      lineage,
      fitTime: lineage.createTime,
      producerVersion: FAKE_OUTLIER_VERSION,
      referenceRows: BigInt(n),
      featureCount: reference.names.length,
      featureNames: reference.names,
      inputs: decodeTensorMessages(request.data).map((t) => ({
        name: t.name,
        datatype: t.datatype,
        rowShape: t.shape.slice(1).map(BigInt),
      })),
    });
    stored.versions.unshift(lineage);
    return d;
  }

  const unary = calls.unary.bind(calls);

  const implementation: outlierV1.OutlierServiceServer = {
    createDetector: unary('createDetector', (request: outlierV1.CreateDetectorRequest) => {
      if (!NAME.test(request.name)) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          `name: must be 1-63 characters of a-z, 0-9 and '-', starting with a letter (rule "name.format"), got "${request.name}"`,
        );
      }
      if (detectors.has(request.name)) {
        throw new FakeStatus(status.ALREADY_EXISTS, `detector "${request.name}": already exists`);
      }
      const config = request.config;
      const kinds = [config?.iforest, config?.mahalanobis, config?.autoencoder].filter(
        (k) => k !== undefined,
      );
      if (config === undefined || kinds.length !== 1) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          'config: set exactly one kind (rule "config.kind_set")',
        );
      }
      const rules = [config.threshold, config.thresholdPercentile, config.iforest?.contamination];
      if (rules.filter((r) => r !== undefined).length > 1) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          'config.threshold_percentile: at most one threshold rule (rule "config.threshold_one_rule")',
        );
      }
      const detector = outlierV1.Detector.fromPartial({
        name: request.name,
        config: withDefaults(config),
        state: outlierV1.DetectorState.DETECTOR_STATE_CREATED,
        schemaVersion: 1,
        labels: request.labels,
        createTime: new Date(),
        ...(request.live && { live: request.live }),
      });
      detectors.set(request.name, { detector, versions: [], mean: [], std: [] });
      return { detector };
    }),
    fit: unary('fit', (request: outlierV1.FitRequest) => ({ detector: doFit(request) })),
    async fitWithProgress(
      call: ServerWritableStream<outlierV1.FitWithProgressRequest, outlierV1.FitWithProgressResponse>,
    ) {
      record('fitWithProgress', call.request);
      try {
        const progress: outlierV1.TrainingProgress[] = [];
        const detector = doFit(outlierV1.FitRequest.fromPartial(call.request.fit ?? {}), (p) =>
          progress.push({ ...p }),
        );
        for (const p of progress) {
          if (call.cancelled) return;
          call.write(outlierV1.FitWithProgressResponse.fromPartial({ progress: p }));
          // Yields between epochs, as a training loop does, so a cancellation arrives.
          await new Promise((resolve) => setImmediate(resolve));
        }
        call.write(outlierV1.FitWithProgressResponse.fromPartial({ detector }));
        call.end();
      } catch (error) {
        call.emit('error', errorOf(error));
      }
    },
    inferThreshold: unary('inferThreshold', (request: outlierV1.InferThresholdRequest) => {
      const stored = fitted(request.name);
      if (request.thresholdPercentile !== undefined && request.expectedFalsePositiveRate !== undefined) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          'expected_false_positive_rate: at most one of threshold_percentile and expected_false_positive_rate (rule "threshold.one_rule")',
        );
      }
      const rule =
        request.thresholdPercentile ??
        (request.expectedFalsePositiveRate === undefined
          ? 95
          : 100 * (1 - request.expectedFalsePositiveRate));
      const batch = batchOf(stored, request.data);
      const threshold = percentile(
        batch.rows.map((row) => scoreRow(stored, row)),
        rule,
      );
      Object.assign(stored.detector, {
        threshold,
        thresholdSource: 'infer_threshold',
        thresholdPercentile: rule,
        state: outlierV1.DetectorState.DETECTOR_STATE_THRESHOLD_SET,
      });
      return { threshold, detector: stored.detector };
    }),
    score: unary('score', (request: outlierV1.ScoreRequest) => {
      const stored = fitted(request.name);
      const batch = batchOf(stored, request.data);
      return outlierV1.ScoreResponse.fromPartial({
        instanceScore: batch.rows.map((row) => scoreRow(stored, row)),
        featureScore: hasFeatureScores(stored)
          ? batch.rows.map((row) => ({ score: featureScores(stored, row) }))
          : [],
        ...(stored.detector.threshold !== undefined && { threshold: stored.detector.threshold }),
      });
    }),
    predict: unary('predict', (request: outlierV1.PredictRequest) => {
      const stored = withThreshold(request.name);
      const batch = batchOf(stored, request.data);
      const scores = batch.rows.map((row) => scoreRow(stored, row));
      const threshold = stored.detector.threshold!;
      return outlierV1.PredictResponse.fromPartial({
        meta: {
          name: stored.detector.name,
          kind: kindName(stored.detector.config!),
          detectorType: 'outlier',
          online: stored.detector.config?.mahalanobis?.updateOnPredict === true,
          dataType: 'tabular',
          schemaVersion: 1,
          version: stored.detector.version,
        },
        data: {
          isOutlier: scores.map((s) => s > threshold),
          instanceScore: request.returnInstanceScore === false ? [] : scores,
          threshold,
          featureScore:
            hasFeatureScores(stored) && request.returnFeatureScore !== false
              ? batch.rows.map((row) => ({ score: featureScores(stored, row) }))
              : [],
        },
      });
    }),
    async scoreHistory(
      call: ServerWritableStream<outlierV1.ScoreHistoryRequest, outlierV1.ScoreHistoryResponse>,
    ) {
      record('scoreHistory', call.request);
      let stored: StoredDetector;
      try {
        stored = withThreshold(call.request.name);
        if (call.request.selector === undefined && stored.detector.live === undefined) {
          throw new FakeStatus(
            status.INVALID_ARGUMENT,
            'selector: required when the detector has no live selector (rule "selector.model_name_set")',
          );
        }
      } catch (error) {
        call.emit('error', errorOf(error));
        return;
      }
      const threshold = stored.detector.threshold!;
      const start = call.request.range?.startTime?.getTime() ?? 0;
      const end = call.request.range?.endTime?.getTime() ?? Date.now();
      const step = (end - start) / Math.max(1, fake.historyEvents);
      const model = call.request.selector?.modelName ?? stored.detector.live?.modelName ?? '';
      let outliers = 0n;
      for (let e = 0; e < fake.historyEvents && !call.cancelled; e++) {
        const outlier = e % 4 === 3;
        if (outlier) outliers += 1n;
        const eventTime = new Date(start + (e + 0.5) * step);
        const scores = [threshold / 2, outlier ? threshold * 3 : threshold / 3];
        const progress = {
          eventsRead: BigInt(e + 1),
          eventsScored: BigInt(e + 1),
          eventsSkipped: {},
          positionTime: eventTime,
          outlierEvents: outliers,
        };
        const verdicts =
          call.request.outliersOnly && !outlier
            ? []
            : [
                {
                  requestId: `req-${e}`,
                  eventTime,
                  modelName: model,
                  modelVersion: '1',
                  isOutlier: scores.map((s) => s > threshold),
                  instanceScore: scores,
                  traceId: 'ab'.repeat(16),
                },
              ];
        call.write(outlierV1.ScoreHistoryResponse.fromPartial({ verdicts, progress }));
        await new Promise((resolve) => setImmediate(resolve));
      }
      call.end();
    },
    attachDetector: unary('attachDetector', (request: outlierV1.AttachDetectorRequest) => {
      const stored = withThreshold(request.name);
      const selector = request.selector ?? stored.detector.live;
      if (!selector?.modelName) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          'selector.model_name: required (rule "selector.model_name_set")',
        );
      }
      Object.assign(stored.detector, { attached: true, live: selector });
      return { detector: stored.detector };
    }),
    detachDetector: unary('detachDetector', (request: outlierV1.DetachDetectorRequest) => {
      const stored = find(request.name);
      stored.detector.attached = false;
      return { detector: stored.detector };
    }),
    listOutlierEvents: unary('listOutlierEvents', (request: outlierV1.ListOutlierEventsRequest) => {
      const from = request.range?.startTime?.getTime() ?? Number.NEGATIVE_INFINITY;
      const to = request.range?.endTime?.getTime() ?? Number.POSITIVE_INFINITY;
      const matching = events.filter((e) => {
        const time = e.time?.getTime() ?? 0;
        return (
          (request.name === '' || e.detector === request.name) &&
          (!request.outliersOnly || e.isOutlier) &&
          (request.requestId === '' || e.requestId === request.requestId) &&
          time >= from &&
          time < to
        );
      });
      const { page, next } = pageOf(matching, request.pageSize, request.pageToken);
      return { events: page, nextPageToken: next };
    }),
    getDetector: unary('getDetector', (request: outlierV1.GetDetectorRequest) => {
      const stored = find(request.name);
      return { detector: stored.detector, versions: stored.versions };
    }),
    listDetectors: unary('listDetectors', (request: outlierV1.ListDetectorsRequest) => {
      const sorted = [...detectors.keys()].sort().map((name) => detectors.get(name)!.detector);
      const { page, next } = pageOf(sorted, request.pageSize, request.pageToken);
      return { detectors: page, nextPageToken: next };
    }),
    deleteDetector: unary('deleteDetector', (request: outlierV1.DeleteDetectorRequest) => {
      find(request.name);
      detectors.delete(request.name);
      return {};
    }),
  };

  const server = new Server();
  server.addService(outlierV1.OutlierServiceService, implementation);
  const port = await listenOnLoopback(server);
  const fake: FakeOutlierService = {
    address: `127.0.0.1:${port}`,
    requests,
    historyEvents: 4,
    failNext(method, count) {
      failures.set(method, count);
    },
    addEvents(added) {
      // Newest first, as the service lists them.
      const made = added.map((e) => outlierV1.OutlierEvent.fromPartial(e));
      events.push(...made);
      events.sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  return fake;
}
