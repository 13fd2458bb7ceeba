/**
 * outlier.proto messages <-> the data plane's plain types. The only module besides
 * server.ts that touches generated types. A config's oneof becomes a kind name plus
 * libs/detect's parameter names (camelCase of the contract's fields); the contract's ranges
 * are checked here, at CreateDetector, naming the contract's fields.
 */
import { outlierV1 } from '@sightline/contracts';
import {
  ALIBI_KIND_NAMES,
  MAX_IFOREST_ESTIMATORS,
  type OutlierKindName,
  resolvePercentile,
} from '@sightline/detect';
import { InvalidArgumentError } from '@sightline/errors';
import { selectionFromMessage, selectionToMessage } from '@sightline/service-kit';
import type {
  DetectorSpec,
  DetectorView,
  EventVerdict,
  HistoryPage,
  OutlierEventRecord,
  Prediction,
  ThresholdSettings,
  VersionLineage,
} from '../data-plane/outlier-types.js';

/** The autoencoder's most hidden layers (contract rule "autoencoder.hidden_units_range"). */
export const MAX_AUTOENCODER_LAYERS = 8;
/** The autoencoder's most units per hidden layer (contract). */
export const MAX_AUTOENCODER_UNITS = 4096;
/** The autoencoder's most epochs (contract). */
export const MAX_AUTOENCODER_EPOCHS = 10_000;
/** The autoencoder's largest batch (contract). */
export const MAX_AUTOENCODER_BATCH_SIZE = 65_536;

type Params = Record<string, unknown>;

/** Drops undefined values so that detect's parameter reader sees only what was set. */
function defined(params: Params): Params {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
}

function outOfRange(field: string, range: string, value: unknown, rule?: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${field}: must be ${range}${rule ? ` (rule "${rule}")` : ''}, got ${String(value)}`,
    { field },
  );
}

const seedOf = (seed: bigint | undefined) => (seed === undefined ? undefined : Number(seed));

/**
 * The kind, parameters and threshold settings of a config, checked against the contract.
 * @throws InvalidArgumentError naming the field and rule.
 */
export function kindFromConfig(config: outlierV1.OutlierDetectorConfig | undefined): {
  kind: OutlierKindName;
  params: Params;
  thresholdSettings: ThresholdSettings;
  updateOnPredict: boolean;
  updateFromLive: boolean;
} {
  if (!config || (!config.iforest && !config.mahalanobis && !config.autoencoder)) {
    throw new InvalidArgumentError(
      'config: set exactly one kind: iforest, mahalanobis or autoencoder (rule "config.kind_set")',
      { field: 'config' },
    );
  }
  if (config.threshold !== undefined && !Number.isFinite(config.threshold)) {
    throw outOfRange('config.threshold', 'finite', config.threshold, 'config.threshold_finite');
  }
  const contamination = config.iforest?.contamination;
  const rules = [
    config.threshold === undefined ? undefined : 'config.threshold',
    config.thresholdPercentile === undefined ? undefined : 'config.threshold_percentile',
    contamination === undefined ? undefined : 'config.iforest.contamination',
  ].filter((rule) => rule !== undefined);
  if (rules.length > 1) {
    throw new InvalidArgumentError(
      `${rules.join(' and ')}: set at most one of them (rule "config.threshold_one_rule")`,
      { field: rules[1]! },
    );
  }
  // The percentile rules' ranges (threshold_percentile in (0, 100], contamination in (0, 0.5]).
  if (config.thresholdPercentile !== undefined || contamination !== undefined) {
    resolvePercentile(
      {
        ...(config.thresholdPercentile === undefined
          ? {}
          : { thresholdPercentile: config.thresholdPercentile }),
        ...(contamination === undefined ? {} : { contamination }),
      },
      'config.',
    );
  }
  const thresholdSettings: ThresholdSettings = defined({
    threshold: config.threshold,
    thresholdPercentile: config.thresholdPercentile,
    contamination,
  });
  const base = { thresholdSettings, updateOnPredict: false, updateFromLive: false };
  if (config.iforest) {
    const c = config.iforest;
    if (c.nEstimators !== undefined && !(c.nEstimators >= 1 && c.nEstimators <= MAX_IFOREST_ESTIMATORS)) {
      throw outOfRange(
        'config.iforest.n_estimators',
        `1-${MAX_IFOREST_ESTIMATORS}`,
        c.nEstimators,
        'iforest.n_estimators_range',
      );
    }
    if (c.maxSamples !== undefined && !(c.maxSamples >= 1)) {
      throw outOfRange('config.iforest.max_samples', 'at least 1', c.maxSamples);
    }
    if (c.maxFeatures !== undefined && !(c.maxFeatures > 0 && c.maxFeatures <= 1)) {
      throw outOfRange('config.iforest.max_features', 'in (0, 1]', c.maxFeatures);
    }
    return {
      ...base,
      kind: 'iforest',
      params: defined({
        nEstimators: c.nEstimators,
        maxSamples: c.maxSamples,
        maxFeatures: c.maxFeatures,
        bootstrap: c.bootstrap || undefined,
        seed: seedOf(c.seed),
      }),
    };
  }
  if (config.mahalanobis) {
    const c = config.mahalanobis;
    if (c.robust && (c.updateOnPredict || c.updateFromLive)) {
      throw new InvalidArgumentError(
        `config.mahalanobis.robust: a robust (MCD) fit cannot be updated; unset ${c.updateOnPredict ? 'update_on_predict' : 'update_from_live'} or robust (rule "mahalanobis.robust_no_updates")`,
        { field: 'config.mahalanobis.robust' },
      );
    }
    if (c.supportFraction !== undefined && !(c.supportFraction > 0.5 && c.supportFraction <= 1)) {
      throw outOfRange('config.mahalanobis.support_fraction', 'in (0.5, 1]', c.supportFraction);
    }
    if (c.ridge !== undefined && !(c.ridge >= 0 && Number.isFinite(c.ridge))) {
      throw outOfRange('config.mahalanobis.ridge', 'finite and >= 0', c.ridge);
    }
    return {
      ...base,
      kind: 'mahalanobis',
      updateOnPredict: c.updateOnPredict,
      updateFromLive: c.updateFromLive,
      params: defined({
        maxN: c.maxN === undefined ? undefined : Number(c.maxN),
        robust: c.robust || undefined,
        supportFraction: c.supportFraction,
        ridge: c.ridge,
        seed: seedOf(c.seed),
      }),
    };
  }
  const c = config.autoencoder!;
  if (
    c.hiddenUnits.length > MAX_AUTOENCODER_LAYERS ||
    c.hiddenUnits.some((units) => !(units >= 1 && units <= MAX_AUTOENCODER_UNITS))
  ) {
    throw outOfRange(
      'config.autoencoder.hidden_units',
      `at most ${MAX_AUTOENCODER_LAYERS} layers of 1-${MAX_AUTOENCODER_UNITS} units`,
      `[${c.hiddenUnits.join(', ')}]`,
      'autoencoder.hidden_units_range',
    );
  }
  if (c.epochs !== undefined && !(c.epochs >= 1 && c.epochs <= MAX_AUTOENCODER_EPOCHS)) {
    throw outOfRange('config.autoencoder.epochs', `1-${MAX_AUTOENCODER_EPOCHS}`, c.epochs);
  }
  if (c.batchSize !== undefined && !(c.batchSize >= 1 && c.batchSize <= MAX_AUTOENCODER_BATCH_SIZE)) {
    throw outOfRange('config.autoencoder.batch_size', `1-${MAX_AUTOENCODER_BATCH_SIZE}`, c.batchSize);
  }
  if (c.learningRate !== undefined && !(c.learningRate > 0 && c.learningRate <= 1)) {
    throw outOfRange('config.autoencoder.learning_rate', 'in (0, 1]', c.learningRate);
  }
  if (c.maxTrainingSeconds !== undefined && !(c.maxTrainingSeconds > 0)) {
    throw outOfRange('config.autoencoder.max_training_seconds', '> 0', c.maxTrainingSeconds);
  }
  return {
    ...base,
    kind: 'autoencoder',
    params: defined({
      hiddenUnits: c.hiddenUnits.length > 0 ? [...c.hiddenUnits] : undefined,
      epochs: c.epochs,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      seed: seedOf(c.seed),
      maxTrainingSeconds: c.maxTrainingSeconds,
    }),
  };
}

/** Largest uint32 (the contract's integer parameters and counts). */
const MAX_UINT32 = 0xffff_ffff;

// Stored values are checked at load, but a message must never fail to serialise (INTERNAL for
// every caller of ListDetectors) over one value out of its field's range: such a value is
// left unset (optional fields) or 0, never sent as garbage.
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const u32 = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
    ? value
    : undefined;
const u64 = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
const bigSeed = u64;

/** The config message of a spec (its parameters as fitted, when fitted: defaults filled in). */
export function configToMessage(spec: DetectorSpec): outlierV1.OutlierDetectorConfig {
  const p = spec.params;
  const t = spec.thresholdSettings;
  const config: outlierV1.OutlierDetectorConfig = {
    ...(t.threshold === undefined ? {} : { threshold: t.threshold }),
    ...(t.thresholdPercentile === undefined ? {} : { thresholdPercentile: t.thresholdPercentile }),
  };
  if (spec.kind === 'iforest') {
    config.iforest = {
      nEstimators: u32(p.nEstimators),
      maxSamples: u32(p.maxSamples),
      maxFeatures: num(p.maxFeatures),
      bootstrap: p.bootstrap === true,
      seed: bigSeed(p.seed),
      contamination: t.contamination,
    };
  } else if (spec.kind === 'mahalanobis') {
    config.mahalanobis = {
      maxN: u64(p.maxN),
      updateOnPredict: spec.updateOnPredict,
      robust: p.robust === true,
      supportFraction: num(p.supportFraction),
      ridge: num(p.ridge),
      updateFromLive: spec.updateFromLive,
      seed: bigSeed(p.seed),
    };
  } else {
    config.autoencoder = {
      hiddenUnits: Array.isArray(p.hiddenUnits) ? p.hiddenUnits.map((units) => u32(units) ?? 0) : [],
      epochs: u32(p.epochs),
      batchSize: u32(p.batchSize),
      learningRate: num(p.learningRate),
      seed: bigSeed(p.seed),
      maxTrainingSeconds: num(p.maxTrainingSeconds),
    };
  }
  return config;
}

/** The detector spec of a CreateDetector request. */
export function specFromCreate(request: outlierV1.CreateDetectorRequest): DetectorSpec {
  const { kind, params, thresholdSettings, updateOnPredict, updateFromLive } = kindFromConfig(request.config);
  return {
    name: request.name,
    kind,
    params,
    thresholdSettings,
    updateOnPredict,
    updateFromLive,
    ...(request.live ? { live: selectionFromMessage(request.live, 'live') } : {}),
    labels: { ...request.labels },
  };
}

const STATES: Record<DetectorView['state'], outlierV1.DetectorState> = {
  created: outlierV1.DetectorState.DETECTOR_STATE_CREATED,
  fitted: outlierV1.DetectorState.DETECTOR_STATE_FITTED,
  threshold_set: outlierV1.DetectorState.DETECTOR_STATE_THRESHOLD_SET,
};

function counts(values: Readonly<Record<string, number>>): Record<string, bigint> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, u64(value) ?? 0n]));
}

/** The lineage message (GetDetector's versions). */
export function lineageToMessage(lineage: VersionLineage, spec: DetectorSpec): outlierV1.DetectorLineage {
  return {
    name: lineage.name,
    version: u32(lineage.version) ?? 0,
    kind: ALIBI_KIND_NAMES[lineage.kind],
    config: configToMessage({ ...spec, params: lineage.params }),
    referenceSha256: lineage.referenceSha256,
    referenceRows: u64(lineage.referenceRows) ?? 0n,
    featureNames: [...lineage.featureNames],
    createTime: new Date(lineage.createTimeMs),
    sightlineVersion: lineage.sightlineVersion,
    creator: lineage.creator,
    referenceSource: lineage.referenceSource,
    seed: u64(lineage.seed) ?? 0n,
    ...(lineage.training ? { training: lineage.training } : {}),
    referenceSkippedEvents: counts(lineage.referenceSkippedEvents),
  };
}

/** The Detector message of a view. */
export function detectorToMessage(view: DetectorView): outlierV1.Detector {
  return {
    name: view.spec.name,
    config: configToMessage(view.spec),
    state: STATES[view.state],
    schemaVersion: u32(view.schemaVersion) ?? 0,
    ...(view.threshold ? { threshold: view.threshold.value } : {}),
    inputs: view.inputs.map((input) => ({
      name: input.name,
      datatype: input.datatype,
      rowShape: input.rowShape.map((d) => u64(d) ?? 0n),
    })),
    featureCount: view.featureNames.length,
    referenceRows: u64(view.referenceRows) ?? 0n,
    ...(view.live ? { live: selectionToMessage(view.live) } : {}),
    labels: { ...view.spec.labels },
    createTime: new Date(view.createTimeMs),
    ...(view.fitTimeMs === undefined ? {} : { fitTime: new Date(view.fitTimeMs) }),
    producerVersion: view.producerVersion,
    version: u32(view.version) ?? 0,
    ...(view.lineage ? { lineage: lineageToMessage(view.lineage, view.spec) } : {}),
    attached: view.attached,
    featureNames: [...view.featureNames],
    thresholdSource: view.threshold?.source ?? '',
    ...(view.threshold?.percentile === undefined ? {} : { thresholdPercentile: view.threshold.percentile }),
    runningRows: u64(view.runningRows) ?? 0n,
  };
}

/** Per-row feature scores as messages. */
export function featureScoresToMessage(rows: readonly Float64Array[]): outlierV1.FeatureScores[] {
  return rows.map((row) => ({ score: Array.from(row) }));
}

/** Predict's response. */
export function predictionToMessage(prediction: Prediction): outlierV1.PredictResponse {
  return {
    meta: {
      name: prediction.meta.name,
      kind: prediction.meta.kind,
      detectorType: 'outlier',
      online: prediction.meta.online,
      dataType: 'tabular',
      schemaVersion: prediction.meta.schemaVersion,
      version: prediction.meta.version,
    },
    data: {
      isOutlier: [...prediction.isOutlier],
      instanceScore: Array.from(prediction.instanceScores),
      threshold: prediction.threshold,
      featureScore: featureScoresToMessage(prediction.featureScores),
    },
  };
}

/** The OutlierEvent message of a record. */
export function outlierEventToMessage(record: OutlierEventRecord): outlierV1.OutlierEvent {
  return {
    eventId: record.eventId,
    detector: record.detector,
    detectorVersion: record.detectorVersion,
    requestId: record.requestId,
    traceId: record.traceId,
    modelName: record.modelName,
    modelVersion: record.modelVersion,
    graph: record.graph,
    eventTime: new Date(record.eventTimeUnixMs),
    time: new Date(record.timeUnixMs),
    isOutlier: record.isOutlier,
    score: record.score,
    threshold: record.threshold,
    rowIsOutlier: [...record.rowIsOutlier],
    rowScore: [...record.rowScore],
  };
}

function verdictToMessage(verdict: EventVerdict): outlierV1.EventVerdict {
  return {
    requestId: verdict.requestId,
    eventTime: new Date(verdict.eventTimeUnixMs),
    modelName: verdict.modelName,
    modelVersion: verdict.modelVersion,
    isOutlier: [...verdict.isOutlier],
    instanceScore: [...verdict.instanceScores],
    traceId: verdict.traceId,
  };
}

/** One ScoreHistory message. */
export function historyPageToMessage(page: HistoryPage): outlierV1.ScoreHistoryResponse {
  return {
    verdicts: page.verdicts.map(verdictToMessage),
    skippedEvents: BigInt(page.skippedEvents),
    progress: {
      eventsRead: BigInt(page.progress.eventsRead),
      eventsScored: BigInt(page.progress.eventsScored),
      eventsSkipped: counts(page.progress.eventsSkipped),
      positionTime: new Date(page.progress.positionTimeUnixMs),
      outlierEvents: BigInt(page.progress.outlierEvents),
    },
  };
}
