/**
 * drift.proto messages <-> the data plane's plain types. The only module besides server.ts
 * that touches generated types (the common selector and range: service-kit's). Config oneofs become a kind name plus detect's parameter
 * names (pVal, correction, method ...); enums become their lower-case names.
 */
import { driftV1 } from '@sightline/contracts';
import type { WindowShare, WindowSummaryJson } from '@sightline/detect';
import { MAX_CVM_ONLINE_WINDOWS, MAX_ONLINE_BOOTSTRAPS } from '@sightline/detect';
import { InvalidArgumentError } from '@sightline/errors';
import { selectionFromMessage, selectionToMessage } from '@sightline/service-kit';
import {
  ALIBI_KIND_NAMES,
  type DetectorSpec,
  type DetectorView,
  type DriftKindName,
  type EffectSizeAlertSpec,
  type HistoryItem,
  type TrailingReferenceSpec,
  type VersionLineage,
  type WindowSettings,
} from '../data-plane/drift-types.js';
import type { DriftEventRecord, DriftVerdict, FeatureVerdict } from '../results/drift-event.js';

type Params = Record<string, unknown>;

const CORRECTIONS: Record<number, 'bonferroni' | 'fdr' | undefined> = {
  [driftV1.Correction.CORRECTION_BONFERRONI]: 'bonferroni',
  [driftV1.Correction.CORRECTION_FDR]: 'fdr',
};
const ALTERNATIVES: Record<number, string | undefined> = {
  [driftV1.Alternative.ALTERNATIVE_TWO_SIDED]: 'two-sided',
  [driftV1.Alternative.ALTERNATIVE_LESS]: 'less',
  [driftV1.Alternative.ALTERNATIVE_GREATER]: 'greater',
};
const KS_METHODS: Record<number, string | undefined> = {
  [driftV1.KsMethod.KS_METHOD_AUTO]: 'auto',
  [driftV1.KsMethod.KS_METHOD_EXACT]: 'exact',
  [driftV1.KsMethod.KS_METHOD_ASYMP]: 'asymp',
};
const NUMERIC_TESTS: Record<number, string | undefined> = {
  [driftV1.NumericTest.NUMERIC_TEST_KS]: 'ks',
  [driftV1.NumericTest.NUMERIC_TEST_CVM]: 'cvm',
};
const METRICS: Record<number, EffectSizeAlertSpec['metric'] | undefined> = {
  [driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_PSI]: 'psi',
  [driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_JENSEN_SHANNON]: 'jensenShannon',
  [driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_WASSERSTEIN]: 'wasserstein',
  [driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_HELLINGER]: 'hellinger',
};

/** Drops undefined values so that detect's parameter reader sees only what was set. */
function defined(params: Params): Params {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
}

/** The kind and parameters of a config; none set means tabular with its defaults. */
export function kindFromConfig(config: driftV1.DriftDetectorConfig | undefined): {
  kind: DriftKindName;
  params: Params;
  effectSizeAlert?: EffectSizeAlertSpec;
} {
  const alert = config?.effectSizeAlert;
  let effectSizeAlert: EffectSizeAlertSpec | undefined;
  if (alert) {
    const metric = METRICS[alert.metric];
    if (!metric) throw new InvalidArgumentError('config.effect_size_alert.metric: set one of the metrics');
    if (!(alert.threshold > 0))
      throw new InvalidArgumentError(
        `config.effect_size_alert.threshold: must be > 0, got ${alert.threshold}`,
      );
    effectSizeAlert = { metric, above: alert.threshold };
  }
  const result = (kind: DriftKindName, params: Params) => ({
    kind,
    params: defined(params),
    ...(effectSizeAlert ? { effectSizeAlert } : {}),
  });
  if (config) checkContractRanges(config);
  if (config?.mmdOnline) {
    const c = config.mmdOnline;
    checkOnlineRanges('mmd_online', c.ert, [c.windowSize], c.nBootstraps);
    if (c.sigma !== undefined && !(c.sigma > 0))
      throw new InvalidArgumentError(`config.mmd_online.sigma: must be > 0, got ${c.sigma}`);
    return result('online-mmd', {
      ert: c.ert,
      windowSize: c.windowSize,
      nBootstraps: c.nBootstraps,
      sigma: c.sigma,
      seed: c.seed === undefined ? undefined : Number(c.seed),
    });
  }
  if (config?.cvmOnline) {
    const c = config.cvmOnline;
    checkOnlineRanges('cvm_online', c.ert, c.windowSizes, c.nBootstraps);
    return result('online-cvm', {
      ert: c.ert,
      windowSizes: [...c.windowSizes],
      nBootstraps: c.nBootstraps,
      seed: c.seed === undefined ? undefined : Number(c.seed),
    });
  }
  if (config?.ks)
    return result('ks', {
      pVal: config.ks.pVal,
      correction: CORRECTIONS[config.ks.correction],
      alternative: ALTERNATIVES[config.ks.alternative],
      method: KS_METHODS[config.ks.method],
    });
  if (config?.cvm)
    return result('cvm', { pVal: config.cvm.pVal, correction: CORRECTIONS[config.cvm.correction] });
  if (config?.chiSquare) {
    // libs/detect's chi2 takes the categories seen in the reference and pools unseen ones;
    // refused here, at create, rather than by the kind at the first Fit.
    if (Object.keys(config.chiSquare.categoriesPerFeature).length > 0) {
      throw new InvalidArgumentError(
        'config.chi_square.categories_per_feature: not offered by this version; the categories are those seen in the reference, and categories unseen at fit are pooled into one',
      );
    }
    return result('chi2', {
      pVal: config.chiSquare.pVal,
      correction: CORRECTIONS[config.chiSquare.correction],
    });
  }
  if (config?.mmd)
    return result('mmd', {
      pVal: config.mmd.pVal,
      permutations: config.mmd.nPermutations,
      sigma: config.mmd.sigma,
      seed: config.mmd.seed === undefined ? undefined : Number(config.mmd.seed),
    });
  if (config?.lsdd)
    return result('lsdd', {
      pVal: config.lsdd.pVal,
      permutations: config.lsdd.nPermutations,
      sigma: config.lsdd.sigma,
      nKernelCenters: config.lsdd.nKernelCenters,
      lambda: config.lsdd.lambda,
      seed: config.lsdd.seed === undefined ? undefined : Number(config.lsdd.seed),
    });
  if (config?.quality) return result('quality', qualityParams(config.quality));
  if (config?.pca)
    return result('pca', {
      varianceExplained: config.pca.varianceExplained,
      stdMultiplier: config.pca.thresholdSigmas,
      // Rows per chunk become a chunk count at Fit, once the reference's rows are known.
      chunkRows: config.pca.chunkRows,
    });
  const tabular = config?.tabular;
  return result('tabular', {
    pVal: tabular?.pVal,
    correction: tabular ? CORRECTIONS[tabular.correction] : undefined,
    numericTest: tabular ? NUMERIC_TESTS[tabular.numericTest] : undefined,
    method: tabular ? KS_METHODS[tabular.ksMethod] : undefined,
  });
}

/** The settings with a contract range, as any kind's config message has them. */
interface RangedSettings {
  readonly pVal?: number | undefined;
  readonly nPermutations?: number | undefined;
  readonly sigma?: number | undefined;
  readonly lambda?: number | undefined;
  readonly varianceExplained?: number | undefined;
  readonly thresholdSigmas?: number | undefined;
}

/** Permutations the contract allows for MMD and LSDD. */
const PERMUTATION_RANGE = { min: 10, max: 100_000 } as const;

/**
 * The ranges the contract states for each setting, checked at CreateDetector so a bad config
 * is refused when it is made, not at the first Fit (libs/detect checks them again at fit).
 */
function checkContractRanges(config: driftV1.DriftDetectorConfig): void {
  const kinds: [string, RangedSettings | undefined][] = [
    ['ks', config.ks],
    ['cvm', config.cvm],
    ['chi_square', config.chiSquare],
    ['mmd', config.mmd],
    ['lsdd', config.lsdd],
    ['tabular', config.tabular],
    ['pca', config.pca],
  ];
  for (const [kind, settings] of kinds) {
    if (!settings) continue;
    const field = (name: string) => `config.${kind}.${name}`;
    const { pVal } = settings;
    if (pVal !== undefined && !(pVal > 0 && pVal < 1))
      throw new InvalidArgumentError(`${field('p_val')}: must be in (0, 1), got ${pVal}`);
    const permutations = settings.nPermutations;
    if (
      permutations !== undefined &&
      !(permutations >= PERMUTATION_RANGE.min && permutations <= PERMUTATION_RANGE.max)
    ) {
      throw new InvalidArgumentError(
        `${field('n_permutations')}: must be ${PERMUTATION_RANGE.min}-${PERMUTATION_RANGE.max}, got ${permutations}`,
      );
    }
    for (const name of ['sigma', 'lambda'] as const) {
      const value = settings[name];
      if (value !== undefined && !(value > 0))
        throw new InvalidArgumentError(`${field(name)}: must be > 0, got ${value}`);
    }
    const share = settings.varianceExplained;
    if (share !== undefined && !(share > 0 && share <= 1))
      throw new InvalidArgumentError(`${field('variance_explained')}: must be in (0, 1], got ${share}`);
    const sigmas = settings.thresholdSigmas;
    if (sigmas !== undefined && !(sigmas >= 0))
      throw new InvalidArgumentError(`${field('threshold_sigmas')}: must be >= 0, got ${sigmas}`);
  }
}

/**
 * The online configs' contract ranges, checked at CreateDetector: ert set and above 1 (a
 * false-alarm rate of 1/ert per row must be below 1), windows set and positive (their upper
 * bound, half the reference, is checked at Fit when the reference is known).
 */
function checkOnlineRanges(
  kind: string,
  ert: number,
  windows: readonly number[],
  nBootstraps: number | undefined,
): void {
  if (!(Number.isFinite(ert) && ert > 1)) {
    throw new InvalidArgumentError(
      `config.${kind}.ert: required, the expected run time in rows, above 1 (rule "online.ert_set"), got ${ert}`,
    );
  }
  const field = kind === 'mmd_online' ? 'window_size' : 'window_sizes';
  const smallest = kind === 'mmd_online' ? 2 : 1;
  if (
    windows.length === 0 ||
    windows.length > MAX_CVM_ONLINE_WINDOWS ||
    windows.some((w) => !(Number.isInteger(w) && w >= smallest))
  ) {
    throw new InvalidArgumentError(
      `config.${kind}.${field}: required, ${kind === 'cvm_online' ? `1-${MAX_CVM_ONLINE_WINDOWS} sizes, ` : ''}each an integer of at least ${smallest} and below half the reference rows (rule "online.window_size_range"), got [${windows.join(', ')}]`,
    );
  }
  // The same size twice would only repeat its statistic (and its thresholds' bootstrap).
  const repeated = windows.find((w, i) => windows.indexOf(w) !== i);
  if (repeated !== undefined) {
    throw new InvalidArgumentError(
      `config.${kind}.${field}: each size once (rule "online.window_size_range"), got ${repeated} twice in [${windows.join(', ')}]`,
    );
  }
  if (nBootstraps !== undefined && !(nBootstraps >= 1 && nBootstraps <= MAX_ONLINE_BOOTSTRAPS)) {
    throw new InvalidArgumentError(
      `config.${kind}.n_bootstraps: must be 1-${MAX_ONLINE_BOOTSTRAPS}, got ${nBootstraps}`,
    );
  }
}

/** Quality checks: the contract's bound quantile and failure rate in detect's terms. */
function qualityParams(quality: driftV1.QualityConfig): Params {
  const q = quality.boundQuantile;
  if (q !== undefined && !(q >= 0 && q < 0.5))
    throw new InvalidArgumentError(`config.quality.bound_quantile: must be in [0, 0.5), got ${q}`);
  const rate = quality.maxFailureRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1))
    throw new InvalidArgumentError(`config.quality.max_failure_rate: must be in [0, 1], got ${rate}`);
  return {
    quantileBounds: q === undefined ? undefined : [q, 1 - q],
    limits:
      rate === undefined
        ? undefined
        : {
            missing: rate,
            infinite: rate,
            outOfRange: rate,
            outOfBounds: rate,
            unseenCategories: rate,
            typeViolations: rate,
          },
  };
}

const reverse = <T extends string>(table: Record<number, T | undefined>, value: unknown): number =>
  Number(Object.entries(table).find(([, name]) => name === value)?.[0] ?? 0);

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The config message of a kind and its parameters. */
export function configFromKind(
  kind: DriftKindName,
  params: Readonly<Params>,
  alert: EffectSizeAlertSpec | undefined,
): driftV1.DriftDetectorConfig {
  const p = params;
  const config: driftV1.DriftDetectorConfig = {};
  const correction = reverse(CORRECTIONS, p.correction);
  switch (kind) {
    case 'ks':
      config.ks = {
        pVal: num(p.pVal),
        correction,
        alternative: reverse(ALTERNATIVES, p.alternative),
        method: reverse(KS_METHODS, p.method),
      };
      break;
    case 'cvm':
      config.cvm = { pVal: num(p.pVal), correction };
      break;
    case 'chi2':
      config.chiSquare = {
        pVal: num(p.pVal),
        correction,
        categoriesPerFeature: (p.categoriesPerFeature as Record<number, number> | undefined) ?? {},
      };
      break;
    case 'mmd':
      config.mmd = {
        pVal: num(p.pVal),
        nPermutations: num(p.permutations),
        sigma: num(p.sigma),
        seed: num(p.seed) === undefined ? undefined : BigInt(p.seed as number),
      };
      break;
    case 'lsdd':
      config.lsdd = {
        pVal: num(p.pVal),
        nPermutations: num(p.permutations),
        sigma: num(p.sigma),
        nKernelCenters: num(p.nKernelCenters),
        lambda: num(p.lambda),
        seed: num(p.seed) === undefined ? undefined : BigInt(p.seed as number),
      };
      break;
    case 'quality':
      config.quality = {
        boundQuantile: num((p.quantileBounds as number[] | undefined)?.[0]),
        maxFailureRate: num((p.limits as { missing?: number } | undefined)?.missing),
      };
      break;
    case 'online-mmd':
      config.mmdOnline = {
        ert: num(p.ert) ?? 0,
        windowSize: num(p.windowSize) ?? 0,
        nBootstraps: num(p.nBootstraps),
        sigma: num(p.sigma),
        seed: num(p.seed) === undefined ? undefined : BigInt(p.seed as number),
      };
      break;
    case 'online-cvm':
      config.cvmOnline = {
        ert: num(p.ert) ?? 0,
        windowSizes: Array.isArray(p.windowSizes) ? (p.windowSizes as number[]) : [],
        nBootstraps: num(p.nBootstraps),
        seed: num(p.seed) === undefined ? undefined : BigInt(p.seed as number),
      };
      break;
    case 'pca':
      config.pca = {
        varianceExplained: num(p.varianceExplained),
        thresholdSigmas: num(p.stdMultiplier),
        chunkRows: num(p.chunkRows),
      };
      break;
    default:
      config.tabular = {
        pVal: num(p.pVal),
        correction,
        numericTest: reverse(NUMERIC_TESTS, p.numericTest),
        ksMethod: reverse(KS_METHODS, p.method),
      };
  }
  if (alert) config.effectSizeAlert = { metric: reverse(METRICS, alert.metric), threshold: alert.above };
  return config;
}

/** The window settings a BatchWindow sets (unset fields left out for the defaults). */
export function windowFromMessage(
  window: driftV1.BatchWindow | undefined,
): Partial<WindowSettings> | undefined {
  if (!window) return undefined;
  const settings: { -readonly [K in keyof WindowSettings]?: WindowSettings[K] } = {};
  if (window.maxRows > 0) settings.maxRows = window.maxRows;
  if (window.maxDuration) {
    const ms = Number(window.maxDuration.seconds) * 1000 + Math.floor(window.maxDuration.nanos / 1e6);
    if (!(ms > 0)) throw new InvalidArgumentError(`window.max_duration: must be > 0, got ${ms} ms`);
    settings.maxDurationMs = ms;
  }
  if (window.minRows > 0) settings.minRows = window.minRows;
  if (window.mode === driftV1.WindowMode.WINDOW_MODE_SLIDING) settings.mode = 'sliding';
  else settings.mode = 'tumbling';
  if (window.slideRows > 0) settings.slideRows = window.slideRows;
  if (window.exactRows > 0) settings.exactRows = window.exactRows;
  if (window.aligned) settings.aligned = true;
  return settings;
}

/** The BatchWindow of resolved settings. */
export function windowToMessage(window: WindowSettings): driftV1.BatchWindow {
  return {
    maxRows: window.maxRows,
    maxDuration: {
      seconds: BigInt(Math.floor(window.maxDurationMs / 1000)),
      nanos: (window.maxDurationMs % 1000) * 1e6,
    },
    minRows: window.minRows,
    mode:
      window.mode === 'sliding'
        ? driftV1.WindowMode.WINDOW_MODE_SLIDING
        : driftV1.WindowMode.WINDOW_MODE_TUMBLING,
    slideRows: window.slideRows,
    exactRows: window.exactRows ?? 0,
    aligned: window.aligned ?? false,
  };
}

/** A Duration message in ms (unset: undefined). */
function durationMs(duration: { seconds: bigint; nanos: number } | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
}

/** A Duration message of ms. */
function durationOf(ms: number): { seconds: bigint; nanos: number } {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/**
 * The trailing reference of a config (unset: undefined); the ranges the contract states
 * are checked here, the service's own limits by the data plane.
 */
export function trailingFromMessage(
  trailing: driftV1.TrailingReference | undefined,
): TrailingReferenceSpec | undefined {
  if (!trailing) return undefined;
  const field = 'config.trailing_reference';
  const offsetMs = durationMs(trailing.offset) ?? 0;
  if (!(offsetMs >= 0)) throw new InvalidArgumentError(`${field}.offset: must be >= 0, got ${offsetMs} ms`);
  const lengthMs = durationMs(trailing.length);
  if (lengthMs === undefined) throw new InvalidArgumentError(`${field}.length: required`);
  if (!(lengthMs > 0)) throw new InvalidArgumentError(`${field}.length: must be > 0, got ${lengthMs} ms`);
  const refitIntervalMs = durationMs(trailing.refitInterval) ?? lengthMs;
  if (!(refitIntervalMs > 0))
    throw new InvalidArgumentError(`${field}.refit_interval: must be > 0, got ${refitIntervalMs} ms`);
  return {
    ...(trailing.selector ? { selection: selectionFromMessage(trailing.selector, `${field}.selector`) } : {}),
    offsetMs,
    lengthMs,
    refitIntervalMs,
    minRows: Number(trailing.minRows),
  };
}

/** The TrailingReference message of a spec. */
export function trailingToMessage(trailing: TrailingReferenceSpec): driftV1.TrailingReference {
  return {
    selector: trailing.selection ? selectionToMessage(trailing.selection) : undefined,
    offset: durationOf(trailing.offsetMs),
    length: durationOf(trailing.lengthMs),
    refitInterval: durationOf(trailing.refitIntervalMs),
    minRows: BigInt(trailing.minRows),
  };
}

/** The detector spec of a CreateDetector request. */
export function specFromCreate(request: driftV1.CreateDetectorRequest): DetectorSpec {
  const { kind, params, effectSizeAlert } = kindFromConfig(request.config);
  const trailingReference = trailingFromMessage(request.config?.trailingReference);
  return {
    ...(trailingReference ? { trailingReference } : {}),
    name: request.name,
    kind,
    params,
    ...(effectSizeAlert ? { effectSizeAlert } : {}),
    ...(request.live ? { live: selectionFromMessage(request.live, 'live') } : {}),
    ...(request.liveWindow ? { liveWindow: windowFromMessage(request.liveWindow) } : {}),
    labels: { ...request.labels },
    categoricalFeatures: [...request.categoricalFeatures],
  };
}

function lineageToMessage(lineage: VersionLineage): driftV1.DetectorLineage {
  return {
    name: lineage.name,
    version: lineage.version,
    // The contract names kinds as Alibi Detect does (DetectorMeta.kind), e.g. "KSDrift".
    kind: ALIBI_KIND_NAMES[lineage.kind],
    config: configFromKind(lineage.kind, lineage.params, undefined),
    referenceSha256: lineage.referenceSha256,
    referenceRows: BigInt(lineage.referenceRows),
    featureNames: [...lineage.featureNames],
    featureTypes: [...lineage.featureTypes],
    createTime: new Date(lineage.createTimeMs),
    sightlineVersion: lineage.sightlineVersion,
    creator: lineage.creator,
    referenceSource: lineage.referenceSource,
    seed: BigInt(Math.max(0, Math.floor(lineage.seed))),
    referenceSkippedEvents: Object.fromEntries(
      Object.entries(lineage.referenceSkippedEvents).map(([reason, n]) => [reason, BigInt(n)]),
    ),
  };
}

/** The lineage message (GetDetector's versions). */
export { lineageToMessage };

/** The Detector message of a view. */
export function detectorToMessage(view: DetectorView): driftV1.Detector {
  const config = configFromKind(view.kind, view.params, view.effectSizeAlert);
  if (view.trailingReference) config.trailingReference = trailingToMessage(view.trailingReference);
  return {
    name: view.name,
    config,
    state:
      view.state === 'fitted'
        ? driftV1.DetectorState.DETECTOR_STATE_FITTED
        : driftV1.DetectorState.DETECTOR_STATE_CREATED,
    schemaVersion: view.schemaVersion,
    inputs: view.inputs.map((input) => ({
      name: input.name,
      datatype: input.datatype,
      rowShape: input.rowShape.map((d) => BigInt(d)),
    })),
    featureCount: view.featureCount,
    referenceRows: BigInt(view.referenceRows),
    time: BigInt(view.time ?? 0),
    live: view.live ? selectionToMessage(view.live) : undefined,
    liveWindow: view.liveWindow ? windowToMessage(view.liveWindow) : undefined,
    labels: { ...view.labels },
    createTime: new Date(view.createTimeMs),
    fitTime: view.fitTimeMs === undefined ? undefined : new Date(view.fitTimeMs),
    producerVersion: view.producerVersion,
    version: view.version,
    lineage: view.lineage ? lineageToMessage(view.lineage) : undefined,
    categoricalFeatures: [...view.categoricalFeatures],
    attached: view.attached,
  };
}

function featureToMessage(feature: FeatureVerdict): driftV1.FeatureDrift {
  return {
    index: feature.index,
    name: feature.name,
    isDrift: feature.isDrift,
    pVal: feature.pValue,
    distance: feature.statistic,
    test: feature.test,
    featureType: feature.featureType,
    effectSizes: feature.effectSizes
      ? {
          psi: feature.effectSizes.psi,
          jensenShannon: feature.effectSizes.jensenShannon,
          wasserstein: feature.effectSizes.wasserstein,
          hellinger: feature.effectSizes.hellinger,
        }
      : undefined,
    quality: feature.quality
      ? {
          rows: BigInt(feature.quality.rows),
          missing: BigInt(feature.quality.missing),
          outOfBounds: BigInt(feature.quality.outOfBounds),
          unseenCategories: BigInt(feature.quality.unseenCategories),
          typeViolations: BigInt(feature.quality.typeViolations),
          failureRate: feature.quality.failureRate,
        }
      : undefined,
    ...(feature.statisticErrorBound !== undefined
      ? { statisticErrorBound: feature.statisticErrorBound }
      : {}),
    ...(feature.pValueRange ? { pValLow: feature.pValueRange[0], pValHigh: feature.pValueRange[1] } : {}),
  };
}

/** The DriftData message of a verdict. */
export function verdictToMessage(verdict: DriftVerdict): driftV1.DriftData {
  return {
    isDrift: verdict.isDrift,
    threshold: verdict.threshold,
    features: verdict.features.map(featureToMessage),
    pVal: verdict.pValue,
    distance: verdict.distance,
    distanceThreshold: verdict.distanceThreshold,
    pValAlpha: verdict.pValueAlpha,
    correction: reverse(CORRECTIONS, verdict.correction),
    sigma: verdict.sigma,
    verdictOn: verdict.verdictOn,
    rows: BigInt(verdict.rows),
    onlineRows: (verdict.online?.rows ?? []).map((row) => ({
      time: BigInt(row.time),
      testStat: row.testStat,
      threshold: row.threshold,
      isDrift: row.isDrift,
    })),
    ...(verdict.online
      ? {
          time: BigInt(verdict.online.time),
          testStat: verdict.online.testStat,
          ert: verdict.online.ert,
          ...(verdict.online.driftTime !== undefined ? { driftTime: BigInt(verdict.online.driftTime) } : {}),
        }
      : {}),
    approximation: verdict.approximation
      ? {
          windowRows: BigInt(verdict.approximation.windowRows),
          relativeAccuracy: verdict.approximation.relativeAccuracy,
          sampledRows: BigInt(verdict.approximation.sampledRows ?? 0),
          maxStatisticErrorBound: verdict.approximation.maxStatisticErrorBound,
          note: verdict.approximation.note,
        }
      : undefined,
  };
}

/** The DriftEvent message of a stored record. */
export function driftEventToMessage(record: DriftEventRecord): driftV1.DriftEvent {
  return {
    eventId: record.eventId,
    detector: record.detector,
    detectorVersion: record.detectorVersion,
    origin: record.origin,
    modelName: record.modelName,
    modelVersion: record.modelVersion,
    windowStartTime: new Date(record.windowStartUnixMs),
    windowEndTime: new Date(record.windowEndUnixMs),
    events: BigInt(record.events),
    rows: BigInt(record.rows),
    requestIds: [...record.requestIds],
    requestIdCount: BigInt(record.requestIdCount),
    closedBy: record.closedBy,
    time: new Date(record.timeUnixMs),
    data: verdictToMessage(record.verdict),
    sharesMerged: record.sharesMerged ?? 0,
    sharesExpected: record.sharesExpected ?? 0,
  };
}

/** One ScoreHistory stream message. */
export function historyItemToMessage(item: HistoryItem): driftV1.ScoreHistoryResponse {
  return {
    windowStartTime: item.windowStartUnixMs === undefined ? undefined : new Date(item.windowStartUnixMs),
    windowEndTime: item.windowEndUnixMs === undefined ? undefined : new Date(item.windowEndUnixMs),
    events: BigInt(item.events),
    rows: BigInt(item.rows),
    data: item.verdict ? verdictToMessage(item.verdict) : undefined,
    progress: {
      eventsRead: BigInt(item.progress.eventsRead),
      eventsMatched: BigInt(item.progress.eventsMatched),
      eventsSkipped: Object.fromEntries(
        Object.entries(item.progress.eventsSkipped).map(([reason, count]) => [reason, BigInt(count)]),
      ),
      positionTime: new Date(item.progress.positionUnixMs),
      windows: item.progress.windows,
    },
  };
}

/** The window share of a MergeWindowShare request (the summary still JSON, checked by the merger). */
export function windowShareFromMessage(message: driftV1.MergeWindowShareRequest): WindowShare {
  if (message.replica === '') throw new InvalidArgumentError('replica: must not be empty');
  if (!message.windowStartTime || !message.windowEndTime) {
    throw new InvalidArgumentError('window_start_time and window_end_time: both are required');
  }
  if (message.closedBy !== 'rows' && message.closedBy !== 'time') {
    throw new InvalidArgumentError(
      `closed_by: must be "rows" or "time", got ${JSON.stringify(message.closedBy)}`,
    );
  }
  let summary: WindowSummaryJson;
  try {
    summary = JSON.parse(Buffer.from(message.summary).toString('utf8')) as WindowSummaryJson;
  } catch (error) {
    throw new InvalidArgumentError('summary: not JSON', { cause: error });
  }
  return {
    replica: message.replica,
    part: Math.max(1, message.part),
    detector: message.detector,
    detectorVersion: message.detectorVersion,
    modelName: message.modelName,
    modelVersion: message.modelVersion,
    windowStartMs: message.windowStartTime.getTime(),
    windowEndMs: message.windowEndTime.getTime(),
    closeReason: message.closedBy,
    summary,
  };
}

/** The MergeWindowShare request of a share. */
export function windowShareToMessage(share: WindowShare): driftV1.MergeWindowShareRequest {
  return {
    replica: share.replica,
    part: share.part,
    detector: share.detector,
    detectorVersion: share.detectorVersion,
    modelName: share.modelName,
    modelVersion: share.modelVersion,
    windowStartTime: new Date(share.windowStartMs),
    windowEndTime: new Date(share.windowEndMs),
    closedBy: share.closeReason,
    summary: Buffer.from(JSON.stringify(share.summary), 'utf8'),
  };
}
