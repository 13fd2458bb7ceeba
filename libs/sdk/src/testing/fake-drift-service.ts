/**
 * A DriftService test double: a real grpc-js server on 127.0.0.1 that keeps detectors in
 * memory and answers every RPC of drift.proto with the contract's shapes and error codes,
 * so the SDK's and the CLI's tests exercise the wire, the paging, the stream and the
 * errors without the drift service.
 *
 * Its numbers are not the service's statistics: a numeric feature gets the two-sample KS
 * statistic with the asymptotic (Kolmogorov) p-value, a categorical one the chi-squared
 * statistic of its category counts with a Wilson-Hilferty p-value, and the effect sizes are
 * simple functions of those. Fidelity belongs to libs/stats and the service's tests.
 */
import { Server, type ServerWritableStream, status } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import { decodeTensorMessages, type Tensor } from '@sightline/tensor';
import { FakeCalls, FakeStatus, listenOnLoopback, pageOf } from './fake-server.js';

/** Detector names as the contract allows them. */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The seed saved when a permutation kind is created without one. */
export const FAKE_DRAWN_SEED = 42n;
/** The producer version the fake records in lineage. */
export const FAKE_SIGHTLINE_VERSION = '0.0.0-fake';

type Column =
  | { readonly kind: 'numeric'; values: number[] }
  | { readonly kind: 'categorical'; values: string[] };

interface StoredDetector {
  detector: driftV1.Detector;
  versions: driftV1.DetectorLineage[];
  reference: Map<string, Column>;
}

/** The running double. */
export interface FakeDriftService {
  /** 127.0.0.1:port. */
  readonly address: string;
  /** Every request received, by method name (`fit`, `predict`, ...), in order. */
  readonly requests: Map<string, unknown[]>;
  /**
   * Answers the next `count` calls of `method` (`getDetector`, ...) with UNAVAILABLE, to
   * test retries.
   */
  failNext(method: string, count: number): void;
  /** Windows each ScoreHistory call sends (3 by default); the last one drifts. */
  historyWindows: number;
  /** Stops the server at once. */
  stop(): Promise<void>;
}

function columnsOf(tensors: readonly Tensor[], categorical: readonly string[]): Map<string, Column> {
  const columns = new Map<string, Column>();
  for (const tensor of tensors) {
    const rows = tensor.shape[0] ?? 0;
    const width = rows === 0 ? 0 : tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    for (let f = 0; f < width; f++) {
      const name = width === 1 ? tensor.name : `${tensor.name}[${f}]`;
      if (tensor.datatype === 'BYTES') {
        const values = Array.from({ length: rows }, (_, r) =>
          Buffer.from(tensor.data[r * width + f]!).toString('utf8'),
        );
        columns.set(name, { kind: 'categorical', values });
        continue;
      }
      const data = tensor.data as ArrayLike<number | bigint>;
      const values = Array.from({ length: rows }, (_, r) => Number(data[r * width + f]));
      values.forEach((value, r) => {
        if (!Number.isFinite(value)) {
          throw new FakeStatus(
            status.INVALID_ARGUMENT,
            `column "${name}", row ${r}: ${value} is not allowed`,
          );
        }
      });
      columns.set(
        name,
        categorical.includes(name)
          ? { kind: 'categorical', values: values.map(String) }
          : { kind: 'numeric', values },
      );
    }
  }
  return columns;
}

/** Kolmogorov's asymptotic p-value of a KS statistic for samples of n and m. */
function ksPValue(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) sum += 2 * (-1) ** (j - 1) * Math.exp(-2 * j * j * lambda * lambda);
  return Math.min(1, Math.max(0, sum));
}

function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** The standard normal's upper tail. */
function normalTail(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return z >= 0 ? tail : 1 - tail;
}

function chiSquare(a: readonly string[], b: readonly string[]): { statistic: number; pValue: number } {
  const categories = [...new Set([...a, ...b])];
  let statistic = 0;
  for (const category of categories) {
    const ca = a.filter((v) => v === category).length;
    const cb = b.filter((v) => v === category).length;
    const total = ca + cb;
    const ea = (total * a.length) / (a.length + b.length);
    const eb = (total * b.length) / (a.length + b.length);
    statistic += (ca - ea) ** 2 / ea + (cb - eb) ** 2 / eb;
  }
  const k = Math.max(1, categories.length - 1);
  const z = ((statistic / k) ** (1 / 3) - (1 - 2 / (9 * k))) / Math.sqrt(2 / (9 * k));
  return { statistic, pValue: categories.length < 2 ? 1 : normalTail(z) };
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function featureResults(reference: Map<string, Column>, batch: Map<string, Column>): driftV1.FeatureDrift[] {
  return [...reference].map(([name, column], index) => {
    const other = batch.get(name)!;
    if (column.kind === 'numeric') {
      const values = other.values.map(Number);
      const d = ksStatistic(column.values, values);
      return driftV1.FeatureDrift.fromPartial({
        index,
        name,
        distance: d,
        pVal: ksPValue(d, column.values.length, values.length),
        test: 'ks',
        featureType: 'numeric',
        effectSizes: {
          psi: d,
          jensenShannon: d / 2,
          wasserstein: Math.abs(mean(column.values) - mean(values)),
          hellinger: d / 2,
        },
      });
    }
    const { statistic, pValue } = chiSquare(column.values, other.values.map(String));
    return driftV1.FeatureDrift.fromPartial({
      index,
      name,
      distance: statistic,
      pVal: pValue,
      test: 'chi2',
      featureType: 'categorical',
      effectSizes: { psi: statistic / 100, jensenShannon: 1 - pValue, hellinger: (1 - pValue) / 2 },
    });
  });
}

function pValueAndCorrection(config: driftV1.DriftDetectorConfig): {
  alpha: number;
  correction: driftV1.Correction;
} {
  const kind = config.tabular ?? config.ks ?? config.cvm ?? config.chiSquare;
  return {
    alpha: kind?.pVal ?? config.mmd?.pVal ?? config.lsdd?.pVal ?? 0.05,
    correction: kind?.correction ?? driftV1.Correction.CORRECTION_UNSPECIFIED,
  };
}

/** Benjamini-Hochberg's cut-off: the largest p(k) <= k * alpha / m (0 when none). */
function bhThreshold(pValues: readonly number[], alpha: number): number {
  const sorted = [...pValues].sort((a, b) => a - b);
  let cut = 0;
  sorted.forEach((p, k) => {
    if (p <= ((k + 1) * alpha) / sorted.length) cut = p;
  });
  return cut;
}

function verdict(stored: StoredDetector, batch: Map<string, Column>): driftV1.DriftData {
  const config = stored.detector.config!;
  const rows = [...batch.values()][0]?.values.length ?? 0;
  const { alpha, correction } = pValueAndCorrection(config);
  if (config.mmd !== undefined || config.lsdd !== undefined) {
    let distance = 0;
    for (const [name, column] of stored.reference) {
      if (column.kind === 'numeric')
        distance += (mean(column.values) - mean(batch.get(name)!.values.map(Number))) ** 2;
    }
    const pVal = Math.exp(-10 * distance);
    return driftV1.DriftData.fromPartial({
      isDrift: pVal < alpha,
      threshold: alpha,
      pVal,
      distance,
      distanceThreshold: 0.3,
      sigma: 1.5,
      pValAlpha: alpha,
      verdictOn: 'p_value',
      rows: BigInt(rows),
    });
  }
  const features = featureResults(stored.reference, batch);
  const fdr = correction === driftV1.Correction.CORRECTION_FDR;
  const threshold = fdr
    ? bhThreshold(
        features.map((f) => f.pVal),
        alpha,
      )
    : alpha / features.length;
  for (const feature of features)
    feature.isDrift = fdr ? feature.pVal <= threshold : feature.pVal < threshold;
  return driftV1.DriftData.fromPartial({
    isDrift: features.some((f) => f.isDrift),
    threshold,
    features,
    pValAlpha: alpha,
    correction: fdr ? driftV1.Correction.CORRECTION_FDR : driftV1.Correction.CORRECTION_BONFERRONI,
    verdictOn: 'p_value',
    rows: BigInt(rows),
  });
}

/** The config with the defaults the service fills in (enough of them for the tests). */
function withDefaults(config: driftV1.DriftDetectorConfig | undefined): driftV1.DriftDetectorConfig {
  const c = driftV1.DriftDetectorConfig.fromPartial(config ?? {});
  const correction = (value: driftV1.Correction) => value || driftV1.Correction.CORRECTION_BONFERRONI;
  if (c.ks) Object.assign(c.ks, { pVal: c.ks.pVal ?? 0.05, correction: correction(c.ks.correction) });
  else if (c.cvm)
    Object.assign(c.cvm, { pVal: c.cvm.pVal ?? 0.05, correction: correction(c.cvm.correction) });
  else if (c.chiSquare)
    Object.assign(c.chiSquare, {
      pVal: c.chiSquare.pVal ?? 0.05,
      correction: correction(c.chiSquare.correction),
    });
  else if (c.mmd)
    Object.assign(c.mmd, {
      pVal: c.mmd.pVal ?? 0.05,
      nPermutations: c.mmd.nPermutations ?? 100,
      seed: c.mmd.seed ?? FAKE_DRAWN_SEED,
    });
  else if (c.lsdd)
    Object.assign(c.lsdd, {
      pVal: c.lsdd.pVal ?? 0.05,
      nPermutations: c.lsdd.nPermutations ?? 100,
      seed: c.lsdd.seed ?? FAKE_DRAWN_SEED,
    });
  else if (!c.quality && !c.pca && !c.mmdOnline && !c.cvmOnline) {
    c.tabular = {
      pVal: c.tabular?.pVal ?? 0.05,
      correction: correction(c.tabular?.correction ?? 0),
      numericTest: c.tabular?.numericTest || driftV1.NumericTest.NUMERIC_TEST_KS,
      ksMethod: c.tabular?.ksMethod || driftV1.KsMethod.KS_METHOD_AUTO,
    };
  }
  return c;
}

function kindName(config: driftV1.DriftDetectorConfig): string {
  if (config.ks) return 'KSDrift';
  if (config.cvm) return 'CVMDrift';
  if (config.chiSquare) return 'ChiSquareDrift';
  if (config.mmd) return 'MMDDrift';
  if (config.lsdd) return 'LSDDDrift';
  if (config.quality) return 'QualityDrift';
  if (config.pca) return 'PCADrift';
  if (config.mmdOnline) return 'MMDDriftOnline';
  if (config.cvmOnline) return 'CVMDriftOnline';
  return 'TabularDrift';
}

/** Starts the double on an ephemeral port. */
export async function startFakeDriftService(): Promise<FakeDriftService> {
  const detectors = new Map<string, StoredDetector>();
  const events: driftV1.DriftEvent[] = [];
  const calls = new FakeCalls();
  const { requests, failures } = calls;
  let eventCounter = 0;

  const find = (name: string): StoredDetector => {
    const stored = detectors.get(name);
    if (!stored) throw new FakeStatus(status.NOT_FOUND, `detector "${name}": not found`);
    return stored;
  };
  const fitted = (name: string): StoredDetector => {
    const stored = find(name);
    if (stored.detector.state !== driftV1.DetectorState.DETECTOR_STATE_FITTED) {
      throw new FakeStatus(status.FAILED_PRECONDITION, `detector "${name}": not fitted, call Fit first`);
    }
    return stored;
  };
  const batchOf = (stored: StoredDetector, data: driftV1.ScoreRequest['data']): Map<string, Column> => {
    const batch = columnsOf(decodeTensorMessages(data), stored.detector.categoricalFeatures);
    for (const name of stored.reference.keys()) {
      if (!batch.has(name))
        throw new FakeStatus(status.INVALID_ARGUMENT, `feature "${name}": missing from the batch`);
    }
    for (const name of batch.keys()) {
      if (!stored.reference.has(name)) {
        throw new FakeStatus(status.INVALID_ARGUMENT, `feature "${name}": not a feature of the fit`);
      }
    }
    if (([...batch.values()][0]?.values.length ?? 0) < 2) {
      throw new FakeStatus(status.INVALID_ARGUMENT, 'data: at least 2 rows are needed');
    }
    return batch;
  };

  const unary = calls.unary.bind(calls);

  const implementation: driftV1.DriftServiceServer = {
    createDetector: unary('createDetector', (request: driftV1.CreateDetectorRequest) => {
      if (!NAME.test(request.name)) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          `name: must be 1-63 characters of a-z, 0-9 and '-', got "${request.name}"`,
        );
      }
      if (detectors.has(request.name)) {
        throw new FakeStatus(status.ALREADY_EXISTS, `detector "${request.name}": already exists`);
      }
      const detector = driftV1.Detector.fromPartial({
        name: request.name,
        config: withDefaults(request.config),
        state: driftV1.DetectorState.DETECTOR_STATE_CREATED,
        schemaVersion: 1,
        labels: request.labels,
        createTime: new Date(),
        categoricalFeatures: request.categoricalFeatures,
        ...(request.live && { live: request.live }),
        ...(request.liveWindow && { liveWindow: request.liveWindow }),
      });
      detectors.set(request.name, { detector, versions: [], reference: new Map() });
      return { detector };
    }),
    fit: unary('fit', (request: driftV1.FitRequest) => {
      const stored = find(request.name);
      if (request.referenceEvents !== undefined) {
        throw new FakeStatus(
          status.FAILED_PRECONDITION,
          'reference_events: no event store configured (--events-dir)',
        );
      }
      const tensors = decodeTensorMessages(request.data);
      const reference = columnsOf(tensors, stored.detector.categoricalFeatures);
      for (const name of stored.detector.categoricalFeatures) {
        if (!reference.has(name)) {
          throw new FakeStatus(
            status.INVALID_ARGUMENT,
            `categorical_features: "${name}" is not a feature of the data`,
          );
        }
      }
      const rows = [...reference.values()][0]?.values.length ?? 0;
      if (rows < 2)
        throw new FakeStatus(status.INVALID_ARGUMENT, `data: ${rows} rows; the kind needs at least 2`);
      const d = stored.detector;
      const version = d.version + 1;
      const lineage = driftV1.DetectorLineage.fromPartial({
        name: d.name,
        version,
        kind: kindName(d.config!),
        config: d.config,
        referenceSha256: '0'.repeat(64),
        referenceRows: BigInt(rows),
        featureNames: [...reference.keys()],
        featureTypes: [...reference.values()].map((c) => c.kind),
        createTime: new Date(),
        sightlineVersion: FAKE_SIGHTLINE_VERSION,
        creator: request.creator || 'unknown',
        referenceSource: request.referenceSource,
        seed: d.config?.mmd?.seed ?? d.config?.lsdd?.seed ?? 0n,
      });
      Object.assign(d, {
        state: driftV1.DetectorState.DETECTOR_STATE_FITTED,
        version,
        lineage,
        fitTime: lineage.createTime,
        producerVersion: FAKE_SIGHTLINE_VERSION,
        referenceRows: BigInt(rows),
        featureCount: reference.size,
        inputs: tensors.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          rowShape: t.shape.slice(1).map(BigInt),
        })),
      });
      stored.reference = reference;
      stored.versions.unshift(lineage);
      return { detector: d };
    }),
    inferThreshold: unary('inferThreshold', (request: driftV1.InferThresholdRequest) => {
      const stored = fitted(request.name);
      return { threshold: pValueAndCorrection(stored.detector.config!).alpha, detector: stored.detector };
    }),
    score: unary('score', (request: driftV1.ScoreRequest) => {
      const stored = fitted(request.name);
      const data = verdict(stored, batchOf(stored, request.data));
      return driftV1.ScoreResponse.fromPartial({
        features: data.features.map((f) => ({ ...f, isDrift: false })),
        ...(data.pVal !== undefined && { pVal: data.pVal, distance: data.distance }),
      });
    }),
    predict: unary('predict', (request: driftV1.PredictRequest) => {
      const stored = fitted(request.name);
      return {
        meta: {
          name: stored.detector.name,
          kind: kindName(stored.detector.config!),
          detectorType: 'drift',
          online: false,
          dataType: 'tabular',
          schemaVersion: 1,
        },
        data: verdict(stored, batchOf(stored, request.data)),
      };
    }),
    async scoreHistory(
      call: ServerWritableStream<driftV1.ScoreHistoryRequest, driftV1.ScoreHistoryResponse>,
    ) {
      calls.record('scoreHistory', call.request);
      let stored: StoredDetector;
      try {
        stored = fitted(call.request.name);
      } catch (error) {
        call.emit('error', { code: (error as FakeStatus).code, details: (error as FakeStatus).message });
        return;
      }
      const start = call.request.range?.startTime?.getTime() ?? 0;
      const end = call.request.range?.endTime?.getTime() ?? Date.now();
      const step = (end - start) / Math.max(1, fake.historyWindows);
      let read = 0n;
      for (let w = 0; w < fake.historyWindows && !call.cancelled; w++) {
        const windowStart = new Date(start + w * step);
        const windowEnd = new Date(start + (w + 1) * step - 1);
        read += 100n;
        const progress = {
          eventsRead: read,
          eventsMatched: read - 10n * BigInt(w + 1),
          eventsSkipped: { wrong_tensor: BigInt(w) },
          positionTime: windowEnd,
          windows: w,
        };
        call.write(driftV1.ScoreHistoryResponse.fromPartial({ progress }));
        const drift = w === fake.historyWindows - 1;
        const features = [...stored.reference.keys()].map((name, index) => ({
          index,
          name,
          isDrift: drift && index === 0,
          pVal: drift && index === 0 ? 0.0001 : 0.5,
          distance: drift && index === 0 ? 0.4 : 0.05,
          test: 'ks',
          featureType: 'numeric',
        }));
        const data = driftV1.DriftData.fromPartial({
          isDrift: drift,
          threshold: 0.05 / Math.max(1, features.length),
          features,
          pValAlpha: 0.05,
          correction: driftV1.Correction.CORRECTION_BONFERRONI,
          verdictOn: 'p_value',
          rows: 90n,
        });
        call.write(
          driftV1.ScoreHistoryResponse.fromPartial({
            windowStartTime: windowStart,
            windowEndTime: windowEnd,
            events: 90n,
            rows: 90n,
            data,
            progress: { ...progress, windows: w + 1 },
          }),
        );
        events.unshift(
          driftV1.DriftEvent.fromPartial({
            eventId: `fake-${++eventCounter}`,
            detector: stored.detector.name,
            detectorVersion: stored.detector.version,
            origin: 'history',
            modelName: call.request.selector?.modelName ?? '',
            modelVersion: call.request.selector?.modelVersion ?? '',
            windowStartTime: windowStart,
            windowEndTime: windowEnd,
            events: 90n,
            rows: 90n,
            requestIdCount: 90n,
            closedBy: 'rows',
            time: new Date(),
            data,
          }),
        );
        // Yields to the event loop between windows so a client's cancellation arrives.
        await new Promise((resolve) => setImmediate(resolve));
      }
      call.end();
    },
    attachDetector: unary('attachDetector', (request: driftV1.AttachDetectorRequest) => {
      const stored = fitted(request.name);
      if (!request.selector?.modelName) {
        throw new FakeStatus(
          status.INVALID_ARGUMENT,
          'selector.model_name: required (rule "selector.model_name_set")',
        );
      }
      Object.assign(stored.detector, { attached: true, live: request.selector, liveWindow: request.window });
      return { detector: stored.detector };
    }),
    detachDetector: unary('detachDetector', (request: driftV1.DetachDetectorRequest) => {
      const stored = find(request.name);
      if (!stored.detector.attached) {
        throw new FakeStatus(status.FAILED_PRECONDITION, `detector "${request.name}": not attached`);
      }
      stored.detector.attached = false;
      return { detector: stored.detector };
    }),
    listDriftEvents: unary('listDriftEvents', (request: driftV1.ListDriftEventsRequest) => {
      const matching = events.filter(
        (e) =>
          (request.name === '' || e.detector === request.name) && (!request.driftOnly || e.data?.isDrift),
      );
      const { page, next } = pageOf(matching, request.pageSize, request.pageToken);
      return { events: page, nextPageToken: next };
    }),
    // The fake is one service that merges nothing (replicas are the drift service's own concern).
    mergeWindowShare: unary('mergeWindowShare', (): driftV1.MergeWindowShareResponse => {
      throw new FakeStatus(
        status.FAILED_PRECONDITION,
        'this drift service does not merge window shares; start the merging replica with --replicas N',
      );
    }),
    resetDetector: unary('resetDetector', (request: driftV1.ResetDetectorRequest) => {
      const stored = fitted(request.name);
      if (!stored.detector.config?.mmdOnline && !stored.detector.config?.cvmOnline) {
        throw new FakeStatus(status.FAILED_PRECONDITION, 'only online detectors have state to reset');
      }
      stored.detector.time = 0n;
      return { detector: stored.detector };
    }),
    getDetector: unary('getDetector', (request: driftV1.GetDetectorRequest) => {
      const stored = find(request.name);
      return { detector: stored.detector, versions: stored.versions };
    }),
    listDetectors: unary('listDetectors', (request: driftV1.ListDetectorsRequest) => {
      const sorted = [...detectors.keys()].sort().map((name) => detectors.get(name)!.detector);
      const { page, next } = pageOf(sorted, request.pageSize, request.pageToken);
      return { detectors: page, nextPageToken: next };
    }),
    deleteDetector: unary('deleteDetector', (request: driftV1.DeleteDetectorRequest) => {
      find(request.name);
      detectors.delete(request.name);
      return {};
    }),
  };

  const server = new Server();
  server.addService(driftV1.DriftServiceService, implementation);
  const port = await listenOnLoopback(server);
  const fake: FakeDriftService = {
    address: `127.0.0.1:${port}`,
    requests,
    historyWindows: 3,
    failNext(method, count) {
      failures.set(method, count);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  return fake;
}
